type Job = () => Promise<void>;

/**
 * Runs work for many users fairly: one FIFO queue per key (a user), at most one job per key at a
 * time, at most `concurrency` jobs in all, and keys take turns (round-robin), so one user's flood
 * waits behind that user's own work only. A key holds at most `maxQueuedPerKey` waiting jobs;
 * `enqueue` refuses the rest.
 */
export class FairScheduler {
    private readonly queues = new Map<string, Job[]>();
    /** Keys with waiting work and no running job, in turn order. */
    private readonly turns: string[] = [];
    private readonly running = new Map<string, Promise<void>>();
    private closed = false;

    constructor(
        private readonly concurrency: number,
        private readonly maxQueuedPerKey: number,
        private readonly onError: (error: unknown, key: string) => void,
    ) {}

    get active(): number {
        return this.running.size;
    }

    get waiting(): number {
        let count = 0;
        for (const queue of this.queues.values()) count += queue.length;
        return count;
    }

    /** false when the key's queue is full or the scheduler is closed (the job will not run). */
    enqueue(key: string, job: Job): boolean {
        if (this.closed) return false;
        const queue = this.queues.get(key) ?? [];
        if (queue.length >= this.maxQueuedPerKey) return false;
        queue.push(job);
        this.queues.set(key, queue);
        if (queue.length === 1 && !this.running.has(key)) this.turns.push(key);
        this.pump();
        return true;
    }

    /** Drops waiting jobs and waits (bounded) for the running ones. */
    async close(timeoutMs: number): Promise<void> {
        this.closed = true;
        this.queues.clear();
        this.turns.length = 0;
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, timeoutMs);
        });
        await Promise.race([Promise.allSettled([...this.running.values()]), late]);
        clearTimeout(timer);
    }

    private pump(): void {
        while (this.running.size < this.concurrency && this.turns.length > 0) {
            const key = this.turns.shift()!;
            const queue = this.queues.get(key)!;
            const job = queue.shift()!;
            if (queue.length === 0) this.queues.delete(key);
            const done = this.run(key, job);
            this.running.set(key, done);
        }
    }

    private run(key: string, job: Job): Promise<void> {
        // Started on a later tick, so `running` holds the key before the job can finish.
        return Promise.resolve()
            .then(job)
            .catch((error: unknown) => this.onError(error, key))
            .finally(() => {
                this.running.delete(key);
                // The key goes to the back of the line: everyone else waiting gets a turn first.
                if (this.queues.has(key)) this.turns.push(key);
                this.pump();
            });
    }
}
