import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { NO_OP_UPDATE } from "../../components/step-commands";
import {
    installMocks,
    isSecretWrapper,
    settle,
    valueOf,
    withoutSecrets,
    type RecordedResource,
} from "../helpers/pulumi-mocks";
import { BOT, fakePublicKey } from "../helpers/stack-fixtures";

// Records every Command with its options, so the test can read the dependsOn chain (the mock
// monitor does not see resource options).
const seen = vi.hoisted(() => ({
    commands: [] as { name: string; resource: unknown; dependsOn: unknown }[],
}));
vi.mock("@pulumi/command", async (importOriginal) => {
    const actual = await importOriginal<typeof import("@pulumi/command")>();
    class RecordingCommand extends actual.remote.Command {
        constructor(name: string, args: never, opts?: pulumi.CustomResourceOptions) {
            super(name, args, opts);
            seen.commands.push({ name, resource: this, dependsOn: opts?.dependsOn });
        }
    }
    return { ...actual, remote: { ...actual.remote, Command: RecordingCommand } };
});

// The preflight's probes ask ssh-agent and dial the host: under mocks they report a clean run.
vi.mock("../../components/preflight-probes", async (importOriginal) => ({
    ...(await importOriginal<object>()),
    runPreflight: (await import("../helpers/pulumi-mocks")).cleanPreflight,
}));

const PASSWORD = "GeneratedPostgresPassword0123456789ab";
const TOKEN = "123456789:FAKE-test-token-abcdefghijklmnopqrs";
const API_HASH = "fakeapihash0123456789abcdef0123";
const HOST_KEY = fakePublicKey().split(" ").slice(0, 2).join(" ");
const OPERATOR_KEY = fakePublicKey("operator@laptop");
const SECRETS = [PASSWORD, TOKEN, API_HASH];

let resources: RecordedResource[] = [];
let program: Record<string, unknown>;
let workDir: string;
const cwd = process.cwd();

beforeAll(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "program-test-"));
    process.chdir(workDir); // the program writes .pulumi-ssh/known_hosts under its working directory
    // The project's bot directory as `pulumi up` sees it: its Dockerfile names the base image.
    mkdirSync("bot");
    cpSync(path.resolve(__dirname, "../../bot/Dockerfile"), "bot/Dockerfile");
    resources = await installMocks({
        config: {
            host: "203.0.113.10",
            hostKey: HOST_KEY,
            operatorKeys: [OPERATOR_KEY],
            botApi: { apiId: 1234567, apiHash: API_HASH },
            bots: [{ name: BOT, schema: "mpcabinet", token: TOKEN }],
        },
        secretKeys: ["botApi", "bots"],
        generatedPassword: PASSWORD,
    });
    program = await import("../../index");
    await settle();
});

afterAll(() => {
    process.chdir(cwd);
    rmSync(workDir, { recursive: true, force: true });
});

const commands = () => resources.filter((r) => r.type === "command:remote:Command");
const byName = (name: string) => {
    const found = resources.find((r) => r.name === name);
    if (found === undefined) throw new Error(`no resource ${name}`);
    return found;
};

describe("the program under mocks", () => {
    it("creates the components, the image and the random password", () => {
        const types = resources.map((r) => r.type);
        for (const type of [
            "timeweb:vps:Bootstrap",
            "timeweb:vps:DockerEngine",
            "timeweb:vps:BotImage",
            "timeweb:vps:ComposeStack",
            "docker:index/image:Image",
            "pulumi:providers:docker",
            "random:index/randomPassword:RandomPassword",
        ]) {
            expect(types).toContain(type);
        }
        expect(byName("stack-postgres-password").inputs.keepers).toEqual({ passwordVersion: "1" });
        expect(byName("stack-postgres-password").inputs.special).toBe(false);
    });

    it("chains every command after the one before it, across the components", () => {
        const names = seen.commands.map((c) => c.name);
        const index = (name: string) => names.indexOf(name);
        expect(index("host-operator-keys")).toBeLessThan(index("host-sshd-hardening"));
        expect(index("host-sshd-hardening")).toBeLessThan(index("host-ufw"));
        expect(index("host-ufw")).toBeLessThan(index("engine-docker-install"));
        expect(index("engine-docker-daemon")).toBeLessThan(index("stack-stack-up"));
        seen.commands.forEach((command, i) => {
            const dependsOn = command.dependsOn as unknown[];
            if (
                i === 0 ||
                command.name.startsWith("engine-docker-install") ||
                command.name === "stack-stack-dirs"
            )
                return;
            expect(dependsOn, command.name).toEqual([seen.commands[i - 1]?.resource]);
        });
    });

    it("makes Docker wait for the bootstrap and the stack wait for Docker and the image", () => {
        const first = (name: string) =>
            seen.commands.find((c) => c.name === name)?.dependsOn as pulumi.Resource[];
        const engineDeps = first("engine-docker-install");
        expect(engineDeps.map((r) => r.constructor.name)).toEqual(["Bootstrap"]);
        const stackDeps = first("stack-stack-dirs").map((r) => r.constructor.name);
        expect(stackDeps).toEqual(["DockerEngine", "BotImage"]);
    });

    it("pins the host key on every command and never re-runs a step on a connection change", () => {
        for (const command of commands()) {
            const connection = command.inputs.connection as Record<string, unknown>;
            const plain = (isSecretWrapper(connection) ? connection.value : connection) as Record<
                string,
                unknown
            >;
            expect(plain.hostKey, command.name).toBe(HOST_KEY);
            expect(plain.dialErrorLimit, command.name).toBeGreaterThan(0);
            expect(command.inputs.update, command.name).toBe(NO_OP_UPDATE);
            expect(command.inputs.addPreviousOutputInEnv, command.name).toBe(false);
            expect(command.inputs.delete, command.name).toBeUndefined();
            // Stack triggers derive from secret runtime values, so they stay secret in state.
            const triggers = isSecretWrapper(command.inputs.triggers)
                ? command.inputs.triggers.value
                : command.inputs.triggers;
            expect(triggers, command.name).toEqual([expect.stringMatching(/^[0-9a-f]{64}$/)]);
        }
    });

    it("sends env files through secret stdin with logging off", () => {
        for (const name of [
            "stack-stack-env-postgres",
            "stack-stack-env-telegram-bot-api",
            `stack-stack-env-${BOT}`,
        ]) {
            const command = byName(name);
            expect(isSecretWrapper(command.inputs.stdin), name).toBe(true);
            expect(command.inputs.logging, name).toBe("none");
        }
        const tokenEnv = byName(`stack-stack-env-${BOT}`).inputs.stdin as { value: string };
        expect(tokenEnv.value).toContain(`BOT_TOKEN=${TOKEN}`);
        expect(tokenEnv.value).toContain(`:${PASSWORD}@postgres:5432/`);
    });

    it("keeps every generated or configured secret out of commands and providers in clear", () => {
        const clear = JSON.stringify(resources.map((r) => withoutSecrets(r.inputs)));
        for (const secret of SECRETS) expect(clear).not.toContain(secret);
        for (const command of commands()) expect(typeof command.inputs.create).toBe("string");
    });

    it("leaves the compose file's stdin in clear (it holds no secret) and without ports", () => {
        const stdin = byName("stack-stack-compose-file").inputs.stdin;
        expect(typeof stdin).toBe("string");
        expect(stdin as string).not.toMatch(/^\s*ports:/m);
        expect(stdin as string).toContain(`image: "sha256:${"ab".repeat(32)}"`);
    });

    it("tells the image pruning each bot's image and the base its Dockerfile builds FROM", () => {
        // Without the base, a BuildKit-built bot leaves its base unused: every deploy would untag
        // it and the next build would pull it again.
        expect(byName("stack-prune-images").inputs.stdin).toBe(
            `${BOT} sha256:${"ab".repeat(32)} node:22.14.0-bookworm-slim\n`,
        );
    });

    it("configures the Docker provider over ssh with the pinned known_hosts and no daemon check", () => {
        const provider = resources.find((r) => r.type === "pulumi:providers:docker");
        expect(provider?.inputs.host).toBe("ssh://root@203.0.113.10:22");
        expect(provider?.inputs.disableDockerDaemonCheck).toBe("true");
        const opts = JSON.parse(provider?.inputs.sshOpts as string) as string[];
        expect(opts).toContain("StrictHostKeyChecking=yes");
        const file = opts.find((o) => o.startsWith("UserKnownHostsFile="))?.split("=")[1] ?? "";
        expect(readFileSync(path.join(workDir, file), "utf8")).toBe(`203.0.113.10 ${HOST_KEY}\n`);
        // Only the key the preflight picked (the operator key, from the agent) is offered.
        expect(opts).toEqual(
            expect.arrayContaining([
                "IdentitiesOnly=yes",
                "IdentityFile=.pulumi-ssh/test-identity",
            ]),
        );
        const identity = path.join(workDir, ".pulumi-ssh/test-identity");
        expect(readFileSync(identity, "utf8")).toBe(
            `${OPERATOR_KEY.split(" ").slice(0, 2).join(" ")}\n`,
        );
        expect(statSync(identity).mode & 0o777).toBe(0o600);
        const image = byName(`${BOT}-image`);
        expect((image.inputs.build as Record<string, unknown>).platform).toBe("linux/amd64");
        expect(image.inputs.skipPush).toBe(true);
    });

    it("gives no resource an input that depends on where the project is checked out", () => {
        // A laptop and a CI runner hold the project at different paths; an absolute path in any
        // input would make every preview from the other machine show changes.
        const inputs = JSON.stringify(resources.map((r) => withoutSecrets(r.inputs)));
        for (const dir of [path.resolve(__dirname, "../.."), workDir]) {
            expect(inputs).not.toContain(dir);
        }
        expect((byName(`${BOT}-image`).inputs.build as Record<string, unknown>).context).toBe(
            "bot",
        );
    });

    it("exports host, ssh command, stack dir, services, image ids, step outcomes and next steps, none secret", async () => {
        const exported: Record<string, unknown> = {};
        for (const key of [
            "host",
            "sshCommand",
            "stackDir",
            "services",
            "botImageIds",
            "bootstrapSteps",
            "dockerEngineSteps",
            "composeStackSteps",
            "nextSteps",
        ]) {
            const value = program[key];
            if (pulumi.Output.isInstance(value)) {
                expect(await pulumi.isSecret(value), key).toBe(false);
                exported[key] = await valueOf(value);
            } else {
                exported[key] = value;
            }
        }
        expect(exported.sshCommand).toBe("ssh -p 22 root@203.0.113.10");
        expect(exported.services).toEqual(["postgres", "telegram-bot-api", BOT]);
        expect(exported.botImageIds).toEqual({ [BOT]: `sha256:${"ab".repeat(32)}` });
        expect(exported.bootstrapSteps).toContainEqual({
            step: "sshd-hardening",
            outcome: "UNCHANGED",
        });
        expect(exported.composeStackSteps).toContainEqual({
            step: "stack-up",
            outcome: "UNCHANGED",
        });
        const text = JSON.stringify(exported);
        for (const secret of SECRETS) expect(text).not.toContain(secret);
    });
});
