import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { parseTimewebBlock } from "../../components/config/config";
import { DEFAULT_ENDPOINT } from "../../components/timeweb/api-client";
import { apiContext } from "../../components/timeweb/provider-options";
import { findExecutable } from "../lib/find-executable";
import { chooseStack, projectName } from "../ops/stack-target";
import { formatPlan, planServer } from "./plan";

/** `npm run timeweb -- plan`: see USAGE. */

const USAGE = `Usage: npm run timeweb -- plan [--stack <name>] [--endpoint <url>]

Shows, before anything is created, which Timeweb server \`pulumi up\` would buy with the stack's
\`timeweb\` config: preset or configurator, OS image, location and the monthly price, resolved
against Timeweb's live catalogue. It only reads the catalogue (GET requests).

The API token comes from TIMEWEB_TOKEN, else from \`pulumi config get timeweb:token\`.

Options:
  --stack <name>     stack whose Pulumi.<stack>.yaml to read (default: PULUMI_STACK, or the
                     only Pulumi.<stack>.yaml here)
  --endpoint <url>   API root (default ${DEFAULT_ENDPOINT})
  -h, --help         show this help
`;

class UsageError extends Error {}

interface PlanArgs {
    readonly stack?: string;
    readonly endpoint?: string;
}

function parseArgs(argv: readonly string[]): PlanArgs | "help" {
    const [command, ...rest] = argv;
    if (command === undefined || command === "-h" || command === "--help" || command === "help")
        return "help";
    if (command !== "plan") throw new UsageError(`unknown command ${command}`);
    let stack: string | undefined;
    let endpoint: string | undefined;
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i]!;
        const value = (): string => {
            const next = rest[++i];
            if (next === undefined) throw new UsageError(`${arg} needs a value`);
            return next;
        };
        if (arg === "-h" || arg === "--help") return "help";
        else if (arg === "--stack" || arg === "-s") stack = value();
        else if (arg === "--endpoint") endpoint = value();
        else throw new UsageError(`unexpected argument ${arg}`);
    }
    return { stack, endpoint };
}

/** The project's config of Pulumi.<stack>.yaml as a plain object (`<project>:timeweb` -> `timeweb`). */
function readRawConfig(dir: string, stack: string): Record<string, unknown> {
    const file = ["yaml", "yml"].map((ext) => join(dir, `Pulumi.${stack}.${ext}`)).find(existsSync);
    if (file === undefined) {
        throw new Error(
            `no Pulumi.${stack}.yaml in ${dir}: run from the project root, or create the stack ` +
                `with \`pulumi stack select --create ${stack}\``,
        );
    }
    const doc = parseYaml(readFileSync(file, "utf8")) as {
        config?: Record<string, unknown>;
    } | null;
    const prefix = `${projectName(dir)}:`;
    return Object.fromEntries(
        Object.entries(doc?.config ?? {})
            .filter(([key]) => key.startsWith(prefix))
            .map(([key, value]) => [key.slice(prefix.length), value]),
    );
}

/** TIMEWEB_TOKEN, else the stack's secret `timeweb:token` through the Pulumi CLI. */
function readToken(dir: string, stack: string, env: NodeJS.ProcessEnv): string {
    if (env.TIMEWEB_TOKEN?.trim()) return env.TIMEWEB_TOKEN.trim();
    const pulumi = findExecutable("pulumi", env);
    const fix =
        "set TIMEWEB_TOKEN=<token>, or store it with " +
        `\`pulumi config set --secret timeweb:token <token> --stack ${stack}\` ` +
        "(create the token in the Timeweb panel under API и Terraform)";
    if (pulumi === undefined) throw new Error(`no Timeweb API token and no pulumi CLI: ${fix}`);
    const result = spawnSync(pulumi, ["config", "get", "timeweb:token", "--stack", stack], {
        cwd: dir,
        env,
        encoding: "utf8",
        timeout: 60_000,
    });
    const token = result.status === 0 ? result.stdout.trim() : "";
    if (token === "") throw new Error(`stack ${stack} has no Timeweb API token: ${fix}`);
    return token;
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
    let args: PlanArgs | "help";
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
    const dir = process.cwd();
    const stack = chooseStack(dir, args.stack, env);
    const config = parseTimewebBlock(readRawConfig(dir, stack));
    const token = readToken(dir, stack, env);
    const ctx = apiContext({ endpoint: args.endpoint }, token);
    const plan = await planServer(ctx, config);
    for (const line of formatPlan(stack, config, plan)) console.log(line);
    return 0;
}

main(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(1);
    },
);
