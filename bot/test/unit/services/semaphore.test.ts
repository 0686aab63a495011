import { describe, expect, it } from "vitest";
import { CancelledError } from "../../../src/errors.js";
import { Semaphore } from "../../../src/services/semaphore.js";

describe("Semaphore", () => {
    it("queues beyond the limit, reports positions and admits in order", async () => {
        const s = new Semaphore(1);
        const positions: Array<[string, number]> = [];
        const first = await s.acquire();
        const second = s.acquire(undefined, (p) => positions.push(["b", p]));
        const third = s.acquire(undefined, (p) => positions.push(["c", p]));
        expect(s.waiting).toBe(2);
        first();
        const releaseSecond = await second;
        expect(positions).toEqual([
            ["b", 1],
            ["c", 2],
            ["c", 1],
        ]);
        releaseSecond();
        (await third)();
        expect(s.running).toBe(0);
    });

    it("an aborted waiter leaves the queue with CancelledError", async () => {
        const s = new Semaphore(1);
        const held = await s.acquire();
        const controller = new AbortController();
        const waiting = s.acquire(controller.signal);
        controller.abort();
        await expect(waiting).rejects.toBeInstanceOf(CancelledError);
        expect(s.waiting).toBe(0);
        held();
        expect(s.running).toBe(0);
    });
});
