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
