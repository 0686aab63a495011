import * as pulumi from "@pulumi/pulumi";
import { parseStack, type StackConfig } from "./config/config";
import type { OffsiteKeys } from "./config/operations-config";
import type { ConnectionKey } from "./config/preflight";
import { connectionKeyOf } from "./preflight-probes";

/** Secret config values, as secret Outputs read through `requireSecret*`. */
export interface StackSecretOutputs {
    readonly sshPrivateKey?: pulumi.Output<string>;
    readonly sshPrivateKeyPassword?: pulumi.Output<string>;
    readonly botApiHash: pulumi.Output<string>;
    readonly botTokens: pulumi.Output<Record<string, string>>;
    readonly offsiteKeys?: pulumi.Output<OffsiteKeys>;
    /** The Timeweb API token (`timeweb:token`), read only when timeweb.createServer is true. */
    readonly timewebToken?: pulumi.Output<string>;
}

export interface LoadedStack {
    readonly config: StackConfig;
    readonly secrets: StackSecretOutputs;
    /** The secret-free facts of sshPrivateKey (its public half, whether it has a passphrase). */
    readonly connectionKey?: ConnectionKey;
}

/** The Timeweb API token: a secret of the `timeweb` namespace, not of the project. */
const TIMEWEB_TOKEN = "timeweb:token";

/** Keys whose values are plain strings; every other key holds JSON (numbers, objects, lists). */
const STRING_KEYS = new Set([
    "host",
    "sshUser",
    "sshPrivateKey",
    "sshPrivateKeyPassword",
    "hostKey",
    "timezone",
    "swapSize",
    "stackDir",
]);

/** The project's stack config as a plain object (`telegram-ecosystem:host` -> `host`). */
export function readRawConfig(
    all: Readonly<Record<string, string>> = pulumi.runtime.allConfig(),
    project: string = pulumi.getProject(),
): Record<string, unknown> {
    const prefix = `${project}:`;
    const raw: Record<string, unknown> = {};
    for (const [fullKey, value] of Object.entries(all)) {
        if (!fullKey.startsWith(prefix)) continue;
        const key = fullKey.slice(prefix.length);
        raw[key] = STRING_KEYS.has(key) ? value : parseJsonOrKeep(value);
    }
    return raw;
}

function parseJsonOrKeep(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value; // the schema then reports the key with its fix
    }
}

/**
 * Parses the whole stack config once, before any resource exists: throws one StackConfigError
 * naming every bad key. `pulumi up` also needs the pinned host key.
 */
export function loadStack(): LoadedStack {
    const { config, secrets } = parseStack(readRawConfig(), {
        requireSecrets: true,
        requireHostKey: !pulumi.runtime.isDryRun(),
        hasTimewebToken: TIMEWEB_TOKEN in pulumi.runtime.allConfig(),
    });
    const connectionKey = connectionKeyOf(secrets.sshPrivateKey, secrets.sshPrivateKeyPassword);
    const stackConfig = new pulumi.Config();
    const bots = stackConfig.requireSecretObject<{ name: string; token: string }[]>("bots");
    return {
        config,
        ...(connectionKey === undefined ? {} : { connectionKey }),
        secrets: {
            sshPrivateKey: stackConfig.getSecret("sshPrivateKey"),
            sshPrivateKeyPassword: stackConfig.getSecret("sshPrivateKeyPassword"),
            botApiHash: stackConfig
                .requireSecretObject<{ apiHash: string }>("botApi")
                .apply((api) => api.apiHash),
            botTokens: bots.apply((list) =>
                Object.fromEntries(list.map((bot) => [bot.name, bot.token])),
            ),
            ...(secrets.offsiteKeys === undefined
                ? {}
                : {
                      offsiteKeys: stackConfig
                          .requireSecretObject<{ s3: OffsiteKeys }>("backups")
                          .apply(({ s3 }) => ({
                              accessKeyId: s3.accessKeyId,
                              secretAccessKey: s3.secretAccessKey,
                          })),
                  }),
            ...(config.timeweb?.createServer === true
                ? { timewebToken: new pulumi.Config("timeweb").requireSecret("token") }
                : {}),
        },
    };
}
