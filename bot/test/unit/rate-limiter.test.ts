import { describe, expect, it } from "vitest";
import { CancelledError } from "../../src/errors.js";
import { escapeHtml } from "../../src/html.js";
import { RateLimiter } from "../../src/rate-limiter.js";
import { parseCard } from "../../src/services/wb/media-lookup.js";
import { Semaphore } from "../../src/services/semaphore.js";
import { photoBatches } from "../../src/telegram/media-sender.js";
import { texts } from "../../src/texts.js";

describe("photoBatches (10.2.12)", () => {
    it.each([
        [1, [1]],
        [3, [3]],
        [10, [10]],
        [11, [10, 1]],
        [20, [10, 10]],
        [25, [10, 10, 5]],
        [0, []],
    ])("%i photos -> %j", (count, batches) => {
        expect(photoBatches(count)).toEqual(batches);
    });
});

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

describe("HTML escaping (10.1.5)", () => {
    it("escapes the characters Telegram's HTML mode needs", () => {
        expect(escapeHtml(`<a href="x">Tom & Jerry</a>`)).toBe(
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;",
        );
    });

    it("escapes titles and names in the texts that carry them", () => {
        expect(texts.card("123456", "<i>x</i>", 1, { kind: "found" })).toContain(
            "&lt;i&gt;x&lt;/i&gt;",
        );
        expect(texts.videoCaption("123456", "A&B")).toBe("Видео: A&amp;B");
        expect(texts.newUser({ id: 1, username: "a<b" })).toContain("@a&lt;b");
    });
});

describe("parseCard", () => {
    it("reads title, photo count and video flag, and tolerates junk", () => {
        const card = Buffer.from(
            JSON.stringify({ imt_name: " Платье ", media: { photo_count: 7, has_video: true } }),
        );
        expect(parseCard(card)).toEqual({ title: "Платье", photoCount: 7, hasVideo: true });
        expect(parseCard(Buffer.from("not json"))).toEqual({});
        expect(parseCard(Buffer.from(JSON.stringify({ media: { photo_count: "7" } })))).toEqual({
            title: undefined,
            photoCount: undefined,
            hasVideo: undefined,
        });
    });
});
