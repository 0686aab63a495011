import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";

/** A file the tests compare byte for byte with its rendering. */
export interface GoldenCase {
    /** Absolute path of the golden file. */
    readonly file: string;
    readonly render: () => string;
}

const ROOT = path.resolve(__dirname, "../..");
export const UPDATE_COMMAND = "npm run golden:update";

/**
 * Compares `actual` with the golden file. Never writes: a missing or different file fails, and
 * `npm run golden:update` (test/update-golden.ts) rewrites the files for review in the diff.
 */
export function expectGolden(file: string, actual: string): void {
    const name = path.relative(ROOT, file);
    if (!existsSync(file)) {
        throw new Error(`golden file ${name} is missing: run \`${UPDATE_COMMAND}\` and review it`);
    }
    expect(actual, `${name} differs from its rendering (\`${UPDATE_COMMAND}\` to accept)`).toBe(
        readFileSync(file, "utf8"),
    );
}
