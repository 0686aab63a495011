import type * as pulumi from "@pulumi/pulumi";
import { ApiContext, callApi, isTimewebApiError } from "./api-client";
import { ConfigurationSpec, OsSelector, PresetSelector, resolveOs, SERVER_TYPES } from "./catalog";
import {
    apiContext,
    initFailed,
    ProviderOptions,
    sameList,
    sleeper,
    sortedUnique,
    withoutUndefined,
} from "./provider-options";
import { linkedGroups, linkMissing, unlinkGroup } from "./firewall-links";
import { floatingIpOf, orderFloatingIp, releaseFloatingIp } from "./floating-ips";
import { resolveSizing, Sizing, sizingBody } from "./sizing";

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
    /** Firewall groups linked once the server is up. In the outputs: the groups really linked. */
    readonly firewallGroupIds: readonly string[];
}

export interface ServerOutputs extends ServerInputs {
    readonly serverId: number;
    /** The public IPv4; "" while the server has none (a create that did not finish). */
    readonly ipv4: string;
    readonly status: string;
    readonly osId: number;
    readonly presetId?: number;
    /** Monthly price in RUB of the resolved preset, as the catalogue reported it. */
    readonly presetPrice?: number;
    readonly presetName?: string;
    readonly configuratorId?: number;
    /** The floating IP that carries `ipv4`; it is billed on its own and released on delete. */
    readonly floatingIpId?: string;
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
 * A server without its IPv4 (a create that stopped half-way) always needs an update.
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
        !olds.ipv4 ||
        olds.name !== news.name ||
        olds.comment !== news.comment ||
        olds.token !== news.token ||
        JSON.stringify(olds.preset ?? null) !== JSON.stringify(news.preset ?? null) ||
        JSON.stringify(olds.configuration ?? null) !== JSON.stringify(news.configuration ?? null) ||
        !sameList(olds.sshKeyIds, news.sshKeyIds) ||
        !sameList(olds.firewallGroupIds, news.firewallGroupIds);
    return { changes, replaces, deleteBeforeReplace: replaces.length > 0 };
}

/** The outputs that record how the server was sized. */
function sizingOutputs(sizing: Sizing) {
    if (sizing.kind === "preset") {
        return {
            presetId: sizing.preset.id,
            presetPrice: sizing.preset.price,
            presetName: sizing.preset.name,
        };
    }
    return { configuratorId: sizing.configurator.id };
}

function isStatus(error: unknown, status: number): boolean {
    return isTimewebApiError(error) && error.status === status;
}

function reasonOf(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** Deleting needs a confirmation Pulumi cannot give; says how to lift it. */
function confirmationRequired(serverId: string, how: string): Error {
    return new Error(
        `Timeweb did not delete server ${serverId}: ${how}, which Pulumi cannot answer. ` +
            "Nothing was deleted. Fix it in the Timeweb panel: turn off the confirmation of " +
            "deletions for the account, or create an API token that may delete services without " +
            "confirmation (section API и Terraform; the token's is_able_to_delete option), set it " +
            "with `pulumi config set --secret timeweb:token <token>` and run `pulumi up` so the " +
            "state holds it. Then run the deletion again.",
    );
}

export function serverProvider(options: ProviderOptions): pulumi.dynamic.ResourceProvider {
    const sleep = sleeper(options);
    const pollMs = options.pollIntervalMs ?? 5_000;
    const timeoutMs = options.createTimeoutMs ?? 15 * 60_000;
    const now = options.now ?? (() => Date.now());

    async function getServer(ctx: ApiContext, id: number): Promise<ApiServer> {
        return (await callApi<{ server: ApiServer }>(ctx, "GET", `/servers/${id}`)).server;
    }

    /**
     * Polls until the server is `on` and shows its public IPv4, at most `createTimeoutMs`. The
     * API answers POST /servers before either is there.
     */
    async function waitUntilReady(ctx: ApiContext, id: number, zone: string): Promise<ApiServer> {
        const deadline = now() + timeoutMs;
        for (;;) {
            const server = await getServer(ctx, id);
            if (DEAD_STATUSES.includes(server.status)) {
                throw new Error(
                    `Timeweb server ${id} is "${server.status}"; ` +
                        "check the panel (balance, blocks).",
                );
            }
            if (server.status === "on" && publicIpv4(server) !== undefined) return server;
            if (now() > deadline) {
                const minutes = Math.round(timeoutMs / 60_000);
                if (server.status !== "on") {
                    throw new Error(
                        `Timeweb server ${id} is still "${server.status}" after ${minutes} min; ` +
                            "check it in the panel, then run `pulumi up` again: it keeps " +
                            "waiting for the same server.",
                    );
                }
                throw new Error(
                    `Timeweb server ${id} is on but shows no public IPv4 after ${minutes} min ` +
                        '(ordered with network.floating_ip "create_ip"). Check the server\'s ' +
                        "network and the floating IPs in the panel, then run `pulumi up` again: " +
                        "it waits for the address and, if no floating IP is bound to the " +
                        `server, orders one in ${zone} and binds it.`,
                );
            }
            await sleep(pollMs);
        }
    }

    /** Waits for the IPv4; orders and binds a floating IP first when none is bound. */
    async function ensurePublicIpv4(ctx: ApiContext, serverId: number, zone: string) {
        const server = await getServer(ctx, serverId);
        if (publicIpv4(server) === undefined && (await floatingIpOf(ctx, serverId)) === undefined)
            await orderFloatingIp(ctx, serverId, zone);
        return waitUntilReady(ctx, serverId, zone);
    }

    /** Unlinks the groups Pulumi linked before and no longer wants, links the wanted ones. */
    async function syncLinks(
        ctx: ApiContext,
        serverId: number,
        olds: ServerOutputs,
        news: ServerInputs,
    ) {
        const actual = await linkedGroups(ctx, serverId);
        for (const groupId of olds.firewallGroupIds ?? []) {
            if (actual.includes(groupId) && !news.firewallGroupIds.includes(groupId))
                await unlinkGroup(ctx, serverId, groupId);
        }
        const linked = actual.filter((group) => news.firewallGroupIds.includes(group));
        await linkMissing(ctx, serverId, news.firewallGroupIds, linked, sleep);
        return sortedUnique(linked);
    }

    /** The PATCH fields and outputs of a resize, when the sizing changed. */
    async function resize(ctx: ApiContext, olds: ServerOutputs, news: ServerInputs) {
        const patch: Record<string, unknown> = {};
        const kept = {
            presetId: olds.presetId,
            presetPrice: olds.presetPrice,
            presetName: olds.presetName,
            configuratorId: olds.configuratorId,
        };
        const resized =
            JSON.stringify(olds.preset ?? null) !== JSON.stringify(news.preset ?? null) ||
            JSON.stringify(olds.configuration ?? null) !==
                JSON.stringify(news.configuration ?? null);
        if (!resized) return { patch, size: kept, resized };
        const sizing = await resolveSizing(ctx, news);
        const body = sizingBody(sizing);
        // PATCH names the configurator part `configurator` (twc client.update_server).
        if (sizing.kind === "preset") patch.preset_id = body.preset_id;
        else patch.configurator = body.configuration;
        return { patch, size: { ...kept, ...sizingOutputs(sizing) }, resized };
    }

    async function syncSshKeys(
        ctx: ApiContext,
        serverId: number,
        olds: ServerOutputs,
        news: ServerInputs,
    ) {
        const added = sortedUnique(news.sshKeyIds).filter((key) => !olds.sshKeyIds.includes(key));
        const dropped = sortedUnique(olds.sshKeyIds).filter((key) => !news.sshKeyIds.includes(key));
        if (added.length > 0)
            await callApi(ctx, "POST", `/servers/${serverId}/ssh-keys`, { ssh_key_ids: added });
        for (const key of dropped)
            await callApi(ctx, "DELETE", `/servers/${serverId}/ssh-keys/${key}`);
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
            const type = news.configuration?.type;
            if (type !== undefined && !(SERVER_TYPES as readonly string[]).includes(type)) {
                failures.push({
                    property: "configuration",
                    reason: `timeweb.configuration.type must be one of ${SERVER_TYPES.join(", ")}`,
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
            const os = await resolveOs(ctx, inputs.os);
            const sizing = await resolveSizing(ctx, inputs);
            const answer = await callApi<{ server: ApiServer }>(ctx, "POST", "/servers", {
                name: inputs.name,
                comment: inputs.comment,
                os_id: os.id,
                ...sizingBody(sizing),
                availability_zone: inputs.availabilityZone,
                // New servers get a public IPv4 only when asked for one; this orders a floating
                // IP in the server's zone, as Timeweb's official CLI does.
                network: { floating_ip: "create_ip" },
                ssh_keys_ids: sortedUnique(inputs.sshKeyIds),
                // SSH keys are the only way in: no root password is generated or e-mailed.
                is_root_password_required: false,
                is_ddos_guard: false,
                cloud_init: inputs.cloudInit,
            });
            const serverId = answer.server.id;
            let state: ServerOutputs = {
                ...inputs,
                ...sizingOutputs(sizing),
                serverId,
                osId: os.id,
                ipv4: "",
                status: answer.server.status,
                firewallGroupIds: [],
            };
            const linked: string[] = [];
            try {
                const server = await waitUntilReady(ctx, serverId, inputs.availabilityZone);
                const floatingIp = await floatingIpOf(ctx, serverId);
                state = {
                    ...state,
                    ipv4: publicIpv4(server) ?? "",
                    status: server.status,
                    ...(floatingIp === undefined ? {} : { floatingIpId: floatingIp.id }),
                };
                await linkMissing(ctx, serverId, inputs.firewallGroupIds, linked, sleep);
                return { id: String(serverId), outs: { ...state, firewallGroupIds: linked } };
            } catch (error) {
                // The state lists only what happened, so the next `pulumi up` finishes the rest.
                throw initFailed(
                    String(serverId),
                    { ...state, firewallGroupIds: linked },
                    `server ${serverId} was created but is not ready: ${reasonOf(error)}`,
                );
            }
        },

        async read(id: string, props: ServerOutputs) {
            const ctx = apiContext(options, props.token);
            try {
                const server = await getServer(ctx, Number(id));
                const linked = await linkedGroups(ctx, Number(id));
                const outs: ServerOutputs = {
                    ...props,
                    name: server.name,
                    comment: server.comment ?? "",
                    status: server.status,
                    ipv4: publicIpv4(server) ?? "",
                    // Groups linked outside Pulumi stay out of it; ours that were unlinked show.
                    firewallGroupIds: (props.firewallGroupIds ?? []).filter((group) =>
                        linked.includes(group),
                    ),
                };
                return { id, props: outs };
            } catch (error) {
                if (isStatus(error, 404)) return {};
                throw error;
            }
        },

        async update(id: string, olds: ServerOutputs, news: ServerInputs) {
            const ctx = apiContext(options, news.token);
            const serverId = Number(id);
            const { patch, size, resized } = await resize(ctx, olds, news);
            if (olds.name !== news.name) patch.name = news.name;
            if (olds.comment !== news.comment) patch.comment = news.comment;
            if (Object.keys(patch).length > 0) await callApi(ctx, "PATCH", `/servers/${id}`, patch);
            await syncSshKeys(ctx, serverId, olds, news);
            const server =
                resized || !olds.ipv4
                    ? await ensurePublicIpv4(ctx, serverId, news.availabilityZone)
                    : await getServer(ctx, serverId);
            const linked = await syncLinks(ctx, serverId, olds, news);
            const floatingIpId = olds.floatingIpId ?? (await floatingIpOf(ctx, serverId))?.id;
            const outs: ServerOutputs = {
                ...news,
                ...size,
                serverId,
                osId: olds.osId,
                status: server.status,
                ipv4: publicIpv4(server) ?? "",
                firewallGroupIds: linked,
                ...(floatingIpId === undefined ? {} : { floatingIpId }),
            };
            return { outs: withoutUndefined(outs) };
        },

        /**
         * Deletes the server (204), then releases its floating IP, which outlives the server and
         * stays billed otherwise. A gone server (404) still gets its IP released, so a run that
         * stopped between the two finishes on the next try.
         */
        async delete(id: string, props: ServerOutputs) {
            const ctx = apiContext(options, props.token);
            let floatingIpId = props.floatingIpId;
            let answer:
                { server_delete?: { hash?: string; is_moved_in_quarantine?: boolean } } | undefined;
            try {
                floatingIpId ??= (await floatingIpOf(ctx, Number(id)))?.id;
                answer = await callApi(ctx, "DELETE", `/servers/${id}`);
            } catch (error) {
                if (isStatus(error, 423)) {
                    throw confirmationRequired(
                        id,
                        "the account confirms server deletion by SMS (HTTP 423 Locked)",
                    );
                }
                if (!isStatus(error, 404)) throw error;
            }
            const deleteAnswer = answer?.server_delete;
            if (deleteAnswer?.hash && deleteAnswer.is_moved_in_quarantine !== true) {
                throw confirmationRequired(
                    id,
                    "the account confirms deletions with a Telegram code (HTTP 200 with a hash)",
                );
            }
            if (floatingIpId !== undefined) await releaseFloatingIp(ctx, floatingIpId, Number(id));
        },
    };
}
