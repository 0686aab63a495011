import { afterEach, describe, expect, it } from "vitest";
import { renderCloudInit } from "../../../components/timeweb/cloud-init";
import type { ProviderOptions } from "../../../components/timeweb/provider-options";
import {
    diffServer,
    ServerInputs,
    ServerOutputs,
    serverProvider,
} from "../../../components/timeweb/server-provider";
import { FakeOptions, FakeTimewebApi } from "../../helpers/fake-timeweb-api";
import { fakeOptions, OPERATOR_KEY, OTHER_KEY, rejection } from "../../helpers/timeweb-fixtures";

let fake: FakeTimewebApi | undefined;
afterEach(async () => {
    await fake?.close();
    fake = undefined;
});

async function startFake(options: FakeOptions = {}): Promise<FakeTimewebApi> {
    fake = await new FakeTimewebApi(options).start();
    return fake;
}

function addKey(api: FakeTimewebApi, body = OPERATOR_KEY): number {
    const id = 500 + api.sshKeys.size;
    api.sshKeys.set(id, { id, name: `key-${id}`, body, is_default: false });
    return id;
}

const GROUP = "7d9e3a4c-0000-4000-8000-000000000001";

function addGroup(api: FakeTimewebApi, id: string): string {
    api.groups.set(id, {
        id,
        name: id,
        description: "",
        policy: "DROP",
        rules: new Map(),
        resources: new Set(),
    });
    return id;
}

function serverInputs(api: FakeTimewebApi, overrides: Partial<ServerInputs> = {}): ServerInputs {
    return {
        token: api.token,
        name: "telegram-ecosystem",
        comment: "Managed by Pulumi",
        location: "ru-3",
        availabilityZone: "msk-1",
        preset: { cpu: 1, ramMb: 2048 },
        os: { name: "ubuntu", version: "24.04" },
        sshKeyIds: [addKey(api)],
        cloudInit: renderCloudInit(),
        firewallGroupIds: [addGroup(api, GROUP)],
        ...overrides,
    };
}

/** A create that gives up at once: the server is made, the waiting stops right away. */
function impatient(api: FakeTimewebApi): ProviderOptions {
    return { ...fakeOptions(api), createTimeoutMs: -1 };
}

/** Keys holding `undefined`, at any depth. */
function undefinedKeys(value: unknown, path = ""): string[] {
    if (value === null || typeof value !== "object") return [];
    return Object.entries(value).flatMap(([key, entry]) =>
        entry === undefined ? [`${path}${key}`] : undefinedKeys(entry, `${path}${key}.`),
    );
}

const linkedTo = (api: FakeTimewebApi, group: string) => [...api.groups.get(group)!.resources];

describe("server provider against the fake API", () => {
    it("creates a key-only Ubuntu 24.04 server with a public IPv4, firewalled", async () => {
        const api = await startFake({ pollsUntilOn: 2, pollsUntilIpv4: 3 });
        const waits: number[] = [];
        const provider = serverProvider(fakeOptions(api, waits));
        const inputs = serverInputs(api);

        const created = await provider.create(inputs);
        const outs = created.outs as ServerOutputs;
        const id = Number(created.id);

        const body = api.calls("POST", "/servers")[0]!.body as Record<string, unknown>;
        expect(body).toMatchObject({
            name: "telegram-ecosystem",
            os_id: 99,
            preset_id: 2447,
            availability_zone: "msk-1",
            network: { floating_ip: "create_ip" },
            ssh_keys_ids: inputs.sshKeyIds,
            is_root_password_required: false,
            cloud_init: inputs.cloudInit,
        });
        expect(body).not.toHaveProperty("configuration");
        const [ip] = api.ipsOf(id);
        expect(outs).toMatchObject({
            serverId: id,
            status: "on",
            osId: 99,
            presetId: 2447,
            presetPrice: 550,
            presetName: "Cloud MSK 2 GB",
            ipv4: ip?.ip,
            floatingIpId: ip?.id,
            firewallGroupIds: [GROUP],
        });
        expect(ip?.availability_zone).toBe("msk-1");
        // installing, installing, on without its address yet, then on with it
        expect(waits).toEqual([5_000, 5_000, 5_000]);
        expect(api.calls("POST", `/servers/${id}/ips`)).toHaveLength(0);
        expect(linkedTo(api, GROUP)).toEqual([id]);
        expect(api.calls("POST", "/firewall/groups")[0]!.query).toEqual({
            resource_type: "server",
        });
        expect(JSON.stringify(outs)).not.toContain("fake-root-password");
        expect(JSON.stringify(outs)).not.toContain("fake-vnc");
    });

    it("stops waiting for the IPv4 with an error that names the fix; the next up finishes", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 1_000 });
        const inputs = serverInputs(api);
        const waits: number[] = [];
        const error = await rejection(serverProvider(fakeOptions(api, waits)).create(inputs));
        const id = Number(error.id);
        // fakeOptions: 5 s polls, 60 s timeout
        expect(waits).toEqual(Array(13).fill(5_000));
        expect(error.message).toContain(`server ${id} is on but shows no public IPv4 after 1 min`);
        expect(error.message).toContain("run `pulumi up` again");
        expect(error.message).toContain("orders one in msk-1 and binds it");
        const partial = error.properties as ServerOutputs;
        expect(partial).toMatchObject({ serverId: id, ipv4: "", firewallGroupIds: [] });
        expect(linkedTo(api, GROUP)).toEqual([]);

        // The address shows up later; the next `pulumi up` waits for it and links the firewall.
        api.ipsOf(id)[0]!.visibleAfterGets = 0;
        const provider = serverProvider(fakeOptions(api));
        expect((await provider.diff!(String(id), partial, inputs)).changes).toBe(true);
        const updated = (await provider.update!(String(id), partial, inputs)).outs as ServerOutputs;
        expect(updated).toMatchObject({
            ipv4: api.ipsOf(id)[0]!.ip,
            floatingIpId: api.ipsOf(id)[0]!.id,
            firewallGroupIds: [GROUP],
        });
        expect(api.calls("POST", "/floating-ips")).toHaveLength(0);
        expect(api.floatingIps.size).toBe(1);
        expect((await provider.diff!(String(id), updated, inputs)).changes).toBe(false);
    });

    it("orders and binds a floating IP on the next up when none is bound", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 1_000 });
        const inputs = serverInputs(api);
        const error = await rejection(serverProvider(impatient(api)).create(inputs));
        const id = Number(error.id);
        api.floatingIps.clear(); // the ordered address never materialised

        const updated = (
            await serverProvider(fakeOptions(api)).update!(String(id), error.properties, inputs)
        ).outs as ServerOutputs;
        expect(api.calls("POST", "/floating-ips")[0]!.body).toEqual({
            is_ddos_guard: false,
            availability_zone: "msk-1",
        });
        const [ip] = api.ipsOf(id);
        expect(api.calls("POST", `/floating-ips/${ip?.id}/bind`)[0]!.body).toEqual({
            resource_type: "server",
            resource_id: id,
        });
        expect(updated).toMatchObject({ ipv4: ip?.ip, floatingIpId: ip?.id });
    });

    it("retries a 409 on linking the firewall with backoff, then links", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0, linkConflicts: 2 });
        const waits: number[] = [];
        const created = await serverProvider(fakeOptions(api, waits)).create(serverInputs(api));
        expect(api.calls("POST", `/firewall/groups/${GROUP}/resources/`)).toHaveLength(3);
        expect(linkedTo(api, GROUP)).toEqual([Number(created.id)]);
        expect((created.outs as ServerOutputs).firewallGroupIds).toEqual([GROUP]);
        // fakeOptions: base 100 ms, jitter 0 -> half of 100 ms, then half of 200 ms
        expect(waits).toEqual([50, 100]);
    });

    it("partial create then second up converges: the state never claims the link", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0, linkConflicts: 100 });
        const inputs = serverInputs(api);
        const first = serverProvider(fakeOptions(api));
        const error = await rejection(first.create(inputs));
        const id = Number(error.id);
        expect(error.message).toContain(`could not be linked to server ${id}`);
        expect(error.message).toContain("run `pulumi up` again");
        const partial = error.properties as ServerOutputs;
        expect(partial.firewallGroupIds).toEqual([]);
        expect(partial.ipv4).toBe(api.ipsOf(id)[0]!.ip);
        expect(linkedTo(api, GROUP)).toEqual([]);

        // Second `pulumi up`: the engine diffs the partial state against the same inputs.
        api.linkConflictsLeft = 0;
        const second = serverProvider(fakeOptions(api));
        const diff = await second.diff!(String(id), partial, inputs);
        expect(diff).toMatchObject({ changes: true, replaces: [] });
        const updated = (await second.update!(String(id), partial, inputs)).outs as ServerOutputs;
        expect(linkedTo(api, GROUP)).toEqual([id]);
        expect(updated.firewallGroupIds).toEqual([GROUP]);
        expect(api.calls("POST", "/servers")).toHaveLength(1);

        // A third run has nothing to do.
        expect((await second.diff!(String(id), updated, inputs)).changes).toBe(false);
        const refreshed = (await second.read!(String(id), updated)).props as ServerOutputs;
        expect(diffServer(refreshed, inputs).changes).toBe(false);
    });

    it("notices a firewall unlinked in the panel and links it again", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const inputs = serverInputs(api);
        const created = await provider.create(inputs);
        api.groups.get(GROUP)!.resources.clear();
        const read = (await provider.read!(created.id, created.outs)).props as ServerOutputs;
        expect(read.firewallGroupIds).toEqual([]);
        expect(diffServer(read, inputs).changes).toBe(true);
        await provider.update!(created.id, read, inputs);
        expect(linkedTo(api, GROUP)).toEqual([Number(created.id)]);
    });

    it("explains which presets exist when none matches", async () => {
        const api = await startFake();
        const error = await rejection(
            serverProvider(fakeOptions(api)).create(
                serverInputs(api, { preset: { cpu: 8, ramMb: 2048 } }),
            ),
        );
        expect(error.message).toContain("No Timeweb preset in location ru-3");
        expect(error.message).toContain('"Cloud MSK 30"');
        expect(api.calls("POST", "/servers")).toHaveLength(0);
    });

    it("keeps the id in state when the server never comes up", async () => {
        const api = await startFake({ pollsUntilOn: 1000 });
        const error = await rejection(serverProvider(impatient(api)).create(serverInputs(api)));
        expect(api.servers.has(Number(error.id))).toBe(true);
        expect(error.message).toContain('still "installing"');
        expect((error.properties as ServerOutputs).token).toBe(api.token);
    });

    it("reads drift, updates name, size, keys and firewall links in place, deletes", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const inputs = serverInputs(api);
        const created = await provider.create(inputs);
        const outs = created.outs as ServerOutputs;
        const id = Number(created.id);

        api.servers.get(id)!.name = "renamed-in-panel";
        const read = await provider.read!(created.id, outs);
        expect((read.props as ServerOutputs).name).toBe("renamed-in-panel");
        expect(diffServer(read.props as ServerOutputs, inputs)).toMatchObject({
            changes: true,
            replaces: [],
        });

        const newKey = addKey(api, OTHER_KEY);
        const newGroup = addGroup(api, "7d9e3a4c-0000-4000-8000-000000000002");
        const wanted: ServerInputs = {
            ...inputs,
            name: "telegram-ecosystem-2",
            preset: { descriptionShort: "Cloud MSK 30" },
            sshKeyIds: [newKey],
            firewallGroupIds: [newGroup],
        };
        const updated = await provider.update!(created.id, read.props as ServerOutputs, wanted);
        expect(api.calls("PATCH", `/servers/${id}`)[0]!.body).toEqual({
            name: "telegram-ecosystem-2",
            preset_id: 2449,
        });
        expect(api.servers.get(id)!.ssh_key_ids).toEqual([newKey]);
        expect(api.calls("POST", `/servers/${id}/ssh-keys`)[0]!.body).toEqual({
            ssh_key_ids: [newKey],
        });
        expect(linkedTo(api, GROUP)).toEqual([]);
        expect(linkedTo(api, newGroup)).toEqual([id]);
        expect(updated.outs).toMatchObject({
            presetId: 2449,
            presetPrice: 657,
            status: "on",
            serverId: id,
            firewallGroupIds: [newGroup],
            floatingIpId: outs.floatingIpId,
        });

        await provider.delete!(created.id, updated.outs);
        expect(api.servers.has(id)).toBe(false);
        expect(api.floatingIps.size).toBe(0);
        expect(await provider.read!(created.id, updated.outs)).toEqual({});
    });

    it("rotates the token in state only, with outputs the engine can carry", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const inputs = serverInputs(api);
        const created = await provider.create(inputs);
        const outs = created.outs as ServerOutputs;
        expect(undefinedKeys(outs)).toEqual([]);

        const token = api.rotateToken();
        const before = api.requests.length;
        const updated = await provider.update!(created.id, outs, { ...inputs, token });
        expect(api.requests.slice(before).filter((r) => r.method !== "GET")).toEqual([]);
        expect(updated.outs).toMatchObject({ ...outs, token });
        // The outputs cross gRPC as a protobuf Struct, which has no `undefined`: one such key
        // (a preset server's configuratorId) failed every real `pulumi up` that updated it.
        expect(undefinedKeys(updated.outs)).toEqual([]);
    });

    it("releases the floating IP on replace, and the new server gets its own", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const inputs = serverInputs(api);
        const old = await provider.create(inputs);
        const moved = { ...inputs, availabilityZone: "msk-2" };
        expect(diffServer(old.outs as ServerOutputs, moved)).toMatchObject({
            replaces: ["availabilityZone"],
            deleteBeforeReplace: true,
        });

        await provider.delete!(old.id, old.outs);
        const replacement = await provider.create(moved);
        expect(api.servers.has(Number(old.id))).toBe(false);
        expect(api.floatingIps.has((old.outs as ServerOutputs).floatingIpId!)).toBe(false);
        expect([...api.floatingIps.values()]).toEqual([
            expect.objectContaining({
                id: (replacement.outs as ServerOutputs).floatingIpId,
                resource_id: Number(replacement.id),
                availability_zone: "msk-2",
            }),
        ]);
        expect(api.calls("DELETE", "/floating-ips/")).toHaveLength(1);
    });

    it("finishes a delete that stopped after the server: the IP is released next time", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const created = await provider.create(serverInputs(api));
        const outage = { status: 502, body: { status_code: 502, error_code: "bad_gateway" } };
        api.failNext("DELETE", /^\/floating-ips\//, outage, outage, outage);

        const error = await rejection(provider.delete!(created.id, created.outs));
        expect(error.message).toContain(
            `Floating IP ${(created.outs as ServerOutputs).floatingIpId}`,
        );
        expect(error.message).toContain("still billed");
        expect(error.message).toContain("Run the command again");
        expect(api.servers.has(Number(created.id))).toBe(false);
        expect(api.floatingIps.size).toBe(1);

        await provider.delete!(created.id, created.outs);
        expect(api.floatingIps.size).toBe(0);
    });

    it.each([
        ["telegram", "Telegram code"],
        ["sms", "SMS (HTTP 423 Locked)"],
    ] as const)(
        "stops with the panel fix when deletion is confirmed by %s, deleting nothing",
        async (confirmation, wording) => {
            const api = await startFake({
                pollsUntilOn: 0,
                pollsUntilIpv4: 0,
                deleteConfirmation: confirmation,
            });
            const provider = serverProvider(fakeOptions(api));
            const created = await provider.create(serverInputs(api));
            const error = await rejection(provider.delete!(created.id, created.outs));
            expect(error.message).toContain(wording);
            expect(error.message).toContain("turn off the confirmation of deletions");
            expect(error.message).toContain("API и Terraform");
            expect(error.message).toContain("is_able_to_delete");
            expect(error.message).toContain("pulumi config set --secret timeweb:token");
            expect(error.message).not.toContain("retry once it settles");
            expect(api.servers.has(Number(created.id))).toBe(true);
            expect(api.floatingIps.size).toBe(1);
            expect(api.calls("DELETE", "/servers/")).toHaveLength(1);
        },
    );

    it("creates and converges while rate limited, with and without Retry-After", async () => {
        const api = await startFake({ pollsUntilOn: 3, pollsUntilIpv4: 3, rateLimitEvery: 2 });
        const waits: number[] = [];
        const options = { ...fakeOptions(api, waits), pollIntervalMs: 7 };
        const created = await serverProvider(options).create(serverInputs(api));
        expect((created.outs as ServerOutputs).ipv4).toBe(api.ipsOf(Number(created.id))[0]!.ip);
        expect(linkedTo(api, GROUP)).toEqual([Number(created.id)]);
        expect(api.servers.size).toBe(1);
        const retryWaits = waits.filter((ms) => ms !== 7);
        expect(retryWaits).toContain(1_000); // Retry-After: 1
        expect(retryWaits).toContain(50); // no header: backoff
    });

    it("surfaces the API's 409 for a duplicate name with its message", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        await provider.create(serverInputs(api));
        const error = await rejection(provider.create(serverInputs(api)));
        expect(error.message).toContain("HTTP 409");
        expect(error.message).toContain("Server name must be unique");
        expect(error.message).not.toContain(api.token);
    });

    it("rejects a config that sets both or neither of preset and configuration", async () => {
        const api = await startFake();
        const provider = serverProvider(fakeOptions(api));
        const both = await provider.check!(
            {},
            serverInputs(api, { configuration: { cpu: 1, ramMb: 1024, diskMb: 10240 } }),
        );
        expect(both.failures?.map((failure) => failure.property)).toEqual(["preset"]);
        const neither = await provider.check!({}, serverInputs(api, { preset: undefined }));
        expect(neither.failures?.map((failure) => failure.property)).toEqual(["preset"]);
    });
});

describe("configurator servers", () => {
    const configured = (api: FakeTimewebApi, configuration: ServerInputs["configuration"]) =>
        serverInputs(api, { preset: undefined, configuration });
    const sent = (api: FakeTimewebApi) =>
        (api.calls("POST", "/servers").at(-1)?.body as { configuration?: unknown }).configuration;

    it("takes the location's standard configurator by default, not the first listed", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const created = await serverProvider(fakeOptions(api)).create(
            configured(api, { cpu: 2, ramMb: 4096, diskMb: 20480 }),
        );
        expect(sent(api)).toEqual({ configurator_id: 21, cpu: 2, ram: 4096, disk: 20480 });
        expect((created.outs as ServerOutputs).configuratorId).toBe(21);
    });

    it("takes the requested line and spells out gpu where the configurator has a GPU range", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        await provider.create(
            configured(api, { cpu: 2, ramMb: 4096, diskMb: 20480, type: "premium" }),
        );
        expect(sent(api)).toEqual({
            configurator_id: 23,
            cpu: 2,
            ram: 4096,
            disk: 20480,
            gpu: 0,
        });
        await provider.create({
            ...configured(api, { cpu: 4, ramMb: 16384, diskMb: 51200, type: "gpu" }),
            name: "gpu-box",
        });
        expect(sent(api)).toMatchObject({ configurator_id: 27, gpu: 1 });
    });

    it("finds the line through /presets/types/servers when configurators lack preset_type", async () => {
        const api = await startFake({
            pollsUntilOn: 0,
            pollsUntilIpv4: 0,
            configuratorsWithoutPresetType: true,
        });
        await serverProvider(fakeOptions(api)).create(
            configured(api, { cpu: 1, ramMb: 2048, diskMb: 20480 }),
        );
        expect(api.calls("GET", "/presets/types/servers")).toHaveLength(1);
        expect(sent(api)).toMatchObject({ configurator_id: 21 });
    });

    it("names the offered lines and the limits before creating anything", async () => {
        const api = await startFake();
        const provider = serverProvider(fakeOptions(api));
        const noLine = await rejection(
            provider.create({
                ...configured(api, { cpu: 2, ramMb: 4096, diskMb: 20480, type: "dedicated_cpu" }),
                location: "ru-1",
            }),
        );
        expect(noLine.message).toContain('no "dedicated_cpu" configurator in location ru-1');
        expect(noLine.message).toContain("11 (standard)");
        expect(noLine.message).toContain("timeweb.configuration.type");
        const tooBig = await rejection(
            provider.create(configured(api, { cpu: 64, ramMb: 4096, diskMb: 20480 })),
        );
        expect(tooBig.message).toContain("configurator 21: cpu 64 is outside 1..8");
        expect(tooBig.message).toContain("Change timeweb.configuration");
        expect(api.calls("POST", "/servers")).toHaveLength(0);
    });

    it("resizes in place through PATCH `configurator`", async () => {
        const api = await startFake({ pollsUntilOn: 0, pollsUntilIpv4: 0 });
        const provider = serverProvider(fakeOptions(api));
        const inputs = configured(api, { cpu: 2, ramMb: 4096, diskMb: 20480 });
        const created = await provider.create(inputs);
        const bigger = { ...inputs, configuration: { cpu: 4, ramMb: 8192, diskMb: 40960 } };
        expect(diffServer(created.outs as ServerOutputs, bigger).replaces).toEqual([]);
        const updated = await provider.update!(created.id, created.outs, bigger);
        expect(api.calls("PATCH", `/servers/${created.id}`)[0]!.body).toEqual({
            configurator: { configurator_id: 21, cpu: 4, ram: 8192, disk: 40960 },
        });
        expect((updated.outs as ServerOutputs).status).toBe("on");
    });
});

describe("server diff", () => {
    const base = {
        token: "t",
        name: "box",
        comment: "c",
        location: "ru-3",
        availabilityZone: "msk-1",
        preset: { cpu: 1, ramMb: 2048 },
        os: { name: "ubuntu", version: "24.04" },
        sshKeyIds: [1, 2],
        cloudInit: "#cloud-config\n",
        firewallGroupIds: ["g"],
    };
    const olds: ServerOutputs = {
        ...base,
        serverId: 9,
        ipv4: "192.0.2.9",
        status: "on",
        osId: 99,
        presetId: 2447,
    };

    it("is empty when nothing changed, whatever the list order", () => {
        expect(diffServer(olds, { ...base, sshKeyIds: [2, 1] })).toEqual({
            changes: false,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });

    it("always updates a server that has no IPv4 in the state yet", () => {
        expect(diffServer({ ...olds, ipv4: "" }, base)).toEqual({
            changes: true,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });

    it.each([
        ["location", { location: "ru-1" }],
        ["availabilityZone", { availabilityZone: "spb-3" }],
        ["os", { os: { name: "ubuntu", version: "22.04" } }],
        ["cloudInit", { cloudInit: "#cloud-config\nssh_pwauth: false\n" }],
        ["preset", { preset: undefined, configuration: { cpu: 1, ramMb: 2048, diskMb: 10240 } }],
    ])("replaces (deleting first) when %s changes", (field, change) => {
        expect(diffServer(olds, { ...base, ...change })).toEqual({
            changes: true,
            replaces: [field],
            deleteBeforeReplace: true,
        });
    });

    it.each([
        ["name", { name: "box-2" }],
        ["comment", { comment: "other" }],
        ["preset size", { preset: { cpu: 2, ramMb: 2048 } }],
        ["ssh keys", { sshKeyIds: [1, 3] }],
        ["firewall groups", { firewallGroupIds: ["g", "h"] }],
        ["token", { token: "t2" }],
    ])("updates in place when %s changes", (_field, change) => {
        expect(diffServer(olds, { ...base, ...change })).toEqual({
            changes: true,
            replaces: [],
            deleteBeforeReplace: false,
        });
    });
});
