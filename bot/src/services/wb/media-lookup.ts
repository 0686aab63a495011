import type { Logger } from "pino";
import { CdnError, InvalidArticleError, ProductNotFoundError } from "../../errors.js";
import { CdnSession, type CdnLimits, type CdnReply } from "./cdn-client.js";
import type { MediaCache } from "../storage/media-cache.js";
import type { WbMediaService } from "./wb-media-service.js";
import {
    basketsByDistance,
    cardUrl,
    guessPhotoBasket,
    photoUrl,
    photoVol,
    VIDEO_RENDITIONS,
    videoBasket,
    videoUrl,
    videoVol,
    type HostTemplates,
} from "./wb-urls.js";

export interface LookupConfig extends CdnLimits, HostTemplates {
    maxBasket: number;
    maxPhotos: number;
}

export interface ProductMedia {
    nm: string;
    title?: string;
    photoUrls: string[];
    /** card.json's has_video when it said so; undefined when unknown. */
    hasVideo?: boolean;
}

const CARD_MAX_BYTES = 1024 * 1024;
const VIDEO_FALLBACK_BASKETS = 30;

/**
 * Finds a product's photos and video on the WB CDN: deterministic URLs first (the vol->basket
 * table, video vol = nm mod 144), then bounded probing; everything goes through a CdnSession, so
 * one article never costs more than the session's request budget.
 */
export class MediaLookup {
    constructor(
        private readonly cfg: LookupConfig,
        private readonly cache: MediaCache,
        private readonly log: Logger,
        private readonly service?: WbMediaService,
    ) {}

    session(signal?: AbortSignal): CdnSession {
        return new CdnSession(this.cfg, signal);
    }

    /** Product title and photo URLs; served from the caches without any request when possible. */
    async findProduct(nm: string, session: CdnSession): Promise<ProductMedia> {
        const n = Number(nm);
        const vol = photoVol(n);
        const [cachedBasket, cachedInfo] = await Promise.all([
            this.cache.getBasket(vol),
            this.cache.getProduct(nm),
        ]);
        if (cachedBasket !== undefined && cachedInfo !== undefined) {
            const photoUrls = this.photoList(cachedBasket, n, cachedInfo.photoCount);
            return { nm, title: cachedInfo.title, photoUrls };
        }
        const fromService = await this.service?.media(nm, false);
        if (fromService) return { nm, photoUrls: fromService.photos.slice(0, this.cfg.maxPhotos) };
        // The likely basket's first photo and its card.json in one round trip; the card is read
        // again only when the basket turns out to be elsewhere.
        const likely = cachedBasket ?? guessPhotoBasket(vol);
        const [likelyHead, likelyCard] = await Promise.all([
            withRetry(() => session.head(photoUrl(this.cfg, likely, n, 1))),
            this.readCard(likely, n, session),
        ]);
        const basket =
            likelyHead.status === 200
                ? likely
                : await this.findPhotoBasket(n, vol, cachedBasket, session, likelyHead);
        // Cache writes never fail and fill the memory layer at once: the card does not wait for
        // Postgres commits.
        void this.cache.setBasket(vol, basket);
        const card = basket === likely ? likelyCard : await this.readCard(basket, n, session);
        const count = card.photoCount ?? (await this.countPhotos(basket, n, session));
        void this.cache.setProduct(nm, { title: card.title, photoCount: count });
        return {
            nm,
            title: card.title,
            photoUrls: this.photoList(basket, n, count),
            hasVideo: card.hasVideo,
        };
    }

    /** Forgets cached locations after the CDN stopped serving them. */
    async forgetProduct(nm: string): Promise<void> {
        await this.cache.forgetBasket(photoVol(Number(nm)));
    }

    /**
     * The product's HLS playlist URL or null. Progress is the share of the request budget spent,
     * 0..99. Negative answers are cached for a shorter time than positive ones.
     */
    async findVideo(
        nm: string,
        session: CdnSession,
        hint?: boolean,
        onProgress?: (percent: number) => void,
    ): Promise<string | null> {
        const cached = await this.cache.getVideo(nm);
        if (cached) return cached.url;
        if (hint === false) {
            void this.cache.setVideo(nm, null);
            return null;
        }
        const fromService = await this.videoFromService(nm);
        const url =
            fromService !== undefined
                ? fromService
                : await this.searchVideo(Number(nm), session, onProgress);
        void this.cache.setVideo(nm, url);
        return url;
    }

    /** The media service's answer: a URL, null (none / not found), undefined (ask the CDN). */
    private async videoFromService(nm: string): Promise<string | null | undefined> {
        if (!this.service) return undefined;
        try {
            return (await this.service.media(nm, true))?.video;
        } catch (error) {
            if (error instanceof ProductNotFoundError || error instanceof InvalidArticleError) {
                return null;
            }
            throw error;
        }
    }

    private photoList(basket: number, nm: number, count: number): string[] {
        const n = Math.min(count, this.cfg.maxPhotos);
        return Array.from({ length: n }, (_, i) => photoUrl(this.cfg, basket, nm, i + 1));
    }

    private async findPhotoBasket(
        nm: number,
        vol: number,
        cached: number | undefined,
        session: CdnSession,
        firstReply: CdnReply,
    ): Promise<number> {
        const outcome = new ProbeOutcome();
        outcome.add(firstReply);
        const guess = guessPhotoBasket(vol);
        const tried = new Set<number>([cached ?? guess]);
        for (const candidate of [cached, guess]) {
            if (candidate === undefined || tried.has(candidate)) continue;
            tried.add(candidate);
            const reply = await withRetry(() => session.head(photoUrl(this.cfg, candidate, nm, 1)));
            outcome.add(reply);
            if (reply.status === 200) return candidate;
        }
        const rest = basketsByDistance(guess, this.cfg.maxBasket).filter((b) => !tried.has(b));
        // Leave room for card.json and photo enumeration.
        const reserve = this.cfg.maxPhotos + 2;
        const found = await probeInChunks(
            rest,
            (b) => photoUrl(this.cfg, b, nm, 1),
            session,
            this.cfg.maxInFlight,
            reserve,
            outcome,
        );
        if (found !== undefined) {
            this.log.info({ nm, vol, basket: found, guess }, "photo basket found by probing");
            return found;
        }
        if (outcome.onlyFailures) throw new CdnError(`WB CDN unreachable while looking for ${nm}`);
        throw new ProductNotFoundError(String(nm));
    }

    private async readCard(
        basket: number,
        nm: number,
        session: CdnSession,
    ): Promise<{ title?: string; photoCount?: number; hasVideo?: boolean }> {
        const reply = await session
            .get(cardUrl(this.cfg, basket, nm), CARD_MAX_BYTES)
            .catch((error: unknown): CdnReply => {
                if (error instanceof CdnError && !error.message.includes("budget")) {
                    return { status: 0 };
                }
                throw error;
            });
        if (reply.status !== 200 || !reply.body) return {};
        return parseCard(reply.body);
    }

    private async countPhotos(basket: number, nm: number, session: CdnSession): Promise<number> {
        let count = 1;
        while (count < this.cfg.maxPhotos) {
            const reply = await session.head(photoUrl(this.cfg, basket, nm, count + 1));
            if (reply.status !== 200) break;
            count += 1;
        }
        return count;
    }

    private async searchVideo(
        nm: number,
        session: CdnSession,
        onProgress?: (percent: number) => void,
    ): Promise<string | null> {
        const start = session.requestsUsed;
        const budget = Math.max(1, session.requestsLeft);
        const report = () =>
            onProgress?.(Math.min(99, Math.floor(((session.requestsUsed - start) / budget) * 100)));
        const outcome = new ProbeOutcome();
        const vol = videoVol(nm);
        const basket = videoBasket(vol);
        // Nearly every video has the top rendition: one request; the others only when it is absent.
        const [top, ...others] = VIDEO_RENDITIONS;
        const headOf = (r: string) =>
            withRetry(() => session.head(videoUrl(this.cfg, basket, vol, nm, r)));
        const first = await headOf(top);
        outcome.add(first);
        if (first.status === 200) return videoUrl(this.cfg, basket, vol, nm, top);
        const rest = await Promise.all(others.map(headOf));
        rest.forEach((reply) => outcome.add(reply));
        const hit = rest.findIndex((reply) => reply.status === 200);
        if (hit >= 0) return videoUrl(this.cfg, basket, vol, nm, others[hit]!);
        report();

        const fallbackBaskets = basketsByDistance(basket, VIDEO_FALLBACK_BASKETS).filter(
            (b) => b !== basket,
        );
        const found = await probeInChunks(
            fallbackBaskets,
            (b) => videoUrl(this.cfg, b, vol, nm, VIDEO_RENDITIONS[0]),
            session,
            this.cfg.maxInFlight,
            0,
            outcome,
            report,
        );
        if (found !== undefined) {
            this.log.info({ nm, vol, basket: found }, "video host found by probing");
            return videoUrl(this.cfg, found, vol, nm, VIDEO_RENDITIONS[0]);
        }
        if (outcome.onlyFailures) throw new CdnError(`WB CDN unreachable while looking for ${nm}`);
        return null;
    }
}

/** Tracks whether probes got real answers (404 = absent) or only failures (network, 5xx). */
class ProbeOutcome {
    private answers = 0;
    private failures = 0;

    add(reply: CdnReply): void {
        if (reply.status === 0 || reply.status >= 500) this.failures += 1;
        else this.answers += 1;
    }

    get onlyFailures(): boolean {
        return this.failures > 0 && this.answers === 0;
    }
}

async function withRetry(request: () => Promise<CdnReply>): Promise<CdnReply> {
    const first = await request();
    if (first.status !== 0 && first.status < 500) return first;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return request();
}

/**
 * HEADs the candidates in parallel chunks (the session caps requests in flight) and returns the
 * first candidate, in order, that answered 200. Stops when only `reserve` requests are left.
 */
async function probeInChunks(
    candidates: number[],
    urlOf: (candidate: number) => string,
    session: CdnSession,
    chunkSize: number,
    reserve: number,
    outcome: ProbeOutcome,
    afterChunk?: () => void,
): Promise<number | undefined> {
    for (let i = 0; i < candidates.length; i += chunkSize) {
        const room = session.requestsLeft - reserve;
        if (room <= 0) break;
        const chunk = candidates.slice(i, i + Math.min(chunkSize, room));
        const replies = await Promise.all(chunk.map((c) => session.head(urlOf(c))));
        replies.forEach((reply) => outcome.add(reply));
        afterChunk?.();
        const hit = replies.findIndex((reply) => reply.status === 200);
        if (hit >= 0) return chunk[hit];
    }
    return undefined;
}

/** Reads what we need from the public card.json; its shape is not documented, so be lenient. */
export function parseCard(body: Buffer): {
    title?: string;
    photoCount?: number;
    hasVideo?: boolean;
} {
    try {
        const card = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
        const media = (card.media ?? {}) as Record<string, unknown>;
        const title = [card.imt_name, card.name].find(
            (v): v is string => typeof v === "string" && v.trim().length > 0,
        );
        const count = media.photo_count;
        return {
            title: title?.trim().slice(0, 200),
            photoCount:
                typeof count === "number" && Number.isInteger(count) && count >= 0
                    ? count
                    : undefined,
            hasVideo: typeof media.has_video === "boolean" ? media.has_video : undefined,
        };
    } catch {
        return {};
    }
}
