import {
    existsSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { expectGolden } from "../helpers/golden";
import { OPERATIONS_GOLDEN_DIR, operationsGoldenCases } from "../operations/golden-cases";
import { TEMPLATE_GOLDEN_DIR, templateGoldenCases } from "./golden-cases";

describe("golden files", () => {
    const scratch = mkdtempSync(path.join(tmpdir(), "golden-test-"));
    afterAll(() => rmSync(scratch, { recursive: true, force: true }));

    it("a missing golden file fails the comparison and is not written back", () => {
        const missing = path.join(scratch, "missing.conf");
        expect(() => expectGolden(missing, "rendered\n")).toThrow(
            /missing\.conf is missing: run `npm run golden:update`/,
        );
        expect(existsSync(missing)).toBe(false);
    });

    it("a golden file that differs fails the comparison", () => {
        const file = path.join(scratch, "differs.conf");
        writeFileSync(file, "old\n");
        expect(() => expectGolden(file, "new\n")).toThrow(/differs from its rendering/);
    });

    it.each([
        ["test/templates/golden", TEMPLATE_GOLDEN_DIR, templateGoldenCases],
        ["test/operations/golden", OPERATIONS_GOLDEN_DIR, operationsGoldenCases],
    ])("every file in %s is compared by a test (none is stale)", (_name, dir, cases) => {
        const compared = cases().map((golden) => path.basename(golden.file));
        expect(readdirSync(dir).sort()).toEqual([...compared].sort());
    });

    it("no test uses vitest's snapshots, which write a missing snapshot file and pass", () => {
        const root = path.resolve(__dirname, "../..");
        const users = ["test", "bot/test"]
            .flatMap((dir) =>
                readdirSync(path.join(root, dir), { recursive: true, encoding: "utf8" }).map(
                    (file) => path.join(dir, file),
                ),
            )
            .filter((file) => file.endsWith(".ts") && file !== path.relative(root, __filename))
            .filter((file) => {
                const text = readFileSync(path.join(root, file), "utf8");
                return /\.toMatch(File|Inline)?Snapshot\(/.test(text);
            });
        expect(users).toEqual([]);
    });
});
