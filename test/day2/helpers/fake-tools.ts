import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { RunResult, runProcess } from "../../helpers/child-process";

/** One recorded invocation of a fake executable. */
export interface RecordedCall {
    readonly argv: string[];
    readonly cwd: string;
    readonly stdin?: string;
}

/**
 * Writes a fake `docker` into binDir. It appends `{argv, cwd, stdin}` as one JSON line to logPath,
 * answers the compose commands ops sends with canned output, echoes stdin for `compose exec`, and
 * exits with the number in `<binDir>/docker-exit` when that file exists.
 */
export function installFakeDocker(binDir: string, logPath: string): void {
    const script = `#!${process.execPath}
const fs = require("node:fs");
const argv = process.argv.slice(2);
const readsStdin = argv[0] === "compose" && argv[1] === "exec";
const stdin = readsStdin ? fs.readFileSync(0, "utf8") : undefined;
fs.appendFileSync(${JSON.stringify(logPath)}, JSON.stringify({ argv, cwd: process.cwd(), stdin }) + "\\n");
const [a, b, c] = argv;
if (a === "compose" && b === "ps" && c === "-a") {
    console.log("NAME                            SERVICE      STATUS");
    console.log("telegram-ecosystem-postgres-1   postgres     Up 5 minutes (healthy)");
} else if (a === "compose" && b === "ps" && c === "-q") {
    console.log("c0ffee01");
    console.log("c0ffee02");
} else if (a === "stats") {
    console.log("NAME   CPU %   MEM USAGE / LIMIT");
} else if (a === "compose" && b === "logs") {
    console.log("postgres-1  | database system is ready to accept connections");
} else if (readsStdin) {
    process.stdout.write("exec stdin: " + stdin);
}
const exitFile = ${JSON.stringify(join(binDir, "docker-exit"))};
process.exitCode = fs.existsSync(exitFile) ? Number(fs.readFileSync(exitFile, "utf8")) : 0;
`;
    writeFileSync(join(binDir, "docker"), script);
    chmodSync(join(binDir, "docker"), 0o755);
}

/** A fake `pulumi` that records its argv (JSON lines), prints `stdout` and exits 0. */
export function installFakePulumi(binDir: string, logPath: string, stdout = ""): void {
    const script = `#!${process.execPath}
require("node:fs").appendFileSync(${JSON.stringify(logPath)},
    JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }) + "\\n");
process.stdout.write(${JSON.stringify(stdout)});
`;
    writeFileSync(join(binDir, "pulumi"), script);
    chmodSync(join(binDir, "pulumi"), 0o755);
}

export function readCalls(logPath: string): RecordedCall[] {
    if (!existsSync(logPath)) return [];
    return readFileSync(logPath, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as RecordedCall);
}

export type CliResult = RunResult;

const ROOT = resolve(__dirname, "../../..");
const TSX_CLI = join(ROOT, "node_modules/tsx/dist/cli.mjs");

/** Runs one of our TypeScript CLIs (path relative to the repo root) the way `npm run` does. */
export function runCli(
    script: string,
    args: readonly string[],
    options: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<CliResult> {
    return runProcess(process.execPath, [TSX_CLI, join(ROOT, script), ...args], options);
}
