import { ApiContext, backoffDelay, callApi, isTimewebApiError } from "./api-client";
import { sortedUnique } from "./provider-options";

/*
 * Links between firewall groups and a server: POST/DELETE
 * /firewall/groups/{group}/resources/{server}?resource_type=server, and
 * GET /firewall/service/server/{server} for the groups a server is linked to.
 */

function linkPath(groupId: string, serverId: number): string {
    return `/firewall/groups/${groupId}/resources/${serverId}?resource_type=server`;
}

/** Groups linked to the server. */
export async function linkedGroups(ctx: ApiContext, serverId: number): Promise<string[]> {
    const answer = await callApi<{ groups: { id: string }[] }>(
        ctx,
        "GET",
        `/firewall/service/server/${serverId}?limit=100`,
    );
    return answer.groups.map((group) => group.id);
}

/**
 * Links one group. Right after a server is created Timeweb may answer 409 (its Terraform provider
 * retries it since v1.2.2), so 409 is retried with backoff, `retry.maxAttempts` times in all.
 */
export async function linkGroup(
    ctx: ApiContext,
    serverId: number,
    groupId: string,
    sleep: (ms: number) => Promise<void>,
): Promise<void> {
    for (let attempt = 1; ; attempt++) {
        try {
            await callApi(ctx, "POST", linkPath(groupId, serverId));
            return;
        } catch (error) {
            if (!isTimewebApiError(error) || error.status !== 409) throw error;
            if (attempt >= ctx.retry.maxAttempts) {
                throw new Error(
                    `Firewall group ${groupId} could not be linked to server ${serverId}: ` +
                        `Timeweb answered 409 ${attempt} times. The server is not behind that ` +
                        "firewall yet and Pulumi's state says so; run `pulumi up` again to link " +
                        `it. Last answer: ${error.message}`,
                    { cause: error },
                );
            }
            await sleep(backoffDelay(ctx.retry, attempt, ctx.random ?? Math.random));
        }
    }
}

/** Links every wanted group not in `linked`, adding each to `linked` once it really is. */
export async function linkMissing(
    ctx: ApiContext,
    serverId: number,
    wanted: readonly string[],
    linked: string[],
    sleep: (ms: number) => Promise<void>,
): Promise<void> {
    for (const groupId of sortedUnique(wanted)) {
        if (linked.includes(groupId)) continue;
        await linkGroup(ctx, serverId, groupId, sleep);
        linked.push(groupId);
    }
}

/** Unlinks one group; already unlinked is fine. */
export async function unlinkGroup(ctx: ApiContext, serverId: number, groupId: string) {
    try {
        await callApi(ctx, "DELETE", linkPath(groupId, serverId));
    } catch (error) {
        if (!isTimewebApiError(error) || error.status !== 404) throw error;
    }
}
