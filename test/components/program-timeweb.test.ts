import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isSecretWrapper, withoutSecrets } from "../helpers/pulumi-mocks";
import { BOT, fakePublicKey } from "../helpers/stack-fixtures";
import type { HarnessInput, HarnessReport, SeenResource } from "./program-timeweb-harness";

// index.ts with timeweb.createServer on and off, under Pulumi mocks in a tsx child process
// (program-timeweb-harness.ts says why). The mocked Timeweb resources report VPS below.

const ROOT = path.resolve(__dirname, "../..");
const TIMEWEB_TOKEN = "obviously-fake-timeweb-token-0123456789";
const BOT_TOKEN = "123456789:FAKE-test-token-abcdefghijklmnopqrs";
const API_HASH = "fakeapihash0123456789abcdef0123";
const OPERATOR_KEY = fakePublicKey("operator@laptop");
const keyLine = (comment: string) => fakePublicKey(comment).split(" ").slice(0, 2).join(" ");
const VPS = {
    ipv4: "192.0.2.10",
    hostKey: keyLine("created-vps"),
    fingerprint: "SHA256:FakeFingerprintOfTheCreatedServer0123456789",
    priceRub: 550,
};
const CONFIG_HOST = "203.0.113.10";
const CONFIG_HOST_KEY = keyLine("configured-vps");

const base = {
    operatorKeys: [OPERATOR_KEY],
    botApi: { apiId: 1234567, apiHash: API_HASH },
    bots: [{ name: BOT, schema: "mpcabinet", token: BOT_TOKEN }],
};

interface Run {
    readonly report: HarnessReport;
    readonly dir: string;
}

const dirs: string[] = [];

async function runProgram(
    config: Record<string, unknown>,
    options: { timewebToken?: string; preview?: boolean } = {},
): Promise<Run> {
    const dir = mkdtempSync(path.join(tmpdir(), "program-timeweb-"));
    dirs.push(dir);
    const input: HarnessInput = {
        config,
        secretKeys: ["botApi", "bots"],
        ...(options.timewebToken === undefined ? {} : { timewebToken: options.timewebToken }),
        preview: options.preview ?? false,
        vps: VPS,
    };
    const env: NodeJS.ProcessEnv = { ...process.env, HARNESS_INPUT: JSON.stringify(input) };
    delete env.PULUMI_CONFIG; // set by in-process mocks of other test files in this worker
    delete env.PULUMI_CONFIG_SECRET_KEYS;
    const { stdout } = await promisify(execFile)(
        path.join(ROOT, "node_modules", ".bin", "tsx"),
        [path.join(ROOT, "test", "components", "program-timeweb-harness.ts")],
        { cwd: dir, env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { report: JSON.parse(stdout) as HarnessReport, dir };
}

let created: Run;
let createdPreview: Run;
let configured: Run;
let missingHost: Run;
let missingToken: Run;

beforeAll(async () => {
    const createServer = { ...base, timeweb: { createServer: true } };
    [created, createdPreview, configured, missingHost, missingToken] = await Promise.all([
        runProgram(createServer, { timewebToken: TIMEWEB_TOKEN }),
        runProgram(createServer, { timewebToken: TIMEWEB_TOKEN, preview: true }),
        runProgram({ ...base, host: CONFIG_HOST, hostKey: CONFIG_HOST_KEY }),
        runProgram({ ...base, hostKey: CONFIG_HOST_KEY, timeweb: { createServer: false } }),
        runProgram(createServer),
    ]);
}, 120_000);

afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const ofType = (run: Run, type: string) => run.report.resources.filter((r) => r.type === type);
const commands = (run: Run) => ofType(run, "command:remote:Command");
const dockerProvider = (run: Run) => {
    const [provider] = ofType(run, "pulumi:providers:docker");
    if (provider === undefined) throw new Error("no docker provider");
    return provider;
};
const connectionOf = (command: SeenResource) => {
    const connection = command.inputs.connection;
    return (isSecretWrapper(connection) ? connection.value : connection) as Record<string, unknown>;
};
const knownHosts = (run: Run) => {
    const opts = JSON.parse(dockerProvider(run).inputs.sshOpts as string) as string[];
    expect(opts).toContain("StrictHostKeyChecking=yes");
    const file = opts.find((o) => o.startsWith("UserKnownHostsFile="))?.split("=")[1] ?? "";
    return readFileSync(path.join(run.dir, file), "utf8");
};
const output = (run: Run, key: string) => run.report.outputs[key];
const isTimeweb = (resource: SeenResource) =>
    resource.type.startsWith("timeweb:cloud:") || resource.type.includes("dynamic/timeweb:");

describe("the program with timeweb.createServer", () => {
    it("runs without error and creates the Timeweb server with its parts", () => {
        expect(created.report.error).toBeUndefined();
        expect(created.report.resources.filter(isTimeweb).map((r) => [r.type, r.name])).toEqual([
            ["timeweb:cloud:Server", "vps"],
            ["pulumi-nodejs:dynamic/timeweb:SshKey", "vps-ssh-key"],
            ["pulumi-nodejs:dynamic/timeweb:FirewallGroup", "vps-firewall"],
            ["pulumi-nodejs:dynamic/timeweb:Server", "vps-server"],
            ["pulumi-nodejs:dynamic/timeweb:PinnedHostKey", "vps-host-key"],
        ]);
    });

    it("gives the server the first operator key when timeweb.sshPublicKey is not set", () => {
        const [key] = ofType(created, "pulumi-nodejs:dynamic/timeweb:SshKey");
        expect(key?.inputs.body).toBe(OPERATOR_KEY);
    });

    it("connects every remote command to the new server's IPv4 with its pinned host key", () => {
        expect(commands(created).length).toBeGreaterThan(10);
        for (const command of commands(created)) {
            const connection = connectionOf(command);
            expect(connection.host, command.name).toBe(VPS.ipv4);
            expect(connection.hostKey, command.name).toBe(VPS.hostKey);
        }
    });

    it("points the Docker provider at the new server and pins its key in known_hosts", () => {
        expect(dockerProvider(created).inputs.host).toBe(`ssh://root@${VPS.ipv4}:22`);
        expect(knownHosts(created)).toBe(`${VPS.ipv4} ${VPS.hostKey}\n`);
    });

    it("exports where the stack runs, the fingerprint and the price, none of it secret", () => {
        const expected: Record<string, unknown> = {
            host: VPS.ipv4,
            hostKey: VPS.hostKey,
            sshCommand: `ssh -p 22 root@${VPS.ipv4}`,
            vpsIpv4: VPS.ipv4,
            vpsHostKeyFingerprint: VPS.fingerprint,
            vpsMonthlyPriceRub: VPS.priceRub,
        };
        for (const [key, value] of Object.entries(expected)) {
            expect(output(created, key), key).toEqual({ known: true, secret: false, value });
        }
        expect(JSON.stringify(output(created, "nextSteps")?.value)).toContain(`root@${VPS.ipv4}`);
    });

    it("passes the API token only as a secret, and never into an output", () => {
        const withToken = created.report.resources.filter((r) => "token" in r.inputs);
        expect(withToken.map((r) => r.name)).toEqual(["vps-ssh-key", "vps-firewall", "vps-server"]);
        for (const resource of withToken) {
            const token = resource.inputs.token;
            expect(isSecretWrapper(token), resource.name).toBe(true);
            expect(token).toEqual(expect.objectContaining({ value: TIMEWEB_TOKEN }));
        }
        const clear = JSON.stringify(created.report.resources.map((r) => withoutSecrets(r.inputs)));
        expect(clear).not.toContain(TIMEWEB_TOKEN);
        expect(JSON.stringify(created.report.outputs)).not.toContain(TIMEWEB_TOKEN);
    });

    it("previews with nothing known about the server yet: no known_hosts, no error", () => {
        expect(createdPreview.report.error).toBeUndefined();
        expect(createdPreview.report.resources.filter(isTimeweb)).toHaveLength(5);
        for (const command of commands(createdPreview)) {
            expect(command.inputs.create, command.name).toMatch(/^#!\/usr\/bin\/env bash/);
        }
        expect(dockerProvider(createdPreview).inputs.host).toEqual({ __pulumiUnknown: true });
        expect(dockerProvider(createdPreview).inputs.disableDockerDaemonCheck).toBe("true");
        expect(output(createdPreview, "vpsIpv4")?.known).toBe(false);
        expect(readdirSync(createdPreview.dir)).toEqual([]);
    });
});

describe("the program without timeweb.createServer", () => {
    it("creates no Timeweb resource and exports no VPS details", () => {
        expect(configured.report.error).toBeUndefined();
        expect(configured.report.resources.filter(isTimeweb)).toEqual([]);
        for (const key of ["vpsIpv4", "vpsHostKeyFingerprint", "vpsMonthlyPriceRub"]) {
            expect(configured.report.outputs, key).not.toHaveProperty(key);
        }
    });

    it("connects to host and hostKey from config, as before", () => {
        expect(commands(configured).length).toBeGreaterThan(10);
        for (const command of commands(configured)) {
            const connection = connectionOf(command);
            expect(connection.host, command.name).toBe(CONFIG_HOST);
            expect(connection.hostKey, command.name).toBe(CONFIG_HOST_KEY);
        }
        expect(dockerProvider(configured).inputs.host).toBe(`ssh://root@${CONFIG_HOST}:22`);
        expect(knownHosts(configured)).toBe(`${CONFIG_HOST} ${CONFIG_HOST_KEY}\n`);
        expect(output(configured, "host")?.value).toBe(CONFIG_HOST);
        expect(output(configured, "sshCommand")?.value).toBe(`ssh -p 22 root@${CONFIG_HOST}`);
    });
});

describe("config errors stop the program before any resource", () => {
    it("names `host` and its fix when createServer is off and host is missing", () => {
        expect(missingHost.report.error).toContain(
            "host: required: pulumi config set host <VPS IPv4>",
        );
        expect(missingHost.report.resources).toEqual([]);
    });

    it("names `timeweb:token` and its fix when createServer is on and the token is missing", () => {
        expect(missingToken.report.error).toContain(
            "timeweb:token: required (secret) when timeweb.createServer is true: " +
                "pulumi config set --secret timeweb:token",
        );
        expect(missingToken.report.resources).toEqual([]);
    });
});
