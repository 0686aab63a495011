import { spawnSync } from "node:child_process";
import { createInterface } from "node:readline/promises";
import { findExecutable } from "./lib/find-executable";
import { fingerprint, formatHostKeyLine, type HostKey } from "./lib/host-key";
import { shellJoin } from "./lib/shell-quote";
import { fetchHostKey } from "./lib/ssh-connect";

/**
 * `npm run trust-host -- <host> [port] [--stack <name>] [--fingerprint SHA256:...] [--yes]`
 * Reads the server's host key, shows its fingerprint for comparison with the Timeweb console and
 * pins it as `hostKey` in the stack config.
 */

const USAGE = `Usage: npm run trust-host -- <host> [port] [options]

Reads the ssh-ed25519 host key of <host> (port 22 by default) without logging in, prints its
SHA256 fingerprint and pins it as \`hostKey\` in the Pulumi stack config. Compare the fingerprint
with the one the Timeweb console shows for the server before you accept it: on a terminal it
asks; without one (a script, CI) it pins only with --fingerprint or --yes.

Options:
  --stack <name>          stack to write to (passed to \`pulumi config set --stack\`)
  --fingerprint <SHA256:...>
                          expected fingerprint (from the console); refuse anything else
  --yes                   pin without asking (you compared the fingerprint yourself)
  -h, --help              show this help
`;

interface TrustHostArgs {
    host: string;
    port: number;
    stack?: string;
    expectedFingerprint?: string;
    yes: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[]): TrustHostArgs | "help" {
    const positional: string[] = [];
    let stack: string | undefined;
    let expectedFingerprint: string | undefined;
    let yes = false;
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i]!;
        const value = (): string => {
            const next = argv[++i];
            if (next === undefined) throw new UsageError(`${arg} needs a value`);
            return next;
        };
        if (arg === "-h" || arg === "--help") return "help";
        else if (arg === "--stack" || arg === "-s") stack = value();
        else if (arg === "--fingerprint") expectedFingerprint = value();
        else if (arg === "--yes" || arg === "-y") yes = true;
        else if (arg.startsWith("-")) throw new UsageError(`unknown option ${arg}`);
        else positional.push(arg);
    }
    const [host, portText, ...extra] = positional;
    if (host === undefined) throw new UsageError("missing <host>");
    if (extra.length > 0) throw new UsageError(`unexpected argument ${extra[0]}`);
    const port = portText === undefined ? 22 : Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
        throw new UsageError(`port must be a number from 1 to 65535, got ${portText}`);
    }
    return { host, port, stack, expectedFingerprint, yes };
}

async function confirm(question: string): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
        rl.close();
    }
}

/** The `pulumi config set` argv that pins the key (the value is one argv element: no quoting). */
export function configSetArgs(line: string, stack?: string): string[] {
    return ["config", "set", "hostKey", line, ...(stack === undefined ? [] : ["--stack", stack])];
}

function pinKey(key: HostKey, stack: string | undefined): number {
    const args = configSetArgs(formatHostKeyLine(key), stack);
    const pulumi = findExecutable("pulumi");
    if (pulumi === undefined) {
        console.log("The pulumi CLI is not on PATH. Pin the key with:");
        console.log(`  pulumi ${shellJoin(args)}`);
        return 0;
    }
    const result = spawnSync(pulumi, args, { stdio: "inherit" });
    if (result.status !== 0) {
        console.error(`error: \`pulumi ${shellJoin(args)}\` failed; run it yourself once fixed`);
        return 1;
    }
    console.log(`Pinned hostKey in the stack config${stack ? ` of stack ${stack}` : ""}.`);
    return 0;
}

async function main(argv: readonly string[]): Promise<number> {
    let args: TrustHostArgs | "help";
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
    const key = await fetchHostKey(args.host, args.port);
    const print = fingerprint(key);
    console.log(`Host key of ${args.host}:${args.port}`);
    console.log(`  type:        ${key.type}`);
    console.log(`  fingerprint: ${print}`);
    if (args.expectedFingerprint !== undefined) {
        if (args.expectedFingerprint.trim() !== print) {
            console.error(
                `error: the server presented ${print}, not the expected ` +
                    `${args.expectedFingerprint}; nothing was pinned. Check the address and the ` +
                    "fingerprint in the Timeweb console.",
            );
            return 1;
        }
        console.log("  matches the expected fingerprint.");
    } else if (!args.yes) {
        console.log("Compare it with the fingerprint the Timeweb console shows for this server.");
        if (!process.stdin.isTTY) {
            console.error(
                "error: not pinned: there is no terminal to confirm the fingerprint on. Compare it, " +
                    `then run again with --fingerprint ${print} (or --yes).`,
            );
            return 1;
        }
        if (!(await confirm("Does it match? [y/N] "))) {
            console.error("Not pinned.");
            return 1;
        }
    }
    return pinKey(key, args.stack);
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
