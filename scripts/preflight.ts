import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseStack, StackConfigError } from "../components/config/config";
import { connectionKeyOf, runPreflight } from "../components/preflight-probes";
import { describeKey, SSHD_MAX_AUTH_TRIES } from "../components/config/ssh-keys";
import { readRawConfig } from "../components/stack-config";
import { findExecutable } from "./lib/find-executable";

/**
 * `npm run preflight [-- --stack <name>]`: everything `pulumi up` checks before it touches the
 * server, without deploying: the stack config (keys, host key type, port plan), the SSH key the
 * clients will offer (sshPrivateKey or the ssh-agent, and its place in the agent), the runner,
 * and one handshake with the host. Reads the config, secrets included, with the Pulumi CLI.
 */

const USAGE = `Usage: npm run preflight [-- --stack <name>]

Checks, without deploying, what \`pulumi up\` needs before it touches the server: the stack config
(operator keys, sshPrivateKey, hostKey, the port plan), the SSH key the clients will offer and
its place in ssh-agent (sshd allows ${SSHD_MAX_AUTH_TRIES} keys), where it runs from, and one SSH
handshake with the host and its pinned key. Needs the Pulumi CLI, logged in, and
PULUMI_CONFIG_PASSPHRASE for the stack's secrets. Every problem is printed with its fix.

Exit status: 0 when everything passed, 1 when something must be fixed, 2 on a usage error.
`;

interface ConfigEntry {
    readonly value?: string;
}

/** `pulumi config --json --show-secrets` as the `<namespace>:<key>` -> string map the program sees. */
function stackConfig(stack: string | undefined): Record<string, string> {
    const pulumi = findExecutable("pulumi");
    if (pulumi === undefined)
        throw new Error("the Pulumi CLI is not on PATH (see Prerequisites in the README)");
    const args = [
        "config",
        "--json",
        "--show-secrets",
        ...(stack === undefined ? [] : ["--stack", stack]),
    ];
    const result = spawnSync(pulumi, args, { encoding: "utf8" });
    if (result.status !== 0) {
        throw new Error(`pulumi ${args.join(" ")} failed: ${result.stderr.trim()}`);
    }
    const entries = JSON.parse(result.stdout) as Record<string, ConfigEntry>;
    return Object.fromEntries(
        Object.entries(entries).flatMap(([key, entry]) =>
            entry.value === undefined ? [] : [[key, entry.value]],
        ),
    );
}

function projectName(): string {
    const file = join(process.cwd(), "Pulumi.yaml");
    const name = existsSync(file)
        ? (parseYaml(readFileSync(file, "utf8")) as { name?: unknown } | null)?.name
        : undefined;
    if (typeof name !== "string")
        throw new Error("no Pulumi.yaml here: run npm run preflight from the project root");
    return name;
}

function parseArgs(argv: readonly string[]): { stack?: string } | "help" {
    let stack: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i] as string;
        if (arg === "-h" || arg === "--help") return "help";
        if (arg === "--stack" || arg === "-s") {
            stack = argv[++i];
            if (stack === undefined) throw new UsageError(`${arg} needs a value`);
        } else throw new UsageError(`unknown argument ${arg}`);
    }
    return stack === undefined ? {} : { stack };
}

class UsageError extends Error {}

function report(problems: readonly string[]): number {
    console.log(
        `Preflight: ${problems.length} problem${problems.length === 1 ? "" : "s"} to fix first:`,
    );
    for (const problem of problems) console.log(`  - ${problem}`);
    return 1;
}

async function main(argv: readonly string[]): Promise<number> {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(argv);
    } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        console.error(`error: ${error.message}\n\n${USAGE}`);
        return 2;
    }
    if (args === "help") {
        console.log(USAGE);
        return 0;
    }
    const all = stackConfig(args.stack);
    let parsed: ReturnType<typeof parseStack>;
    try {
        parsed = parseStack(readRawConfig(all, projectName()), {
            requireSecrets: true,
            requireHostKey: true,
            hasTimewebToken: "timeweb:token" in all,
        });
    } catch (error) {
        if (error instanceof StackConfigError) return report(error.problems);
        throw error;
    }
    const { config, secrets } = parsed;
    const connectionKey = connectionKeyOf(secrets.sshPrivateKey, secrets.sshPrivateKeyPassword);
    // A server that `pulumi up` creates has no address yet: its first boot is checked when it exists.
    const host = config.host;
    const result = await runPreflight(
        config,
        {
            host: host ?? "(created by pulumi up)",
            ...(config.hostKey === undefined ? {} : { hostKey: config.hostKey }),
        },
        connectionKey,
        { env: process.env, probeHost: host !== undefined },
    );
    if (result.problems.length > 0) return report(result.problems);
    const key = result.dockerIdentity;
    console.log("Preflight passed:");
    console.log(
        `  SSH key: ${
            key?.kind === "agent-key"
                ? `${describeKey(key.publicKey)} from ssh-agent`
                : `sshPrivateKey${connectionKey === undefined ? "" : ` (${describeKey(connectionKey.publicKey)})`}`
        }`,
    );
    console.log(
        host === undefined
            ? "  host: created by pulumi up (timeweb.createServer); its host key is pinned on first boot"
            : `  host: ${config.sshUser}@${host}:${config.sshPort} answers with the pinned ed25519 key and offers key login`,
    );
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: Error) => {
            console.error(`error: ${error.message}`);
            process.exit(1);
        },
    );
}
