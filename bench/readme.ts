import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { table, type Row } from "./report.js";

export const BEGIN =
    "<!-- bench results: generated from bench/results.json by `npm run bench:readme`; " +
    "do not edit -->";
export const END = "<!-- end of bench results -->";

export interface Results {
    generatedAt: string;
    machine: { cpus: number; cpuModel?: string; node: string; loadAverageAtEnd?: number };
    withVps: boolean;
    loadAverageAtStart?: number;
    rows: Row[];
}

/** The benchmark section of docs/benchmarks.md (between the markers) for one run's results.json. */
export function renderBenchSection(results: Results): string {
    const { cpus, cpuModel, node, loadAverageAtEnd } = results.machine;
    const vps = results.withVps ? "with" : "without";
    const load = (value?: number) => (value === undefined ? "unknown" : value.toFixed(1));
    return [
        BEGIN,
        `One run of \`npm run bench\` on ${results.generatedAt.slice(0, 10)}: ${cpus} CPUs ` +
            `(${cpuModel ?? "unknown model"}), Node ${node}, ${vps} \`--with-vps\`; 1-minute ` +
            `load average ${load(results.loadAverageAtStart)} at the start and ` +
            `${load(loadAverageAtEnd)} at the end (the machine is shared).`,
        "",
        table(results.rows),
        END,
    ].join("\n");
}

/** The section as it stands in docs/benchmarks.md, markers included; throws when a marker is missing. */
export function readmeSection(readme: string): string {
    const begin = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    if (begin < 0 || end < begin) {
        throw new Error(`docs/benchmarks.md lacks the bench markers ${BEGIN} ... ${END}`);
    }
    return readme.slice(begin, end + END.length);
}

/** Rewrites the benchmark table in docs/benchmarks.md from bench/results.json. */
export function writeReadmeSection(root: string): void {
    const readmePath = join(root, "docs", "benchmarks.md");
    const readme = readFileSync(readmePath, "utf8");
    const resultsPath = join(root, "bench", "results.json");
    const results = JSON.parse(readFileSync(resultsPath, "utf8")) as Results;
    const section = renderBenchSection(results);
    writeFileSync(
        readmePath,
        readme.replace(readmeSection(readme), () => section),
    );
}
