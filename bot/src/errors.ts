/** Errors the user flows branch on; their texts live in texts.ts. */
export class ProductNotFoundError extends Error {
    constructor(readonly nm: string) {
        super(`product ${nm} was not found on the WB CDN`);
        this.name = "ProductNotFoundError";
    }
}

/** The media service called the article invalid (422). */
export class InvalidArticleError extends Error {
    constructor(readonly nm: string) {
        super(`article ${nm} was rejected as invalid`);
        this.name = "InvalidArticleError";
    }
}

export class NoMediaError extends Error {
    constructor(
        readonly nm: string,
        readonly kind: "photo" | "video" | "any",
    ) {
        super(`product ${nm} has no ${kind === "any" ? "media" : kind}`);
        this.name = "NoMediaError";
    }
}

/** The CDN could not be asked: network errors, 5xx, the request budget ran out. */
export class CdnError extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
        super(message, options);
        this.name = "CdnError";
    }
}

export class HostNotAllowedError extends CdnError {
    constructor(readonly url: string) {
        super(`refusing to fetch ${url}: host is not in the WB CDN allow-list`);
        this.name = "HostNotAllowedError";
    }
}

export type VideoFailure =
    "ffmpeg_missing" | "conversion" | "timeout" | "too_large" | "playlist" | "incomplete";

export class VideoError extends Error {
    constructor(
        readonly reason: VideoFailure,
        message: string,
        readonly details?: { sizeMb?: number; limitMb?: number },
    ) {
        super(message);
        this.name = "VideoError";
    }
}

/** A job was cancelled because the bot is shutting down or the user's request was superseded. */
export class CancelledError extends Error {
    constructor(message = "cancelled") {
        super(message);
        this.name = "CancelledError";
    }
}
