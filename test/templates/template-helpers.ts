import { spawnSync, type SpawnSyncReturns } from "node:child_process";

/** Runs a tool; throws with its output when it is not installed (tests must not pass silently). */
export function run(
    command: string,
    args: readonly string[],
    options: { input?: string; cwd?: string } = {},
): SpawnSyncReturns<string> {
    const result = spawnSync(command, args, { encoding: "utf8", ...options });
    if (result.error)
        throw new Error(
            `${command} is not available (${result.error.message}); run scripts/install-deps.sh`,
        );
    return result;
}
