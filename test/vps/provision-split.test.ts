import { describe, expect, it } from "vitest";
import { parseStackConfig } from "../../components/config/config";
import { planGroups } from "../../components/plan/plan";
import { imageIndependentPrefix } from "./provision";

// The e2e applier runs the steps that do not depend on the bot image, builds the image in the
// VPS, then runs the rest. These checks keep that split honest without a VPS.

const config = parseStackConfig({
    host: "10.200.1.2",
    swapSize: "0",
    docker: { source: "distro" },
    postgres: { image: "e2e/postgres:local" },
    botApi: { image: "e2e/fake-bot-api:1", apiId: 1000001 },
    bots: [{ name: "mpcabinet-picture-bot", schema: "mpcabinet" }],
});
const secrets = {
    postgresPassword: "e2eUnitTestPassword0000",
    botApiHash: "e2efakeapihash0000",
    botTokens: { "mpcabinet-picture-bot": "100000001:e2e-fake-token-unit-test" },
};

describe("imageIndependentPrefix", () => {
    it("keeps every bootstrap and Docker step before the image build", () => {
        const { steps } = imageIndependentPrefix(config, secrets);
        const groups = planGroups(config, {
            ...secrets,
            botImages: { "mpcabinet-picture-bot": `sha256:${"c".repeat(64)}` },
        });
        const ids = steps.map((step) => step.id);
        for (const step of [...groups.bootstrap, ...groups.docker]) expect(ids).toContain(step.id);
    });

    it("stops at the first step whose trigger depends on the bot image", () => {
        const { steps, count } = imageIndependentPrefix(config, secrets);
        expect(count).toBe(steps.length);
        expect(steps.map((step) => step.id)).not.toContain("stack-compose-file");
        expect(steps.map((step) => step.id)).not.toContain("stack-up");
    });
});
