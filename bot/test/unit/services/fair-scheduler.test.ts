import { afterEach, describe, expect, it, vi } from "vitest";
import { FairScheduler } from "../../../src/services/fair-scheduler.js";

/** Lets every job the scheduler has started run up to its first await. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Jobs that record when they start and end only when the test says so. */
class Jobs {
    readonly started: string[] = [];
    readonly errors: Array<[string, string]> = [];
    private readonly ends = new Map<string, { resolve(): void; reject(error: Error): void }>();

    scheduler(concurrency: number, maxQueuedPerKey: number): FairScheduler {
        return new FairScheduler(concurrency, maxQueuedPerKey, (error, key) =>
            this.errors.push([(error as Error).message, key]),
        );
    }

    /** Enqueues job `name` under the key named by its first letter. */
    add(scheduler: FairScheduler, ...names: string[]): boolean[] {
        return names.map((name) => scheduler.enqueue(name[0]!, this.job(name)));
    }

    job(name: string): () => Promise<void> {
        return () =>
            new Promise<void>((resolve, reject) => {
                this.started.push(name);
                this.ends.set(name, { resolve, reject });
            });
    }

    async finish(...names: string[]): Promise<void> {
        for (const name of names) this.ends.get(name)!.resolve();
        await settle();
    }

    async fail(name: string): Promise<void> {
        this.ends.get(name)!.reject(new Error(`${name} failed`));
        await settle();
    }
}

describe("FairScheduler (one queue per user, round-robin between users)", () => {
    afterEach(() => {
        vi.useRealTimers();
    });

    it("runs one key's jobs one at a time, in the order they were enqueued", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(4, 10);
        jobs.add(s, "a1", "a2", "a3");
        await settle();
        expect(jobs.started).toEqual(["a1"]);
        expect([s.active, s.waiting]).toEqual([1, 2]);
        await jobs.finish("a1");
        expect(jobs.started).toEqual(["a1", "a2"]);
        await jobs.finish("a2");
        await jobs.finish("a3");
        expect(jobs.started).toEqual(["a1", "a2", "a3"]);
        expect([s.active, s.waiting]).toEqual([0, 0]);
    });

    it("runs different keys side by side, never more than `concurrency` jobs at once", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(2, 10);
        jobs.add(s, "a1", "b1", "c1");
        await settle();
        expect(jobs.started).toEqual(["a1", "b1"]);
        expect([s.active, s.waiting]).toEqual([2, 1]);
        await jobs.finish("b1");
        expect(jobs.started).toEqual(["a1", "b1", "c1"]);
        expect(s.active).toBe(2);
    });

    it("one key's flood waits behind that key's own work only: another key's job runs next", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 200);
        const flood = Array.from({ length: 130 }, (_, i) => `f${i + 1}`);
        jobs.add(s, ...flood);
        await settle();
        jobs.add(s, "o1");
        await jobs.finish("f1");
        expect(jobs.started).toEqual(["f1", "o1"]);
        await jobs.finish("o1");
        expect(jobs.started).toEqual(["f1", "o1", "f2"]);
        expect(s.waiting).toBe(128);
    });

    it("keys take turns: a key whose job ends goes behind every key already waiting", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 10);
        jobs.add(s, "a1", "a2", "a3", "b1", "b2", "c1");
        await settle();
        for (const name of ["a1", "b1", "c1", "a2", "b2", "a3"]) await jobs.finish(name);
        expect(jobs.started).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
    });

    it("refuses a key's jobs beyond maxQueuedPerKey waiting ones, and only that key's", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 2);
        expect(jobs.add(s, "a1")).toEqual([true]);
        await settle(); // a1 runs and no longer counts as waiting
        expect(jobs.add(s, "a2", "a3", "a4")).toEqual([true, true, false]);
        expect(jobs.add(s, "b1", "b2")).toEqual([true, true]);
        await jobs.finish("a1"); // b1's turn; a2 and a3 still wait
        expect(jobs.add(s, "a5")).toEqual([false]);
        await jobs.finish("b1"); // a2 starts: the key has room again
        expect(jobs.add(s, "a5")).toEqual([true]);
        for (const name of ["a2", "b2", "a3", "a5"]) await jobs.finish(name);
        expect(jobs.started).toEqual(["a1", "b1", "a2", "b2", "a3", "a5"]);
        expect(jobs.started).not.toContain("a4");
    });

    it("reports a failed job with its key and goes on with that key's next job", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 10);
        jobs.add(s, "a1", "a2");
        await settle();
        await jobs.fail("a1");
        expect(jobs.errors).toEqual([["a1 failed", "a"]]);
        expect(jobs.started).toEqual(["a1", "a2"]);
        expect(s.active).toBe(1);
    });

    it("close drops waiting jobs, refuses new ones and waits for the running ones", async () => {
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 10);
        jobs.add(s, "a1", "a2", "b1");
        await settle();
        let closed = false;
        const closing = s.close(60_000).then(() => (closed = true));
        expect(s.waiting).toBe(0);
        expect(jobs.add(s, "c1")).toEqual([false]);
        await settle();
        expect(closed).toBe(false);
        await jobs.finish("a1");
        await closing;
        expect(jobs.started).toEqual(["a1"]);
        expect(s.active).toBe(0);
    });

    it("close gives up on a job that outlives its timeout", async () => {
        vi.useFakeTimers();
        const jobs = new Jobs();
        const s = jobs.scheduler(1, 10);
        jobs.add(s, "a1");
        await vi.advanceTimersByTimeAsync(0);
        let closed = false;
        const closing = s.close(5_000).then(() => (closed = true));
        await vi.advanceTimersByTimeAsync(4_999);
        expect(closed).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        await closing;
        expect(jobs.started).toEqual(["a1"]);
        expect(s.active).toBe(1);
    });
});
