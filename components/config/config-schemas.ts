import { z } from "zod";
import { parsePublicKeyLine, userKeyProblem, type SshPublicKey } from "./ssh-keys";

/**
 * The parts of the stack config schema (components/config/config.ts): patterns, field helpers whose
 * messages say how to fix the key, and the schemas of the nested blocks.
 */

export const SET = "pulumi config set";
export const SET_PATH = "pulumi config set --path";

const NAME = /^[a-z][a-z0-9-]{0,40}[a-z0-9]$/;
const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const MEMORY = /^[1-9][0-9]*[kmg]$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]*$/;
const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
/** Env file values are written unquoted (compose v1 keeps quotes literally): keep them plain. */
const ENV_VALUE = /^[^\n\r"'`$\\]*$/;
/**
 * The pinned host key must be ed25519: @pulumi/command pins a key by offering only its type as
 * host key algorithm, which for RSA is `ssh-rsa` (SHA-1 signatures). The hardened sshd, like any
 * OpenSSH since 8.8, no longer signs with it, so an RSA pin fails every step with "no common
 * algorithm"; ECDSA host keys are not offered at all (HostKeyAlgorithms in the drop-in).
 */
export const HOST_KEY = /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$/;
export const HOST_KEY_FIX =
    "must be the server's ssh-ed25519 host key as `ssh-ed25519 <base64>` (an ssh-rsa pin makes " +
    "every step fail with \"no common algorithm\": the command provider would ask for the SHA-1 " +
    "`ssh-rsa` signature, which the hardened sshd refuses; ECDSA host keys are not offered): " +
    "npm run trust-host -- <host>";
const PUBLIC_KEY_LINE = /^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}( [^\n\r]*)?$/;

/** Why an operatorKeys line cannot be a login key of the hardened sshd, with its fix. */
function operatorKeyProblem(line: string): string | undefined {
    const fix = `${SET_PATH} 'operatorKeys[N]' "$(cat ~/.ssh/id_ed25519.pub)"`;
    const malformed = `must be one OpenSSH public key line (ssh-ed25519 AAAA... comment): ${fix}`;
    if (!PUBLIC_KEY_LINE.test(line)) return malformed;
    let key: SshPublicKey;
    try {
        key = parsePublicKeyLine(line);
    } catch {
        return malformed;
    }
    return userKeyProblem(key);
}

/** An operator key: one public key line of a type and size the hardened sshd accepts. */
export const operatorKeySchema = z.string().superRefine((line, ctx) => {
    const problem = operatorKeyProblem(line);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
export const CIDR = /^(any|(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?|[0-9a-fA-F:]+(\/\d{1,3})?)$/;
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
export function text(fix: string) {
    return z
        .string({
            error: (issue) =>
                issue.input === undefined ? `required: ${fix}` : `must be a string: ${fix}`,
        })
        .min(1, { error: `must not be empty: ${fix}` });
}

/**
 * A one-line string value that `pulumi config set --path` may have stored as a JSON boolean or
 * number (`... env.FLAG true` stores `true`, `... 300` stores `300`): read back as its text.
 */
function scalarText(pattern: RegExp, message: string) {
    return z
        .union([z.string(), z.number().transform(String), z.boolean().transform(String)], {
            error: message,
        })
        .pipe(z.string().regex(pattern, { error: message }));
}

export function object<T extends z.ZodRawShape>(shape: T, fix: string) {
    return z.strictObject(shape, {
        error: (issue) =>
            issue.code === "unrecognized_keys"
                ? `unknown key(s) ${issue.keys.join(", ")}: check the spelling (${fix})`
                : issue.input === undefined
                  ? `required: ${fix}`
                  : `must be an object: ${fix}`,
    });
}

export const sshdSchema = object(
    {
        extraOptions: z
            .record(
                z.string(),
                scalarText(/^[^\n\r#]+$/, "sshd option values must be one line without '#'"),
            )
            .superRefine(
                checkKeys(
                    /^[A-Z][A-Za-z0-9]*$/,
                    (name) =>
                        MANAGED_SSHD_OPTIONS.has(name.toLowerCase())
                            ? "is set by the hardening itself (keys-only login, sshPort, sftp) and cannot be overridden; remove it from sshd.extraOptions"
                            : undefined,
                    "sshd option names are single words like AllowTcpForwarding",
                ),
            )
            .default({}),
    },
    `${SET_PATH} sshd.extraOptions.AllowTcpForwarding local`,
);

export const unattendedSchema = object(
    {
        automaticReboot: z
            .boolean({
                error: `must be true or false: ${SET_PATH} unattendedUpgrades.automaticReboot false`,
            })
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

/** Docker's apt repository is configured, never written here (no package registry host in code). */
const APT_REPOSITORY = /^https:\/\/[^\s"'\\]+[^/\s"'\\]$/;
const APT_REPOSITORY_FIX = `${SET_PATH} docker.aptRepository <https URL of Docker's apt repository for the server's distribution, from Docker's install guide>`;

export const dockerSchema = object(
    {
        source: z
            .enum(["distro", "docker-ce"], {
                error: `must be distro (the distribution's packages) or docker-ce (Docker's apt repository): ${SET_PATH} docker.source distro`,
            })
            .default("distro"),
        aptRepository: z
            .string()
            .regex(APT_REPOSITORY, {
                error: `must be an https URL without a trailing slash: ${APT_REPOSITORY_FIX}`,
            })
            .optional(),
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
).superRefine((docker, ctx) => {
    if (docker.source === "docker-ce" && docker.aptRepository === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["aptRepository"],
            message: `required with docker.source docker-ce: ${APT_REPOSITORY_FIX}`,
        });
    }
    if (docker.source === "distro" && docker.aptRepository !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["aptRepository"],
            message: `is only used with docker.source docker-ce: pulumi config rm --path docker.aptRepository`,
        });
    }
});

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

export const postgresSchema = object(
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

export function botApiSchema(requireSecrets: boolean) {
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
                ? z
                      .string({
                          error: "required (secret): pulumi config set --secret --path botApi.apiHash <api_hash>",
                      })
                      .pipe(hash)
                : hash.optional(),
            memLimit: memLimit("botApi.memLimit", "256m"),
        },
        `${SET_PATH} botApi.apiId <api_id>`,
    );
}

export function botSchema(requireSecrets: boolean) {
    const fix = (field: string, example: string) => `${SET_PATH} 'bots[N].${field}' ${example}`;
    const token = z.string().regex(/^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$/, {
        error: "must be a BotFather token (digits:letters): pulumi config set --secret --path 'bots[N].token' <token>",
    });
    return object(
        {
            name: z
                .string({ error: `required: ${fix("name", "mpcabinet-picture-bot")}` })
                .regex(NAME, {
                    error: `must be kebab-case (a-z, 0-9, -; 2-42 chars): ${fix("name", "mpcabinet-picture-bot")}`,
                }),
            schema: z
                .string({ error: `required: ${fix("schema", "mpcabinet")}` })
                .regex(SQL_IDENTIFIER, {
                    error: `must be a lower-case SQL identifier: ${fix("schema", "mpcabinet")}`,
                }),
            token: requireSecrets
                ? z
                      .string({
                          error: "required (secret): pulumi config set --secret --path 'bots[N].token' <token>",
                      })
                      .pipe(token)
                : token.optional(),
            buildContext: z
                .string()
                .regex(/^[A-Za-z0-9._/-]+$/, {
                    error: `must be a directory relative to the project: ${fix("buildContext", "bot")}`,
                })
                .default("bot"),
            /** Deploy this image (a rollback) instead of building buildContext. */
            image: z
                .string()
                .regex(/^sha256:[0-9a-f]{64}$/, {
                    error:
                        "must be the id of an image kept on the host (`npm run ops -- status` " +
                        `lists them): ${fix("image", "sha256:<64 hex digits>")}`,
                })
                .optional(),
            env: z
                .record(
                    z.string(),
                    scalarText(
                        ENV_VALUE,
                        "env values must be one line without quotes, $, ` or backslashes",
                    ),
                )
                .superRefine(
                    checkKeys(
                        ENV_NAME,
                        (name) =>
                            MANAGED_BOT_ENV.has(name)
                                ? `is set by the stack itself; remove it from bots[N].env (${[...MANAGED_BOT_ENV].join(", ")})`
                                : undefined,
                        "env names must be UPPER_SNAKE_CASE",
                    ),
                )
                .default({}),
            memLimit: memLimit("bots[N].memLimit", "512m"),
        },
        fix("name", "mpcabinet-picture-bot"),
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

export function checkBotsUnique(
    bots: readonly { name: string; schema: string }[],
    ctx: z.RefinementCtx,
): void {
    const names = new Set<string>();
    const schemas = new Set<string>(["shared", "public"]);
    bots.forEach((bot, index) => {
        if (RESERVED_SERVICES.has(bot.name) || names.has(bot.name)) {
            ctx.addIssue({
                code: "custom",
                path: [index, "name"],
                message:
                    "must be unique and not postgres or telegram-bot-api: choose another bot name",
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
