import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseStackConfig, StackConfig } from "../../components/config/config";
import { planProvisioning, RuntimeValues } from "../../components/plan/plan";
import { Step } from "../../components/plan/step";
import { applySteps, StepRecord } from "./applier";
import { buildLocalImages, BuiltImages, localImages } from "./images";
import { TestVps } from "./vps";

/** Stack config overrides for a scenario (e.g. an invalid sshd option). */
export type ConfigOverrides = Record<string, unknown>;

/**
 * The stack config of the test VPS: the defaults (docker.source among them: the default source is
 * the one the tests run), except for what a container needs (no swap: swapon would change the CI
 * machine's swap) and the local images.
 */
export function e2eConfig(vps: TestVps, overrides: ConfigOverrides = {}): StackConfig {
    const publicKey = readFileSync(join(vps.runDir, "id_ed25519.pub"), "utf8").trim();
    const hostKey = readFileSync(join(vps.rootDir, "etc/ssh/ssh_host_ed25519_key.pub"), "utf8")
        .trim()
        .split(" ")
        .slice(0, 2)
        .join(" ");
    return parseStackConfig({
        host: vps.network.vpsAddress,
        hostKey,
        operatorKeys: [publicKey],
        swapSize: "0",
        postgres: { image: localImages.postgres },
        botApi: { image: localImages.fakeBotApi, apiId: 1000001 },
        bots: [{ name: "mpcabinet-picture-bot", schema: "mpcabinet" }],
        ...overrides,
    });
}

/** Obviously fake secrets, new on every run; botImages is filled in once the image is built. */
export function e2eSecrets(config: StackConfig): Omit<RuntimeValues, "botImages"> {
    const hex = () => randomBytes(12).toString("hex");
    return {
        postgresPassword: `e2e${randomBytes(18).toString("hex")}`,
        botApiHash: `e2efakeapihash${hex()}`,
        botTokens: Object.fromEntries(
            config.bots.map((bot, index) => [
                bot.name,
                `${100000001 + index}:e2e-fake-token-${hex()}`,
            ]),
        ),
    };
}

const withImages = (
    config: StackConfig,
    secrets: Omit<RuntimeValues, "botImages">,
    id: string,
) => ({
    ...secrets,
    botImages: Object.fromEntries(config.bots.map((bot) => [bot.name, id])),
});

/**
 * How many leading steps do not depend on the bot images: the plan is computed with two
 * different image ids and compared step by step. Those steps (bootstrap, Docker, ...) run
 * before the images can be built in the VPS's Docker; the rest after.
 */
export function imageIndependentPrefix(
    config: StackConfig,
    secrets: Omit<RuntimeValues, "botImages">,
) {
    const a = planProvisioning(config, withImages(config, secrets, `sha256:${"a".repeat(64)}`));
    const b = planProvisioning(config, withImages(config, secrets, `sha256:${"b".repeat(64)}`));
    const index = a.findIndex((step, i) => step.trigger !== b[i]?.trigger);
    return {
        steps: a.slice(0, index === -1 ? a.length : index),
        count: index === -1 ? a.length : index,
    };
}

export interface Provisioned {
    readonly config: StackConfig;
    readonly runtime: RuntimeValues;
    readonly plan: readonly Step[];
    readonly records: StepRecord[];
    readonly images: BuiltImages;
}

/**
 * First apply on a fresh VPS: the image-independent steps, then the local images (inside the
 * VPS, whose Docker the steps just installed), then the rest of the real plan.
 */
export async function provision(
    vps: TestVps,
    log: (line: string) => void = () => undefined,
    overrides: ConfigOverrides = {},
): Promise<Provisioned> {
    const config = e2eConfig(vps, overrides);
    const secrets = e2eSecrets(config);
    const connect = () => vps.session();
    const report = (record: StepRecord) =>
        log(
            `${record.id.padEnd(34)} ${record.outcome.padEnd(9)} ${(record.durationMs / 1000).toFixed(1)} s`,
        );
    const prefix = imageIndependentPrefix(config, secrets);
    const records = await applySteps(connect, prefix.steps, report);

    log("building the local images inside the VPS");
    const session = await vps.session();
    const images = await buildLocalImages(
        session,
        config.bots.map((bot) => bot.name),
        vps,
    ).finally(() => session.close());
    for (const [name, ms] of Object.entries(images.durationsMs))
        log(`image ${name.padEnd(28)} ${(ms / 1000).toFixed(1)} s`);

    const runtime = {
        ...secrets,
        botImages: images.botImages,
        botBaseImages: images.botBaseImages,
    };
    const plan = planProvisioning(config, runtime);
    plan.slice(0, prefix.count).forEach((step, i) => {
        if (step.trigger !== prefix.steps[i]?.trigger) {
            throw new Error(
                `step ${step.id} changed when only the bot image changed; the split is wrong`,
            );
        }
    });
    records.push(...(await applySteps(connect, plan.slice(prefix.count), report)));
    return { config, runtime, plan, records, images };
}

/** Applies the whole plan again (idempotency, reboot checks). */
export function reapply(
    vps: TestVps,
    plan: readonly Step[],
    log: (line: string) => void = () => undefined,
) {
    return applySteps(
        () => vps.session(),
        plan,
        (record) =>
            log(
                `${record.id.padEnd(34)} ${record.outcome.padEnd(9)} ${(record.durationMs / 1000).toFixed(1)} s`,
            ),
    );
}
