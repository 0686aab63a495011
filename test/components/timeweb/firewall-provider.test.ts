import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
    diffFirewallGroup,
    FirewallGroupInputs,
    FirewallGroupOutputs,
    firewallGroupProvider,
    ruleKey,
} from "../../../components/timeweb/firewall-provider";
import { firewallRules } from "../../../components/timeweb/timeweb-server";
import { FakeTimewebApi } from "../../helpers/fake-timeweb-api";
import { fakeOptions, rejection } from "../../helpers/timeweb-fixtures";

let fake: FakeTimewebApi;
beforeAll(async () => {
    fake = await new FakeTimewebApi().start();
});
afterAll(async () => {
    await fake.close();
});

function inputs(overrides: Partial<FirewallGroupInputs> = {}): FirewallGroupInputs {
    return {
        token: fake.token,
        name: "box-ssh-only",
        description: "only SSH in",
        policy: "DROP",
        rules: firewallRules(["203.0.113.7/32"]),
        ...overrides,
    };
}

describe("firewall rules for the box", () => {
    it("lets only SSH in, from the configured networks, and everything out", () => {
        const rules = firewallRules(["203.0.113.7/32", "198.51.100.0/24"]);
        const ingress = rules.filter((rule) => rule.direction === "ingress");
        expect(ingress.map((rule) => [rule.protocol, rule.port, rule.cidr])).toEqual([
            ["tcp", "22", "203.0.113.7/32"],
            ["tcp", "22", "198.51.100.0/24"],
        ]);
        const hardened = firewallRules(["203.0.113.7/32"], [22, 2222]).filter(
            (rule) => rule.direction === "ingress",
        );
        expect(hardened.map((rule) => rule.port)).toEqual(["22", "2222"]);
        expect(
            firewallRules(["0.0.0.0/0"], [22, 22]).filter((r) => r.port !== undefined),
        ).toHaveLength(1);
        const egress = rules.filter((rule) => rule.direction === "egress");
        expect(egress.map((rule) => `${rule.protocol} ${rule.cidr}`).sort()).toEqual(
            [
                "icmp6 ::/0",
                "icmp 0.0.0.0/0",
                "tcp6 ::/0",
                "tcp 0.0.0.0/0",
                "udp6 ::/0",
                "udp 0.0.0.0/0",
            ].sort(),
        );
        expect(egress.every((rule) => rule.port === undefined)).toBe(true);
    });

    it("lets SSH in over IPv6 with tcp6 when an IPv6 network is allowed", () => {
        const ingress = firewallRules(["203.0.113.7/32", "2001:db8::/32", "::/0"]).filter(
            (rule) => rule.direction === "ingress",
        );
        expect(ingress.map((rule) => `${rule.protocol} ${rule.port} ${rule.cidr}`)).toEqual([
            "tcp 22 203.0.113.7/32",
            "tcp6 22 2001:db8::/32",
            "tcp6 22 ::/0",
        ]);
    });
});

describe("firewall group provider against the fake API", () => {
    it("creates DROP group + rules, reads, updates rules in place, deletes", async () => {
        const provider = firewallGroupProvider(fakeOptions(fake));
        const created = await provider.create(inputs());
        const outs = created.outs as FirewallGroupOutputs;
        expect(fake.calls("POST", "/firewall/groups").at(0)?.query).toEqual({ policy: "DROP" });
        const group = fake.groups.get(created.id)!;
        expect(group.policy).toBe("DROP");
        expect(group.rules.size).toBe(7);
        expect(Object.keys(outs.ruleIds).sort()).toEqual(inputs().rules.map(ruleKey).sort());

        const read = await provider.read!(created.id, outs);
        const readOuts = read.props as FirewallGroupOutputs;
        expect(readOuts.rules.map(ruleKey).sort()).toEqual(inputs().rules.map(ruleKey).sort());
        expect(diffFirewallGroup(readOuts, inputs()).changes).toBe(false);

        // A rule someone added in the panel shows up as drift and is removed by the next update.
        const panelRule = randomUUID();
        group.rules.set(panelRule, {
            id: panelRule,
            direction: "ingress",
            protocol: "tcp",
            port: "5432",
            cidr: "0.0.0.0/0",
            description: "",
            group_id: created.id,
        });
        const drifted = (await provider.read!(created.id, outs)).props as FirewallGroupOutputs;
        expect(diffFirewallGroup(drifted, inputs())).toEqual({ changes: true, replaces: [] });

        const wider = inputs({ rules: firewallRules(["203.0.113.7/32", "198.51.100.0/24"]) });
        const updated = await provider.update!(created.id, drifted, wider);
        expect(
            fake.calls("DELETE", `/firewall/groups/${created.id}/rules/${panelRule}`),
        ).toHaveLength(1);
        expect([...group.rules.values()].map((rule) => ruleKey(rule as never)).sort()).toEqual(
            wider.rules.map(ruleKey).sort(),
        );
        expect(Object.keys((updated.outs as FirewallGroupOutputs).ruleIds)).toHaveLength(8);

        await provider.delete!(created.id, updated.outs);
        expect(fake.groups.has(created.id)).toBe(false);
        expect(await provider.read!(created.id, outs)).toEqual({});
    });

    it("keeps the group id in state when a rule fails after the group exists", async () => {
        const provider = firewallGroupProvider(fakeOptions(fake));
        fake.failNext("POST", /\/rules$/, {
            status: 400,
            body: { status_code: 400, error_code: "bad_request", message: "cidr is invalid" },
        });
        const error = await rejection(provider.create(inputs({ name: "partial" })));
        expect(typeof error.id).toBe("string");
        expect(fake.groups.has(error.id as string)).toBe(true);
        expect(error.message).toContain("cidr is invalid");
    });

    it("refuses, before any API call, a rule whose protocol is of the other address family", async () => {
        const provider = firewallGroupProvider(fakeOptions(fake));
        const before = fake.requests.length;
        const wrong = inputs({
            rules: [
                { direction: "egress", protocol: "tcp", cidr: "::/0" },
                { direction: "ingress", protocol: "tcp6", port: "22", cidr: "203.0.113.7/32" },
            ],
        });
        const checked = await provider.check!({}, wrong);
        expect(checked.failures?.map((failure) => failure.reason)).toEqual([
            "rule egress tcp ::/0: ::/0 is IPv6, so the protocol must be tcp6",
            "rule ingress tcp6 203.0.113.7/32: 203.0.113.7/32 is IPv4, so the protocol must be tcp",
        ]);
        expect(fake.requests.length).toBe(before);
        // The API itself answers such a rule with 400 (fake-timeweb-api.ts, rules).
        const error = await rejection(provider.create(wrong));
        expect(error.message).toContain("does not match the address family");
    });

    it("replaces only when the policy changes", () => {
        const olds: FirewallGroupOutputs = { ...inputs(), token: "t", ruleIds: {} };
        expect(diffFirewallGroup(olds, { ...olds })).toEqual({ changes: false, replaces: [] });
        expect(diffFirewallGroup(olds, { ...olds, policy: "ACCEPT" })).toEqual({
            changes: true,
            replaces: ["policy"],
        });
        expect(diffFirewallGroup(olds, { ...olds, name: "x" })).toEqual({
            changes: true,
            replaces: [],
        });
        expect(diffFirewallGroup(olds, { ...olds, rules: [...olds.rules].reverse() }).changes).toBe(
            false,
        );
        expect(diffFirewallGroup(olds, { ...olds, rules: olds.rules.slice(1) })).toEqual({
            changes: true,
            replaces: [],
        });
    });
});
