import { describe, expect, it } from "vitest";
import { parseStack } from "../../components/config/config";
import { planProvisioning } from "../../components/plan/plan";
import { placeholderRuntime } from "../../components/plan/runtime-values";

const BASE = {
    host: "203.0.113.10",
    botApi: { apiId: 12345 },
    bots: [{ name: "mpcabinet-picture-bot", schema: "mpcabinet" }],
};
const S3 = { endpoint: "https://s3.twcstorage.ru", bucket: "team-backups" };

describe("operations in the stack config and the provisioning plan", () => {
    it("runs the operations steps after the compose stack is up, and the image pruning last", () => {
        const { config } = parseStack(BASE, {});
        const ids = planProvisioning(config, placeholderRuntime(config)).map((step) => step.id);
        expect(ids.slice(-3)).toEqual(["operations-secrets", "operations", "prune-images"]);
        const composeSteps = ids.filter((id) => id.endsWith("-up"));
        expect(composeSteps.length).toBeGreaterThan(0);
        const lastCompose = ids.indexOf(composeSteps.at(-1)!);
        expect(lastCompose).toBeLessThan(ids.indexOf("operations-secrets"));
    });

    it("keeps the S3 keys out of the plain config and still plans a preview without them", () => {
        const keys = { accessKeyId: "KEYID0001", secretAccessKey: "not-a-real-secret" };
        const raw = { ...BASE, backups: { s3: { ...S3, ...keys } } };
        const { config, secrets } = parseStack(raw, {});
        expect(JSON.stringify(config)).not.toContain("not-a-real-secret");
        expect(secrets.offsiteKeys).toEqual(keys);
        // Preview plans with placeholders: the scripts are the same as the real plan's.
        const preview = planProvisioning(config, placeholderRuntime(config));
        const real = planProvisioning(config, { ...placeholderRuntime(config), offsiteKeys: keys });
        expect(preview.map((step) => step.script)).toEqual(real.map((step) => step.script));
    });

    it("rejects an unknown key in the operations blocks with the stack's error format", () => {
        const typo = { ...BASE, monitor: { intervalMinutes: 5, alert: {} } };
        expect(() => parseStack(typo, {})).toThrow(/monitor: unknown key\(s\) alert/);
    });
});
