import type { StackConfig } from "../config/config";
import type { OffsiteKeys } from "../config/operations-config";

/** Values Pulumi only knows at run time; they reach the host through stdin, never scripts. */
export interface RuntimeValues {
    readonly postgresPassword: string;
    readonly botApiHash: string;
    /** Bot name -> BotFather token. */
    readonly botTokens: Readonly<Record<string, string>>;
    /** Bot name -> image id (`sha256:...`) or an image reference. */
    readonly botImages: Readonly<Record<string, string>>;
    /**
     * Bot name -> the images its Dockerfile builds FROM (see dockerfileBaseImages). The image
     * pruning keeps them, so the next build does not pull its base again.
     */
    readonly botBaseImages?: Readonly<Record<string, readonly string[]>>;
    /** S3 keys of the off-site backup copy (only when backups.s3 is configured). */
    readonly offsiteKeys?: OffsiteKeys;
}

const PASSWORD = /^[A-Za-z0-9]{16,128}$/;
const API_HASH = /^[A-Za-z0-9]{1,64}$/;
const TOKEN = /^[0-9]{1,20}:[A-Za-z0-9_-]{1,100}$/;
const IMAGE = /^(sha256:[0-9a-f]{64}|[a-z0-9][a-z0-9._/:@-]*)$/;
/** A reference as a Dockerfile's FROM may spell it (tags may hold capitals); one word. */
const BASE_IMAGE = /^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/;

/**
 * Values that parse as real ones, for computing the plan before Pulumi knows the real values
 * (preview). Scripts never depend on runtime values, so they equal the real plan's scripts.
 */
export function placeholderRuntime(config: StackConfig): RuntimeValues {
    const perBot = (value: string) =>
        Object.fromEntries(config.bots.map((bot) => [bot.name, value]));
    return {
        postgresPassword: "placeholderPostgresPassword0",
        botApiHash: "placeholderApiHash",
        botTokens: perBot("0:placeholder-token"),
        botImages: perBot(`sha256:${"0".repeat(64)}`),
        ...(config.backups.s3 === undefined
            ? {}
            : {
                  offsiteKeys: {
                      accessKeyId: "placeholderKeyId",
                      secretAccessKey: "placeholderSecret",
                  },
              }),
    };
}

/** Throws, listing every problem (never a value), when runtime values cannot be rendered safely. */
export function checkRuntime(config: StackConfig, runtime: RuntimeValues): void {
    const problems: string[] = [];
    if (!PASSWORD.test(runtime.postgresPassword)) {
        problems.push(
            "postgresPassword must be 16-128 letters and digits (RandomPassword special: false)",
        );
    }
    if (!API_HASH.test(runtime.botApiHash)) problems.push("botApiHash must be letters and digits");
    for (const bot of config.bots) {
        const token = runtime.botTokens[bot.name];
        const image = runtime.botImages[bot.name];
        if (token === undefined || !TOKEN.test(token)) {
            problems.push(`botTokens["${bot.name}"] is missing or not a BotFather token`);
        }
        if (image === undefined || !IMAGE.test(image)) {
            problems.push(`botImages["${bot.name}"] is missing or not an image id/reference`);
        }
        for (const base of runtime.botBaseImages?.[bot.name] ?? []) {
            if (!BASE_IMAGE.test(base)) {
                problems.push(
                    `botBaseImages["${bot.name}"] holds "${base}", not an image reference`,
                );
            }
        }
    }
    if (problems.length > 0) {
        const list = problems.join("\n  - ");
        throw new Error(`invalid runtime values for the provisioning plan:\n  - ${list}`);
    }
}
