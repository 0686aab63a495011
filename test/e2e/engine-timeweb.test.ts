import { ChildProcessWithoutNullStreams, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPERATOR_KEY } from "../timeweb/helpers";
import { pulumiBinDir } from "../helpers/pulumi-cli";
import { API_PORT, type LabState } from "../engine/timeweb-lab-protocol";

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

/** The lab process (test/engine/timeweb-lab.ts): one JSON line per command. */
class Lab {
    private readonly answers: AsyncIterator<string>;

    private constructor(private readonly child: ChildProcessWithoutNullStreams) {
        this.answers = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
        child.stderr.on("data", (chunk: Buffer) => log(`lab: ${chunk.toString().trim()}`));
    }

    static async start(): Promise<{ lab: Lab; hostKey: string; hostKeyFile: string }> {
        const routes = "ip link set lo up && ip route add local 192.0.2.0/24 dev lo";
        const child = spawn(
            "unshare",
            ["--net", "--", "bash", "-c", `${routes} && exec node_modules/.bin/tsx test/engine/timeweb-lab.ts`],
            { cwd: repoDir, stdio: ["pipe", "pipe", "pipe"] },
        );
        const lab = new Lab(child);
        const ready = (await lab.next()) as { hostKey: string; hostKeyFile: string };
        return { lab, ...ready };
    }

    get pid(): number {
        return this.child.pid!;
    }

    private async next(): Promise<unknown> {
        const line = await this.answers.next();
        if (line.done === true) throw new Error(`the lab exited (code ${this.child.exitCode})`);
        return JSON.parse(line.value);
    }

    async ask<T>(command: "api-up" | "rotate-token" | "state"): Promise<T> {
        this.child.stdin.write(`${command}\n`);
        return (await this.next()) as T;
    }

    /** Closing stdin ends the lab (sshd and API stop, the namespace goes); SIGKILL if it hangs. */
    async stop(): Promise<void> {
        if (this.child.exitCode !== null || this.child.signalCode !== null) return;
        const exited = new Promise((done) => this.child.once("exit", done));
        this.child.stdin.end();
        const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
    }
}

interface Run {
    readonly code: number;
    readonly output: string;
}

let root: string;
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

/** A copy of what the project needs (components, its own dir, tsconfig) under `dest`. */
function copyProject(dest: string): string {
    mkdirSync(join(dest, "test", "engine"), { recursive: true });
    cpSync(join(repoDir, "components"), join(dest, "components"), { recursive: true });
    cpSync(join(repoDir, "test/engine/timeweb-project"), join(dest, "test/engine/timeweb-project"), {
        recursive: true,
    });
    for (const file of ["tsconfig.json", "package.json"]) cpSync(join(repoDir, file), join(dest, file));
    symlinkSync(join(repoDir, "node_modules"), join(dest, "node_modules"));
    return join(dest, "test/engine/timeweb-project");
}

/** Runs a command line in `cwd` inside the lab's network namespace; never throws. */
function pulumi(command: string, cwd = projectA): Promise<Run> {
    return new Promise((done) => {
        execFile(
            "nsenter",
            [`--net=/proc/${lab!.pid}/ns/net`, "--", "bash", "-c", command],
            { cwd, env, maxBuffer: 64 * 1024 * 1024 },
            (error, stdout, stderr) => {
                const output = `${stdout}${stderr}`;
                transcript.push(output);
                const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
                log(`$ ${command.replace(/--secret .*/, "--secret …")} -> ${code}`);
                done({ code, output });
            },
        );
    });
}

/** `pulumi <op>` with an event log kept for the plaintext check. */
async function operation(op: string, cwd = projectA): Promise<Run> {
    const events = join(root, `events-${eventLogs.length}.jsonl`);
    eventLogs.push(events);
    return pulumi(`pulumi ${op} --event-log ${events}`, cwd);
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
    const binDir = pulumiBinDir();
    const started = await Lab.start();
    lab = started.lab;
    labHostKey = started.hostKey;
    hostPrivateKey = readFileSync(started.hostKeyFile, "utf8");
    const home = join(root, "home");
    mkdirSync(join(root, "state"), { recursive: true });
    mkdirSync(home, { recursive: true });
    // No ssh-agent, no SSH key, no cloud credentials: only what the stack config holds.
    env = {
        PATH: `${binDir}:${process.env.PATH ?? ""}`,
        HOME: home,
        PULUMI_HOME: join(home, ".pulumi"),
        PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
        PULUMI_CONFIG_PASSPHRASE: passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "1",
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        // `--event-log` is only offered with debug commands on (pkg/cmd/pulumi/operations).
        PULUMI_DEBUG_COMMANDS: "true",
        NO_COLOR: "1",
    };
    projectA = copyProject(join(root, "a"));
}, 900_000);

afterAll(async () => {
    await lab?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
});

describe("the Timeweb component under the real Pulumi engine (fake API, loopback)", () => {
    let serverId: number;

    it("the README's config commands set up the stack, and preview plans with the API unreachable", async () => {
        const token = (await lab!.ask<LabState>("state")).token;
        tokens.push(token);
        for (const command of [
            `pulumi stack init ${STACK}`,
            `pulumi config set apiEndpoint http://127.0.0.1:${API_PORT}`,
            `pulumi config set --secret timeweb:token ${token}`,
            "pulumi config set --path timeweb.createServer true",
            `pulumi config set --path timeweb.sshPublicKey "${OPERATOR_KEY}"`,
            "pulumi config set --path 'timeweb.firewall.allowSshFrom[0]' 203.0.113.7/32",
        ]) {
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
        const projectB = copyProject(join(root, "elsewhere", "deeper"));
        cpSync(join(projectA, `Pulumi.${STACK}.yaml`), join(projectB, `Pulumi.${STACK}.yaml`));
        expectOk(await pulumi(`pulumi stack select ${STACK}`, projectB));
        expectOk(await operation("preview --expect-no-changes --diff", projectB));
        // Dynamic providers serialize their code into the state: no path of the checkout in it.
        const exported = await pulumi("pulumi stack export");
        expectOk(exported);
        expect(exported.output).not.toContain(root);
        expect(exported.output).not.toContain(repoDir);
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
        expect((await outputs()).vpsServerId).toBe(String(serverId));
        // And the next up is quiet again with the new token.
        expectOk(await operation("up --yes --expect-no-changes"));
    });

    it("no plaintext secret in the state export, any command output or the event logs", async () => {
        const exported = await pulumi("pulumi stack export");
        expectOk(exported);
        const hostKeyBody = hostPrivateKey.split("\n").filter((l) => !l.startsWith("-----")).join("");
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
