import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_KEY } from "../helpers/timeweb-fixtures";
import { pulumiBinDir } from "../helpers/pulumi-cli";
import { API_PORT, type LabState } from "../engine/timeweb-lab-protocol";
import { copyProject, engineEnv, Lab, stackSetup, type Run } from "../engine/timeweb-engine";

/*
 * The real Pulumi engine (the CLI of .pulumi.version, the Node.js language host, our
 * dynamic-provider launcher; toolchain/install-pulumi.sh) runs preview/up/destroy of the Timeweb
 * component (components/timeweb) in test/engine/timeweb-project, against the loopback fake
 * Timeweb API. Everything runs in a network namespace the test creates (`unshare --net`, gone
 * with the lab process): the fake API on 127.0.0.1, and the fake's floating IPs routed to lo,
 * where a private sshd plays the new server's first boot for the host-key pinning. The stack is
 * configured with the README's own commands. Each `it` builds on the one before.
 */

const repoDir = resolve(__dirname, "../..");
const STACK = "test";
const log = (line: string) => console.log(`[engine-timeweb] ${line}`);

let root: string;
let binDir: string;
let lab: Lab | undefined;
let labHostKey: string;
let hostPrivateKey: string;
let projectA: string;
let env: NodeJS.ProcessEnv;
const passphrase = `test-passphrase-${randomBytes(12).toString("hex")}`;
/** Every token the account ever had: none may show in plaintext anywhere. */
const tokens: string[] = [];
/** Output of every command, and the engine event logs, for the plaintext check. */
const transcript: string[] = [];
const eventLogs: string[] = [];

/** Runs a command line in the lab's namespace, keeping its output for the plaintext check. */
async function pulumi(command: string, cwd = projectA): Promise<Run> {
    const run = await lab!.run(command, cwd, env);
    transcript.push(run.output);
    log(`$ ${command.replace(/--secret .*/, "--secret …")} -> ${run.code}`);
    return run;
}

/** `pulumi <op>` with an event log kept for the plaintext check. */
async function operation(op: string, cwd = projectA): Promise<Run> {
    const events = join(root, `events-${eventLogs.length}.jsonl`);
    eventLogs.push(events);
    return pulumi(`pulumi ${op} --event-log ${events}`, cwd);
}

/** Each place `needle` occurs in `text`, with some context: a readable failure. */
function around(text: string, needle: string): string[] {
    const found: string[] = [];
    for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + 1)) {
        found.push(text.slice(Math.max(0, at - 160), at + needle.length + 80));
    }
    return found;
}

function expectOk(run: Run): void {
    if (run.code !== 0) throw new Error(`exit ${run.code}:\n${run.output}`);
}

async function outputs(): Promise<Record<string, unknown>> {
    const run = await pulumi("pulumi stack output --json");
    expectOk(run);
    return JSON.parse(run.output) as Record<string, unknown>;
}

beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "engine-timeweb-"));
    binDir = pulumiBinDir();
    const started = await Lab.start(repoDir, log);
    lab = started.lab;
    labHostKey = started.hostKey;
    hostPrivateKey = readFileSync(started.hostKeyFile, "utf8");
    env = engineEnv(root, binDir, passphrase);
    projectA = copyProject(repoDir, join(root, "a"));
}, 900_000);

afterAll(async () => {
    await lab?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe("the Timeweb component under the real Pulumi engine (fake API, loopback)", () => {
    let serverId: number;

    it("the toolchain reports what it really is: the CLI of .pulumi.version, the host's own release", async () => {
        const cli = readFileSync(join(repoDir, ".pulumi.version"), "utf8").trim();
        const hostGoMod = readFileSync(
            join(repoDir, "toolchain/pulumi-language-nodejs/go.mod"),
            "utf8",
        );
        const host = /^require github\.com\/pulumi\/pulumi\/sdk\/v3 v(\S+)$/m.exec(hostGoMod)?.[1];
        const version = await pulumi("pulumi version");
        expectOk(version);
        expect(version.output.trim()).toBe(`v${cli}`);
        const about = await pulumi("pulumi about --json");
        expectOk(about);
        const plugins = (
            JSON.parse(about.output) as { plugins: { name: string; version: string }[] }
        ).plugins;
        // Our build links the host from its own versioned cache directory; an upstream install
        // of the CLI's release ships the host of that release.
        const ours = realpathSync(join(binDir, "pulumi-language-nodejs")).includes(
            `/pulumi-language-nodejs-v${host}/`,
        );
        expect(plugins).toContainEqual(
            expect.objectContaining({ name: "nodejs", version: ours ? host : cli }),
        );
    });

    it("the README's config commands set up the stack, and preview plans with the API unreachable", async () => {
        const token = (await lab!.ask<LabState>("state")).token;
        tokens.push(token);
        for (const command of stackSetup(STACK, API_PORT, token, OPERATOR_KEY)) {
            expectOk(await pulumi(command));
        }
        // The API is not listening yet: what the pull-request preview does must not need it.
        const preview = await operation("preview --diff");
        expectOk(preview);
        for (const type of ["SshKey", "FirewallGroup", "Server", "PinnedHostKey"]) {
            expect(preview.output).toMatch(new RegExp(`\\+ pulumi-nodejs:dynamic/timeweb:${type}`));
        }
        expect(preview.output).toMatch(/\+ 6 to create/);
        expect((await lab!.ask<LabState>("state")).requests).toEqual([]);
    });

    it("up creates the key, the firewall, the server with its floating IP, and pins the host key", async () => {
        await lab!.ask("api-up");
        expectOk(await operation("up --yes"));
        const state = await lab!.ask<LabState>("state");
        expect(state.servers).toHaveLength(1);
        serverId = state.servers[0]!.id;
        expect(state.sshKeys).toHaveLength(1);
        expect(state.firewallGroups).toHaveLength(1);
        const [ip] = state.floatingIps;
        expect(state.floatingIps).toHaveLength(1);
        expect(ip!.resourceId).toBe(serverId);
        const out = await outputs();
        expect(out.vpsIpv4).toBe(ip!.ip);
        expect(out.vpsServerId).toBe(String(serverId));
        expect(out.vpsHostKey).toBe(labHostKey);
        expect(out.vpsHostKeyFingerprint).toMatch(/^SHA256:/);
    });

    it("a second up changes nothing (--expect-no-changes)", async () => {
        const before = (await lab!.ask<LabState>("state")).requests.length;
        expectOk(await operation("up --yes --expect-no-changes"));
        const after = (await lab!.ask<LabState>("state")).requests.slice(before);
        expect(after.filter((r) => r.method !== "GET")).toEqual([]);
    });

    it("preview from a copy of the project at another absolute path sees no changes", async () => {
        const projectB = copyProject(repoDir, join(root, "elsewhere", "deeper"));
        cpSync(join(projectA, `Pulumi.${STACK}.yaml`), join(projectB, `Pulumi.${STACK}.yaml`));
        expectOk(await pulumi(`pulumi stack select ${STACK}`, projectB));
        expectOk(await operation("preview --expect-no-changes --diff", projectB));
        // Dynamic providers serialize their code into the state: no path of the checkout in it.
        const exported = await pulumi("pulumi stack export");
        expectOk(exported);
        expect(around(exported.output, root)).toEqual([]);
        expect(around(exported.output, repoDir)).toEqual([]);
    });

    it("rotating the API token updates state only: the server is kept", async () => {
        const before = (await lab!.ask<LabState>("state")).requests.length;
        const { token } = await lab!.ask<{ token: string }>("rotate-token");
        tokens.push(token);
        expectOk(await pulumi(`pulumi config set --secret timeweb:token ${token}`));
        const up = await operation("up --yes --diff");
        expectOk(up);
        expect(up.output).not.toMatch(/replace/i);
        const state = await lab!.ask<LabState>("state");
        expect(state.servers.map((s) => s.id)).toEqual([serverId]);
        const writes = state.requests.slice(before).filter((r) => r.method !== "GET");
        expect(writes.filter((r) => r.path.startsWith("/servers"))).toEqual([]);
        const out = await outputs();
        expect(out.vpsServerId).toBe(String(serverId));
        expect(out.vpsHostKey).toBe(labHostKey);
        // And the next up is quiet again with the new token.
        expectOk(await operation("up --yes --expect-no-changes"));
    });

    it("no plaintext secret in the state export, any command output or the event logs", async () => {
        const exported = await pulumi("pulumi stack export");
        expectOk(exported);
        const hostKeyBody = hostPrivateKey
            .split("\n")
            .filter((l) => !l.startsWith("-----"))
            .join("");
        const secrets = [...tokens, passphrase, hostKeyBody];
        const places = {
            "stack export": exported.output,
            "command output": transcript.join("\n"),
            "event logs": eventLogs
                .filter((file) => existsSync(file))
                .map((file) => readFileSync(file, "utf8"))
                .join("\n"),
        };
        expect(places["event logs"].length).toBeGreaterThan(0);
        for (const [where, text] of Object.entries(places)) {
            for (const secret of secrets) {
                expect(text.includes(secret), `a secret in plaintext in the ${where}`).toBe(false);
            }
        }
        // The token is in the state, encrypted: the secret outputs are there as ciphertext.
        expect(exported.output).toContain("4dabf18193072939515e22adb298388d");
    });

    it("destroy refuses the protected server; unprotected, it deletes the server and releases its IP", async () => {
        const refused = await operation("destroy --yes");
        expect(refused.code).not.toBe(0);
        expect(refused.output).toMatch(/protect/i);
        expect((await lab!.ask<LabState>("state")).servers.map((s) => s.id)).toEqual([serverId]);

        expectOk(await pulumi("pulumi config set --path timeweb.protect false"));
        expectOk(await operation("up --yes"));
        expectOk(await operation("destroy --yes"));
        const state = await lab!.ask<LabState>("state");
        expect(state.servers).toEqual([]);
        expect(state.floatingIps).toEqual([]);
        expect(state.sshKeys).toEqual([]);
        expect(state.firewallGroups).toEqual([]);
    });
});
