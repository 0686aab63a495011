import { z } from "zod";
import {
    operationsConfigShape,
    splitOperationsSecrets,
    type OffsiteKeys,
    type OperationsConfig,
} from "./operations-config";
import { timewebConfigSchema } from "./timeweb/config";

/**
 * The stack configuration: one zod schema over the same keys as the Pulumi stack config
 * (`pulumi config set ...`). Secrets are checked for presence and shape only, and never end up in
 * `StackConfig`: they reach the program as secret Outputs (components/stack-config.ts) or, in the
 * end-to-end tests, as plain `RuntimeValues`. Error messages never echo a value.
 */

const SET = "pulumi config set";
const SET_PATH = "pulumi config set --path";

const NAME = /^[a-z][a-z0-9-]{0,40}[a-z0-9]$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const MEMORY = /^[1-9][0-9]*[kmg]$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Env file values are written unquoted (compose v1 keeps quotes literally): keep them plain. */
const ENV_VALUE = /^[^\n\r"'`$\\]*$/;
/** Host key types the hardened sshd still offers (HostKeyAlgorithms drops ECDSA). */
const HOST_KEY = /^(ssh-ed25519|ssh-rsa) [A-Za-z0-9+/]+={0,2}$/;
const PUBLIC_KEY =
    /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}( [^\n\r]*)?$/;
const CIDR = /^(any|(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/;
const RESERVED_SERVICES = new Set(["postgres", "telegram-bot-api"]);
/** sshd options whose hardened values guard against lock-out or are set from other keys. */
const MANAGED_SSHD_OPTIONS = new Set(
    [
        "PasswordAuthentication",
        "KbdInteractiveAuthentication",
        "ChallengeResponseAuthentication",
        "PermitEmptyPasswords",
        "PubkeyAuthentication",
        "AuthenticationMethods",
        "PermitRootLogin",
        "Port",
        "Subsystem",
        "Include",
        "Match",
    ].map((name) => name.toLowerCase()),
);
/** Bot env keys the stack sets itself; config must not override them. */
const MANAGED_BOT_ENV = new Set([
    "BOT_TOKEN",
    "TELEGRAM_API_BASE_URL",
    "TELEGRAM_API_LOCAL",
    "DATABASE_URL",
    "DB_SCHEMA",
    "HLS_MAX_VIDEO_SIZE_MB",
    "HLS_TEMP_DIR",
]);

/** A string field whose messages say how to set it; `undefined` input reads as "required". */
function text(fix: string) {
    return z.string({
        error: (issue) =>
            issue.input === undefined ? `required: ${fix}` : `must be a string: ${fix}`,
    }).min(1, { error: `must not be empty: ${fix}` });
}

function object<T extends z.ZodRawShape>(shape: T, fix: string) {
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown key(s) ${issue.keys.join(", ")}: check the spelling (${fix})`
                : issue.input === undefined
                  ? `required: ${fix}`
                  : `must be an object: ${fix}`,
    });
}

const sshdSchema = object(
    {
        extraOptions: z
            .record(
                z.string(),
                z.string().regex(/^[^\n\r#]+$/, {
                    error: "sshd option values must be one line without '#'",
                }),
            )
            .superRefine(checkKeys(
                /^[A-Z][A-Za-z0-9]*$/,
                (name) =>
                    MANAGED_SSHD_OPTIONS.has(name.toLowerCase())
                        ? "is set by the hardening itself (keys-only login, sshPort, sftp) and cannot be overridden; remove it from sshd.extraOptions"
                        : undefined,
                "sshd option names are single words like AllowTcpForwarding",
            ))
            .default({}),
    },
    `${SET_PATH} sshd.extraOptions.AllowTcpForwarding local`,
);

const unattendedSchema = object(
    {
        automaticReboot: z
            .boolean({ error: `must be true or false: ${SET_PATH} unattendedUpgrades.automaticReboot false` })
            .default(true),
        rebootTime: z
            .string()
            .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, {
                error: `must be HH:MM in the server's timezone: ${SET_PATH} unattendedUpgrades.rebootTime 04:00`,
            })
            .default("04:00"),
    },
    `${SET_PATH} unattendedUpgrades.automaticReboot true`,
);

const dockerSchema = object(
    {
        source: z
            .enum(["docker-ce", "distro"], {
                error: `must be docker-ce (Docker's apt repository) or distro (the distribution's docker.io): ${SET_PATH} docker.source docker-ce`,
            })
            .default("docker-ce"),
        logMaxSize: z
            .string()
            .regex(/^[1-9][0-9]*[kmg]$/, {
                error: `must be a size like 10m: ${SET_PATH} docker.logMaxSize 10m`,
            })
            .default("10m"),
        logMaxFiles: z
            .number({ error: `must be a whole number: ${SET_PATH} docker.logMaxFiles 3` })
            .int({ error: `must be a whole number: ${SET_PATH} docker.logMaxFiles 3` })
            .min(1, { error: `must be 1 to 20: ${SET_PATH} docker.logMaxFiles 3` })
            .max(20, { error: `must be 1 to 20: ${SET_PATH} docker.logMaxFiles 3` })
            .default(3),
    },
    `${SET_PATH} docker.source distro`,
);

const memLimit = (key: string, fallback: string) =>
    z
        .string()
        .regex(MEMORY, { error: `must be a size like 512m: ${SET_PATH} ${key} ${fallback}` })
        .default(fallback);

const image = (key: string, fallback: string) =>
    z
        .string()
        .regex(IMAGE_REF, { error: `must be an image reference: ${SET_PATH} ${key} ${fallback}` })
        .refine((ref) => /(:[^/]+|@sha256:[0-9a-f]{64})$/.test(ref) && !ref.endsWith(":latest"), {
            error: `must be pinned to an exact tag or digest (not :latest): ${SET_PATH} ${key} ${fallback}`,
        })
        .default(fallback);

export const DEFAULT_POSTGRES_IMAGE = "postgres:16.10-alpine";
export const DEFAULT_BOT_API_IMAGE = "aiogram/telegram-bot-api:9.2";

const postgresSchema = object(
    {
        image: image("postgres.image", DEFAULT_POSTGRES_IMAGE),
        db: z
            .string()
            .regex(SQL_IDENTIFIER, {
                error: `must be a lower-case SQL identifier: ${SET_PATH} postgres.db telegram_ecosystem`,
            })
            .default("telegram_ecosystem"),
        user: z
            .string()
            .regex(SQL_IDENTIFIER, {
                error: `must be a lower-case SQL identifier: ${SET_PATH} postgres.user telegram_admin`,
            })
            .default("telegram_admin"),
        passwordVersion: z
            .number({ error: `must be a whole number: ${SET_PATH} postgres.passwordVersion 2` })
            .int({ error: `must be a whole number: ${SET_PATH} postgres.passwordVersion 2` })
            .min(1, { error: `must be 1 or more: ${SET_PATH} postgres.passwordVersion 1` })
            .default(1),
        memLimit: memLimit("postgres.memLimit", "512m"),
        shmSize: memLimit("postgres.shmSize", "128m"),
    },
    `${SET_PATH} postgres.db telegram_ecosystem`,
);

function botApiSchema(requireSecrets: boolean) {
    const hash = z.string().regex(/^[A-Za-z0-9]{16,64}$/, {
        error: "must be the api_hash from my.telegram.org (letters and digits): pulumi config set --secret --path botApi.apiHash",
    });
    return object(
        {
            image: image("botApi.image", DEFAULT_BOT_API_IMAGE),
            apiId: z
                .number({
                    error: (issue) =>
                        issue.input === undefined
                            ? `required: ${SET_PATH} botApi.apiId <api_id from my.telegram.org>`
                            : `must be a number: ${SET_PATH} botApi.apiId <api_id from my.telegram.org>`,
                })
                .int({ error: `must be a whole number: ${SET_PATH} botApi.apiId <api_id>` })
                .positive({ error: `must be positive: ${SET_PATH} botApi.apiId <api_id>` }),
            apiHash: requireSecrets
                ? z.string({
                      error: "required (secret): pulumi config set --secret --path botApi.apiHash <api_hash>",
                  }).pipe(hash)
                : hash.optional(),
            memLimit: memLimit("botApi.memLimit", "256m"),
        },
        `${SET_PATH} botApi.apiId <api_id>`,
    );
}

function botSchema(requireSecrets: boolean) {
    const fix = (field: string, example: string) => `${SET_PATH} 'bots[N].${field}' ${example}`;
    const token = z.string().regex(/^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$/, {
        error: "must be a BotFather token (digits:letters): pulumi config set --secret --path 'bots[N].token' <token>",
    });
    return object(
        {
            name: z.string({ error: `required: ${fix("name", "mpcabinet-picture-bot")}` }).regex(NAME, {
                error: `must be kebab-case (a-z, 0-9, -; 2-42 chars): ${fix("name", "mpcabinet-picture-bot")}`,
            }),
            schema: z.string({ error: `required: ${fix("schema", "mpcabinet")}` }).regex(SQL_IDENTIFIER, {
                error: `must be a lower-case SQL identifier: ${fix("schema", "mpcabinet")}`,
            }),
            token: requireSecrets
                ? z.string({
                      error: "required (secret): pulumi config set --secret --path 'bots[N].token' <token>",
                  }).pipe(token)
                : token.optional(),
            buildContext: z
                .string()
                .regex(/^[A-Za-z0-9._/-]+$/, {
                    error: `must be a directory relative to the project: ${fix("buildContext", "bot")}`,
                })
                .default("bot"),
            env: z
                .record(
                    z.string(),
                    z.string().regex(ENV_VALUE, {
                        error: "env values must be one line without quotes, $, ` or backslashes",
                    }),
                )
                .superRefine(checkKeys(ENV_NAME, (name) =>
                    MANAGED_BOT_ENV.has(name)
                        ? `is set by the stack itself; remove it from bots[N].env (${[...MANAGED_BOT_ENV].join(", ")})`
                        : undefined,
                    "env names must be UPPER_SNAKE_CASE",
                ))
                .default({}),
            memLimit: memLimit("bots[N].memLimit", "512m"),
        },
        fix("name", "mpcabinet-picture-bot"),
    );
}

function stackSchema(requireSecrets: boolean) {
    return object(
        {
            host: text(`${SET} host <VPS IPv4>`).regex(/^[A-Za-z0-9.:-]+$/, {
                error: `must be an IP address or host name: ${SET} host <VPS IPv4>`,
            }),
            sshPort: z
                .number({ error: `must be a port number: ${SET} sshPort 22` })
                .int({ error: `must be a port number: ${SET} sshPort 22` })
                .min(1, { error: `must be 1-65535: ${SET} sshPort 22` })
                .max(65535, { error: `must be 1-65535: ${SET} sshPort 22` })
                .default(22),
            sshUser: z
                .literal("root", {
                    error: `only root is supported (the steps install packages and write /etc): ${SET} sshUser root`,
                })
                .default("root"),
            sshPrivateKey: z
                .string()
                .regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, {
                    error: "must be a PEM/OpenSSH private key: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519 (or unset it to use ssh-agent)",
                })
                .optional(),
            hostKey: z
                .string()
                .regex(HOST_KEY, {
                    error: "must be the server's ssh-ed25519 (or ssh-rsa) host key as `<type> <base64>`: npm run trust-host -- <host>",
                })
                .optional(),
            operatorKeys: z
                .array(
                    z.string().regex(PUBLIC_KEY, {
                        error: "must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)",
                    }),
                    { error: `must be a list: ${SET_PATH} 'operatorKeys[0]' "$(cat ~/.ssh/id_ed25519.pub)"` },
                )
                .default([]),
            sshAllowFrom: z
                .array(
                    z.string().regex(CIDR, { error: "must be `any`, an IP address or a CIDR like 203.0.113.0/24" }),
                    { error: `must be a list: ${SET_PATH} 'sshAllowFrom[0]' 203.0.113.7/32` },
                )
                .min(1, { error: `must not be empty (that would lock SSH out): ${SET_PATH} 'sshAllowFrom[0]' any` })
                .default(["any"]),
            timezone: z
                .string()
                .regex(/^(UTC|[A-Z][A-Za-z_-]+(\/[A-Z0-9][A-Za-z0-9_+-]+){1,2})$/, {
                    error: `must be an IANA zone like Europe/Moscow: ${SET} timezone Europe/Moscow`,
                })
                .default("Europe/Moscow"),
            swapSize: z
                .string()
                .regex(/^(0|[1-9][0-9]*[MG])$/, {
                    error: `must be a size like 2G or 512M, or 0 for no swap: ${SET} swapSize 2G`,
                })
                .default("2G"),
            unattendedUpgrades: unattendedSchema.default({ automaticReboot: true, rebootTime: "04:00" }),
            docker: dockerSchema.default({ source: "docker-ce", logMaxSize: "10m", logMaxFiles: 3 }),
            sshd: sshdSchema.default({ extraOptions: {} }),
            stackDir: z
                .string()
                .regex(/^\/[A-Za-z0-9._/-]+[^/]$/, {
                    error: `must be an absolute path: ${SET} stackDir /opt/telegram-ecosystem`,
                })
                .default("/opt/telegram-ecosystem"),
            postgres: postgresSchema.default(postgresSchema.parse({})),
            botApi: botApiSchema(requireSecrets),
            ...operationsConfigShape(requireSecrets),
            /** Creating the VPS through the Timeweb API (components/timeweb). */
            timeweb: timewebConfigSchema.optional(),
            bots: z
                .array(botSchema(requireSecrets), {
                    error: (issue) =>
                        issue.input === undefined
                            ? `required: ${SET_PATH} 'bots[0].name' mpcabinet-picture-bot (and schema, token)`
                            : `must be a list of bots: ${SET_PATH} 'bots[0].name' mpcabinet-picture-bot`,
                })
                .min(1, { error: `needs at least one bot: ${SET_PATH} 'bots[0].name' mpcabinet-picture-bot` })
                .superRefine(checkBotsUnique),
        },
        `${SET} host <VPS IPv4>`,
    );
}

/** Checks record keys with a message on the key's own path (zod's record key errors are vague). */
function checkKeys(
    pattern: RegExp,
    problem: (key: string) => string | undefined,
    patternMessage?: string,
) {
    return (record: Readonly<Record<string, string>>, ctx: z.RefinementCtx): void => {
        for (const key of Object.keys(record)) {
            const message = pattern.test(key) ? problem(key) : (patternMessage ?? problem(key));
            if (message !== undefined) ctx.addIssue({ code: "custom", path: [key], message });
        }
    };
}

function checkBotsUnique(bots: readonly { name: string; schema: string }[], ctx: z.RefinementCtx): void {
    const names = new Set<string>();
    const schemas = new Set<string>(["shared", "public"]);
    bots.forEach((bot, index) => {
        if (RESERVED_SERVICES.has(bot.name) || names.has(bot.name)) {
            ctx.addIssue({
                code: "custom",
                path: [index, "name"],
                message: "must be unique and not postgres or telegram-bot-api: choose another bot name",
            });
        }
        if (schemas.has(bot.schema)) {
            ctx.addIssue({
                code: "custom",
                path: [index, "schema"],
                message: "must be unique and not shared or public: give every bot its own schema",
            });
        }
        names.add(bot.name);
        schemas.add(bot.schema);
    });
}

type ParsedStack = z.infer<ReturnType<typeof stackSchema>>;

/** The validated, non-secret stack configuration with every default filled in. */
export type StackConfig = Omit<
    ParsedStack,
    "sshPrivateKey" | "botApi" | "bots" | keyof OperationsConfig
> &
    OperationsConfig & {
        readonly botApi: Omit<ParsedStack["botApi"], "apiHash">;
        readonly bots: readonly BotConfig[];
    };
export type BotConfig = Omit<ParsedStack["bots"][number], "token">;

/** The secret part of the stack config, as plain strings (the loader wraps them as secrets). */
export interface StackSecrets {
    readonly sshPrivateKey?: string;
    readonly botApiHash: string;
    readonly botTokens: Readonly<Record<string, string>>;
    /** S3 keys of the off-site backup copy, when configured. */
    readonly offsiteKeys?: OffsiteKeys;
}

/** Thrown for invalid config; the message lists every bad key and its fix. */
export class StackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
                problems.map((problem) => `  - ${problem}`).join("\n") +
                "\nFix the keys above (pulumi config set ...) and run the command again.",
        );
        this.name = "StackConfigError";
    }
}

export interface ParseOptions {
    /** Require the secret keys (botApi.apiHash, bots[].token): true for a real Pulumi run. */
    readonly requireSecrets?: boolean;
    /** Require hostKey (pinned host key): true for `pulumi up`. */
    readonly requireHostKey?: boolean;
}

/** Parses a plain object with the stack config's keys; secrets are optional and dropped. */
export function parseStackConfig(raw: unknown): StackConfig {
    return parseStack(raw, {}).config;
}

/** Parses config and secrets together, failing once with every problem listed. */
export function parseStack(
    raw: unknown,
    options: ParseOptions,
): { config: StackConfig; secrets: Partial<StackSecrets> } {
    const result = stackSchema(options.requireSecrets ?? false).safeParse(raw);
    const problems = result.success ? [] : result.error.issues.map(formatIssue);
    const rawHostKey = typeof raw === "object" && raw !== null ? (raw as { hostKey?: unknown }).hostKey : undefined;
    if (options.requireHostKey && rawHostKey === undefined) {
        problems.push(
            "hostKey: required for `pulumi up` (it pins the server's identity): npm run trust-host -- <host>",
        );
    }
    if (!result.success || problems.length > 0) throw new StackConfigError(problems);
    const { sshPrivateKey, botApi, bots, backups, monitor, journald, ...rest } = result.data;
    const operations = splitOperationsSecrets({ backups, monitor, journald });
    const { apiHash, ...botApiRest } = botApi;
    const tokens: Record<string, string> = {};
    const botConfigs = bots.map(({ token, ...bot }) => {
        if (token !== undefined) tokens[bot.name] = token;
        return bot;
    });
    return {
        config: { ...rest, ...operations.config, botApi: botApiRest, bots: botConfigs },
        secrets: {
            ...(operations.offsiteKeys === undefined ? {} : { offsiteKeys: operations.offsiteKeys }),
            ...(sshPrivateKey === undefined ? {} : { sshPrivateKey }),
            ...(apiHash === undefined ? {} : { botApiHash: apiHash }),
            botTokens: tokens,
        },
    };
}

function formatIssue(issue: z.core.$ZodIssue): string {
    const key = issue.path
        .map((part, index) =>
            typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
        )
        .join("");
    return `${key === "" ? "(config)" : key}: ${issue.message}`;
}
