export type Verdict =
    | { allowed: true }
    /** `notify` is true for the first rejection after an accepted action only. */
    | { allowed: false; waitSeconds: number; notify: boolean };

/**
 * Per-user minimum interval between accepted actions. A rejected action does not move the
 * user's timestamp, and only the first rejection inside a cooldown asks for a notice (a flood of
 * rejected messages gets one "wait" reply, not one each). Old entries are purged once the map
 * grows past `purgeAbove`.
 */
export class RateLimiter {
    private readonly last = new Map<number, { at: number; noticed: boolean }>();

    constructor(
        private readonly intervalMs: number,
        private readonly purgeAbove = 1000,
    ) {}

    /** Users whose last accepted action is remembered (the memory the limiter holds). */
    get trackedUsers(): number {
        return this.last.size;
    }

    hit(userId: number, now = Date.now()): Verdict {
        const previous = this.last.get(userId);
        if (previous !== undefined && now - previous.at < this.intervalMs) {
            const waitSeconds = Math.floor((this.intervalMs - (now - previous.at)) / 1000) + 1;
            const notify = !previous.noticed;
            previous.noticed = true;
            return { allowed: false, waitSeconds, notify };
        }
        this.last.set(userId, { at: now, noticed: false });
        if (this.last.size > this.purgeAbove) this.purge(now);
        return { allowed: true };
    }

    private purge(now: number): void {
        const horizon = Math.max(this.intervalMs, 3600_000);
        for (const [user, entry] of this.last) {
            if (now - entry.at > horizon) this.last.delete(user);
        }
    }
}
