import { generateKeyPairSync } from "node:crypto";
import { parseStackConfig, type StackConfig } from "../../components/config/config";
import type { RuntimeValues } from "../../components/plan/runtime-values";

/** An ed25519 public key line generated for the test run (never a real key). */
export function fakePublicKey(comment = "test@example"): string {
    const { publicKey } = generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    const type = Buffer.from("ssh-ed25519");
    const blob = Buffer.concat([u32(type.length), type, u32(raw.length), raw]);
    return `ssh-ed25519 ${blob.toString("base64")} ${comment}`;
}

function u32(value: number): Buffer {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(value);
    return buffer;
}

export const BOT = "mpcabinet-picture-bot";
export const SECOND_BOT = "second-bot";

/** The minimal raw stack config (plain object with the stack config's keys). */
export function rawConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        host: "203.0.113.10",
        botApi: { apiId: 1234567 },
        bots: [{ name: BOT, schema: "mpcabinet" }],
        ...overrides,
    };
}

export function stackConfig(overrides: Record<string, unknown> = {}): StackConfig {
    return parseStackConfig(rawConfig(overrides));
}

export function twoBotConfig(): StackConfig {
    return stackConfig({
        bots: [
            { name: BOT, schema: "mpcabinet" },
            { name: SECOND_BOT, schema: "second_bot", env: { FEATURE_FLAG: "on" } },
        ],
    });
}

/** Runtime values with obviously fake secrets; `variant` makes a second, different set. */
export function runtimeFor(config: StackConfig, variant = "a"): RuntimeValues {
    const perBot = (make: (name: string, index: number) => string) =>
        Object.fromEntries(config.bots.map((bot, index) => [bot.name, make(bot.name, index)]));
    return {
        postgresPassword: `FakePostgresPassword${variant}0123456789`,
        botApiHash: `fakeapihash${variant}0123456789abcdef`,
        botTokens: perBot(
            (_name, index) => `10000${index}:FAKE-token-${variant}-abcdefghijklmnopqrstuvw`,
        ),
        botImages: perBot((_name, index) => `sha256:${String(index).repeat(64)}`),
    };
}
