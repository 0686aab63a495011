import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { findExecutable } from "../lib/find-executable";
import { parseHostKeyLine, type HostKey } from "../lib/host-key";

/** What the ops CLI needs to reach the stack on its host. */
export interface OpsTarget {
    readonly stack: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly hostKey: HostKey;
    readonly stackDir: string;
}

const DEFAULT_PROJECT = "telegram-ecosystem";
const DEFAULT_STACK_DIR = "/opt/telegram-ecosystem";
/** Config keys (issue 2's schema) and the stack output names read as a fallback. */
const KEYS = ["host", "sshPort", "sshUser", "hostKey", "stackDir"] as const;
type Key = (typeof KEYS)[number];
type Values = Partial<Record<Key, string>>;

/** --stack, then PULUMI_STACK, then the only Pulumi.<stack>.yaml in the project directory. */
export function chooseStack(
    dir: string,
    explicit: string | undefined,
    env: NodeJS.ProcessEnv,
): string {
    if (explicit) return explicit;
    if (env.PULUMI_STACK) return env.PULUMI_STACK;
    const stacks = readdirSync(dir)
        .map((name) => /^Pulumi\.(.+)\.ya?ml$/.exec(name)?.[1])
        .filter((name): name is string => name !== undefined);
    if (stacks.length === 1) return stacks[0]!;
    if (stacks.length === 0) {
        throw new Error(
            `no Pulumi.<stack>.yaml in ${dir}: run from the project root or pass --stack`,
        );
    }
    throw new Error(
        `several stacks (${stacks.join(", ")}): choose one with --stack or PULUMI_STACK`,
    );
}

/** The project name from Pulumi.yaml (the prefix of its config keys). */
export function projectName(dir: string): string {
    const file = join(dir, "Pulumi.yaml");
    if (!existsSync(file)) return DEFAULT_PROJECT;
    const name = (parseYaml(readFileSync(file, "utf8")) as { name?: unknown } | null)?.name;
    return typeof name === "string" ? name : DEFAULT_PROJECT;
}

function scalar(key: string, value: unknown, source: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string" || typeof value === "number") return String(value);
    if (typeof value === "object" && "secure" in value) {
        throw new Error(`${key} in ${source} is a secret; ops needs it in plain text`);
    }
    throw new Error(`${key} in ${source} must be a string, got ${JSON.stringify(value)}`);
}

/** Reads the keys ops needs from Pulumi.<stack>.yaml (`<project>:<key>` entries). */
export function readStackConfig(dir: string, stack: string): Values {
    const file = ["yaml", "yml"].map((ext) => join(dir, `Pulumi.${stack}.${ext}`)).find(existsSync);
    if (file === undefined) return {};
    const doc = parseYaml(readFileSync(file, "utf8")) as {
        config?: Record<string, unknown>;
    } | null;
    const config = doc?.config ?? {};
    const project = projectName(dir);
    const values: Values = {};
    for (const key of KEYS) {
        const value = scalar(key, config[`${project}:${key}`], file);
        if (value !== undefined) values[key] = value;
    }
    return values;
}

/** `pulumi stack output --json`, when the CLI is installed and the stack has been deployed. */
export function readStackOutputs(dir: string, stack: string, env: NodeJS.ProcessEnv): Values {
    const pulumi = findExecutable("pulumi", env);
    if (pulumi === undefined) return {};
    const result = spawnSync(pulumi, ["stack", "output", "--json", "--stack", stack], {
        cwd: dir,
        env,
        encoding: "utf8",
        timeout: 60_000,
    });
    if (result.status !== 0) return {};
    let outputs: Record<string, unknown>;
    try {
        outputs = JSON.parse(result.stdout) as Record<string, unknown>;
    } catch {
        return {};
    }
    const values: Values = {};
    for (const key of KEYS) {
        const value = outputs[key];
        if (typeof value === "string" || typeof value === "number") values[key] = String(value);
    }
    return values;
}

/** Validates the merged values (config first, outputs fill gaps) into a target. */
export function buildTarget(stack: string, config: Values, outputs: Values): OpsTarget {
    const value = (key: Key): string | undefined => config[key] ?? outputs[key];
    const host = value("host");
    if (!host) {
        throw new Error(
            `stack ${stack} has no host: \`pulumi config set host <ip> --stack ${stack}\``,
        );
    }
    const hostKeyLine = value("hostKey");
    if (!hostKeyLine) {
        throw new Error(
            `stack ${stack} has no pinned hostKey: run \`npm run trust-host -- ${host} --stack ` +
                `${stack}\` and compare the fingerprint with the Timeweb console`,
        );
    }
    const portText = value("sshPort") ?? "22";
    const port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new Error(`sshPort must be a port number, got ${JSON.stringify(portText)}`);
    }
    const stackDir = value("stackDir") ?? DEFAULT_STACK_DIR;
    if (!stackDir.startsWith("/"))
        throw new Error(`stackDir must be an absolute path, got ${stackDir}`);
    return {
        stack,
        host,
        port,
        user: value("sshUser") ?? "root",
        hostKey: parseHostKeyLine(hostKeyLine),
        stackDir,
    };
}

export function resolveTarget(
    dir: string,
    explicitStack: string | undefined,
    env: NodeJS.ProcessEnv,
): OpsTarget {
    const stack = chooseStack(dir, explicitStack, env);
    const config = readStackConfig(dir, stack);
    // Outputs cost a CLI round trip; they only matter when the config lacks the essentials.
    const complete = config.host !== undefined && config.hostKey !== undefined;
    return buildTarget(stack, config, complete ? {} : readStackOutputs(dir, stack, env));
}
