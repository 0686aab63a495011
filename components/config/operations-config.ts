import { z } from "zod";
import { object } from "./config-schemas";
import { describeIssue } from "./field-docs";

/**
 * Config blocks of the day-2 operations: `backups`, `monitor`, `journald` and `images` (keys of
 * the Pulumi stack config, set with `pulumi config set --path ...`). The S3 keys are secrets: they
 * are checked here and then split off by `splitOperationsSecrets`, so they never stay in the plain
 * config.
 */

const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const JOURNAL_SIZE = /^[1-9][0-9]*[KMG]$/;
/** A bucket name as S3 allows it (lower case, digits, dots, dashes). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
/** Object key prefix: plain path characters, ending in "/" (or empty). */
const PREFIX = /^([A-Za-z0-9._-]+\/)*$/;
/** S3 keys end up in a curl config line: printable ASCII without quotes or backslashes. */
const S3_KEY = /^[\x21\x23-\x5b\x5d-\x7e]{3,128}$/;
const CHAT_ID = /^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$/;
const BOT_NAME = /^[a-z][a-z0-9-]{0,40}[a-z0-9]$/;

function wholeNumber(fallback: number, min: number, max: number, description: string) {
    const message = `must be a whole number from ${min} to ${max}`;
    return z
        .number({ error: message })
        .int({ error: message })
        .min(min, { error: message })
        .max(max, { error: message })
        .default(fallback)
        .meta({ description });
}

function s3Schema(requireSecrets: boolean) {
    const secret = (key: string, what: string, example: string) => {
        const shape = z.string().regex(S3_KEY, {
            error: `must be the bucket's ${key} (printable, no quotes or backslashes)`,
        });
        const field = requireSecrets
            ? z.string({ error: "required (secret)" }).pipe(shape)
            : shape.optional();
        return field.meta({ description: `the bucket's ${what}`, example, secret: true });
    };
    return object({
        endpoint: z
            .string({ error: "required" })
            .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/, {
                error: "must be the endpoint's base URL without a path",
            })
            .meta({
                description: "the S3 endpoint's base URL",
                example: "https://s3.twcstorage.ru",
            }),
        bucket: z
            .string({ error: "required" })
            .regex(BUCKET, { error: "must be an S3 bucket name" })
            .meta({ description: "the bucket", example: "<bucket name>" }),
        region: z
            .string()
            .regex(/^[a-z0-9-]{2,32}$/, { error: "must be a region name" })
            .default("ru-1")
            .meta({ description: "the bucket's region (Timeweb S3: `ru-1`)" }),
        prefix: z
            .string()
            .regex(PREFIX, { error: 'must be empty or folder names ending in "/"' })
            .default("telegram-ecosystem/")
            .meta({ description: "folder of the copies in the bucket" }),
        accessKeyId: secret("accessKeyId", "access key id", "<access key id>"),
        secretAccessKey: secret("secretAccessKey", "secret access key", "<secret access key>"),
    });
}

function backupsSchema(requireSecrets: boolean) {
    return object({
        time: z
            .string()
            .regex(HH_MM, { error: "must be HH:MM in the stack's timezone" })
            .default("03:00")
            .meta({ description: "time of the daily Postgres backup, HH:MM in `timezone`" }),
        retentionDays: wholeNumber(7, 1, 3650, "days a backup is kept"),
        s3: s3Schema(requireSecrets)
            .optional()
            .meta({ description: "an off-site copy of every backup to an S3-compatible bucket" }),
    });
}

const alertsSchema = object({
    chatId: z
        .union([z.string(), z.number().int()], { error: "required" })
        .transform(String)
        .pipe(z.string().regex(CHAT_ID, { error: "must be a numeric chat id or @channelname" }))
        // Group and channel ids are negative: `--` keeps `pulumi config set` from reading one as a flag.
        .meta({
            description: "chat id or @channel the alerts go to",
            example: "-- -1001234567890",
        }),
    bot: z
        .string()
        .regex(BOT_NAME, { error: "must be the name of one of the bots" })
        .optional()
        .meta({
            description: "the bot whose token sends them; unset: the first bot",
            example: "mpcabinet-picture-bot",
        }),
    apiBaseUrl: z
        .string()
        .regex(/^(local|https?:\/\/[^\s"\\]+[^/\s"\\])$/, {
            error: 'must be "local" (the stack\'s Bot API server) or a base URL like https://api.telegram.org',
        })
        .default("local")
        .meta({ description: "Bot API base URL; `local` is the stack's own server" }),
});

/** Defaults for a 2 GB VPS with a 10-30 GB disk. */
export const MONITOR_DEFAULTS = {
    disk: { minFreePercent: 10, minFreeInodesPercent: 10 },
    memory: { minAvailableMb: 200, lowChecks: 3 },
} as const;

const diskSchema = object({
    minFreePercent: wholeNumber(
        MONITOR_DEFAULTS.disk.minFreePercent,
        1,
        99,
        "alert when the root filesystem has less free space than this, in percent",
    ),
    minFreeInodesPercent: wholeNumber(
        MONITOR_DEFAULTS.disk.minFreeInodesPercent,
        1,
        99,
        "alert when the root filesystem has fewer free inodes than this, in percent",
    ),
});

const memorySchema = object({
    minAvailableMb: wholeNumber(
        MONITOR_DEFAULTS.memory.minAvailableMb,
        1,
        1_048_576,
        "alert when available memory stays below this many MB",
    ),
    lowChecks: wholeNumber(
        MONITOR_DEFAULTS.memory.lowChecks,
        1,
        100,
        "consecutive checks memory must be low before the alert",
    ),
});

const monitorSchema = object({
    intervalMinutes: z
        .number({ error: "must be a number of minutes" })
        .min(0.25, { error: "must be 0.25 (15 s) to 1440" })
        .max(1440, { error: "must be 0.25 (15 s) to 1440" })
        .refine((minutes) => Number.isInteger(minutes * 60), {
            error: "must be a whole number of seconds",
        })
        .default(5)
        .meta({ description: "minutes between two health checks" }),
    alerts: alertsSchema
        .optional()
        .meta({ description: "alerts to a Telegram chat when a service fails and recovers" }),
    disk: diskSchema.prefault({}),
    memory: memorySchema.prefault({}),
    /** Pinged after every successful check: an outside service alerts when pings stop. */
    heartbeatUrl: z
        .string()
        .max(2048, { error: "must be at most 2048 characters" })
        .regex(/^https?:\/\/[^\s"\\]+$/, {
            error: "must be an http(s) URL without spaces, quotes or backslashes",
        })
        .optional()
        .meta({
            description:
                "URL pinged after every successful check, so an outside service alerts when the pings stop",
            example: "https://<ping-service>/<check-id>",
            secret: true,
        }),
});

const journaldSchema = object({
    systemMaxUse: z
        .string()
        .regex(JOURNAL_SIZE, { error: "must be a size like 200M" })
        .default("200M")
        .meta({ description: "disk space the journal may use" }),
    systemKeepFree: z
        .string()
        .regex(JOURNAL_SIZE, { error: "must be a size like 1G" })
        .default("1G")
        .meta({ description: "disk space the journal leaves free" }),
});

const imagesSchema = object({
    buildCacheKeepMb: wholeNumber(
        512,
        0,
        102_400,
        "MB of Docker build cache kept when old images are pruned",
    ),
});

/** The schema fields to spread into the stack config schema. */
export function operationsConfigShape(requireSecrets: boolean) {
    return {
        backups: backupsSchema(requireSecrets).prefault({}),
        monitor: monitorSchema.prefault({}),
        images: imagesSchema.prefault({}),
        journald: journaldSchema.prefault({}),
    };
}

type OperationsShape = ReturnType<typeof operationsConfigShape>;
type ParsedOperations = { [K in keyof OperationsShape]: z.infer<OperationsShape[K]> };
type ParsedS3 = NonNullable<ParsedOperations["backups"]["s3"]>;

export type OffsiteConfig = Omit<ParsedS3, "accessKeyId" | "secretAccessKey">;
export type BackupsConfig = Omit<ParsedOperations["backups"], "s3"> & {
    readonly s3?: OffsiteConfig;
};
export type MonitorConfig = ParsedOperations["monitor"];
export type JournaldConfig = ParsedOperations["journald"];
export type ImagesConfig = ParsedOperations["images"];

/** The non-secret operations config, as it sits in StackConfig. */
export interface OperationsConfig {
    readonly backups: BackupsConfig;
    readonly monitor: MonitorConfig;
    readonly journald: JournaldConfig;
    readonly images: ImagesConfig;
}

/** The S3 keys of the off-site copy, kept apart from the plain config. */
export interface OffsiteKeys {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
}

/** Splits the parsed blocks into plain config and the S3 keys (present only when given). */
export function splitOperationsSecrets(parsed: ParsedOperations): {
    config: OperationsConfig;
    offsiteKeys?: OffsiteKeys;
} {
    const { s3, ...backups } = parsed.backups;
    if (s3 === undefined) return { config: { ...parsed, backups } };
    const { accessKeyId, secretAccessKey, ...offsite } = s3;
    const config = { ...parsed, backups: { ...backups, s3: offsite } };
    if (accessKeyId === undefined || secretAccessKey === undefined) return { config };
    return { config, offsiteKeys: { accessKeyId, secretAccessKey } };
}

/**
 * Parses just the operations blocks (tests and tools); the stack schema embeds the same shape.
 * Throws an Error with one `key: problem: fix` line per problem.
 */
export function parseOperationsConfig(raw: unknown, requireSecrets = false) {
    const schema = z.object(operationsConfigShape(requireSecrets));
    const result = schema.safeParse(raw);
    if (!result.success) {
        throw new Error(
            result.error.issues.map((issue) => describeIssue(schema, issue)).join("\n"),
        );
    }
    return splitOperationsSecrets(result.data);
}
