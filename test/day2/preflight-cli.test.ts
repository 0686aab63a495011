import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SSHD_MAX_AUTH_TRIES } from "../../components/config/ssh-keys";
import { runCommand } from "../helpers/command-provider-client";
import { freePort } from "../helpers/loopback-port";
import { cliSandbox, type CliSandbox } from "../helpers/pulumi-cli";
import { startAgent, type PrivateAgent } from "../helpers/ssh-agent";
import { generateKey, type GeneratedKey } from "../helpers/ssh-keygen";
import { startSshd, type PrivateSshd } from "./helpers/private-sshd";

// `npm run preflight` with the real Pulumi CLI (file backend, passphrase), a private ssh-agent
// and a private sshd on 127.0.0.1: the stack is configured with the README's commands.

const repo = resolve(__dirname, "../..");
let sshd: PrivateSshd;
let agent: PrivateAgent;
let project: CliSandbox;
let keysDir: string;
let others: GeneratedKey[];

function pulumi(command: string, input?: string) {
    const result = project.exec(`pulumi ${command}`, input);
    expect(result.code, `pulumi ${command}: ${result.stderr}`).toBe(0);
}

/** Runs the preflight script as `npm run preflight` does, in the project directory. */
function preflight(env: NodeJS.ProcessEnv = {}) {
    const result = spawnSync(
        join(repo, "node_modules/.bin/tsx"),
        [join(repo, "scripts/preflight.ts"), "--stack", "prod"],
        {
            cwd: project.projectDir,
            env: { ...project.env, SSH_AUTH_SOCK: agent.socket, ...env },
            encoding: "utf8",
        },
    );
    return { code: result.status, out: result.stdout + result.stderr };
}

beforeAll(async () => {
    sshd = await startSshd();
    agent = await startAgent();
    keysDir = mkdtempSync(join(tmpdir(), "preflight-keys-"));
    others = Array.from({ length: SSHD_MAX_AUTH_TRIES }, (_, i) =>
        generateKey(keysDir, `other${i}`, { type: "ed25519" }),
    );
    project = cliSandbox("preflight test passphrase");
    const operatorKey = spawnSync("ssh-keygen", ["-y", "-f", sshd.clientKeyPath], {
        encoding: "utf8",
    }).stdout.trim();
    pulumi("stack select --create prod");
    pulumi("config set host 127.0.0.1");
    pulumi(`config set sshPort ${sshd.port}`);
    pulumi(`config set hostKey '${sshd.hostKeyPub.split(" ").slice(0, 2).join(" ")}'`);
    pulumi(`config set --path 'operatorKeys[0]' '${operatorKey}'`);
    pulumi("config set --path botApi.apiId 1234567");
    pulumi("config set --path 'bots[0].name' mpcabinet-picture-bot");
    pulumi("config set --path 'bots[0].schema' mpcabinet");
    pulumi("config set --secret --path botApi.apiHash fakeapihash0123456789abcdef0123");
    pulumi(
        "config set --secret --path 'bots[0].token' 123456789:FAKE-test-token-abcdefghijklmnopqrs",
    );
}, 600_000);

afterAll(async () => {
    project?.remove();
    await agent?.stop();
    await sshd?.stop();
    rmSync(keysDir, { recursive: true, force: true });
});

beforeEach(() => agent.clear());

describe("npm run preflight", () => {
    it(`passes with ${SSHD_MAX_AUTH_TRIES} keys in the agent, the right one last`, () => {
        for (const key of others.slice(0, SSHD_MAX_AUTH_TRIES - 1)) agent.add(key.privatePath);
        agent.add(sshd.clientKeyPath);
        const { code, out } = preflight();
        expect(out).toContain("Preflight passed:");
        expect(out).toMatch(/SSH key: ssh-ed25519 SHA256:\S+ from ssh-agent/);
        expect(out).toContain(
            `host: root@127.0.0.1:${sshd.port} answers with the pinned ed25519 key`,
        );
        expect(code).toBe(0);
    });

    it("fails when the right key would come after sshd's MaxAuthTries", () => {
        for (const key of others) agent.add(key.privatePath);
        agent.add(sshd.clientKeyPath);
        const { code, out } = preflight();
        expect(out).toContain(
            `as number ${SSHD_MAX_AUTH_TRIES + 1} of ${SSHD_MAX_AUTH_TRIES + 1}, and sshd disconnects after ${SSHD_MAX_AUTH_TRIES} refused keys`,
        );
        expect(code).toBe(1);
    });

    it("passes with sshPrivateKey and no agent at all", () => {
        pulumi("config set --secret sshPrivateKey", readFileSync(sshd.clientKeyPath, "utf8"));
        try {
            const { code, out } = preflight({ SSH_AUTH_SOCK: "" });
            expect(out).toMatch(/SSH key: sshPrivateKey \(ssh-ed25519 SHA256:\S+\)/);
            expect(code).toBe(0);
        } finally {
            pulumi("config rm sshPrivateKey");
        }
    });

    it("stops on a stale SSH_AUTH_SOCK, which fails every step of the command provider", async () => {
        const gone = join(keysDir, "gone.sock");
        const client = await runCommand(
            {
                host: "127.0.0.1",
                port: sshd.port,
                hostKey: sshd.hostKeyPub,
                privateKeyFile: sshd.clientKeyPath,
                agentSocket: gone,
            },
            "echo ok",
        );
        expect(client.stderr).toContain(`dial unix ${gone}`);
        pulumi("config set --secret sshPrivateKey", readFileSync(sshd.clientKeyPath, "utf8"));
        try {
            const { code, out } = preflight({ SSH_AUTH_SOCK: gone });
            expect(out).toContain("SSH_AUTH_SOCK is set, but its ssh-agent does not answer");
            expect(code).toBe(1);
        } finally {
            pulumi("config rm sshPrivateKey");
        }
    });

    it("stops on a host key other than the pinned one", () => {
        agent.add(sshd.clientKeyPath);
        const impostor = generateKey(keysDir, "impostor", { type: "ed25519" })
            .publicLine.split(" ")
            .slice(0, 2)
            .join(" ");
        pulumi(`config set hostKey '${impostor}'`);
        try {
            const { code, out } = preflight();
            expect(out).toContain(
                `host key mismatch for root@127.0.0.1:${sshd.port}: expected SHA256:`,
            );
            expect(code).toBe(1);
        } finally {
            pulumi(`config set hostKey '${sshd.hostKeyPub.split(" ").slice(0, 2).join(" ")}'`);
        }
    });

    it("fails fast when the host cannot be reached", async () => {
        agent.add(sshd.clientKeyPath);
        const closed = await freePort();
        pulumi(`config set sshPort ${closed}`);
        try {
            const { code, out } = preflight();
            expect(out).toContain(
                `cannot reach root@127.0.0.1:${closed} (connect ECONNREFUSED 127.0.0.1:${closed})`,
            );
            expect(code).toBe(1);
        } finally {
            pulumi(`config set sshPort ${sshd.port}`);
        }
    });

    it("refuses a narrowed sshAllowFrom on a GitHub-hosted runner", () => {
        agent.add(sshd.clientKeyPath);
        pulumi("config set --path 'sshAllowFrom[0]' 198.51.100.0/24");
        try {
            const hosted = preflight({
                GITHUB_ACTIONS: "true",
                RUNNER_ENVIRONMENT: "github-hosted",
            });
            expect(hosted.out).toContain(
                "sshAllowFrom (198.51.100.0/24) does not include this GitHub-hosted runner",
            );
            expect(hosted.code).toBe(1);
            expect(
                preflight({ GITHUB_ACTIONS: "true", RUNNER_ENVIRONMENT: "self-hosted" }).code,
            ).toBe(0);
        } finally {
            pulumi("config rm sshAllowFrom");
        }
    });

    it("lists config problems first, with their fixes", () => {
        agent.add(sshd.clientKeyPath);
        const rsa = generateKey(keysDir, "rsa2048", { type: "rsa", bits: 2048 });
        pulumi(`config set --path 'operatorKeys[1]' '${rsa.publicLine}'`);
        try {
            const { code, out } = preflight();
            expect(out).toContain(
                "operatorKeys[1]: a 2048-bit RSA key: the hardened sshd refuses RSA keys under 3072 bits",
            );
            expect(code).toBe(1);
        } finally {
            pulumi("config rm --path 'operatorKeys[1]'");
        }
    });
});
