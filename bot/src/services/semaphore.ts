import { CancelledError } from "../errors.js";

interface Waiter {
    grant: (release: () => void) => void;
    fail: (error: Error) => void;
    onPosition?: (position: number) => void;
}

/**
 * A counting semaphore with a FIFO queue. Waiters learn their queue position (1 = next) whenever
 * it changes, and leave the queue when their AbortSignal fires.
 */
export class Semaphore {
    private active = 0;
    private readonly queue: Waiter[] = [];

    constructor(private readonly limit: number) {}

    get running(): number {
        return this.active;
    }

    get waiting(): number {
        return this.queue.length;
    }

    acquire(signal?: AbortSignal, onPosition?: (position: number) => void): Promise<() => void> {
        if (signal?.aborted) return Promise.reject(new CancelledError());
        if (this.active < this.limit && this.queue.length === 0) {
            this.active += 1;
            return Promise.resolve(this.releaser());
        }
        return new Promise((resolve, reject) => {
            const waiter: Waiter = {
                grant: (release) => {
                    signal?.removeEventListener("abort", onAbort);
                    resolve(release);
                },
                fail: reject,
                onPosition,
            };
            const onAbort = () => {
                const index = this.queue.indexOf(waiter);
                if (index >= 0) this.queue.splice(index, 1);
                this.announce();
                reject(new CancelledError());
            };
            signal?.addEventListener("abort", onAbort, { once: true });
            this.queue.push(waiter);
            onPosition?.(this.queue.length);
        });
    }

    private releaser(): () => void {
        let released = false;
        return () => {
            if (released) return;
            released = true;
            this.active -= 1;
            const next = this.queue.shift();
            if (next) {
                this.active += 1;
                next.grant(this.releaser());
                this.announce();
            }
        };
    }

    private announce(): void {
        this.queue.forEach((waiter, i) => waiter.onPosition?.(i + 1));
    }
}
