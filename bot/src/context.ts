import type { Api, Context } from "grammy";
import type { Logger } from "pino";
import type { Config } from "./config.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Analytics } from "./services/storage/analytics.js";
import type { GatewayClient } from "./services/ecosystem-services.js";
import type { MediaCache } from "./services/storage/media-cache.js";
import type { MediaLookup } from "./services/wb/media-lookup.js";
import type { FairScheduler } from "./services/fair-scheduler.js";
import type { TaskRegistry } from "./services/task-registry.js";
import type { TempFiles } from "./services/video/temp-files.js";
import type { VideoConverter } from "./services/video/video-converter.js";
import type { CardSearches } from "./telegram/card-searches.js";

export interface Deps {
    config: Config;
    log: Logger;
    lookup: MediaLookup;
    cache: MediaCache;
    analytics: Analytics;
    converter: VideoConverter;
    tasks: TaskRegistry;
    /** Runs the features: one update at a time per user, users taking turns. */
    scheduler: FairScheduler;
    temp: TempFiles;
    cards: CardSearches;
    /** Same server as the bot's API, with the long upload timeout. */
    uploadApi: Api;
    messageLimiter: RateLimiter;
    callbackLimiter: RateLimiter;
    /** Users with a download job queued or running. */
    busyUsers: Set<number>;
    /** The optional API gateway that also registers users on /start. */
    gateway?: GatewayClient;
}

export type BotContext = Context & { deps: Deps; log: Logger };
