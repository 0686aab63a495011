import { InvalidArticleError, ProductNotFoundError } from "../../errors.js";
import { hostAllowed } from "./host-allow-list.js";
import { callJson, ServiceHttpError } from "../http-json.js";

export interface MediaServiceConfig {
    url: string;
    timeoutMs: number;
    allowedHosts: string[];
}

interface MediaReply {
    photos?: unknown;
    video_url?: unknown;
}

/** Media as the service reported it; undefined = the service failed, use the local lookup. */
export type ServiceMedia = { photos: string[]; video: string | null } | undefined;

/**
 * The optional wb-media-service (bot-spec 8.4): `GET /api/wb/media/{nm}?include_video=`. A 404 is
 * "not found" and a 422 "invalid article" (no fallback); any other failure, and any URL outside
 * the CDN allow-list, sends the caller back to the local CDN lookup.
 */
export class WbMediaService {
    constructor(private readonly cfg: MediaServiceConfig) {}

    async media(nm: string, includeVideo: boolean): Promise<ServiceMedia> {
        let reply: MediaReply;
        try {
            reply = await callJson<MediaReply>(
                `${this.cfg.url}/api/wb/media/${nm}?include_video=${includeVideo}`,
                { timeoutMs: this.cfg.timeoutMs },
            );
        } catch (error) {
            if (error instanceof ServiceHttpError && error.status === 404) {
                throw new ProductNotFoundError(nm);
            }
            if (error instanceof ServiceHttpError && error.status === 422) {
                throw new InvalidArticleError(nm);
            }
            return undefined;
        }
        const photos: unknown[] = Array.isArray(reply.photos) ? reply.photos : [];
        const video = typeof reply.video_url === "string" ? reply.video_url : null;
        const urls = [...photos, ...(video ? [video] : [])];
        if (!urls.every((u) => typeof u === "string" && this.allowed(u))) return undefined;
        return { photos: photos as string[], video };
    }

    private allowed(url: string): boolean {
        return URL.canParse(url) && hostAllowed(new URL(url), this.cfg.allowedHosts);
    }
}
