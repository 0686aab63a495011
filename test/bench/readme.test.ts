import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readmeSection, renderBenchSection, type Results } from "../../bench/readme";
import { NOT_MEASURED, notMeasured, table, type Row } from "../../bench/report";
import { describeSpread, everyTrial } from "../../bench/stats";

const ROOT = path.resolve(__dirname, "../..");
const results = JSON.parse(
    readFileSync(path.join(ROOT, "bench", "results.json"), "utf8"),
) as Results;

/** The cells of a row's line in a rendered table. */
function cells(rendered: string, id: string): string[] {
    const line = rendered.split("\n").find((candidate) => candidate.startsWith(`| ${id} |`));
    if (!line) throw new Error(`no row ${id} in the table`);
    return line.slice(2, -2).split(" | ");
}

describe("the benchmark table in docs/benchmarks.md", () => {
    it("is exactly what bench/results.json gives (`npm run bench:readme` rewrites it)", () => {
        const readme = readFileSync(path.join(ROOT, "docs", "benchmarks.md"), "utf8");
        expect(readmeSection(readme)).toBe(renderBenchSection(results));
    });

    it("comes from one run: one date, each row once", () => {
        expect(Number.isNaN(Date.parse(results.generatedAt))).toBe(false);
        const ids = results.rows.map((row) => row.id);
        expect(new Set(ids).size).toBe(ids.length);
    });

    it("says 'not measured' in every measured column of a row that was not run", () => {
        for (const row of results.rows.filter((r) => r.ours === NOT_MEASURED)) {
            expect([row.baseline, row.ratio, row.met], row.id).toEqual([
                NOT_MEASURED,
                NOT_MEASURED,
                null,
            ]);
        }
        const row = notMeasured("9", "a row", "a target", "needs root");
        const [, , ours, baseline, ratio, target, met] = cells(table([row]), "9");
        expect([ours, baseline, ratio, met]).toEqual(Array(4).fill(NOT_MEASURED));
        expect(target).toBe("a target");
    });

    it("shows a measured row's verdict: yes, **NO**, or n/a without a target", () => {
        const measured = (met: boolean | null): Row => ({
            ...notMeasured("1", "a row", "a target", ""),
            ours: "3",
            baseline: "—",
            ratio: "—",
            met,
        });
        expect(cells(table([measured(true)]), "1").at(-1)).toBe("yes");
        expect(cells(table([measured(false)]), "1").at(-1)).toBe("**NO**");
        expect(cells(table([measured(null)]), "1").at(-1)).toBe("n/a");
    });
});

describe("timings over trials", () => {
    it("meet a target only when every trial does", () => {
        expect(everyTrial([12, 53, 70], (ratio) => ratio >= 10)).toBe(true);
        expect(everyTrial([1.4, 53, 70], (ratio) => ratio >= 10)).toBe(false);
        expect(everyTrial([], () => true)).toBe(false);
    });

    it("are reported with their spread", () => {
        expect(describeSpread([300, 147, 167], (v) => `${v} ms`)).toBe(
            "min 147 ms, median 167 ms, max 300 ms (3 trials)",
        );
    });
});
