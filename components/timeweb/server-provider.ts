import type * as pulumi from "@pulumi/pulumi";
import { ApiContext, callApi, isTimewebApiError } from "./api-client";
import {
    ConfigurationSpec,
    OsSelector,
    PresetSelector,
    resolveConfigurator,
    resolveOs,
    resolvePreset,
} from "./catalog";
import {
    apiContext,
    initFailed,
    ProviderOptions,
    sameList,
    sleeper,
    sortedUnique,
} from "./provider-options";

export interface ServerInputs {
    readonly token: string;
    /** Unique per account (Timeweb rejects duplicates). */
    readonly name: string;
    readonly comment: string;
    /** Preset catalogue location, e.g. "ru-3" (Moscow). */
    readonly location: string;
    /** e.g. "msk-1". */
    readonly availabilityZone: string;
    /** Exactly one of preset and configuration is set. */
    readonly preset?: PresetSelector;
    readonly configuration?: ConfigurationSpec;
    readonly os: OsSelector;
    readonly sshKeyIds: readonly number[];
    /** cloud-config user data; runs on first boot only. */
    readonly cloudInit: string;
    /** Firewall groups linked right after the server is up. */
    readonly firewallGroupIds: readonly string[];
}

export interface ServerOutputs extends ServerInputs {
    readonly serverId: number;
    readonly ipv4: string;
    readonly status: string;
    readonly osId: number;
    readonly presetId?: number;
    /** Monthly price in RUB of the resolved preset, as the catalogue reported it. */
    readonly presetPrice?: number;
    readonly presetName?: string;
    readonly configuratorId?: number;
}

interface ApiServer {
    readonly id: number;
    readonly name: string;
    readonly comment: string;
    readonly status: string;
    readonly networks?: {
        readonly type: string;
        readonly ips?:
            { readonly type: string; readonly ip: string; readonly is_main: boolean }[] | null;
    }[];
}

/** Statuses after which waiting for `on` is pointless. */
const DEAD_STATUSES = ["blocked", "permanent_blocked", "no_paid", "removed", "removing"];

/** The server's main public IPv4, or undefined while it has none. */
export function publicIpv4(server: ApiServer): string | undefined {
    for (const network of server.networks ?? []) {
        if (network.type !== "public") continue;
        const ips = (network.ips ?? []).filter((ip) => ip.type === "ipv4");
        const main = ips.find((ip) => ip.is_main) ?? ips[0];
        if (main) return main.ip;
    }
    return undefined;
}

/**
 * What each input does when it changes, per what the API allows:
 * - replace: location, availabilityZone, os (a reinstall wipes the disk), cloudInit (runs on
 *   first boot only), switching between preset and configurator;
 * - PATCH in place: name, comment, preset selector (resize), configuration (resize);
 * - in place via sub-resources: sshKeyIds (/servers/{id}/ssh-keys), firewallGroupIds (links);
 * - state only: token.
 * Replacement deletes first: server names are unique, so a twin cannot exist meanwhile.
 */
export function diffServer(olds: ServerOutputs, news: ServerInputs): pulumi.dynamic.DiffResult {
    const replaces: string[] = [];
    if (olds.location !== news.location) replaces.push("location");
    if (olds.availabilityZone !== news.availabilityZone) replaces.push("availabilityZone");
    if (JSON.stringify(olds.os) !== JSON.stringify(news.os)) replaces.push("os");
    if (olds.cloudInit !== news.cloudInit) replaces.push("cloudInit");
    if ((olds.preset === undefined) !== (news.preset === undefined)) replaces.push("preset");
    const changes =
        replaces.length > 0 ||
        olds.name !== news.name ||
        olds.comment !== news.comment ||
        olds.token !== news.token ||
        JSON.stringify(olds.preset ?? null) !== JSON.stringify(news.preset ?? null) ||
        JSON.stringify(olds.configuration ?? null) !== JSON.stringify(news.configuration ?? null) ||
        !sameList(olds.sshKeyIds, news.sshKeyIds) ||
        !sameList(olds.firewallGroupIds, news.firewallGroupIds);
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
}

export function serverProvider(options: ProviderOptions): pulumi.dynamic.ResourceProvider {
    const sleep = sleeper(options);

    async function getServer(ctx: ApiContext, id: number): Promise<ApiServer> {
        return (await callApi<{ server: ApiServer }>(ctx, "GET", `/servers/${id}`)).server;
    }

    /** Polls until the server is `on`; gives it a public IPv4 if it came up without one. */
    async function waitUntilOn(ctx: ApiContext, id: number): Promise<ApiServer> {
        const deadline = Date.now() + (options.createTimeoutMs ?? 15 * 60_000);
        let server = await getServer(ctx, id);
        while (server.status !== "on") {
            if (DEAD_STATUSES.includes(server.status)) {
                throw new Error(
                    `Timeweb server ${id} is "${server.status}"; ` +
                        "check the panel (balance, blocks).",
                );
            }
            if (Date.now() > deadline) {
                throw new Error(
                    `Timeweb server ${id} is still "${server.status}" after the create timeout; ` +
                        "check the panel, then run `pulumi refresh` and `pulumi up` again.",
                );
            }
            await sleep(options.pollIntervalMs ?? 5_000);
            server = await getServer(ctx, id);
        }
        if (publicIpv4(server) === undefined) {
            await callApi(ctx, "POST", `/servers/${id}/ips`, { type: "ipv4" });
            server = await getServer(ctx, id);
        }
        return server;
    }

    async function linkFirewalls(
        ctx: ApiContext,
        serverId: number,
        add: readonly string[],
        remove: readonly string[],
    ) {
        for (const groupId of remove) {
            await callApi(
                ctx,
                "DELETE",
                `/firewall/groups/${groupId}/resources/${serverId}?resource_type=server`,
            );
        }
        for (const groupId of add) {
            await callApi(
                ctx,
                "POST",
                `/firewall/groups/${groupId}/resources/${serverId}?resource_type=server`,
            );
        }
    }

    async function sizing(ctx: ApiContext, inputs: ServerInputs) {
        if (inputs.preset !== undefined) {
            const preset = await resolvePreset(ctx, inputs.location, inputs.preset);
            return { presetId: preset.id, presetPrice: preset.price, presetName: preset.name };
        }
        if (inputs.configuration === undefined) {
            throw new Error(
                "Set either timeweb.preset or timeweb.configuration in the stack config.",
            );
        }
        return { configuratorId: await resolveConfigurator(ctx, inputs.location) };
    }

    return {
        check(_olds: ServerInputs, news: ServerInputs) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            if ((news.preset === undefined) === (news.configuration === undefined)) {
                failures.push({
                    property: "preset",
                    reason: "set exactly one of timeweb.preset and timeweb.configuration",
                });
            }
            if (/^\s*#cloud-config/.test(news.cloudInit ?? "") === false) {
                failures.push({
                    property: "cloudInit",
                    reason: "cloud-init user data must start with #cloud-config",
                });
            }
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id: string, olds: ServerOutputs, news: ServerInputs) {
            return Promise.resolve(diffServer(olds, news));
        },

        async create(inputs: ServerInputs) {
            const ctx = apiContext(options, inputs.token);
            const osId = await resolveOs(ctx, inputs.os);
            const size = await sizing(ctx, inputs);
            const answer = await callApi<{ server: ApiServer }>(ctx, "POST", "/servers", {
                name: inputs.name,
                comment: inputs.comment,
                os_id: osId,
                ...(size.presetId === undefined
                    ? {
                          configuration: {
                              configurator_id: size.configuratorId,
                              cpu: inputs.configuration?.cpu,
                              ram: inputs.configuration?.ramMb,
                              disk: inputs.configuration?.diskMb,
                          },
                      }
                    : { preset_id: size.presetId }),
                availability_zone: inputs.availabilityZone,
                ssh_keys_ids: sortedUnique(inputs.sshKeyIds),
                // SSH keys are the only way in: no root password is generated or e-mailed.
                is_root_password_required: false,
                is_ddos_guard: false,
                cloud_init: inputs.cloudInit,
            });
            const serverId = answer.server.id;
            const partial: ServerOutputs = {
                ...inputs,
                ...size,
                serverId,
                osId,
                ipv4: "",
                status: answer.server.status,
            };
            try {
                const server = await waitUntilOn(ctx, serverId);
                await linkFirewalls(ctx, serverId, sortedUnique(inputs.firewallGroupIds), []);
                const outs: ServerOutputs = {
                    ...partial,
                    ipv4: publicIpv4(server) ?? "",
                    status: server.status,
                };
                return { id: String(serverId), outs };
            } catch (error) {
                const reason = error instanceof Error ? error.message : String(error);
                throw initFailed(
                    String(serverId),
                    partial,
                    `server ${serverId} was created but is not ready: ${reason}`,
                );
            }
        },

        async read(id: string, props: ServerOutputs) {
            try {
                const server = await getServer(apiContext(options, props.token), Number(id));
                const outs: ServerOutputs = {
                    ...props,
                    name: server.name,
                    comment: server.comment ?? "",
                    status: server.status,
                    ipv4: publicIpv4(server) ?? props.ipv4,
                };
                return { id, props: outs };
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return {};
                throw error;
            }
        },

        async update(id: string, olds: ServerOutputs, news: ServerInputs) {
            const ctx = apiContext(options, news.token);
            const serverId = Number(id);
            const patch: Record<string, unknown> = {};
            if (olds.name !== news.name) patch.name = news.name;
            if (olds.comment !== news.comment) patch.comment = news.comment;
            let size = {
                presetId: olds.presetId,
                presetPrice: olds.presetPrice,
                presetName: olds.presetName,
                configuratorId: olds.configuratorId,
            };
            const resized =
                JSON.stringify(olds.preset ?? null) !== JSON.stringify(news.preset ?? null) ||
                JSON.stringify(olds.configuration ?? null) !==
                    JSON.stringify(news.configuration ?? null);
            if (resized) {
                size = { ...size, ...(await sizing(ctx, news)) };
                if (news.preset !== undefined) {
                    patch.preset_id = size.presetId;
                } else {
                    patch.configurator = {
                        configurator_id: size.configuratorId,
                        cpu: news.configuration?.cpu,
                        ram: news.configuration?.ramMb,
                        disk: news.configuration?.diskMb,
                    };
                }
            }
            if (Object.keys(patch).length > 0) await callApi(ctx, "PATCH", `/servers/${id}`, patch);
            const added = sortedUnique(news.sshKeyIds).filter(
                (key) => !olds.sshKeyIds.includes(key),
            );
            const dropped = sortedUnique(olds.sshKeyIds).filter(
                (key) => !news.sshKeyIds.includes(key),
            );
            if (added.length > 0)
                await callApi(ctx, "POST", `/servers/${id}/ssh-keys`, { ssh_key_ids: added });
            for (const key of dropped)
                await callApi(ctx, "DELETE", `/servers/${id}/ssh-keys/${key}`);
            await linkFirewalls(
                ctx,
                serverId,
                news.firewallGroupIds.filter((group) => !olds.firewallGroupIds.includes(group)),
                olds.firewallGroupIds.filter((group) => !news.firewallGroupIds.includes(group)),
            );
            const server = resized
                ? await waitUntilOn(ctx, serverId)
                : await getServer(ctx, serverId);
            const outs: ServerOutputs = {
                ...news,
                ...size,
                serverId,
                osId: olds.osId,
                status: server.status,
                ipv4: publicIpv4(server) ?? olds.ipv4,
            };
            return { outs };
        },

        async delete(id: string, props: ServerOutputs) {
            const ctx = apiContext(options, props.token);
            let answer:
                { server_delete?: { hash?: string; is_moved_in_quarantine?: boolean } } | undefined;
            try {
                answer = await callApi(ctx, "DELETE", `/servers/${id}`);
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return;
                throw error;
            }
            if (answer?.server_delete?.is_moved_in_quarantine === true) return;
            try {
                const server = await getServer(ctx, Number(id));
                if (["removing", "removed"].includes(server.status)) return;
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return;
                throw error;
            }
            if (answer?.server_delete?.hash) {
                throw new Error(
                    `Timeweb wants a Telegram confirmation code to delete server ${id}, which ` +
                        "Pulumi cannot give. Create an API token that may delete without " +
                        "confirmation " +
                        "(panel: API и Terraform, deletion without confirmation), set it with " +
                        "`pulumi config set --secret timeweb:token`, run `pulumi up`, then retry.",
                );
            }
            throw new Error(
                `Timeweb accepted deleting server ${id} but it still exists; check the panel.`,
            );
        },
    };
}
