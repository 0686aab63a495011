import { ApiContext, callApi, isTimewebApiError } from "./api-client";

/*
 * Public IPv4 addresses are floating IPs, resources of their own (/floating-ips): they are billed
 * on their own and outlive the server they are bound to.
 */

interface ApiFloatingIp {
    readonly id: string;
    readonly ip: string | null;
    readonly resource_type: string | null;
    readonly resource_id: number | null;
}

/** The floating IPv4 bound to the server, by the list's resource_type/resource_id. */
export async function floatingIpOf(
    ctx: ApiContext,
    serverId: number,
): Promise<{ id: string } | undefined> {
    const answer = await callApi<{ ips: ApiFloatingIp[] }>(ctx, "GET", "/floating-ips");
    return answer.ips.find(
        (ip) =>
            ip.resource_type === "server" &&
            Number(ip.resource_id) === serverId &&
            (ip.ip ?? "").includes("."),
    );
}

/** Orders a floating IP in the zone and binds it to the server; releases it if binding fails. */
export async function orderFloatingIp(ctx: ApiContext, serverId: number, zone: string) {
    const ordered = await callApi<{ ip: ApiFloatingIp }>(ctx, "POST", "/floating-ips", {
        is_ddos_guard: false,
        availability_zone: zone,
    });
    try {
        await callApi(ctx, "POST", `/floating-ips/${ordered.ip.id}/bind`, {
            resource_type: "server",
            resource_id: serverId,
        });
    } catch (error) {
        await releaseFloatingIp(ctx, ordered.ip.id, serverId).catch(() => undefined);
        throw error;
    }
}

/** Deletes the floating IP (204); one already gone is fine. */
export async function releaseFloatingIp(ctx: ApiContext, ipId: string, serverId: number) {
    try {
        await callApi(ctx, "DELETE", `/floating-ips/${ipId}`);
    } catch (error) {
        if (isTimewebApiError(error) && error.status === 404) return;
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
            `Floating IP ${ipId} of server ${serverId} was not released and is still billed: ` +
                `${reason} Run the command again to retry, or delete the IP in the panel ` +
                "(floating IPs).",
            { cause: error },
        );
    }
}
