import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { ServiceEndpoint } from "./services/ecosystem-services.js";
import { hostAllowed, parseAllowList } from "./services/wb/host-allow-list.js";

const CLOUD_API = "https://api.telegram.org";
const CLOUD_UPLOAD_LIMIT_MB = 50;

const bool = (fallback: boolean) =>
    z
        .enum(["true", "false", "1", "0", "yes", "no"], { message: "must be true or false" })
        .optional()
        .transform((v) => (v === undefined ? fallback : ["true", "1", "yes"].includes(v)));

const int = (fallback: number, min: number, max: number) =>
    z
        .string()
        .optional()
        .transform((v, ctx) => {
            if (v === undefined || v === "") return fallback;
            const n = Number(v);
            if (!Number.isInteger(n) || n < min || n > max) {
                ctx.addIssue({
                    code: "custom",
                    message: `must be an integer from ${min} to ${max}`,
                });
                return z.NEVER;
            }
            return n;
        });

const seconds = (fallback: number, min: number, max: number) =>
    z
        .string()
        .optional()
        .transform((v, ctx) => {
            if (v === undefined || v === "") return fallback;
            const n = Number(v);
            if (!Number.isFinite(n) || n < min || n > max) {
                ctx.addIssue({ code: "custom", message: `must be a number from ${min} to ${max}` });
                return z.NEVER;
            }
            return n;
        });

const httpUrl = z
    .string()
    .refine((v) => /^https?:\/\/[^\s/]+/.test(v) && URL.canParse(v), "must be an http(s) URL")
    .transform((v) => v.replace(/\/+$/, ""));

const hostTemplate = httpUrl.refine((v) => v.includes("{NN}"), "must contain the {NN} placeholder");

const schema = z.object({
    BOT_TOKEN: z
        .string({ message: "is required (the token from @BotFather)" })
        .regex(/^\d+:[\w-]{10,}$/, "does not look like a bot token (<digits>:<secret>)"),
    TELEGRAM_API_BASE_URL: httpUrl.optional(),
    TELEGRAM_API_LOCAL: bool(false),
    TELEGRAM_CLOUD_API_BASE_URL: httpUrl.default(CLOUD_API),
    TELEGRAM_LOGOUT_FROM_CLOUD: bool(false),
    TELEGRAM_UPLOAD_TIMEOUT_SECONDS: int(1800, 30, 7200),
    DATABASE_URL: z
        .string()
        .optional()
        .refine((v) => v === undefined || v === "" || /^postgres(ql)?:\/\//.test(v), {
            message: "must be a postgresql:// URL",
        })
        .transform((v) => (v ? v : undefined)),
    DB_SCHEMA: z
        .string()
        .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a lower-case SQL identifier")
        .refine((v) => v !== "shared" && !v.startsWith("pg_"), "must be the bot's own schema")
        .default("mpcabinet"),
    HLS_MAX_VIDEO_SIZE_MB: int(CLOUD_UPLOAD_LIMIT_MB, 1, 2000),
    HLS_TEMP_DIR: z.string().min(1).default(join(tmpdir(), "mpcabinet-media")),
    HLS_CONVERT_TIMEOUT: int(300, 5, 3600),
    HLS_READ_TIMEOUT: seconds(15, 0.2, 120),
    FFMPEG_PATH: z.string().min(1).default("ffmpeg"),
    FFMPEG_MAX_JOBS: int(1, 1, 8),
    RATE_LIMIT_SECONDS: seconds(3, 0, 3600),
    CALLBACK_RATE_LIMIT_SECONDS: seconds(1, 0, 3600),
    LOG_LEVEL: z
        .string()
        .default("info")
        .transform((v) => v.toLowerCase())
        .pipe(z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"])),
    COMMUNITY_INVITE_LINK: z
        .string()
        .regex(/^https:\/\/t\.me\/\S+$/, "must be a https://t.me/... link")
        .optional(),
    ANALYTICS_CHANNEL_ID: z
        .string()
        .regex(/^(-?\d{5,20}|@\w{5,})$/, "must be a numeric chat id like -1001234567890")
        .optional(),
    ENABLE_ANALYTICS: bool(true),
    WB_PHOTO_HOST_TEMPLATE: hostTemplate.default("https://basket-{NN}.wbbasket.ru"),
    WB_VIDEO_HOST_TEMPLATE: hostTemplate.default("https://videonme-basket-{NN}.wbbasket.ru"),
    WB_CDN_ALLOWED_HOSTS: z.string().default(".wbbasket.ru,.wbcontent.net"),
    WB_API_TIMEOUT: seconds(10, 0.1, 120),
    WB_LOOKUP_DEADLINE_SECONDS: seconds(15, 0.2, 60),
    WB_MAX_REQUESTS_PER_ARTICLE: int(250, 10, 250),
    WB_MAX_IN_FLIGHT: int(20, 1, 20),
    WB_MAX_BASKET: int(100, 1, 400),
    WB_MAX_PHOTOS: int(30, 1, 50),
    CACHE_TTL_HOURS: int(24 * 7, 1, 24 * 365),
    VIDEO_NOT_FOUND_TTL_SECONDS: int(600, 1, 7 * 24 * 3600),
    HEARTBEAT_FILE: z.string().min(1).default(join(tmpdir(), "mpcabinet-bot.heartbeat")),
    USE_GATEWAY: bool(false),
    GATEWAY_URL: httpUrl.default("http://api-gateway:8000"),
    GATEWAY_API_KEY: z.string().optional(),
    GATEWAY_TIMEOUT: seconds(10, 1, 120),
    USE_WB_MEDIA_SERVICE: bool(false),
    WB_MEDIA_SERVICE_URL: httpUrl.default("http://wb-media-service:8013"),
    WB_MEDIA_SERVICE_TIMEOUT: seconds(40, 1, 300),
    USE_ANALYTICS_SERVICE: bool(false),
    ANALYTICS_SERVICE_URL: httpUrl.default("http://analytics-service:8003"),
    ANALYTICS_SERVICE_TIMEOUT: seconds(10, 1, 120),
});

type Env = z.output<typeof schema>;

export interface Config {
    botToken: string;
    apiRoot: string;
    /** true when the Bot API server runs with --local: uploads go by file path, 2000 MB limit. */
    apiLocal: boolean;
    cloudApiRoot: string;
    /** Call logOut on the cloud API once (remembered in the DB) before using a local server. */
    logoutFromCloud: boolean;
    uploadTimeoutSeconds: number;
    databaseUrl?: string;
    dbSchema: string;
    maxVideoBytes: number;
    maxVideoMb: number;
    tempDir: string;
    convertTimeoutMs: number;
    /** No video bytes from the CDN for this long: the job is stalled and stops. */
    readTimeoutMs: number;
    ffmpegPath: string;
    ffmpegMaxJobs: number;
    messageIntervalMs: number;
    callbackIntervalMs: number;
    logLevel: Env["LOG_LEVEL"];
    inviteLink?: string;
    analyticsChannelId?: string;
    analyticsEnabled: boolean;
    cdn: {
        photoHostTemplate: string;
        videoHostTemplate: string;
        allowedHosts: string[];
        timeoutMs: number;
        maxRequestsPerArticle: number;
        maxInFlight: number;
        maxBasket: number;
        maxPhotos: number;
    };
    /** Time for one article lookup (card and video search); then the user gets an answer. */
    lookupDeadlineMs: number;
    cacheTtlMs: number;
    videoNotFoundTtlMs: number;
    heartbeatFile: string;
    /** Optional ecosystem services (bot-spec 8.3-8.5); undefined = off. */
    gateway?: ServiceEndpoint;
    mediaService?: ServiceEndpoint;
    analyticsService?: ServiceEndpoint;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Parses the environment; reports every bad variable at once, never echoing a value. */
export function loadConfig(env: NodeJS.ProcessEnv): ConfigResult {
    const cleaned = Object.fromEntries(
        Object.keys(schema.shape)
            .filter((key) => env[key] !== undefined && env[key] !== "")
            .map((key) => [key, env[key]]),
    );
    const parsed = schema.safeParse(cleaned);
    if (!parsed.success) {
        const errors = parsed.error.issues.map((issue) => {
            const name = String(issue.path[0] ?? "environment");
            return `${name}: ${issue.message}`;
        });
        return { ok: false, errors: [...new Set(errors)] };
    }
    const e = parsed.data;
    const errors = crossCheck(e);
    if (errors.length > 0) return { ok: false, errors };
    return { ok: true, config: toConfig(e) };
}

function crossCheck(e: Env): string[] {
    const errors: string[] = [];
    const allow = parseAllowList(e.WB_CDN_ALLOWED_HOSTS);
    if (allow.length === 0) errors.push("WB_CDN_ALLOWED_HOSTS: must list at least one host");
    for (const key of ["WB_PHOTO_HOST_TEMPLATE", "WB_VIDEO_HOST_TEMPLATE"] as const) {
        const sample = new URL(e[key].replace("{NN}", "01"));
        if (!hostAllowed(sample, allow)) {
            errors.push(`${key}: host is not in WB_CDN_ALLOWED_HOSTS (https on WB CDN hosts only)`);
        }
    }
    if (e.TELEGRAM_API_LOCAL && !e.TELEGRAM_API_BASE_URL) {
        errors.push("TELEGRAM_API_LOCAL: needs TELEGRAM_API_BASE_URL (the local Bot API server)");
    }
    return errors;
}

function toConfig(e: Env): Config {
    const apiRoot = e.TELEGRAM_API_BASE_URL ?? e.TELEGRAM_CLOUD_API_BASE_URL;
    const maxVideoMb = e.TELEGRAM_API_LOCAL
        ? e.HLS_MAX_VIDEO_SIZE_MB
        : Math.min(e.HLS_MAX_VIDEO_SIZE_MB, CLOUD_UPLOAD_LIMIT_MB);
    return {
        botToken: e.BOT_TOKEN,
        apiRoot,
        apiLocal: e.TELEGRAM_API_LOCAL,
        cloudApiRoot: e.TELEGRAM_CLOUD_API_BASE_URL,
        logoutFromCloud:
            e.TELEGRAM_LOGOUT_FROM_CLOUD &&
            e.TELEGRAM_API_LOCAL &&
            apiRoot !== e.TELEGRAM_CLOUD_API_BASE_URL,
        uploadTimeoutSeconds: e.TELEGRAM_UPLOAD_TIMEOUT_SECONDS,
        databaseUrl: e.DATABASE_URL,
        dbSchema: e.DB_SCHEMA,
        maxVideoMb,
        maxVideoBytes: maxVideoMb * 1024 * 1024,
        tempDir: e.HLS_TEMP_DIR,
        convertTimeoutMs: e.HLS_CONVERT_TIMEOUT * 1000,
        readTimeoutMs: Math.round(e.HLS_READ_TIMEOUT * 1000),
        ffmpegPath: e.FFMPEG_PATH,
        ffmpegMaxJobs: e.FFMPEG_MAX_JOBS,
        messageIntervalMs: e.RATE_LIMIT_SECONDS * 1000,
        callbackIntervalMs: e.CALLBACK_RATE_LIMIT_SECONDS * 1000,
        logLevel: e.LOG_LEVEL,
        inviteLink: e.COMMUNITY_INVITE_LINK,
        analyticsChannelId: e.ANALYTICS_CHANNEL_ID,
        analyticsEnabled: e.ENABLE_ANALYTICS,
        cdn: {
            photoHostTemplate: e.WB_PHOTO_HOST_TEMPLATE,
            videoHostTemplate: e.WB_VIDEO_HOST_TEMPLATE,
            allowedHosts: parseAllowList(e.WB_CDN_ALLOWED_HOSTS),
            timeoutMs: Math.round(e.WB_API_TIMEOUT * 1000),
            maxRequestsPerArticle: e.WB_MAX_REQUESTS_PER_ARTICLE,
            maxInFlight: e.WB_MAX_IN_FLIGHT,
            maxBasket: e.WB_MAX_BASKET,
            maxPhotos: e.WB_MAX_PHOTOS,
        },
        lookupDeadlineMs: Math.round(e.WB_LOOKUP_DEADLINE_SECONDS * 1000),
        cacheTtlMs: e.CACHE_TTL_HOURS * 3600 * 1000,
        videoNotFoundTtlMs: e.VIDEO_NOT_FOUND_TTL_SECONDS * 1000,
        heartbeatFile: e.HEARTBEAT_FILE,
        gateway: e.USE_GATEWAY
            ? { url: e.GATEWAY_URL, timeoutMs: e.GATEWAY_TIMEOUT * 1000, apiKey: e.GATEWAY_API_KEY }
            : undefined,
        mediaService: e.USE_WB_MEDIA_SERVICE
            ? { url: e.WB_MEDIA_SERVICE_URL, timeoutMs: e.WB_MEDIA_SERVICE_TIMEOUT * 1000 }
            : undefined,
        analyticsService: e.USE_ANALYTICS_SERVICE
            ? { url: e.ANALYTICS_SERVICE_URL, timeoutMs: e.ANALYTICS_SERVICE_TIMEOUT * 1000 }
            : undefined,
    };
}
