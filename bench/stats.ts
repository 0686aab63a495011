export function median(values: readonly number[]): number {
    return quantile(values, 0.5);
}

/** Nearest-rank quantile (p95 of 50 values = the 48th smallest). */
export function quantile(values: readonly number[], q: number): number {
    if (values.length === 0) return Number.NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const rank = Math.max(1, Math.ceil(q * sorted.length));
    return sorted[rank - 1]!;
}

/** The spread of repeated trials of one measurement. */
export interface Spread {
    trials: number;
    min: number;
    median: number;
    max: number;
}

export function spread(values: readonly number[]): Spread {
    return {
        trials: values.length,
        min: Math.min(...values),
        median: median(values),
        max: Math.max(...values),
    };
}

/** "min 147 ms, median 167 ms, max 300 ms (7 trials)", each value through `format`. */
export function describeSpread(
    values: readonly number[],
    format: (value: number) => string,
    trials = "trials",
): string {
    const s = spread(values);
    return (
        `min ${format(s.min)}, median ${format(s.median)}, max ${format(s.max)} ` +
        `(${s.trials} ${trials})`
    );
}

/** A target is met only when every trial meets it (and there was a trial). */
export function everyTrial(values: readonly number[], meets: (value: number) => boolean): boolean {
    return values.length > 0 && values.every(meets);
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `check` returns true; throws a message naming `what` after `timeoutMs`. */
export async function waitUntil(
    check: () => boolean,
    timeoutMs: number,
    what: string,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
        if (Date.now() > deadline) {
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        }
        await sleep(10);
    }
}

export const MB = 1024 * 1024;
