import type { Logger } from "pino";
import { CdnError, InvalidArticleError, ProductNotFoundError } from "../../errors.js";
import {
    CdnSession,
    retryOnce,
    type CdnLimits,
    type CdnReply,
    type Validator,
} from "./cdn-client.js";
import type { MediaCache, ProductInfo } from "../storage/media-cache.js";
import type { WbMediaService } from "./wb-media-service.js";
import {
    basketsByDistance,
    cardUrl,
    guessPhotoBasket,
    photoUrl,
    photoVol,
    VIDEO_RENDITIONS,
    videoBasket,
    videoFallbackLocations,
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

interface CardReply {
    /** 200 (read), 304 (unchanged since `known`), else absent or failed. */
    status: number;
    validator?: Validator;
    title?: string;
    photoCount?: number;
    hasVideo?: boolean;
}

const CARD_MAX_BYTES = 1024 * 1024;

/**
 * Finds a product's photos and video on the WB CDN: deterministic URLs first (the vol->basket
 * table, video vol = nm mod 144), then bounded probing; everything goes through a CdnSession, so
 * one article never costs more than the session's request budget (and its deadline). A cached
 * product is trusted only as long as its card.json is unchanged (a conditional request).
 */
export class MediaLookup {
    constructor(
        private readonly cfg: LookupConfig,
        private readonly cache: MediaCache,
        private readonly log: Logger,
        private readonly service?: WbMediaService,
    ) {}

    /** A CDN session for one article; with `deadlineMs`, nothing is asked after that time. */
    session(signal?: AbortSignal, deadlineMs?: number): CdnSession {
        return new CdnSession(this.cfg, signal, deadlineMs);
    }

    /**
     * Product title and photo URLs. A cached product is revalidated with one conditional request
     * for its card.json (a seller's edit shows at once), unless the CDN confirmed it less than
     * `maxAgeMs` ago.
     */
    async findProduct(nm: string, session: CdnSession, maxAgeMs = 0): Promise<ProductMedia> {
        const n = Number(nm);
        const vol = photoVol(n);
        const [cachedBasket, cachedInfo] = await Promise.all([
            this.cache.getBasket(vol),
            this.cache.getProduct(nm),
        ]);
        if (cachedBasket !== undefined && cachedInfo !== undefined) {
            if (Date.now() - cachedInfo.checkedAt <= maxAgeMs) {
                return this.fromInfo(nm, cachedBasket, cachedInfo);
            }
            if (cachedInfo.card) {
                const confirmed = await this.revalidate(nm, cachedBasket, cachedInfo, session);
                if (confirmed) return confirmed;
            }
        }
        const fromService = await this.service?.media(nm, false);
        if (fromService) return { nm, photoUrls: fromService.photos.slice(0, this.cfg.maxPhotos) };
        // The likely basket's first photo and its card.json in one round trip; the card is read
        // again only when the basket turns out to be elsewhere.
        const likely = cachedBasket ?? guessPhotoBasket(vol);
        const [likelyHead, likelyCard] = await Promise.all([
            retryOnce(() => session.head(photoUrl(this.cfg, likely, n, 1))),
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
        const info: ProductInfo = {
            title: card.title,
            photoCount: count,
            hasVideo: card.hasVideo,
            card: card.status === 200 ? { validator: card.validator } : null,
            checkedAt: Date.now(),
        };
        if (cachedInfo && changed(cachedInfo, info)) await this.cache.forgetVideo(nm);
        void this.cache.setProduct(nm, info);
        return this.fromInfo(nm, basket, info);
    }

    /** The cached product if card.json is unchanged, the re-read one if it changed, else none. */
    private async revalidate(
        nm: string,
        basket: number,
        cached: ProductInfo,
        session: CdnSession,
    ): Promise<ProductMedia | undefined> {
        const n = Number(nm);
        const card = await this.readCard(basket, n, session, cached.card?.validator);
        if (card.status === 304) {
            const confirmed = { ...cached, checkedAt: Date.now() };
            void this.cache.setProduct(nm, confirmed);
            return this.fromInfo(nm, basket, confirmed);
        }
        // Gone from this basket (or no answer): the full lookup decides.
        if (card.status !== 200) return undefined;
        const info: ProductInfo = {
            title: card.title,
            photoCount: card.photoCount ?? (await this.countPhotos(basket, n, session)),
            hasVideo: card.hasVideo,
            card: { validator: card.validator },
            checkedAt: Date.now(),
        };
        if (changed(cached, info)) {
            this.log.info({ nm }, "card.json changed: product data refreshed");
            // The seller may have added, removed or replaced the video: search it again.
            await this.cache.forgetVideo(nm);
        }
        void this.cache.setProduct(nm, info);
        return this.fromInfo(nm, basket, info);
    }

    private fromInfo(nm: string, basket: number, info: ProductInfo): ProductMedia {
        return {
            nm,
            title: info.title,
            photoUrls: this.photoList(basket, Number(nm), info.photoCount),
            hasVideo: info.hasVideo,
        };
    }

    /** Forgets cached locations after the CDN stopped serving them. */
    async forgetProduct(nm: string): Promise<void> {
        await this.cache.forgetBasket(photoVol(Number(nm)));
    }

    /** Forgets the cached video location (e.g. the playlist is gone). */
    async forgetVideo(nm: string): Promise<void> {
        await this.cache.forgetVideo(nm);
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
            const reply = await retryOnce(() => session.head(photoUrl(this.cfg, candidate, nm, 1)));
            outcome.add(reply);
            if (reply.status === 200) return candidate;
        }
        const rest = basketsByDistance(guess, this.cfg.maxBasket).filter((b) => !tried.has(b));
        // Leave room for card.json and photo enumeration.
        const reserve = this.cfg.maxPhotos + 2;
        const hit = await probeInChunks(
            rest.map((b) => photoUrl(this.cfg, b, nm, 1)),
            session,
            this.cfg.maxInFlight,
            reserve,
            outcome,
        );
        if (hit !== undefined) {
            const found = rest[hit]!;
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
        known?: Validator,
    ): Promise<CardReply> {
        const reply = await session
            .get(cardUrl(this.cfg, basket, nm), CARD_MAX_BYTES, known)
            .catch((error: unknown): CdnReply => {
                // An oversized or unreadable card is as good as none; budget and deadline are not.
                if (error instanceof CdnError && error.message.includes("exceeds")) {
                    return { status: 0 };
                }
                throw error;
            });
        if (reply.status === 304) return { status: 304, validator: reply.validator ?? known };
        if (reply.status !== 200 || !reply.body) return { status: reply.status };
        return { status: 200, validator: reply.validator, ...parseCard(reply.body) };
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

    /**
     * The rule's location first (1 request, the other renditions only when the top one is
     * absent), then the fallback locations cheapest first (videoFallbackLocations) until the
     * article's request budget is spent: at most maxRequestsPerArticle requests in all.
     */
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
            retryOnce(() => session.head(videoUrl(this.cfg, basket, vol, nm, r)));
        const first = await headOf(top);
        outcome.add(first);
        if (first.status === 200) return videoUrl(this.cfg, basket, vol, nm, top);
        const rest = await Promise.all(others.map(headOf));
        rest.forEach((reply) => outcome.add(reply));
        const hit = rest.findIndex((reply) => reply.status === 200);
        if (hit >= 0) return videoUrl(this.cfg, basket, vol, nm, others[hit]!);
        if (outcome.onlyFailures) throw new CdnError(`WB CDN unreachable while looking for ${nm}`);
        report();

        const urls = videoFallbackLocations(vol).map((l) =>
            videoUrl(this.cfg, l.host, l.vol, nm, top),
        );
        const found = await probeInChunks(urls, session, this.cfg.maxInFlight, 0, outcome, report);
        if (found !== undefined) {
            this.log.info({ nm, url: urls[found] }, "video found off the mod-144 rule");
            return urls[found]!;
        }
        if (outcome.onlyFailures) throw new CdnError(`WB CDN unreachable while looking for ${nm}`);
        this.log.info({ nm, requests: session.requestsUsed - start }, "no video found");
        return null;
    }
}

/** Whether the CDN's product data differs from what was cached. */
function changed(before: ProductInfo, after: ProductInfo): boolean {
    return (
        before.photoCount !== after.photoCount ||
        before.title !== after.title ||
        before.hasVideo !== after.hasVideo ||
        before.card?.validator?.etag !== after.card?.validator?.etag ||
        before.card?.validator?.lastModified !== after.card?.validator?.lastModified
    );
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

/** The first probing chunk: the nearest guesses, which usually hit, cost two requests. */
const FIRST_CHUNK = 2;

/**
 * HEADs the URLs in parallel chunks that double from FIRST_CHUNK up to `chunkSize` (the nearest
 * candidates are the likely ones: a near miss costs a few requests and a far one a few round
 * trips more) and returns the index of the first URL, in order, that answered 200. Stops when
 * only `reserve` requests are left, and after a chunk when nothing has answered so far but
 * failures (the CDN is down: probing on would only add timeouts).
 */
async function probeInChunks(
    urls: string[],
    session: CdnSession,
    chunkSize: number,
    reserve: number,
    outcome: ProbeOutcome,
    afterChunk?: () => void,
): Promise<number | undefined> {
    let size = Math.min(FIRST_CHUNK, chunkSize);
    for (let i = 0; i < urls.length; size = Math.min(chunkSize, size * 2)) {
        const room = session.requestsLeft - reserve;
        if (room <= 0) break;
        const chunk = urls.slice(i, i + Math.min(size, room));
        const replies = await Promise.all(chunk.map((url) => session.head(url)));
        replies.forEach((reply) => outcome.add(reply));
        afterChunk?.();
        const hit = replies.findIndex((reply) => reply.status === 200);
        if (hit >= 0) return i + hit;
        if (outcome.onlyFailures) break;
        i += chunk.length;
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
