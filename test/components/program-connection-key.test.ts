import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
    installMocks,
    isSecretWrapper,
    settle,
    withoutSecrets,
    type RecordedResource,
} from "../helpers/pulumi-mocks";
import { generateKey, type GeneratedKey } from "../helpers/ssh-keygen";
import { BOT, fakePublicKey } from "../helpers/stack-fixtures";

// The program with a passphrase-protected sshPrivateKey: the command provider gets the key and
// its passphrase (privateKey, privateKeyPassword; both secret), and the Docker provider's ssh,
// which cannot ask for a passphrase, takes that key from ssh-agent (IdentityFile = its .pub).

vi.mock("../../components/preflight-probes", async (importOriginal) => ({
    ...(await importOriginal<object>()),
    runPreflight: (await import("../helpers/pulumi-mocks")).cleanPreflight,
}));

const PASSPHRASE = "a passphrase that must stay secret";
let resources: RecordedResource[] = [];
let workDir: string;
let key: GeneratedKey;
const cwd = process.cwd();

beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "program-key-test-"));
    key = generateKey(workDir, "deploy_key", { type: "ed25519", passphrase: PASSPHRASE });
    process.chdir(workDir);
    resources = await installMocks({
        config: {
            host: "203.0.113.10",
            hostKey: fakePublicKey("vps").split(" ").slice(0, 2).join(" "),
            operatorKeys: [key.publicLine],
            sshPrivateKey: key.privateKey,
            sshPrivateKeyPassword: PASSPHRASE,
            botApi: { apiId: 1234567, apiHash: "fakeapihash0123456789abcdef0123" },
            bots: [
                {
                    name: BOT,
                    schema: "mpcabinet",
                    token: "123456789:FAKE-test-token-abcdefghijklmnopqrs",
                },
            ],
        },
        secretKeys: ["botApi", "bots", "sshPrivateKey", "sshPrivateKeyPassword"],
        generatedPassword: "GeneratedPostgresPassword0123456789ab",
    });
    await import("../../index");
    await settle();
}, 60_000);

afterAll(() => {
    process.chdir(cwd);
    rmSync(workDir, { recursive: true, force: true });
});

describe("a passphrase-protected connection key", () => {
    it("reaches every command as privateKey and privateKeyPassword, inside the secret connection", () => {
        const commands = resources.filter((r) => r.type === "command:remote:Command");
        expect(commands.length).toBeGreaterThan(10);
        for (const command of commands) {
            expect(isSecretWrapper(command.inputs.connection), command.name).toBe(true);
            const connection = (command.inputs.connection as { value: Record<string, unknown> })
                .value;
            expect(connection.privateKey, command.name).toBe(key.privateKey);
            expect(connection.privateKeyPassword, command.name).toBe(PASSPHRASE);
        }
        const clear = JSON.stringify(resources.map((r) => withoutSecrets(r.inputs)));
        expect(clear).not.toContain(PASSPHRASE);
        expect(clear).not.toContain(key.privateKey.split("\n")[1]);
    });

    it("is taken from ssh-agent by the Docker provider's ssh: the identity file is its public key", () => {
        const identity = path.join(workDir, ".pulumi-ssh/test-identity");
        expect(readFileSync(identity, "utf8")).toBe(
            `${key.publicLine.split(" ").slice(0, 2).join(" ")}\n`,
        );
        expect(statSync(identity).mode & 0o777).toBe(0o600);
    });
});
