import { z } from "zod";

/**
 * Config blocks of the day-2 operations: `backups`, `monitor` and `journald` (keys of the Pulumi
 * stack config, set with `pulumi config set --path ...`). The S3 keys are secrets: they are checked
 * here and then split off by `splitOperationsSecrets`, so they never stay in the plain config.
 */

const SET_PATH = "pulumi config set --path";
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

function strict<T extends z.ZodRawShape>(shape: T, fix: string) {
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown key(s) ${issue.keys.join(", ")}: check the spelling (${fix})`
                : `must be an object: ${fix}`,
    });
}

function wholeNumber(key: string, example: number, min: number, max: number) {
    const message = `must be a whole number from ${min} to ${max}: ${SET_PATH} ${key} ${example}`;
    return z
        .number({ error: message })
        .int({ error: message })
        .min(min, { error: message })
        .max(max, { error: message })
        .default(example);
}

function s3Schema(requireSecrets: boolean) {
    const secret = (key: string) => {
        const fix = `pulumi config set --secret --path backups.s3.${key} <value>`;
        const shape = z.string().regex(S3_KEY, {
            error: `must be the bucket's ${key} (printable, no quotes or backslashes): ${fix}`,
        });
        return requireSecrets
            ? z.string({ error: `required (secret): ${fix}` }).pipe(shape)
            : shape.optional();
    };
    const endpointFix = `${SET_PATH} backups.s3.endpoint https://s3.twcstorage.ru`;
    const bucketFix = `${SET_PATH} backups.s3.bucket <bucket name>`;
    return strict(
        {
            endpoint: z
                .string({ error: `required: ${endpointFix}` })
                .regex(/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/, {
                    error: `must be the endpoint's base URL without a path: ${endpointFix}`,
                }),
            bucket: z
                .string({ error: `required: ${bucketFix}` })
                .regex(BUCKET, { error: `must be an S3 bucket name: ${bucketFix}` }),
            region: z
                .string()
                .regex(/^[a-z0-9-]{2,32}$/, {
                    error: `must be a region name: ${SET_PATH} backups.s3.region ru-1`,
                })
                .default("ru-1"),
            prefix: z
                .string()
                .regex(PREFIX, {
                    error:
                        `must be empty or folder names ending in "/": ` +
                        `${SET_PATH} backups.s3.prefix telegram-ecosystem/`,
                })
                .default("telegram-ecosystem/"),
            accessKeyId: secret("accessKeyId"),
            secretAccessKey: secret("secretAccessKey"),
        },
        `${SET_PATH} backups.s3.bucket <bucket name>`,
    );
}

function backupsSchema(requireSecrets: boolean) {
    return strict(
        {
            time: z
                .string()
                .regex(HH_MM, {
                    error: `must be HH:MM in the stack's timezone: ${SET_PATH} backups.time 03:00`,
                })
                .default("03:00"),
            retentionDays: wholeNumber("backups.retentionDays", 7, 1, 3650),
            s3: s3Schema(requireSecrets).optional(),
        },
        `${SET_PATH} backups.retentionDays 7`,
    );
}

// Group and channel ids are negative: `--` keeps `pulumi config set` from reading one as a flag.
const alertsSchema = strict(
    {
        chatId: z
            .union([z.string(), z.number().int()], {
                error: `required: ${SET_PATH} monitor.alerts.chatId -- <admin chat id>`,
            })
            .transform(String)
            .pipe(
                z.string().regex(CHAT_ID, {
                    error:
                        "must be a numeric chat id or @channelname: " +
                        `${SET_PATH} monitor.alerts.chatId -- -1001234567890`,
                }),
            ),
        bot: z
            .string()
            .regex(BOT_NAME, {
                error:
                    "must be the name of one of the bots: " +
                    `${SET_PATH} monitor.alerts.bot mpcabinet-picture-bot`,
            })
            .optional(),
        apiBaseUrl: z
            .string()
            .regex(/^(local|https?:\/\/[^\s"\\]+[^/\s"\\])$/, {
                error:
                    `must be "local" (the stack's Bot API server) or a base URL like ` +
                    `https://api.telegram.org: ${SET_PATH} monitor.alerts.apiBaseUrl local`,
            })
            .default("local"),
    },
    `${SET_PATH} monitor.alerts.chatId -- <admin chat id>`,
);

const INTERVAL_FIX = `${SET_PATH} monitor.intervalMinutes 5`;
const monitorSchema = strict(
    {
        intervalMinutes: z
            .number({ error: `must be a number of minutes: ${INTERVAL_FIX}` })
            .min(0.25, { error: `must be 0.25 (15 s) to 1440: ${INTERVAL_FIX}` })
            .max(1440, { error: `must be 0.25 (15 s) to 1440: ${INTERVAL_FIX}` })
            .refine((minutes) => Number.isInteger(minutes * 60), {
                error: `must be a whole number of seconds: ${INTERVAL_FIX}`,
            })
            .default(5),
        alerts: alertsSchema.optional(),
    },
    `${SET_PATH} monitor.intervalMinutes 5`,
);

const journaldSchema = strict(
    {
        systemMaxUse: z
            .string()
            .regex(JOURNAL_SIZE, {
                error: `must be a size like 200M: ${SET_PATH} journald.systemMaxUse 200M`,
            })
            .default("200M"),
        systemKeepFree: z
            .string()
            .regex(JOURNAL_SIZE, {
                error: `must be a size like 1G: ${SET_PATH} journald.systemKeepFree 1G`,
            })
            .default("1G"),
    },
    `${SET_PATH} journald.systemMaxUse 200M`,
);

/** The schema fields to spread into the stack config schema. */
export function operationsConfigShape(requireSecrets: boolean) {
    return {
        backups: backupsSchema(requireSecrets).default({ time: "03:00", retentionDays: 7 }),
        monitor: monitorSchema.default({ intervalMinutes: 5 }),
        journald: journaldSchema.default({ systemMaxUse: "200M", systemKeepFree: "1G" }),
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

/** The non-secret operations config, as it sits in StackConfig. */
export interface OperationsConfig {
    readonly backups: BackupsConfig;
    readonly monitor: MonitorConfig;
    readonly journald: JournaldConfig;
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

/** Parses just the operations blocks (tests and tools); the stack schema embeds the same shape. */
export function parseOperationsConfig(raw: unknown, requireSecrets = false) {
    return splitOperationsSecrets(z.object(operationsConfigShape(requireSecrets)).parse(raw));
}
