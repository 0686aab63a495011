import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { inject } from "vitest";
import { startApp, type App } from "../../src/app.js";
import { loadConfig, type Config } from "../../src/config.js";
import { FakeCdn } from "./fake-cdn.js";
import { FakeTelegram, type TgGroup, type TgUser } from "./fake-telegram.js";
import { createTestDatabase, type TestDatabase } from "./postgres.js";

export const TOKEN = "123456789:TEST-fake-token-not-real-abcdef";
export const CHANNEL_ID = -1001234567890;

export interface Harness {
    tg: FakeTelegram;
    cdn: FakeCdn;
    db?: TestDatabase;
    app: App;
    config: Config;
    tempDir: string;
    env: Record<string, string>;
    stop(): Promise<void>;
}

export interface HarnessOptions {
    env?: Record<string, string>;
    /** false = no database at all; a string = this DATABASE_URL (e.g. through a proxy). */
    database?: boolean | ((db: TestDatabase) => string);
    /** How long the fake Bot API holds an empty getUpdates (default 300 ms). */
    pollHoldMs?: number;
    /** The fake Bot API's per-chat flood limit (0 = off); see FakeTelegram. */
    perChatIntervalMs?: number;
}

/** The whole bot, in-process, against a fake Bot API, a fake CDN and a fresh real database. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
    const tg = new FakeTelegram(TOKEN, options.pollHoldMs, options.perChatIntervalMs);
    const cdn = new FakeCdn(inject("hlsDir"));
    const tempDir = mkdtempSync(join(tmpdir(), "bot-media-"));
    let db: TestDatabase | undefined;
    const cleanup = async () => {
        await tg.stop();
        await cdn.stop();
        await db?.drop();
        rmSync(tempDir, { recursive: true, force: true });
    };
    try {
        await tg.start();
        await cdn.start();
        const useDb = options.database ?? true;
        if (useDb) db = await createTestDatabase();
        const env = baseEnv(tg, cdn, tempDir, {
            ...(db ? { DATABASE_URL: typeof useDb === "function" ? useDb(db) : db.url } : {}),
            ...options.env,
        });
        const loaded = loadConfig(env);
        if (!loaded.ok) throw new Error(loaded.errors.join("; "));
        const log = pino({ level: process.env.BOT_TEST_LOG ?? "silent" });
        const app = await startApp(loaded.config, log);
        if (db) await waitForSchema(db);
        return {
            tg,
            cdn,
            db,
            app,
            config: loaded.config,
            tempDir,
            env,
            async stop(this: Harness) {
                await this.app.stop();
                await cleanup();
            },
        };
    } catch (error) {
        await cleanup();
        throw error;
    }
}

async function waitForSchema(db: TestDatabase): Promise<void> {
    for (let i = 0; i < 200; i++) {
        const rows = await db.query<{ t: string | null }>(
            "SELECT to_regclass('mpcabinet.bot_state')::text AS t",
        );
        if (rows[0]?.t) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error("the bot did not create its schema within 5 s");
}

export function baseEnv(
    tg: FakeTelegram,
    cdn: FakeCdn,
    tempDir: string,
    extra: Record<string, string> = {},
): Record<string, string> {
    return {
        BOT_TOKEN: TOKEN,
        TELEGRAM_API_BASE_URL: tg.url,
        TELEGRAM_API_LOCAL: "false",
        TELEGRAM_LOGOUT_FROM_CLOUD: "false",
        DB_SCHEMA: "mpcabinet",
        HLS_TEMP_DIR: tempDir,
        HEARTBEAT_FILE: join(tempDir, "heartbeat"),
        WB_PHOTO_HOST_TEMPLATE: cdn.photoTemplate,
        WB_VIDEO_HOST_TEMPLATE: cdn.videoTemplate,
        WB_CDN_ALLOWED_HOSTS: "127.0.0.1",
        WB_API_TIMEOUT: "2",
        RATE_LIMIT_SECONDS: "0",
        CALLBACK_RATE_LIMIT_SECONDS: "0",
        COMMUNITY_INVITE_LINK: "https://t.me/+FakeInviteForTests",
        ANALYTICS_CHANNEL_ID: String(CHANNEL_ID),
        ...extra,
    };
}

let nextUserId = 7_000_000;
let nextGroupId = -1_009_000_000_000;

export function newGroup(title = "Продавцы"): TgGroup {
    return { id: nextGroupId--, title };
}

export function newUser(name = "Тест"): TgUser {
    const id = nextUserId++;
    return { id, first_name: name, username: `user${id}` };
}

/** Waits until the chat shows a message (sent or edited) containing every fragment. */
export async function waitForText(
    tg: FakeTelegram,
    chatId: number,
    fragments: string[],
    timeoutMs = 15_000,
): Promise<string> {
    let found: string | undefined;
    await tg.waitFor(
        () => {
            found = tg.visibleTexts(chatId).find((t) => fragments.every((f) => t.includes(f)));
            return found !== undefined;
        },
        timeoutMs,
        `a message with ${fragments.join(" + ")}`,
    );
    return found!;
}

/** The message id of the product card in the chat (the message carrying the keyboard). */
export function cardMessageId(tg: FakeTelegram, chatId: number): number {
    const edits = tg.callsTo(chatId, "editMessageText").filter((c) => c.payload.reply_markup);
    if (edits.length === 0) throw new Error("no product card yet");
    return Number(edits[edits.length - 1]!.payload.message_id);
}
