import type * as pulumi from "@pulumi/pulumi";
import { callApi, isTimewebApiError } from "./api-client";
import { apiContext, initFailed, ProviderOptions } from "./provider-options";

/**
 * Protocols of firewall rules. IPv6 traffic has its own: tcp6, udp6, icmp6 (Timeweb's CLI since
 * 2.6.0; the OpenAPI document still lists only the IPv4 three).
 */
export type FirewallProtocol = "tcp" | "udp" | "icmp" | "tcp6" | "udp6" | "icmp6";
export type BaseProtocol = "tcp" | "udp" | "icmp";

/** One rule of a Timeweb firewall group (POST /api/v1/firewall/groups/{id}/rules). */
export interface FirewallRuleSpec {
    readonly direction: "ingress" | "egress";
    /** Must match the address family of `cidr`: see protocolFor. */
    readonly protocol: FirewallProtocol;
    /** Port or range for tcp/udp ("22", "1000-2000"); omitted means every port. */
    readonly port?: string;
    /** IPv4/IPv6 network, e.g. "0.0.0.0/0". */
    readonly cidr: string;
    readonly description?: string;
}

export function isIpv6Cidr(cidr: string): boolean {
    return cidr.includes(":");
}

/** The protocol name Timeweb expects for this traffic and network: tcp for IPv4, tcp6 for IPv6. */
export function protocolFor(base: BaseProtocol, cidr: string): FirewallProtocol {
    return isIpv6Cidr(cidr) ? `${base}6` : base;
}

/** Why the rule's protocol does not fit its network, or undefined when it does. */
export function protocolMismatch(rule: FirewallRuleSpec): string | undefined {
    if (rule.protocol.endsWith("6") === isIpv6Cidr(rule.cidr ?? "")) return undefined;
    const base = rule.protocol.replace(/6$/, "") as BaseProtocol;
    return (
        `rule ${rule.direction} ${rule.protocol} ${rule.cidr}: ${rule.cidr} is ` +
        `${isIpv6Cidr(rule.cidr ?? "") ? "IPv6" : "IPv4"}, so the protocol must be ` +
        `${protocolFor(base, rule.cidr ?? "")}`
    );
}

export interface FirewallGroupInputs {
    readonly token: string;
    readonly name: string;
    readonly description: string;
    /** What happens to traffic no rule allows; fixed at creation. */
    readonly policy: "DROP" | "ACCEPT";
    readonly rules: readonly FirewallRuleSpec[];
}

export interface FirewallGroupOutputs extends FirewallGroupInputs {
    /** Rule ids by rule key (see ruleKey), so updates add and remove single rules. */
    readonly ruleIds: Record<string, string>;
}

interface ApiRule {
    readonly id: string;
    readonly direction: "ingress" | "egress";
    readonly protocol: FirewallProtocol;
    readonly port?: string | null;
    readonly cidr?: string | null;
    readonly description?: string;
}

/** Identity of a rule: what it matches (the description is only a label). */
export function ruleKey(
    rule: Pick<FirewallRuleSpec, "direction" | "protocol" | "port" | "cidr">,
): string {
    return [rule.direction, rule.protocol, rule.port ?? "*", rule.cidr ?? "*"].join("|");
}

function sameRules(a: readonly FirewallRuleSpec[], b: readonly FirewallRuleSpec[]): boolean {
    const left = a.map(ruleKey).sort();
    const right = b.map(ruleKey).sort();
    return left.length === right.length && left.every((key, index) => key === right[index]);
}

/** Policy is a creation-time query parameter, so changing it replaces the group. */
export function diffFirewallGroup(
    olds: FirewallGroupOutputs,
    news: FirewallGroupInputs,
): pulumi.dynamic.DiffResult {
    const replaces = olds.policy === news.policy ? [] : ["policy"];
    const changes =
        replaces.length > 0 ||
        olds.name !== news.name ||
        olds.description !== news.description ||
        olds.token !== news.token ||
        !sameRules(olds.rules, news.rules);
    return { changes, replaces };
}

export function firewallGroupProvider(options: ProviderOptions): pulumi.dynamic.ResourceProvider {
    async function addRules(token: string, groupId: string, rules: readonly FirewallRuleSpec[]) {
        const ids: Record<string, string> = {};
        for (const rule of rules) {
            const answer = await callApi<{ rule: ApiRule }>(
                apiContext(options, token),
                "POST",
                `/firewall/groups/${groupId}/rules`,
                {
                    direction: rule.direction,
                    protocol: rule.protocol,
                    ...(rule.port === undefined ? {} : { port: rule.port }),
                    cidr: rule.cidr,
                    description: rule.description ?? "",
                },
            );
            ids[ruleKey(rule)] = answer.rule.id;
        }
        return ids;
    }

    return {
        check(_olds: FirewallGroupInputs, news: FirewallGroupInputs) {
            const failures: pulumi.dynamic.CheckFailure[] = [];
            const keys = (news.rules ?? []).map(ruleKey);
            if (new Set(keys).size !== keys.length) {
                failures.push({
                    property: "rules",
                    reason: "two firewall rules match the same traffic",
                });
            }
            for (const problem of (news.rules ?? []).map(protocolMismatch)) {
                if (problem !== undefined) failures.push({ property: "rules", reason: problem });
            }
            return Promise.resolve({ inputs: news, failures });
        },

        diff(_id: string, olds: FirewallGroupOutputs, news: FirewallGroupInputs) {
            return Promise.resolve(diffFirewallGroup(olds, news));
        },

        async create(inputs: FirewallGroupInputs) {
            const ctx = apiContext(options, inputs.token);
            const answer = await callApi<{ group: { id: string } }>(
                ctx,
                "POST",
                `/firewall/groups?policy=${encodeURIComponent(inputs.policy)}`,
                { name: inputs.name, description: inputs.description },
            );
            const groupId = answer.group.id;
            try {
                const ruleIds = await addRules(inputs.token, groupId, inputs.rules);
                const outs: FirewallGroupOutputs = { ...inputs, ruleIds };
                return { id: groupId, outs };
            } catch (error) {
                const reason = error instanceof Error ? error.message : String(error);
                throw initFailed(
                    groupId,
                    { ...inputs, ruleIds: {} },
                    `firewall group ${groupId} was created but a rule failed: ${reason}`,
                );
            }
        },

        async read(id: string, props: FirewallGroupOutputs) {
            const ctx = apiContext(options, props.token);
            try {
                const group = await callApi<{
                    group: { name: string; description: string; policy: "DROP" | "ACCEPT" };
                }>(ctx, "GET", `/firewall/groups/${id}`);
                const listed = await callApi<{ rules: ApiRule[] }>(
                    ctx,
                    "GET",
                    `/firewall/groups/${id}/rules?limit=100`,
                );
                const rules: FirewallRuleSpec[] = listed.rules.map((rule) => ({
                    direction: rule.direction,
                    protocol: rule.protocol,
                    ...(rule.port ? { port: rule.port } : {}),
                    cidr: rule.cidr ?? "",
                    ...(rule.description ? { description: rule.description } : {}),
                }));
                const ruleIds = Object.fromEntries(
                    rules.map((rule, index) => [ruleKey(rule), listed.rules[index]!.id]),
                );
                const outs: FirewallGroupOutputs = {
                    ...props,
                    name: group.group.name,
                    description: group.group.description,
                    policy: group.group.policy,
                    rules,
                    ruleIds,
                };
                return { id, props: outs };
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return {};
                throw error;
            }
        },

        async update(id: string, olds: FirewallGroupOutputs, news: FirewallGroupInputs) {
            const ctx = apiContext(options, news.token);
            if (olds.name !== news.name || olds.description !== news.description) {
                await callApi(ctx, "PATCH", `/firewall/groups/${id}`, {
                    name: news.name,
                    description: news.description,
                });
            }
            const wanted = new Set(news.rules.map(ruleKey));
            const ruleIds: Record<string, string> = {};
            for (const [key, ruleId] of Object.entries(olds.ruleIds ?? {})) {
                if (wanted.has(key)) {
                    ruleIds[key] = ruleId;
                } else {
                    await callApi(ctx, "DELETE", `/firewall/groups/${id}/rules/${ruleId}`);
                }
            }
            const missing = news.rules.filter((rule) => !(ruleKey(rule) in ruleIds));
            Object.assign(ruleIds, await addRules(news.token, id, missing));
            const outs: FirewallGroupOutputs = { ...news, ruleIds };
            return { outs };
        },

        async delete(id: string, props: FirewallGroupOutputs) {
            try {
                await callApi(apiContext(options, props.token), "DELETE", `/firewall/groups/${id}`);
            } catch (error) {
                if (isTimewebApiError(error) && error.status === 404) return;
                throw error;
            }
        },
    };
}
