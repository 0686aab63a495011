import { z } from "zod";
import {
    botApiSchema,
    botSchema,
    checkBotsUnique,
    CIDR,
    dockerSchema,
    HOST_KEY,
    HOST_KEY_PROBLEM,
    object,
    operatorKeySchema,
    postgresSchema,
    sshdSchema,
    text,
    unattendedSchema,
} from "./config-schemas";
import {
    operationsConfigShape,
    splitOperationsSecrets,
    type OffsiteKeys,
    type OperationsConfig,
} from "./operations-config";
import { parseTimewebConfig, timewebConfigSchema, type TimewebConfig } from "../timeweb/config";
import { describeIssue, fixFor, removeCommand, setCommand } from "./field-docs";
import {
    describeKey,
    inspectPrivateKey,
    parsePublicKeyLine,
    sameKey,
    userKeyProblem,
    type SshPublicKey,
} from "./ssh-keys";

/**
 * The stack configuration: one zod schema over the same keys as the Pulumi stack config
 * (`pulumi config set ...`). Secrets are checked for presence and shape only, and never end up in
 * `StackConfig`: they reach the program as secret Outputs (components/stack-config.ts) or, in the
 * end-to-end tests, as plain `RuntimeValues`. Error messages never echo a value.
 */

/** The stack config's schema; with `requireSecrets` the secret keys are required too. */
export function stackSchema(requireSecrets: boolean) {
    return object({
        /** Required unless timeweb.createServer (checked in parseStack, which sees both). */
        host: text()
            .regex(/^[A-Za-z0-9.:-]+$/, { error: "must be an IP address or host name" })
            .optional()
            .meta({
                description:
                    "IPv4 address or DNS name of the VPS; required unless `timeweb.createServer`",
                example: "<VPS IPv4>",
            }),
        sshPort: z
            .number({ error: "must be a port number" })
            .int({ error: "must be a port number" })
            .min(1, { error: "must be 1-65535" })
            .max(65535, { error: "must be 1-65535" })
            .default(22)
            .meta({
                description: "SSH port Pulumi connects to; the sshd drop-in sets `Port` to it",
            }),
        sshUser: z
            .literal("root", {
                error: "only root is supported (the steps install packages and write /etc)",
            })
            .default("root")
            .meta({ description: "SSH user the steps run as; only `root` is supported" }),
        sshPrivateKey: z
            .string()
            .regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, {
                error: "must be a PEM/OpenSSH private key (or unset it to use ssh-agent)",
            })
            .optional()
            .meta({
                description: "private key of the SSH connection; unset uses ssh-agent",
                example: "< ~/.ssh/id_ed25519",
                secret: true,
            }),
        sshPrivateKeyPassword: z
            .string({ error: "must be the passphrase of sshPrivateKey" })
            .optional()
            .meta({
                description: "passphrase of an encrypted `sshPrivateKey`",
                secret: true,
                fix: "pulumi config set --secret sshPrivateKeyPassword",
            }),
        hostKey: z.string().regex(HOST_KEY, { error: HOST_KEY_PROBLEM }).optional().meta({
            description:
                "the server's pinned `ssh-ed25519` host key, written by trust-host; required for `pulumi up` unless `timeweb.createServer`",
            fix: "npm run trust-host -- <host>",
        }),
        operatorKeys: z
            .array(operatorKeySchema.meta({ example: '"$(cat ~/.ssh/id_ed25519.pub)"' }), {
                error: "must be a list",
            })
            .default([])
            .meta({ description: "OpenSSH public keys authorised for root (the managed block)" }),
        sshAllowFrom: z
            .array(
                z
                    .string()
                    .regex(CIDR, {
                        error: "must be `any`, an IP address or a CIDR like 203.0.113.0/24",
                    })
                    .meta({ example: "any" }),
                { error: "must be a list" },
            )
            .min(1, { error: "must not be empty (that would lock SSH out)" })
            .default(["any"])
            .meta({ description: "sources UFW lets reach SSH: `any`, an IP or a CIDR" }),
        timezone: z
            .string()
            .regex(/^(UTC|[A-Z][A-Za-z_-]+(\/[A-Z0-9][A-Za-z0-9_+-]+){1,2})$/, {
                error: "must be an IANA zone like Europe/Moscow",
            })
            .default("Europe/Moscow")
            .meta({ description: "IANA time zone of the server" }),
        swapSize: z
            .string()
            .regex(/^(0|[1-9][0-9]*[MG])$/, {
                error: "must be a size like 2G or 512M, or 0 for no swap",
            })
            .default("2G")
            .meta({ description: "size of /swapfile, like 2G or 512M; `0` leaves swap alone" }),
        unattendedUpgrades: unattendedSchema.prefault({}),
        docker: dockerSchema.prefault({}),
        sshd: sshdSchema.prefault({}),
        stackDir: z
            .string()
            .regex(/^\/[A-Za-z0-9._/-]+[^/]$/, { error: "must be an absolute path" })
            .default("/opt/telegram-ecosystem")
            .meta({ description: "the compose project's directory on the server" }),
        postgres: postgresSchema.prefault({}),
        botApi: botApiSchema(requireSecrets),
        ...operationsConfigShape(requireSecrets),
        /** Creating the VPS through the Timeweb API (components/timeweb). */
        timeweb: timewebConfigSchema.optional().meta({
            description:
                "create the VPS through the Timeweb Cloud API (with the secret `timeweb:token`); off when unset",
        }),
        bots: z
            .array(botSchema(requireSecrets), {
                error: (issue) =>
                    issue.input === undefined ? "required" : "must be a list of bots",
            })
            .min(1, { error: "needs at least one bot" })
            .superRefine(checkBotsUnique),
    });
}

type ParsedStack = z.infer<ReturnType<typeof stackSchema>>;

/** The validated, non-secret stack configuration with every default filled in. */
export type StackConfig = Omit<
    ParsedStack,
    "sshPrivateKey" | "sshPrivateKeyPassword" | "botApi" | "bots" | keyof OperationsConfig
> &
    OperationsConfig & {
        readonly botApi: Omit<ParsedStack["botApi"], "apiHash">;
        readonly bots: readonly BotConfig[];
    };
export type BotConfig = Omit<ParsedStack["bots"][number], "token">;

/** The secret part of the stack config, as plain strings (the loader wraps them as secrets). */
export interface StackSecrets {
    readonly sshPrivateKey?: string;
    readonly sshPrivateKeyPassword?: string;
    readonly botApiHash: string;
    readonly botTokens: Readonly<Record<string, string>>;
    /** S3 keys of the off-site backup copy, when configured. */
    readonly offsiteKeys?: OffsiteKeys;
}

/** Thrown for invalid config; the message lists every bad key and its fix. */
export class StackConfigError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(
            `Invalid stack configuration (${problems.length} ` +
                `problem${problems.length === 1 ? "" : "s"}):\n` +
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
    /** Whether the secret `timeweb:token` is set; undefined skips that check. */
    readonly hasTimewebToken?: boolean;
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
    const input = withTimewebDefaults(raw);
    const schema = stackSchema(options.requireSecrets ?? false);
    const result = schema.safeParse(input);
    const problems = result.success ? [] : result.error.issues.map((i) => describeIssue(schema, i));
    const target = targetProblems(input, options);
    problems.unshift(...target.first);
    problems.push(...target.last, ...connectionKeyProblems(input), ...portPlanProblems(input));
    if (!result.success || problems.length > 0) throw new StackConfigError(problems);
    const {
        sshPrivateKey,
        sshPrivateKeyPassword,
        botApi,
        bots,
        backups,
        monitor,
        journald,
        images,
        ...rest
    } = result.data;
    const operations = splitOperationsSecrets({ backups, monitor, journald, images });
    const { apiHash, ...botApiRest } = botApi;
    const tokens: Record<string, string> = {};
    const botConfigs = bots.map(({ token, ...bot }) => {
        if (token !== undefined) tokens[bot.name] = token;
        return bot;
    });
    return {
        config: { ...rest, ...operations.config, botApi: botApiRest, bots: botConfigs },
        secrets: {
            ...(operations.offsiteKeys === undefined
                ? {}
                : { offsiteKeys: operations.offsiteKeys }),
            ...(sshPrivateKey === undefined ? {} : { sshPrivateKey }),
            ...(sshPrivateKeyPassword === undefined ? {} : { sshPrivateKeyPassword }),
            ...(apiHash === undefined ? {} : { botApiHash: apiHash }),
            botTokens: tokens,
        },
    };
}

type RawTarget = {
    host?: unknown;
    hostKey?: unknown;
    sshPort?: unknown;
    sshPrivateKey?: unknown;
    sshPrivateKeyPassword?: unknown;
    operatorKeys?: unknown;
    timeweb?: { createServer?: unknown; sshPublicKey?: unknown };
};

function rawTarget(raw: unknown): RawTarget {
    return typeof raw === "object" && raw !== null ? raw : {};
}

function createsServer(raw: unknown): boolean {
    return rawTarget(raw).timeweb?.createServer === true;
}

/** The server Timeweb creates gets the first operator key unless timeweb.sshPublicKey is set. */
function withTimewebDefaults(raw: unknown): unknown {
    const { timeweb, operatorKeys } = rawTarget(raw);
    if (!createsServer(raw) || timeweb?.sshPublicKey !== undefined) return raw;
    const first: unknown = Array.isArray(operatorKeys) ? operatorKeys[0] : undefined;
    if (typeof first !== "string") return raw;
    return { ...(raw as object), timeweb: { ...timeweb, sshPublicKey: first } };
}

/**
 * Only the `timeweb` block, with the defaults the program applies (the first operator key as the
 * server's key). For tools that need no more than that, e.g. `npm run timeweb -- plan`.
 */
export function parseTimewebBlock(raw: unknown): TimewebConfig {
    return parseTimewebConfig(rawTarget(withTimewebDefaults(raw)).timeweb);
}

/**
 * Where the program connects: `host` and `hostKey` from config, or the server that
 * timeweb.createServer makes (its IPv4 and the host key pinned on first connect), which then
 * needs the API token. `first` problems go before zod's (host is the first key), `last` after.
 */
function targetProblems(raw: unknown, options: ParseOptions): { first: string[]; last: string[] } {
    const { host, hostKey } = rawTarget(raw);
    const when = (problem: boolean, message: string) => (problem ? [message] : []);
    const schema = stackSchema(false);
    const fix = (key: string) => fixFor(schema, [key]) ?? "";
    if (!createsServer(raw)) {
        return {
            first: when(host === undefined, `host: required: ${fix("host")}`),
            last: when(
                options.requireHostKey === true && hostKey === undefined,
                `hostKey: required for \`pulumi up\` (it pins the server's identity): ${fix("hostKey")}`,
            ),
        };
    }
    return {
        first: when(
            host !== undefined,
            `host: must not be set when timeweb.createServer is true (the program connects to the server it creates): ${removeCommand("host")}`,
        ),
        last: [
            ...when(
                hostKey !== undefined,
                `hostKey: must not be set when timeweb.createServer is true (the created server's key is pinned on first connect): ${removeCommand("hostKey")}`,
            ),
            ...when(
                options.hasTimewebToken === false,
                `timeweb:token: required (secret) when timeweb.createServer is true: ${setCommand("timeweb:token", "<API token from the Timeweb panel>", true)}`,
            ),
        ],
    };
}

/**
 * The connection key (sshPrivateKey): a type and size the hardened sshd accepts, readable with
 * its passphrase, and one of operatorKeys, so the operator-keys step keeps it authorised (it
 * manages exactly that list) and the Docker provider knows which key to offer.
 */
function connectionKeyProblems(raw: unknown): string[] {
    const { sshPrivateKey, sshPrivateKeyPassword, operatorKeys } = rawTarget(raw);
    if (
        typeof sshPrivateKey !== "string" ||
        !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(sshPrivateKey)
    ) {
        return typeof sshPrivateKeyPassword === "string" && sshPrivateKey === undefined
            ? [
                  `sshPrivateKeyPassword: set, but sshPrivateKey is not: ${removeCommand("sshPrivateKeyPassword")}`,
              ]
            : [];
    }
    const info = inspectPrivateKey(
        sshPrivateKey,
        typeof sshPrivateKeyPassword === "string" ? sshPrivateKeyPassword : undefined,
    );
    if (info.publicKey === undefined)
        return info.problem === undefined ? [] : [`sshPrivateKey: ${info.problem}`];
    const problems = [info.problem, userKeyProblem(info.publicKey)]
        .filter((problem): problem is string => problem !== undefined)
        .map((problem) => `sshPrivateKey: ${problem}`);
    const authorised = Array.isArray(operatorKeys)
        ? operatorKeys.some((line) => {
              try {
                  return sameKey(parsePublicKeyLine(String(line)), info.publicKey as SshPublicKey);
              } catch {
                  return false;
              }
          })
        : false;
    if (!authorised) {
        problems.push(
            `sshPrivateKey: its public key (${describeKey(info.publicKey)}) is not in operatorKeys; ` +
                "add it, so the operator-keys step keeps it authorised: " +
                setCommand("operatorKeys[N]", '"$(ssh-keygen -y -f <key file>)"'),
        );
    }
    return problems;
}

/**
 * A server created through the Timeweb API opens only port 22 on its first boot (cloud-init and
 * the host-key probe use it), while every step dials sshPort from the first one on.
 */
function portPlanProblems(raw: unknown): string[] {
    const { sshPort } = rawTarget(raw);
    if (!createsServer(raw) || sshPort === undefined || sshPort === 22) return [];
    return [
        "sshPort: must stay 22 while timeweb.createServer is true (a new server's sshd listens on " +
            `22 until the first deploy has hardened it): ${removeCommand("sshPort")}; move the port ` +
            'later as the README\'s "SSH port" says',
    ];
}
