import { sleep } from "./stats.js";

/**
 * The reference bot's CDN algorithm (bot-spec 2.4-2.6), re-implemented as the baseline the bench
 * compares against: HEAD photo #1 on baskets 1..100 in parallel (lowest 200 wins, vol -> basket
 * cached), then photos 1..20 one by one with a 10 ms pause, then the video brute force over
 * baskets 1..100 x vols 1..200 in parallel batches of 100 with a 10 ms pause and a 30 s budget.
 */
export interface BaselineHosts {
    /** e.g. `https://basket-{NN}.wbbasket.ru` */
    photoHostTemplate: string;
    videoHostTemplate: string;
}

export interface BaselineResult {
    photos: string[];
    video: string | null;
    requests: number;
    /** From the start until the photo list is known: the reference shows its card here. */
    cardMs: number;
    /** From the start until the video search has finished: the card's final state. */
    completeMs: number;
}

const MAX_BASKET = 100;
const MAX_PHOTOS = 20;
const PHOTO_DELAY_MS = 10; // WB_RATE_LIMIT_DELAY (0.2 s) / 20
const VIDEO_BATCH = 100;
const VIDEO_BATCH_PAUSE_MS = 10;
const VIDEO_BUDGET_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;

export class BaselineStrategy {
    private readonly volBasket = new Map<number, number>();
    requests = 0;

    constructor(private readonly hosts: BaselineHosts) {}

    async resolve(nm: number): Promise<BaselineResult> {
        const started = performance.now();
        const before = this.requests;
        const basket = await this.findBasket(nm);
        const photos = basket === null ? [] : await this.enumeratePhotos(basket, nm);
        const cardMs = performance.now() - started;
        const video = await this.findVideo(nm);
        return {
            photos,
            video,
            requests: this.requests - before,
            cardMs,
            completeMs: performance.now() - started,
        };
    }

    private photoUrl(basket: number, nm: number, index: number): string {
        const host = this.hosts.photoHostTemplate.replace("{NN}", label(basket));
        const vol = Math.floor(nm / 100_000);
        const part = Math.floor(nm / 1000);
        return `${host}/vol${vol}/part${part}/${nm}/images/big/${index}.webp`;
    }

    private videoUrl(basket: number, vol: number, nm: number): string {
        const host = this.hosts.videoHostTemplate.replace("{NN}", label(basket));
        return `${host}/vol${vol}/part${Math.floor(nm / 10_000)}/${nm}/hls/1440p/index.m3u8`;
    }

    private async findBasket(nm: number): Promise<number | null> {
        const vol = Math.floor(nm / 100_000);
        const cached = this.volBasket.get(vol);
        if (cached !== undefined && (await this.head(this.photoUrl(cached, nm, 1)))) return cached;
        const baskets = Array.from({ length: MAX_BASKET }, (_, i) => i + 1);
        const found = await Promise.all(baskets.map((b) => this.head(this.photoUrl(b, nm, 1))));
        const index = found.indexOf(true);
        if (index < 0) return null;
        this.volBasket.set(vol, baskets[index]!);
        return baskets[index]!;
    }

    private async enumeratePhotos(basket: number, nm: number): Promise<string[]> {
        const photos: string[] = [];
        for (let n = 1; n <= MAX_PHOTOS; n++) {
            await sleep(PHOTO_DELAY_MS);
            const url = this.photoUrl(basket, nm, n);
            if (!(await this.head(url))) break;
            photos.push(url);
        }
        return photos;
    }

    private async findVideo(nm: number): Promise<string | null> {
        const urls: string[] = [];
        for (const [from, to] of [
            [1, 50],
            [51, 200],
        ] as const) {
            for (let basket = 1; basket <= MAX_BASKET; basket++) {
                for (let vol = from; vol <= to; vol++) urls.push(this.videoUrl(basket, vol, nm));
            }
        }
        const started = performance.now();
        for (let i = 0; i < urls.length; i += VIDEO_BATCH) {
            if (performance.now() - started > VIDEO_BUDGET_MS) return null;
            const batch = urls.slice(i, i + VIDEO_BATCH);
            const found = await Promise.all(batch.map((url) => this.head(url)));
            const hit = found.indexOf(true);
            if (hit >= 0) return batch[hit]!;
            await sleep(VIDEO_BATCH_PAUSE_MS);
        }
        return null;
    }

    /** True only for HTTP 200; errors and timeouts count as "no", as in the reference. */
    private async head(url: string): Promise<boolean> {
        this.requests += 1;
        try {
            const res = await fetch(url, {
                method: "HEAD",
                redirect: "manual",
                signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
            });
            await res.body?.cancel();
            return res.status === 200;
        } catch {
            return false;
        }
    }
}

function label(basket: number): string {
    return String(basket).padStart(2, "0");
}
