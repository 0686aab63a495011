import { readFile, rm, writeFile } from "node:fs/promises";

/** The polling loop's liveness file: a timestamp written after each getUpdates round. */
export class Heartbeat {
    private lastWrite = 0;

    constructor(
        private readonly file: string,
        private readonly minIntervalMs = 1000,
    ) {}

    async beat(now = Date.now()): Promise<void> {
        if (now - this.lastWrite < this.minIntervalMs) return;
        this.lastWrite = now;
        await writeFile(this.file, String(now)).catch(() => undefined);
    }

    async clear(): Promise<void> {
        await rm(this.file, { force: true });
    }
}

/** Age of the last heartbeat in ms, or undefined when there is none. */
export async function heartbeatAge(file: string, now = Date.now()): Promise<number | undefined> {
    try {
        const at = Number((await readFile(file, "utf8")).trim());
        return Number.isFinite(at) && at > 0 ? now - at : undefined;
    } catch {
        return undefined;
    }
}
