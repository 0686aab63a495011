import { cpus, loadavg } from "node:os";
import { renameSync, writeFileSync } from "node:fs";

/** One line of the table; `data` keeps the exact figures for results.json. */
export interface Row {
    id: string;
    name: string;
    ours: string;
    baseline: string;
    ratio: string;
    target: string;
    /** null = not measured in this run, or a figure without a target. */
    met: boolean | null;
    notes?: string;
    data: Record<string, unknown>;
}

export const NOT_MEASURED = "not measured";

/** A row that was not run: every measured column says so. */
export function notMeasured(id: string, name: string, target: string, why: string): Row {
    return {
        id,
        name,
        ours: NOT_MEASURED,
        baseline: NOT_MEASURED,
        ratio: NOT_MEASURED,
        target,
        met: null,
        notes: why,
        data: {},
    };
}

export function failed(id: string, name: string, target: string, error: unknown): Row {
    const message = error instanceof Error ? error.message : String(error);
    return {
        id,
        name,
        ours: "FAILED",
        baseline: "—",
        ratio: "—",
        target,
        met: false,
        notes: message.split("\n")[0]!.slice(0, 300),
        data: { error: message },
    };
}

export function table(rows: readonly Row[]): string {
    const head = ["#", "measurement", "ours", "baseline", "ratio", "target", "target met"];
    const lines = [
        `| ${head.join(" | ")} |`,
        `|${head.map(() => "---").join("|")}|`,
        ...rows.map((r) => {
            const none = r.ours === NOT_MEASURED ? NOT_MEASURED : "n/a";
            const met = r.met === null ? none : r.met ? "yes" : "**NO**";
            const cells = [r.id, r.name, r.ours, r.baseline, r.ratio, r.target, met];
            return `| ${cells.map(cell).join(" | ")} |`;
        }),
    ];
    const notes = rows.filter((r) => r.notes).map((r) => `- ${r.id}: ${r.notes}`);
    return [...lines, ...(notes.length ? ["", "Notes:", ...notes] : [])].join("\n");
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function writeResults(
    path: string,
    rows: readonly Row[],
    extra: Record<string, unknown>,
): void {
    const body = {
        generatedAt: new Date().toISOString(),
        machine: {
            cpus: cpus().length,
            cpuModel: cpus()[0]?.model,
            node: process.version,
            loadAverageAtEnd: loadavg()[0],
        },
        ...extra,
        rows,
    };
    writeFileSync(`${path}.tmp`, `${JSON.stringify(body, null, 2)}\n`);
    renameSync(`${path}.tmp`, path);
}

export function ms(value: number): string {
    return `${Math.round(value)} ms`;
}

export function times(value: number): string {
    return `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x`;
}

export function mib(bytes: number): string {
    return `${(bytes / 1048576).toFixed(1)} MiB`;
}
