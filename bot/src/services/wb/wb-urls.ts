/**
 * URL arithmetic of the WB static CDN (bot-spec appendix A). All divisions are floor divisions and
 * the basket number NN is zero-padded to two digits. Host templates carry a {NN} placeholder so the
 * tests can point them at a loopback server.
 */
export interface HostTemplates {
    photoHostTemplate: string;
    videoHostTemplate: string;
}

export function photoVol(nm: number): number {
    return Math.floor(nm / 100_000);
}

export function photoPart(nm: number): number {
    return Math.floor(nm / 1000);
}

export function basketLabel(basket: number): string {
    return String(basket).padStart(2, "0");
}

export function photoBase(t: HostTemplates, basket: number, nm: number): string {
    const host = t.photoHostTemplate.replace("{NN}", basketLabel(basket));
    return `${host}/vol${photoVol(nm)}/part${photoPart(nm)}/${nm}`;
}

export function photoUrl(t: HostTemplates, basket: number, nm: number, index: number): string {
    return `${photoBase(t, basket, nm)}/images/big/${index}.webp`;
}

export function cardUrl(t: HostTemplates, basket: number, nm: number): string {
    return `${photoBase(t, basket, nm)}/info/ru/card.json`;
}

/** Video vol is nm mod 144 (0..143), and its host is floor(vol / 12) + 1 (01..12). */
export function videoVol(nm: number): number {
    return nm % 144;
}

export function videoBasket(vol: number): number {
    return Math.floor(vol / 12) + 1;
}

export const VIDEO_RENDITIONS = ["1440p", "1080p", "720p", "480p", "360p"] as const;

export function videoUrl(
    t: HostTemplates,
    basket: number,
    vol: number,
    nm: number,
    rendition: string,
): string {
    const host = t.videoHostTemplate.replace("{NN}", basketLabel(basket));
    return `${host}/vol${vol}/part${Math.floor(nm / 10_000)}/${nm}/hls/${rendition}/index.m3u8`;
}

// Upper bound of vol (inclusive) -> basket, as used by WB's own front end at some point. A first
// guess only: shards are added over time, so probing stays the fallback (bot-spec 2.4).
// prettier-ignore
const BASKET_TABLE: ReadonlyArray<readonly [number, number]> = [
    [143, 1], [287, 2], [431, 3], [719, 4], [1007, 5], [1061, 6], [1115, 7], [1169, 8],
    [1313, 9], [1601, 10], [1655, 11], [1919, 12], [2045, 13], [2189, 14], [2405, 15],
    [2621, 16], [2837, 17], [3053, 18], [3269, 19], [3485, 20], [3701, 21], [3917, 22],
    [4133, 23], [4349, 24], [4565, 25], [4877, 26], [5189, 27], [5501, 28], [5813, 29],
    [6125, 30], [6437, 31], [6749, 32], [7061, 33], [7373, 34], [7685, 35], [7997, 36],
    [8309, 37], [8741, 38], [9173, 39], [9605, 40], [10373, 41], [11141, 42], [11909, 43],
    [12677, 44], [13445, 45], [14213, 46],
];

/** The table's basket for a vol, or the basket after the last row for vols beyond it. */
export function guessPhotoBasket(vol: number): number {
    for (const [upper, basket] of BASKET_TABLE) if (vol <= upper) return basket;
    return BASKET_TABLE[BASKET_TABLE.length - 1]![1] + 1;
}

/** Baskets 1..max ordered by distance from the guess (nearest first, lower first on ties). */
export function basketsByDistance(guess: number, max: number): number[] {
    return byDistance(guess, 1, max);
}

/** from..to ordered by distance from `guess` (nearest first, lower first on ties). */
function byDistance(guess: number, from: number, to: number): number[] {
    const all = Array.from({ length: to - from + 1 }, (_, i) => from + i);
    return all.sort((a, b) => Math.abs(a - guess) - Math.abs(b - guess) || a - b);
}

/** The reference bot's brute-force space: video hosts 1..100 x vols (0..)1..199. */
export const VIDEO_MAX_HOST = 100;
export const VIDEO_MAX_VOL = 199;

/**
 * Where to look for a video that is not at the rule's location (vol = nm mod 144 on host
 * floor(vol / 12) + 1), cheapest guesses first: each candidate breaks one half of the rule only,
 * alternating between the rule's vol on another host (nearest hosts first) and another vol on
 * its own rule host (nearest vols first), within the reference bot's search space. The caller
 * stops at its request budget.
 */
export function videoFallbackLocations(vol: number): Array<{ host: number; vol: number }> {
    const host = videoBasket(vol);
    const otherHosts = basketsByDistance(host, VIDEO_MAX_HOST)
        .filter((h) => h !== host)
        .map((h) => ({ host: h, vol }));
    const otherVols = byDistance(vol, 0, VIDEO_MAX_VOL)
        .filter((v) => v !== vol)
        .map((v) => ({ host: videoBasket(v), vol: v }));
    const out: Array<{ host: number; vol: number }> = [];
    for (let i = 0; i < Math.max(otherHosts.length, otherVols.length); i++) {
        if (otherHosts[i]) out.push(otherHosts[i]!);
        if (otherVols[i]) out.push(otherVols[i]!);
    }
    return out;
}
