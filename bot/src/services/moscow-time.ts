/** Calendar arithmetic in Europe/Moscow without a date library. */
export const MOSCOW = "Europe/Moscow";

/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function zonedDate(instant: Date, timeZone = MOSCOW): string {
    return new Intl.DateTimeFormat("en-CA", {
        timeZone,
        year: "numeric",
        month: "2-digit",
        day: "2-digit",
    }).format(instant);
}

export function addDays(date: string, days: number): string {
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** The UTC instant at which the given calendar date starts in the time zone. */
export function startOfDay(date: string, timeZone = MOSCOW): Date {
    const [y, m, d] = date.split("-").map(Number) as [number, number, number];
    const midnightAsUtc = Date.UTC(y, m - 1, d);
    let instant = midnightAsUtc - offsetMs(new Date(midnightAsUtc), timeZone);
    // A second pass settles days whose offset differs from the guess (DST changes).
    instant = midnightAsUtc - offsetMs(new Date(instant), timeZone);
    return new Date(instant);
}

/** [start, end) of a calendar day in the time zone, as UTC instants. */
export function dayWindow(date: string, timeZone = MOSCOW): { start: Date; end: Date } {
    return { start: startOfDay(date, timeZone), end: startOfDay(addDays(date, 1), timeZone) };
}

/** The Moscow day that ended most recently before `now` (the digest's day). */
export function previousDay(now: Date, timeZone = MOSCOW): string {
    return addDays(zonedDate(now, timeZone), -1);
}

export function msUntilNextMidnight(now: Date, timeZone = MOSCOW): number {
    const next = startOfDay(addDays(zonedDate(now, timeZone), 1), timeZone);
    return next.getTime() - now.getTime();
}

/** Formats an instant as the naive UTC timestamp the shared tables store. */
export function naiveUtc(instant: Date): string {
    return instant.toISOString().replace("T", " ").replace("Z", "");
}

function offsetMs(instant: Date, timeZone: string): number {
    const parts = Object.fromEntries(
        new Intl.DateTimeFormat("en-US", {
            timeZone,
            hourCycle: "h23",
            year: "numeric",
            month: "2-digit",
            day: "2-digit",
            hour: "2-digit",
            minute: "2-digit",
            second: "2-digit",
        })
            .formatToParts(instant)
            .map((p) => [p.type, p.value]),
    );
    const asUtc = Date.UTC(
        Number(parts.year),
        Number(parts.month) - 1,
        Number(parts.day),
        Number(parts.hour),
        Number(parts.minute),
        Number(parts.second),
    );
    return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}
