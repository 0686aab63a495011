import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";

export const GOLDEN_DIR = path.join(__dirname, "golden");

/** Compares with test/templates/golden/<name>; UPDATE_GOLDEN=1 rewrites the file instead. */
export function expectGolden(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1" || !existsSync(file)) {
        if (process.env.UPDATE_GOLDEN !== "1")
            throw new Error(`golden file ${name} is missing; run with UPDATE_GOLDEN=1`);
        mkdirSync(GOLDEN_DIR, { recursive: true });
        writeFileSync(file, actual);
        return;
    }
    expect(
        actual,
        `rendered ${name} differs from its golden file (UPDATE_GOLDEN=1 to accept)`,
    ).toBe(readFileSync(file, "utf8"));
}

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
