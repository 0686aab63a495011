import { describe, expect, it } from "vitest";
import { planProvisioning } from "../../../components/plan/plan";
import { changedStepIds, changedSteps } from "../../../components/plan/plan-changes";
import { makeStep, type Step } from "../../../components/plan/step";
import {
    BOT,
    fakePublicKey,
    runtimeFor,
    SECOND_BOT,
    stackConfig,
    twoBotConfig,
} from "../../helpers/stack-fixtures";

const step = (id: string, stdin: string): Step =>
    makeStep({ id, description: id, script: "echo CHANGED", stdin, secret: false });

describe("changedSteps (Pulumi's replace-on-trigger)", () => {
    it("returns, in the new plan's order, the steps whose trigger changed or that are new", () => {
        const before = [step("a", "1"), step("b", "1"), step("c", "1")];
        const after = [step("a", "1"), step("new", "1"), step("b", "2"), step("c", "1")];
        expect(changedSteps(before, after).map((s) => s.id)).toEqual(["new", "b"]);
        expect(changedSteps(before, after)[1]).toBe(after[2]);
    });

    it("runs nothing for an identical plan and nothing for a step that was only removed", () => {
        const before = [step("a", "1"), step("b", "1")];
        expect(changedSteps(before, before)).toEqual([]);
        expect(changedSteps(before, [step("a", "1")])).toEqual([]);
    });

    it("runs everything on a first apply", () => {
        const plan = [step("a", "1"), step("b", "1")];
        expect(changedStepIds([], plan)).toEqual(["a", "b"]);
    });
});

describe("what each rotation re-runs (the real plan, two bots)", () => {
    const config = twoBotConfig();
    const base = runtimeFor(config);
    const before = planProvisioning(config, base);
    const rerun = (next: Step[]) => changedStepIds(before, next);

    it("a bot token: that bot's env file, then compose up; nothing of the other bot", () => {
        const runtime = { ...base, botTokens: { ...base.botTokens, [BOT]: "100000:NEW-token-x" } };
        expect(rerun(planProvisioning(config, runtime))).toEqual([`stack-env-${BOT}`, "stack-up"]);
    });

    it("the Postgres password: ALTER ROLE before the bots' env files, then compose up", () => {
        const runtime = { ...base, postgresPassword: "RotatedPostgresPassword0123456789" };
        expect(rerun(planProvisioning(config, runtime))).toEqual([
            "stack-env-postgres-password",
            "stack-postgres-password",
            `stack-env-${BOT}`,
            `stack-env-${SECOND_BOT}`,
            "stack-up",
        ]);
    });

    it("the Postgres password never touches postgres's own env file or its up step", () => {
        const runtime = { ...base, postgresPassword: "RotatedPostgresPassword0123456789" };
        const ids = rerun(planProvisioning(config, runtime));
        expect(ids).not.toContain("stack-env-postgres");
        expect(ids).not.toContain("stack-postgres-up");
        expect(ids).not.toContain("stack-compose-file");
    });

    it("the Telegram API hash and id: the Bot API env file, then compose up", () => {
        const runtime = { ...base, botApiHash: "rotatedapihash0123" };
        expect(rerun(planProvisioning(config, runtime))).toEqual([
            "stack-env-telegram-bot-api",
            "stack-up",
        ]);
        const newId = stackConfig({
            bots: config.bots.map((bot) => ({ name: bot.name, schema: bot.schema, env: bot.env })),
            botApi: { apiId: 7654321 },
        });
        const ids = changedStepIds(planProvisioning(newId, base), planProvisioning(newId, runtime));
        expect(ids).toEqual(["stack-env-telegram-bot-api", "stack-up"]);
    });

    it("an operator key: only the operator-keys step", () => {
        const oldKey = fakePublicKey("old@laptop");
        const newKey = fakePublicKey("new@laptop");
        const one = stackConfig({ operatorKeys: [oldKey] });
        const two = stackConfig({ operatorKeys: [oldKey, newKey] });
        const runtime = runtimeFor(one);
        const plans = [one, two, stackConfig({ operatorKeys: [newKey] })].map((c) =>
            planProvisioning(c, runtime),
        );
        expect(changedStepIds(plans[0]!, plans[1]!)).toEqual(["operator-keys"]);
        expect(changedStepIds(plans[1]!, plans[2]!)).toEqual(["operator-keys"]);
    });
});
