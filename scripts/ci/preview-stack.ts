import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";

/**
 * `npx tsx scripts/ci/preview-stack.ts <stack>`: the stack the pull-request preview runs on.
 *
 * A preview that could decrypt the production stack could read every secret that reaches the
 * server: the stack's state holds each secret step's stdin (bot tokens, the API hash, the
 * Postgres password), encrypted with the same passphrase as the config. So the preview job gets
 * neither that passphrase nor the state backend's keys. Instead it builds a throwaway stack of
 * the same name on a local file backend: the pull request's Pulumi.<stack>.yaml with every
 * `secure:` value replaced by an obviously fake placeholder (sshPrivateKey dropped: a preview
 * connects nowhere), encrypted with a passphrase that protects nothing. `pulumi preview` then
 * checks the config and plans every resource and script, as creates.
 *
 * Needs the Pulumi CLI, PULUMI_BACKEND_URL=file://... and PULUMI_CONFIG_PASSPHRASE.
 */

/** A `secure:` value somewhere in the stack config: its key and the path inside its value. */
interface SecretPath {
    readonly key: string;
    readonly path: readonly (string | number)[];
}

/** Placeholders in the shape the config schema expects (components/config). */
const PLACEHOLDERS: readonly [RegExp, string][] = [
    [/:bots\[\d+\]\.token$/, "123456789:PREVIEW-placeholder-not-a-token"],
    [/:botApi\.apiHash$/, "PreviewPlaceholderNotAnApiHash00"],
    [/:backups\.s3\.(accessKeyId|secretAccessKey)$/, "PREVIEW-PLACEHOLDER"],
];
/** Secrets a preview does not use at all. */
const DROPPED = /:(sshPrivateKey|sshPrivateKeyPassword)$/;

function isSecure(value: unknown): boolean {
    return (
        typeof value === "object" && value !== null && !Array.isArray(value) && "secure" in value
    );
}

/** Removes every `secure:` value from `value` (in place) and lists where they were. */
function stripSecrets(
    value: unknown,
    key: string,
    path: (string | number)[],
    found: SecretPath[],
): void {
    if (Array.isArray(value)) {
        value.forEach((item, index) => {
            if (isSecure(item))
                throw new Error(
                    `${key}: a secret list item cannot get a placeholder; make it an object field`,
                );
            stripSecrets(item, key, [...path, index], found);
        });
    } else if (typeof value === "object" && value !== null) {
        const record = value as Record<string, unknown>;
        for (const [field, item] of Object.entries(record)) {
            if (isSecure(item)) {
                found.push({ key, path: [...path, field] });
                delete record[field];
            } else stripSecrets(item, key, [...path, field], found);
        }
    }
}

/** `telegram-ecosystem:bots[0].token` */
function pathText(secret: SecretPath): string {
    return (
        secret.key +
        secret.path.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("")
    );
}

function placeholderFor(path: string): string | undefined {
    if (DROPPED.test(path)) return undefined;
    return PLACEHOLDERS.find(([pattern]) => pattern.test(path))?.[1] ?? "preview-placeholder";
}

function pulumi(args: readonly string[]): void {
    const result = spawnSync("pulumi", ["--non-interactive", ...args], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
    });
    if (result.status !== 0)
        throw new Error(`pulumi ${args.join(" ")} failed: ${result.stderr.trim()}`);
}

function main(stack: string | undefined): void {
    if (stack === undefined) throw new Error("usage: npx tsx scripts/ci/preview-stack.ts <stack>");
    const backend = process.env.PULUMI_BACKEND_URL ?? "";
    if (!backend.startsWith("file://")) {
        throw new Error(
            "PULUMI_BACKEND_URL must be a local file:// backend: the preview never touches the real state",
        );
    }
    if (!process.env.PULUMI_CONFIG_PASSPHRASE)
        throw new Error(
            "PULUMI_CONFIG_PASSPHRASE must be set (any value: it protects placeholders only)",
        );
    const file = `Pulumi.${stack}.yaml`;
    const doc = (parseYaml(readFileSync(file, "utf8")) ?? {}) as {
        config?: Record<string, unknown>;
    };
    const config = doc.config ?? {};
    const secrets: SecretPath[] = [];
    for (const [key, value] of Object.entries(config)) {
        if (isSecure(value)) {
            secrets.push({ key, path: [] });
            delete config[key];
        } else stripSecrets(value, key, [], secrets);
    }
    // No encryptionsalt: the production one belongs to a passphrase this job never has.
    writeFileSync(file, stringifyYaml(Object.keys(config).length === 0 ? {} : { config }));
    pulumi(["login", backend]);
    pulumi(["stack", "init", stack, "--secrets-provider", "passphrase"]);
    const replaced: string[] = [];
    for (const secret of secrets) {
        const path = pathText(secret);
        const placeholder = placeholderFor(path);
        if (placeholder === undefined) continue;
        pulumi(["config", "set", "--secret", "--path", path, placeholder, "--stack", stack]);
        replaced.push(path);
    }
    console.log(
        `Preview stack ${stack} on ${backend}: ${replaced.length} secret(s) replaced by placeholders` +
            (replaced.length === 0 ? "" : ` (${replaced.join(", ")})`) +
            `, ${secrets.length - replaced.length} dropped.`,
    );
}

if (require.main === module) {
    try {
        main(process.argv[2]);
    } catch (error) {
        console.error(`error: ${(error as Error).message}`);
        process.exit(1);
    }
}
