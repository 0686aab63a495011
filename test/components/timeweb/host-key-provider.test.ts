import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_READY_BANNER } from "../../../components/timeweb/cloud-init";
import {
    diffHostKey,
    HostKeyInputs,
    HostKeyOutputs,
    hostKeyProvider,
    probeHost,
} from "../../../components/timeweb/host-key-provider";
import { rejection } from "../../helpers/timeweb-fixtures";
import { PrivateSshd } from "../../helpers/private-sshd";

// A real OpenSSH server on 127.0.0.1 plays the new VPS; the test kills it by PID in teardown.
const sshd = new PrivateSshd();
beforeAll(() => {
    sshd.publicKey("host-a");
});
afterAll(async () => {
    await sshd.destroy();
});

function inputs(overrides: Partial<HostKeyInputs> = {}): HostKeyInputs {
    return {
        host: "127.0.0.1",
        port: sshd.port,
        readyBanner: DEFAULT_READY_BANNER,
        timeoutMs: 0,
        serverId: "42",
        ...overrides,
    };
}

describe("trust-on-first-connect host key pinning (real sshd)", () => {
    it("pins the key of a finished first boot and reports its SHA256 fingerprint", async () => {
        await sshd.start({
            hostKey: "host-a",
            banner: DEFAULT_READY_BANNER,
            passwordAuthentication: false,
        });
        const created = await hostKeyProvider({}).create(inputs());
        const outs = created.outs as HostKeyOutputs;
        expect(outs.hostKey).toBe(sshd.publicKey("host-a"));
        expect(outs.fingerprint).toBe(sshd.fingerprint("host-a"));
        expect(outs.authMethods).toEqual(["publickey"]);
    });

    it("waits while the first boot is unfinished and pins once the banner appears", async () => {
        await sshd.start({ hostKey: "host-b", passwordAuthentication: false });
        const waits: number[] = [];
        const provider = hostKeyProvider({
            pollIntervalMs: 1_000,
            // Instead of sleeping, "finish the boot": sshd comes back with new keys and the banner.
            sleep: async (ms) => {
                waits.push(ms);
                await sshd.start({
                    hostKey: "host-c",
                    banner: DEFAULT_READY_BANNER,
                    passwordAuthentication: false,
                });
            },
        });
        const created = await provider.create(inputs({ timeoutMs: 60_000 }));
        expect(waits).toEqual([1_000]);
        const outs = created.outs as HostKeyOutputs;
        expect(outs.hostKey).toBe(sshd.publicKey("host-c"));
        expect(outs.hostKey).not.toBe(sshd.publicKey("host-b"));
    });

    it("refuses to pin a host that offers password login", async () => {
        await sshd.start({
            hostKey: "host-a",
            banner: DEFAULT_READY_BANNER,
            passwordAuthentication: true,
        });
        const seen = await probeHost("127.0.0.1", sshd.port, 5_000);
        expect(seen.authMethods).toContain("password");
        const error = await rejection(hostKeyProvider({}).create(inputs()));
        expect(error.message).toContain("Refusing to pin");
        expect(error.message).toMatch(/offers password/);
    });

    it("refuses to pin before the ready banner shows up", async () => {
        await sshd.start({ hostKey: "host-a", passwordAuthentication: false });
        const error = await rejection(hostKeyProvider({}).create(inputs()));
        expect(error.message).toContain("first boot has not finished");
    });

    it("accepts the same key on refresh and fails loudly on a changed one", async () => {
        await sshd.start({
            hostKey: "host-a",
            banner: DEFAULT_READY_BANNER,
            passwordAuthentication: false,
        });
        const provider = hostKeyProvider({});
        const created = await provider.create(inputs());
        const pinned = created.outs as HostKeyOutputs;

        const same = await provider.read!(created.id, pinned);
        expect((same.props as HostKeyOutputs).hostKey).toBe(pinned.hostKey);

        await sshd.start({
            hostKey: "host-impostor",
            banner: DEFAULT_READY_BANNER,
            passwordAuthentication: false,
        });
        const error = await rejection(provider.read!(created.id, pinned));
        expect(error.message).toContain("CHANGED");
        expect(error.message).toContain(pinned.fingerprint);
        expect(error.message).toContain(sshd.fingerprint("host-impostor"));

        await sshd.stop();
        const unreachable = await provider.read!(created.id, pinned);
        expect((unreachable.props as HostKeyOutputs).hostKey).toBe(pinned.hostKey);
    });

    it("re-pins only for a new host or server", () => {
        const olds: HostKeyOutputs = {
            ...inputs({ port: 22 }),
            hostKey: "ssh-ed25519 AAAA",
            fingerprint: "SHA256:x",
            authMethods: ["publickey"],
        };
        expect(diffHostKey(olds, inputs({ port: 22 }))).toEqual({ changes: false, replaces: [] });
        expect(diffHostKey(olds, inputs({ port: 22, host: "192.0.2.1" }))).toEqual({
            changes: true,
            replaces: ["host"],
        });
        expect(diffHostKey(olds, inputs({ port: 22, serverId: "43" }))).toEqual({
            changes: true,
            replaces: ["serverId"],
        });
        expect(diffHostKey(olds, inputs({ port: 22, timeoutMs: 5 }))).toEqual({
            changes: true,
            replaces: [],
        });
    });

    it("keeps the pin in the preview of an in-place server update (host unknown, same server)", () => {
        // What the dynamic provider receives for an input the engine does not know yet.
        const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
        const olds: HostKeyOutputs = {
            ...inputs({ port: 22 }),
            hostKey: "ssh-ed25519 AAAA",
            fingerprint: "SHA256:x",
            authMethods: ["publickey"],
        };
        expect(diffHostKey(olds, inputs({ port: 22, host: unknown }))).toEqual({
            changes: false,
            replaces: [],
        });
        // A replaced server: its id is unknown too, and a new key will be pinned.
        expect(diffHostKey(olds, inputs({ port: 22, host: unknown, serverId: unknown }))).toEqual({
            changes: true,
            replaces: ["host", "serverId"],
        });
    });
});
