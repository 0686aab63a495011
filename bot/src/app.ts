import { run, type RunnerHandle } from "@grammyjs/runner";
import { Api } from "grammy";
import type { Logger } from "pino";
import { createBot } from "./bot.js";
import type { Config } from "./config.js";
import type { Deps } from "./context.js";
import { Heartbeat } from "./heartbeat.js";
import { RateLimiter } from "./rate-limiter.js";
import { Analytics } from "./services/storage/analytics.js";
import { Database, errorText } from "./services/storage/db.js";
import { AnalyticsServiceClient, GatewayClient } from "./services/ecosystem-services.js";
import { ffmpegAvailable } from "./services/video/ffmpeg.js";
import { MediaCache } from "./services/storage/media-cache.js";
import { MediaLookup } from "./services/wb/media-lookup.js";
import { FairScheduler } from "./services/fair-scheduler.js";
import { TaskRegistry } from "./services/task-registry.js";
import { TempFiles } from "./services/video/temp-files.js";
import { VideoConverter } from "./services/video/video-converter.js";
import { WbMediaService } from "./services/wb/wb-media-service.js";
import { configureApi } from "./telegram/api-setup.js";
import { CardSearches } from "./telegram/card-searches.js";
import { AnalyticsChannel } from "./telegram/channel.js";
import { logOutFromCloudOnce } from "./telegram/cloud-logout.js";
import { describe } from "./telegram/status-message.js";

export interface App {
    deps: Deps;
    channel?: AnalyticsChannel;
    /** Stops polling, cancels jobs (killing ffmpeg), removes temp files, flushes analytics. */
    stop(): Promise<void>;
}

const POLL_TIMEOUT_SECONDS = 25;
const EMPTY_POLL_MIN_MS = 500;
/** Updates handled at once (all users), and updates one user may have waiting. */
const SCHEDULER_CONCURRENCY = 50;
const QUEUED_PER_USER = 10;

/** Wires the services, starts long polling and returns a handle to stop everything. */
export async function startApp(
    config: Config,
    log: Logger,
    onFatal: (error: unknown) => void = () => undefined,
): Promise<App> {
    log.info(
        config.apiRoot === config.cloudApiRoot
            ? "Using cloud Bot API"
            : `Using Local Bot API: ${config.apiRoot}`,
    );
    const temp = new TempFiles(config.tempDir);
    const orphans = await temp.init();
    if (orphans > 0)
        log.info({ orphans, dir: config.tempDir }, "removed temp files of a previous run");
    if (!(await ffmpegAvailable(config.ffmpegPath))) {
        log.warn({ ffmpeg: config.ffmpegPath }, "ffmpeg not found: video downloads will fail");
    }

    const db = config.databaseUrl
        ? new Database(config.databaseUrl, config.dbSchema, log)
        : undefined;
    if (!db) log.warn("DATABASE_URL not set: analytics off, caches in memory only");
    // Creates the schema early when the database is up; otherwise the first query will.
    void db
        ?.query("SELECT 1")
        .catch((e: unknown) => log.warn({ err: errorText(e) }, "db not ready"));

    const cache = new MediaCache(db, config.cacheTtlMs, config.videoNotFoundTtlMs, log);
    const mediaService = config.mediaService
        ? new WbMediaService({ ...config.mediaService, allowedHosts: config.cdn.allowedHosts })
        : undefined;
    const lookup = new MediaLookup({ ...config.cdn }, cache, log, mediaService);
    const uploadApi = new Api(config.botToken, {
        apiRoot: config.apiRoot,
        timeoutSeconds: config.uploadTimeoutSeconds,
    });
    configureApi(uploadApi);
    const channel =
        config.analyticsEnabled && config.analyticsChannelId
            ? new AnalyticsChannel(uploadApi, config.analyticsChannelId, () => analytics, log)
            : undefined;
    const analytics: Analytics = new Analytics(
        db,
        config.analyticsEnabled,
        log,
        (user) => channel?.notifyNewUser(user),
        config.analyticsService && new AnalyticsServiceClient(config.analyticsService, log),
    );
    const tasks = new TaskRegistry(log);
    const deps: Deps = {
        config,
        log,
        lookup,
        cache,
        analytics,
        converter: new VideoConverter(
            {
                ffmpegPath: config.ffmpegPath,
                timeoutMs: config.convertTimeoutMs,
                readTimeoutMs: config.readTimeoutMs,
                maxBytes: config.maxVideoBytes,
                maxJobs: config.ffmpegMaxJobs,
                allowedHosts: config.cdn.allowedHosts,
            },
            temp,
            log,
        ),
        tasks,
        scheduler: new FairScheduler(SCHEDULER_CONCURRENCY, QUEUED_PER_USER, (error) =>
            log.error({ err: error }, "scheduled update failed"),
        ),
        temp,
        cards: new CardSearches(),
        uploadApi,
        messageLimiter: new RateLimiter(config.messageIntervalMs),
        callbackLimiter: new RateLimiter(config.callbackIntervalMs),
        busyUsers: new Set(),
        gateway: config.gateway && new GatewayClient(config.gateway, log),
    };

    const heartbeat = new Heartbeat(config.heartbeatFile);
    const bot = createBot(deps, { client: { apiRoot: config.apiRoot, timeoutSeconds: 60 } });
    bot.api.config.use(async (prev, method, payload, signal) => {
        const started = Date.now();
        const result = await prev(method, payload, signal);
        if (method !== "getUpdates") return result;
        await heartbeat.beat();
        // A server that answers an empty long poll at once (a fake Bot API) must not make this
        // loop spin; the real server holds the request for the poll timeout.
        const empty = result.ok && Array.isArray(result.result) && result.result.length === 0;
        const early = EMPTY_POLL_MIN_MS - (Date.now() - started);
        if (empty && early > 0) await new Promise((resolve) => setTimeout(resolve, early));
        return result;
    });

    log.info("Bot starting...");
    await bot.init();
    log.info({ username: bot.botInfo.username }, "connected to the Bot API");
    if (config.logoutFromCloud) void logOutFromCloudOnce(config, db, log);
    // Keep updates that arrived while the bot was down (bot-spec 10.2.20).
    await bot.api.deleteWebhook({ drop_pending_updates: false });

    log.info("Starting long polling...");
    const runner: RunnerHandle = run(bot, {
        runner: {
            fetch: {
                timeout: POLL_TIMEOUT_SECONDS,
                allowed_updates: ["message", "callback_query"],
            },
            silent: true,
        },
        sink: { concurrency: 100 },
    });
    // 401 (token revoked) or 409 (a second poller) end polling for good: let the process exit.
    void runner.task()?.catch((error: unknown) => {
        log.fatal({ err: describe(error) }, "long polling stopped");
        onFatal(error);
    });
    await heartbeat.beat();
    channel?.startSchedule();

    let stopping: Promise<void> | undefined;
    const stop = () =>
        (stopping ??= (async () => {
            log.info("stopping: polling off, cancelling jobs");
            channel?.stop();
            await runner.stop().catch((e: unknown) => log.warn({ err: describe(e) }, "runner"));
            await deps.scheduler.close(3000);
            await tasks.shutdown(6000);
            await temp.removeAll();
            await analytics.stop(1500);
            await db?.close();
            await heartbeat.clear();
            log.info("stopped");
        })());
    return { deps, channel, stop };
}
