import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { FakeTelegram, type TgUser } from "../bot/test/helpers/fake-telegram.js";
import { newUser, TOKEN } from "../bot/test/helpers/harness.js";
import { ApiMeter } from "./api-meter.js";
import { benchEnv } from "./bot-config.js";
import { BotProcess } from "./bot-process.js";
import type { Cleanup } from "./cleanup.js";
import { createDatabase } from "./fixtures.js";
import { waitUntil } from "./stats.js";

/**
 * A real bot process (compiled, `node main.js`) wired to the bot tests' fakes: the fake Bot API
 * (behind a byte-counting proxy, local mode: videos go by path) and the fake WB CDN, with its own
 * database on the private Postgres cluster.
 */
export interface Rig {
    tg: FakeTelegram;
    meter: ApiMeter;
    cdn: FakeCdn;
    bot: BotProcess;
    tempDir: string;
    env: Record<string, string>;
}

export interface RigOptions {
    entry: string;
    hlsDir: string;
    pgAdminUrl: string;
    extraEnv?: Record<string, string>;
    /** Telegram's per-chat flood limit in the fake Bot API (0 = off). */
    perChatIntervalMs?: number;
    cleanup: Cleanup;
}

export async function startRig(o: RigOptions): Promise<Rig> {
    const tempDir = mkdtempSync(join(tmpdir(), "bench-bot-"));
    o.cleanup.add(`temp dir ${tempDir}`, () => rmSync(tempDir, { recursive: true, force: true }));
    const tg = new FakeTelegram(TOKEN, undefined, o.perChatIntervalMs);
    await tg.start();
    o.cleanup.add("fake Bot API", () => tg.stop());
    const meter = new ApiMeter(tg.url);
    await meter.start();
    o.cleanup.add("Bot API meter", () => meter.stop());
    const cdn = new FakeCdn(o.hlsDir);
    await cdn.start();
    o.cleanup.add("fake CDN", () => cdn.stop());
    const databaseUrl = await createDatabase(o.pgAdminUrl, o.cleanup);
    const env = benchEnv({ tg, cdn, tempDir, apiUrl: meter.url, databaseUrl, extra: o.extraEnv });
    const bot = new BotProcess(o.entry, env, o.cleanup);
    await bot.ready(env.HEARTBEAT_FILE!);
    return { tg, meter, cdn, bot, tempDir, env };
}

/** What the bot's failure texts contain (bot/src/texts.ts). */
const FAILURE_MARKS = ["❌", "перезапускается", "отправить не удалось"];

/** One simulated user asking for one article; times are Date.now() values. */
export class Visit {
    readonly user: TgUser = newUser("Замер");
    sentAt = 0;
    pressedAt = 0;

    constructor(
        private readonly rig: Rig,
        readonly nm: number,
    ) {}

    send(): void {
        this.sentAt = Date.now();
        this.rig.tg.sendText(this.user, String(this.nm));
    }

    private cardEdits() {
        return this.rig.tg
            .callsTo(this.user.id, "editMessageText")
            .filter((c) => c.payload.reply_markup !== undefined);
    }

    /** When the card with buttons first appeared (video possibly still being searched). */
    get cardAt(): number | undefined {
        return this.cardEdits()[0]?.at;
    }

    /** When the card first offered the video button (the search is over). */
    get completeAt(): number | undefined {
        const hasVideo = `download:${this.nm}:video`;
        return this.cardEdits().find((c) =>
            JSON.stringify(c.payload.reply_markup).includes(hasVideo),
        )?.at;
    }

    get cardMessageId(): number {
        const edit = this.cardEdits().at(-1);
        if (!edit) throw new Error(`no card for ${this.nm}`);
        return Number(edit.payload.message_id);
    }

    get videoAt(): number | undefined {
        return this.rig.tg.callsTo(this.user.id, "sendVideo")[0]?.at;
    }

    private get chat(): string {
        return this.rig.tg.visibleTexts(this.user.id).join(" / ");
    }

    get failed(): boolean {
        return this.rig.tg
            .visibleTexts(this.user.id)
            .some((t) => FAILURE_MARKS.some((mark) => t.includes(mark)));
    }

    async complete(timeoutMs = 30_000): Promise<number> {
        const what = `card of ${this.nm}`;
        await waitUntil(() => this.completeAt !== undefined || this.failed, timeoutMs, what);
        if (this.completeAt === undefined) throw new Error(`${what} failed: ${this.chat}`);
        return this.completeAt;
    }

    press(kind: "photo" | "video" | "both"): void {
        this.pressedAt = Date.now();
        this.rig.tg.pressButton(this.user, `download:${this.nm}:${kind}`, this.cardMessageId);
    }

    async video(timeoutMs: number): Promise<number> {
        const what = `video of ${this.nm}`;
        await waitUntil(() => this.videoAt !== undefined || this.failed, timeoutMs, what);
        if (this.videoAt === undefined) throw new Error(`${what} failed: ${this.chat}`);
        return this.videoAt;
    }
}
