/**
 * Per-user minimum interval between accepted actions. A rejected action does not move the
 * user's timestamp. Old entries are purged once the map grows past `purgeAbove`.
 */
export class RateLimiter {
    private readonly last = new Map<number, number>();

    constructor(
        private readonly intervalMs: number,
        private readonly purgeAbove = 1000,
    ) {}

    /** Users whose last accepted action is remembered (the memory the limiter holds). */
    get trackedUsers(): number {
        return this.last.size;
    }

    /** 0 when allowed (and recorded), else the whole seconds the user should wait. */
    hit(userId: number, now = Date.now()): number {
        const previous = this.last.get(userId);
        if (previous !== undefined && now - previous < this.intervalMs) {
            return Math.floor((this.intervalMs - (now - previous)) / 1000) + 1;
        }
        this.last.set(userId, now);
        if (this.last.size > this.purgeAbove) this.purge(now);
        return 0;
    }

    private purge(now: number): void {
        const horizon = Math.max(this.intervalMs, 3600_000);
        for (const [user, at] of this.last) if (now - at > horizon) this.last.delete(user);
    }
}
