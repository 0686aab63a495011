import { describe, expect, it } from "vitest";
import {
    addDays,
    dayWindow,
    msUntilNextMidnight,
    naiveUtc,
    previousDay,
    zonedDate,
} from "../../../src/services/moscow-time.js";

describe("Moscow calendar days (10.2.16)", () => {
    it("a Moscow day runs from 21:00 UTC the day before to 21:00 UTC", () => {
        const { start, end } = dayWindow("2026-03-10");
        expect(start.toISOString()).toBe("2026-03-09T21:00:00.000Z");
        expect(end.toISOString()).toBe("2026-03-10T21:00:00.000Z");
        expect(naiveUtc(start)).toBe("2026-03-09 21:00:00.000");
    });

    it("handles month and year boundaries", () => {
        expect(addDays("2026-12-31", 1)).toBe("2027-01-01");
        expect(addDays("2024-03-01", -1)).toBe("2024-02-29");
        expect(dayWindow("2027-01-01").start.toISOString()).toBe("2026-12-31T21:00:00.000Z");
    });

    it("the digest at 00:00:01 MSK covers the day that just ended", () => {
        const justAfterMidnight = new Date("2026-03-10T21:00:01Z"); // 00:00:01 on 11 March in Moscow
        expect(zonedDate(justAfterMidnight)).toBe("2026-03-11");
        expect(previousDay(justAfterMidnight)).toBe("2026-03-10");
    });

    it("schedules the next run at the next Moscow midnight", () => {
        expect(msUntilNextMidnight(new Date("2026-03-10T20:00:00Z"))).toBe(3600_000);
        expect(msUntilNextMidnight(new Date("2026-03-10T21:00:00Z"))).toBe(24 * 3600_000);
    });
});
