import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeTimewebApi } from "../../helpers/fake-timeweb-api";
import { OPERATOR_KEY } from "../../helpers/timeweb-fixtures";

// Secret inputs reach the mock monitor wrapped like this (pulumi-notes §9).
const SECRET = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const TOKEN = "obviously-fake-timeweb-token";

interface Resource {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
    parent?: string;
    protect?: boolean;
    additionalSecretOutputs?: string[];
}
interface Report {
    resources: Resource[];
    outputs: Record<string, unknown>;
    serialized: { created: boolean; methods: string[] };
    providers: Record<string, string>;
    tokenInProviderText: boolean;
}

let fake: FakeTimewebApi;
let report: Report;
const named = (name: string) => report.resources.find((r) => r.name === name)!;

beforeAll(async () => {
    fake = await new FakeTimewebApi().start();
    // Pulumi's TypeScript runtime loads programs as CommonJS; so does tsx here. vitest's own module
    // runner would hand Pulumi's closure serializer wrapped modules instead of real ones.
    const { stdout } = await promisify(execFile)(
        join("node_modules", ".bin", "tsx"),
        [join("test", "components", "timeweb", "wiring", "program.ts")],
        {
            env: { ...process.env, FAKE_TIMEWEB_URL: fake.url, FAKE_TIMEWEB_TOKEN: fake.token },
            timeout: 60_000,
        },
    );
    report = JSON.parse(stdout) as Report;
}, 90_000);
afterAll(async () => {
    await fake.close();
});

describe("TimewebServer wiring (Pulumi mocks)", () => {
    it("creates key, firewall, server and pinned host key as its children", () => {
        expect(report.resources.map((r) => [r.type, r.name])).toEqual([
            ["timeweb:cloud:Server", "vps"],
            ["pulumi-nodejs:dynamic/timeweb:SshKey", "vps-ssh-key"],
            ["pulumi-nodejs:dynamic/timeweb:FirewallGroup", "vps-firewall"],
            ["pulumi-nodejs:dynamic/timeweb:Server", "vps-server"],
            ["pulumi-nodejs:dynamic/timeweb:PinnedHostKey", "vps-host-key"],
        ]);
        expect(report.resources.slice(1).every((r) => r.parent === "TimewebServer")).toBe(true);
    });

    it("protects the server, and only the server, by default", () => {
        expect(report.resources.filter((r) => r.protect === true).map((r) => r.name)).toEqual([
            "vps-server",
        ]);
    });

    it("passes the token only as a secret and keeps it secret in the outputs", () => {
        const withToken = report.resources.filter((r) => "token" in r.inputs).map((r) => r.name);
        expect(withToken).toEqual(["vps-ssh-key", "vps-firewall", "vps-server"]);
        for (const name of withToken) {
            const { token, ...rest } = named(name).inputs;
            expect(token).toEqual({ ...SECRET, value: TOKEN });
            expect(JSON.stringify(rest)).not.toContain(TOKEN);
            expect(named(name).additionalSecretOutputs).toEqual(["token"]);
        }
        expect(JSON.stringify(named("vps-host-key").inputs)).not.toContain(TOKEN);
        expect(report.tokenInProviderText).toBe(false);
    });

    it("builds the server from the key, the firewall and a no-password cloud-init", () => {
        const server = named("vps-server").inputs;
        expect(server).toMatchObject({
            name: "telegram-ecosystem",
            location: "ru-3",
            availabilityZone: "msk-1",
            preset: { cpu: 1, ramMb: 2048 },
            os: { name: "ubuntu", version: "24.04" },
            sshKeyIds: [501],
            firewallGroupIds: ["vps-firewall-id"],
        });
        expect(server).not.toHaveProperty("configuration");
        expect(server.cloudInit).toMatch(/^#cloud-config\nssh_pwauth: false\n/);
        const key = named("vps-ssh-key").inputs;
        expect(key.body).toBe(OPERATOR_KEY);
        expect(key.name).toMatch(/^telegram-ecosystem-deploy-[0-9a-f]{8}$/);
        const firewall = named("vps-firewall").inputs as {
            policy: string;
            rules: { direction: string; port?: string }[];
        };
        expect(firewall.policy).toBe("DROP");
        expect(
            firewall.rules.filter((rule) => rule.direction === "ingress").map((rule) => rule.port),
        ).toEqual(["22", "2222"]);
    });

    it("pins the host key of the new server's IPv4 and exposes what the bootstrap needs", () => {
        expect(named("vps-host-key").inputs).toMatchObject({
            host: "192.0.2.10",
            port: 22,
            serverId: "1042",
            timeoutMs: 15 * 60_000,
        });
        expect(report.outputs).toEqual({
            serverId: "1042",
            ipv4: "192.0.2.10",
            hostKey: "ssh-ed25519 AAAAhost",
            hostKeyFingerprint: "SHA256:abc",
            monthlyPriceRub: 550,
            ipv4IsSecret: false,
        });
    });

    it("stores providers that load back like the dynamic-provider host does, and work", () => {
        expect(report.serialized.created).toBe(true);
        expect(fake.calls("POST", "/ssh-keys")).toHaveLength(1);
        expect(fake.calls("DELETE", "/ssh-keys/")).toHaveLength(1);
        expect(fake.sshKeys.size).toBe(0);
        expect(report.providers).toEqual({
            "vps-ssh-key": "check,create,delete,diff,read,update",
            "vps-firewall": "check,create,delete,diff,read,update",
            "vps-server": "check,create,delete,diff,read,update",
            "vps-host-key": "create,diff,read,update",
        });
    });
});
