import { createInterface } from "node:readline/promises";
import { connectPinned, resolveCredentials } from "../lib/ssh-connect";
import { generalUsage, parseCommandLine } from "./args";
import { UsageError, type OpsContext } from "./command-spec";
import { COMMANDS } from "./commands";
import { resolveTarget } from "./stack-target";

/** `npm run ops -- <command>`: the commands and their help are in commands.ts. */

async function ask(question: string): Promise<string> {
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    try {
        return (await rl.question(question)).trim();
    } finally {
        rl.close();
    }
}

async function run(argv: readonly string[]): Promise<number> {
    const parsed = parseCommandLine(argv, COMMANDS);
    if (parsed.kind === "help") {
        process.stdout.write(parsed.text);
        return 0;
    }
    const { global, command, params } = parsed;
    const target = resolveTarget(process.cwd(), global.stack, process.env);
    const context: OpsContext = {
        target,
        global,
        terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY),
        connect: () => connectPinned(target, resolveCredentials({ identity: global.identity })),
        ask,
    };
    return command.run(params, context);
}

if (require.main === module) {
    run(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: Error) => {
            if (error instanceof UsageError) {
                console.error(`ops: ${error.message}\n\n${generalUsage(COMMANDS)}`);
                process.exit(2);
            }
            console.error(`ops: ${error.message}`);
            process.exit(1);
        },
    );
}
