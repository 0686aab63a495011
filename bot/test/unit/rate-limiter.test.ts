import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/rate-limiter.js";

describe("RateLimiter (spec 1.6)", () => {
    const wait = (seconds: number, notify: boolean) => ({
        allowed: false,
        waitSeconds: seconds,
        notify,
    });

    it("rejects within the interval with floor(limit - elapsed) + 1 seconds and keeps the first timestamp", () => {
        const limiter = new RateLimiter(3000);
        expect(limiter.hit(1, 10_000)).toEqual({ allowed: true });
        expect(limiter.hit(1, 10_500)).toEqual(wait(3, true));
        expect(limiter.hit(1, 12_100)).toEqual(wait(1, false));
        expect(limiter.hit(2, 12_100)).toEqual({ allowed: true });
        expect(limiter.hit(1, 13_000)).toEqual({ allowed: true });
    });

    it("asks for one notice per cooldown, however many actions it rejects", () => {
        const limiter = new RateLimiter(3000);
        limiter.hit(1, 0);
        const verdicts = Array.from({ length: 129 }, (_, i) => limiter.hit(1, 10 + i));
        expect(verdicts.filter((v) => !v.allowed && v.notify)).toHaveLength(1);
        expect(limiter.hit(1, 3000)).toEqual({ allowed: true });
        expect(limiter.hit(1, 3001)).toEqual(wait(3, true));
    });

    it("forgets users idle for over an hour once it tracks more than purgeAbove, and only them", () => {
        const limiter = new RateLimiter(1000, 3);
        limiter.hit(1, 0);
        limiter.hit(2, 0);
        limiter.hit(3, 3_000_000);
        expect(limiter.trackedUsers).toBe(3);

        limiter.hit(4, 3_700_000); // the 4th user: users 1 and 2 have been idle for > 1 h

        expect(limiter.trackedUsers).toBe(2);
        // The users kept still have their limits.
        expect(limiter.hit(4, 3_700_500)).toEqual(wait(1, true));
        expect(limiter.hit(1, 3_700_500)).toEqual({ allowed: true });
        expect(limiter.trackedUsers).toBe(3);
    });

    it("keeps every user up to purgeAbove, and never forgets one still within its interval", () => {
        const small = new RateLimiter(1000, 3);
        for (let user = 1; user <= 3; user++) small.hit(user, 0);
        small.hit(1, 10_000_000);
        expect(small.trackedUsers).toBe(3);

        const hours = 3600_000;
        const long = new RateLimiter(2 * hours, 1);
        long.hit(1, 0);
        long.hit(2, 1.5 * hours); // over purgeAbove; user 1 is 1.5 h into its 2 h interval
        expect(long.trackedUsers).toBe(2);
        expect(long.hit(1, 1.6 * hours)).toMatchObject({ allowed: false });
    });
});
