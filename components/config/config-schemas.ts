import { z } from "zod";
import { NO_FIX } from "./field-docs";
import { parsePublicKeyLine, userKeyProblem, type SshPublicKey } from "./ssh-keys";

/**
 * The parts of the stack config schema (components/config/config.ts): patterns, field helpers and
 * the schemas of the nested blocks. Messages say what is wrong; describeIssue (field-docs.ts) adds
 * the command that fixes it from each field's metadata.
 */

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
/** What is wrong with a hostKey that is not ed25519; its fix (trust-host) is the key's metadata. */
export const HOST_KEY_PROBLEM =
    "must be the server's ssh-ed25519 host key as `ssh-ed25519 <base64>` (an ssh-rsa pin makes " +
    'every step fail with "no common algorithm": the command provider would ask for the SHA-1 ' +
    "`ssh-rsa` signature, which the hardened sshd refuses; ECDSA host keys are not offered)";
const PUBLIC_KEY_LINE = /^[a-z0-9@.-]+ [A-Za-z0-9+/]+={0,2}( [^\n\r]*)?$/;

/**
 * Why an operatorKeys line cannot be a login key of the hardened sshd. A malformed line gets the
 * field's own fix (its metadata); a refused key type or size carries its fix in the message.
 */
function operatorKeyProblem(line: string): { message: string; ownFix: boolean } | undefined {
    const malformed = {
        message: "must be one OpenSSH public key line (ssh-ed25519 AAAA... comment)",
        ownFix: false,
    };
    if (!PUBLIC_KEY_LINE.test(line)) return malformed;
    let key: SshPublicKey;
    try {
        key = parsePublicKeyLine(line);
    } catch {
        return malformed;
    }
    const problem = userKeyProblem(key);
    return problem === undefined ? undefined : { message: problem, ownFix: true };
}

/** An operator key: one public key line of a type and size the hardened sshd accepts. */
export const operatorKeySchema = z.string().superRefine((line, ctx) => {
    const problem = operatorKeyProblem(line);
    if (problem === undefined) return;
    ctx.addIssue({
        code: "custom",
        message: problem.message,
        ...(problem.ownFix ? { params: NO_FIX } : {}),
    });
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

/** A string field that reads "required" when it is missing. */
export function text() {
    return z
        .string({
            error: (issue) => (issue.input === undefined ? "required" : "must be a string"),
        })
        .min(1, { error: "must not be empty" });
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

/** An object that refuses unknown keys (describeIssue reports them with their fix). */
export function object<T extends z.ZodRawShape>(shape: T) {
    return z.strictObject(shape, {
        error: (issue) => (issue.input === undefined ? "required" : "must be an object"),
    });
}

export const sshdSchema = object({
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
        .default({})
        .meta({
            description:
                "extra sshd options by name; authentication options, Port, Subsystem, Include and Match are refused",
        }),
});

export const unattendedSchema = object({
    automaticReboot: z
        .boolean({ error: "must be true or false" })
        .default(true)
        .meta({ description: "reboot after security updates that need it" }),
    rebootTime: z
        .string()
        .regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, {
            error: "must be HH:MM in the server's timezone",
        })
        .default("04:00")
        .meta({ description: "when that reboot happens, HH:MM in `timezone`" }),
});

/** Docker's apt repository is configured, never written here (no package registry host in code). */
const APT_REPOSITORY = /^https:\/\/[^\s"'\\]+[^/\s"'\\]$/;

export const dockerSchema = object({
    source: z
        .enum(["distro", "docker-ce"], {
            error: "must be distro (the distribution's packages) or docker-ce (Docker's apt repository)",
        })
        .default("distro")
        .meta({
            description:
                "`distro` (docker.io, the Compose v2 plugin and buildx from the distribution) or `docker-ce` (Docker's apt repository, with `docker.aptRepository`); see [Docker source](#docker-source-the-distributions-packages)",
        }),
    aptRepository: z
        .string()
        .regex(APT_REPOSITORY, { error: "must be an https URL without a trailing slash" })
        .optional()
        .meta({
            description:
                "https URL of Docker's apt repository for the server's distribution, as Docker's install guide gives it; only with `docker-ce`",
            example: "<https URL of the Docker apt repository for this distribution>",
        }),
    logMaxSize: z
        .string()
        .regex(/^[1-9][0-9]*[kmg]$/, { error: "must be a size like 10m" })
        .default("10m")
        .meta({ description: "json-file log rotation: size of one log file" }),
    logMaxFiles: z
        .number({ error: "must be a whole number" })
        .int({ error: "must be a whole number" })
        .min(1, { error: "must be 1 to 20" })
        .max(20, { error: "must be 1 to 20" })
        .default(3)
        .meta({ description: "json-file log rotation: log files kept per container" }),
}).superRefine((docker, ctx) => {
    if (docker.source === "docker-ce" && docker.aptRepository === undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["aptRepository"],
            message: "required with docker.source docker-ce",
        });
    }
    if (docker.source === "distro" && docker.aptRepository !== undefined) {
        ctx.addIssue({
            code: "custom",
            path: ["aptRepository"],
            message:
                "is only used with docker.source docker-ce: pulumi config rm --path docker.aptRepository",
            params: NO_FIX,
        });
    }
});

const memLimit = (fallback: string) =>
    z
        .string()
        .regex(MEMORY, { error: "must be a size like 512m" })
        .default(fallback)
        .meta({ description: "container memory limit" });

const image = (fallback: string, what: string) =>
    z
        .string()
        .regex(IMAGE_REF, { error: "must be an image reference" })
        .refine((ref) => /(:[^/]+|@sha256:[0-9a-f]{64})$/.test(ref) && !ref.endsWith(":latest"), {
            error: "must be pinned to an exact tag or digest (not :latest)",
        })
        .default(fallback)
        .meta({ description: `${what} image, pinned to an exact tag or digest` });

export const DEFAULT_POSTGRES_IMAGE = "postgres:16.10-alpine";
export const DEFAULT_BOT_API_IMAGE = "aiogram/telegram-bot-api:9.2";

const sqlIdentifier = (fallback: string, description: string) =>
    z
        .string()
        .regex(SQL_IDENTIFIER, { error: "must be a lower-case SQL identifier" })
        .default(fallback)
        .meta({ description });

export const postgresSchema = object({
    image: image(DEFAULT_POSTGRES_IMAGE, "Postgres"),
    db: sqlIdentifier("telegram_ecosystem", "database name"),
    user: sqlIdentifier("telegram_admin", "superuser name"),
    passwordVersion: z
        .number({ error: "must be a whole number" })
        .int({ error: "must be a whole number" })
        .min(1, { error: "must be 1 or more" })
        .default(1)
        .meta({
            description:
                "version of the generated Postgres password: bump it to rotate the password",
        }),
    memLimit: memLimit("512m"),
    shmSize: z
        .string()
        .regex(MEMORY, { error: "must be a size like 128m" })
        .default("128m")
        .meta({ description: "container shared memory (`shm_size`)" }),
});

/** A secret string: required for a real run (`requireSecrets`), else optional and checked. */
function secretText(
    requireSecrets: boolean,
    shape: z.ZodString,
    description: string,
    example: string,
) {
    const field = requireSecrets
        ? z.string({ error: "required (secret)" }).pipe(shape)
        : shape.optional();
    return field.meta({ description, example, secret: true });
}

export function botApiSchema(requireSecrets: boolean) {
    const hash = z.string().regex(/^[A-Za-z0-9]{16,64}$/, {
        error: "must be the api_hash from my.telegram.org (letters and digits)",
    });
    return object({
        image: image(DEFAULT_BOT_API_IMAGE, "Telegram Local Bot API server"),
        apiId: z
            .number({
                error: (issue) => (issue.input === undefined ? "required" : "must be a number"),
            })
            .int({ error: "must be a whole number" })
            .positive({ error: "must be positive" })
            .meta({ description: "api_id from my.telegram.org", example: "<api_id>" }),
        apiHash: secretText(requireSecrets, hash, "api_hash from my.telegram.org", "<api_hash>"),
        memLimit: memLimit("256m"),
    });
}

export function botSchema(requireSecrets: boolean) {
    const token = z.string().regex(/^[0-9]{3,20}:[A-Za-z0-9_-]{20,100}$/, {
        error: "must be a BotFather token (digits:letters)",
    });
    return object({
        name: z
            .string({ error: "required" })
            .regex(NAME, { error: "must be kebab-case (a-z, 0-9, -; 2-42 chars)" })
            .meta({
                description: "the bot's compose service name (kebab-case)",
                example: "mpcabinet-picture-bot",
            }),
        schema: z
            .string({ error: "required" })
            .regex(SQL_IDENTIFIER, { error: "must be a lower-case SQL identifier" })
            .meta({ description: "the bot's Postgres schema", example: "mpcabinet" }),
        token: secretText(requireSecrets, token, "the bot's token from @BotFather", "<token>"),
        buildContext: z
            .string()
            .regex(/^[A-Za-z0-9._/-]+$/, { error: "must be a directory relative to the project" })
            .default("bot")
            .meta({ description: "the image's build context, relative to the project" }),
        image: z
            .string()
            .regex(/^sha256:[0-9a-f]{64}$/, {
                error: "must be the id of an image kept on the host (`npm run ops -- status` lists them)",
            })
            .optional()
            .meta({
                description:
                    "deploy this image id (a rollback, kept on the host) instead of building buildContext",
                example: "<sha256:image id>",
            }),
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
            .default({})
            .meta({
                description: "extra environment variables (the ones the stack sets are refused)",
            }),
        memLimit: memLimit("512m"),
    });
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
                params: NO_FIX,
            });
        }
        if (schemas.has(bot.schema)) {
            ctx.addIssue({
                code: "custom",
                path: [index, "schema"],
                message: "must be unique and not shared or public: give every bot its own schema",
                params: NO_FIX,
            });
        }
        names.add(bot.name);
        schemas.add(bot.schema);
    });
}
