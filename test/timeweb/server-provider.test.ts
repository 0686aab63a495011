import { afterEach, describe, expect, it } from "vitest";
import { renderCloudInit } from "../../components/timeweb/cloud-init";
import {
    diffServer,
    ServerInputs,
    ServerOutputs,
    serverProvider,
} from "../../components/timeweb/server-provider";
import { FakeOptions, FakeTimewebApi } from "./fake-timeweb-api";
import { fakeOptions, OPERATOR_KEY, OTHER_KEY, rejection } from "./helpers";

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
        firewallGroupIds: [addGroup(api, "7d9e3a4c-0000-4000-8000-000000000001")],
        ...overrides,
    };
}

describe("server provider against the fake API", () => {
    it("creates a key-only Ubuntu 24.04 server, cheapest match, firewalled", async () => {
        const api = await startFake({ pollsUntilOn: 2 });
        const waits: number[] = [];
        const provider = serverProvider(fakeOptions(api, waits));
        const inputs = serverInputs(api);

        const created = await provider.create(inputs);
        const outs = created.outs as ServerOutputs;

        const body = api.calls("POST", "/servers")[0]!.body as Record<string, unknown>;
        expect(body).toMatchObject({
            name: "telegram-ecosystem",
            os_id: 99,
            preset_id: 2447,
            availability_zone: "msk-1",
            ssh_keys_ids: inputs.sshKeyIds,
            is_root_password_required: false,
            cloud_init: inputs.cloudInit,
        });
        expect(body).not.toHaveProperty("configuration");
        expect(outs).toMatchObject({
            serverId: Number(created.id),
            status: "on",
            osId: 99,
            presetId: 2447,
            presetPrice: 550,
            presetName: "Cloud MSK 2 GB",
        });
        expect(outs.ipv4).toMatch(/^192\.0\.2\.\d+$/);
        expect(waits).toEqual([5_000, 5_000]);
        expect([...api.groups.get(inputs.firewallGroupIds[0]!)!.resources]).toEqual([outs.serverId]);
        expect(api.calls("POST", "/firewall/groups")[0]!.query).toEqual({ resource_type: "server" });
        expect(JSON.stringify(outs)).not.toContain("fake-root-password");
        expect(JSON.stringify(outs)).not.toContain("fake-vnc");
    });

    it("orders a public IPv4 when the server comes up without one", async () => {
        const api = await startFake({ withoutIpv4: true, pollsUntilOn: 0 });
        const created = await serverProvider(fakeOptions(api)).create(serverInputs(api));
        expect(api.calls("POST", `/servers/${created.id}/ips`)[0]!.body).toEqual({ type: "ipv4" });
        expect((created.outs as ServerOutputs).ipv4).toMatch(/^198\.51\.100\.\d+$/);
    });

    it("uses the configurator when asked for exact resources", async () => {
        const api = await startFake({ pollsUntilOn: 0 });
        const inputs = serverInputs(api, {
            preset: undefined,
            configuration: { cpu: 1, ramMb: 2048, diskMb: 20480 },
        });
        const created = await serverProvider(fakeOptions(api)).create(inputs);
        expect(api.calls("POST", "/servers")[0]!.body).toMatchObject({
            configuration: { configurator_id: 11, cpu: 1, ram: 2048, disk: 20480 },
        });
        expect((created.outs as ServerOutputs).configuratorId).toBe(11);
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
        const options = { ...fakeOptions(api), createTimeoutMs: -1 };
        const error = await rejection(serverProvider(options).create(serverInputs(api)));
        expect(api.servers.has(Number(error.id))).toBe(true);
        expect(error.message).toContain('still "installing"');
        expect((error.properties as ServerOutputs).token).toBe(api.token);
    });

    it("reads drift, updates name, size, keys and firewall links in place, deletes", async () => {
        const api = await startFake({ pollsUntilOn: 0 });
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
        expect(api.groups.get(inputs.firewallGroupIds[0]!)!.resources.size).toBe(0);
        expect([...api.groups.get(newGroup)!.resources]).toEqual([id]);
        expect(updated.outs).toMatchObject({
            presetId: 2449,
            presetPrice: 657,
            status: "on",
            serverId: id,
        });

        await provider.delete!(created.id, updated.outs);
        expect(api.servers.has(id)).toBe(false);
        expect(await provider.read!(created.id, updated.outs)).toEqual({});
    });

    it("stops with instructions when Timeweb wants a Telegram confirmation to delete", async () => {
        const api = await startFake({ pollsUntilOn: 0, requireDeleteConfirmation: true });
        const provider = serverProvider(fakeOptions(api));
        const created = await provider.create(serverInputs(api));
        const error = await rejection(provider.delete!(created.id, created.outs));
        expect(error.message).toContain("Telegram confirmation");
        expect(error.message).toContain("without confirmation");
        expect(api.servers.has(Number(created.id))).toBe(true);
    });

    it("surfaces the API's 409 for a duplicate name with its message", async () => {
        const api = await startFake({ pollsUntilOn: 0 });
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
