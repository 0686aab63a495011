import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, inject, it } from "vitest";
import { FakeCdn } from "../helpers/fake-cdn.js";
import { FakeTelegram } from "../helpers/fake-telegram.js";
import { freePort } from "../helpers/global-setup.js";
import { baseEnv, newUser, TOKEN, waitForText } from "../helpers/harness.js";
import { standardProduct } from "../helpers/products.js";

// The real entry points as separate processes: main.ts (env errors, SIGTERM) and healthcheck.ts.
const BOT_DIR = new URL("../..", import.meta.url).pathname;

interface Running {
    child: ChildProcess;
    stdout: () => string;
    stderr: () => string;
    exited: Promise<number | null>;
}

function runScript(script: string, env: Record<string, string>): Running {
    const child = spawn(process.execPath, ["--import", "tsx", script], {
        cwd: BOT_DIR,
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((resolve) =>
        child.once("close", (code) => resolve(code)),
    );
    return { child, stdout: () => out, stderr: () => err, exited };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function fakes() {
    const tg = new FakeTelegram(TOKEN);
    const cdn = new FakeCdn(inject("hlsDir"));
    await tg.start();
    await cdn.start();
    const dir = mkdtempSync(join(tmpdir(), "bot-proc-"));
    cleanups.push(async () => {
        await tg.stop();
        await cdn.stop();
        rmSync(dir, { recursive: true, force: true });
    });
    return { tg, cdn, dir };
}

function startBot(env: Record<string, string>): Running {
    const bot = runScript("src/main.ts", env);
    cleanups.push(async () => {
        if (bot.child.exitCode === null) bot.child.kill("SIGKILL");
        await bot.exited;
    });
    return bot;
}

describe("environment validation", () => {
    it("exits 1 with one line per bad variable and never prints the token", async () => {
        const token = "not-a-token-but-secret-ish-value";
        const run = runScript("src/main.ts", {
            BOT_TOKEN: token,
            HLS_MAX_VIDEO_SIZE_MB: "99999",
            DB_SCHEMA: "Bad-Name",
            TELEGRAM_API_LOCAL: "maybe",
        });
        expect(await run.exited).toBe(1);
        const lines = run.stderr().trim().split("\n");
        expect(lines).toHaveLength(4);
        for (const name of [
            "BOT_TOKEN",
            "HLS_MAX_VIDEO_SIZE_MB",
            "DB_SCHEMA",
            "TELEGRAM_API_LOCAL",
        ]) {
            expect(
                lines.filter((l) => l.startsWith(`Invalid environment: ${name}: `)),
            ).toHaveLength(1);
        }
        expect(run.stderr() + run.stdout()).not.toContain(token);
    });

    it("names a missing BOT_TOKEN and a CDN host outside the allow-list", async () => {
        const run = runScript("src/main.ts", {
            WB_PHOTO_HOST_TEMPLATE: "https://basket-{NN}.evil.example",
        });
        expect(await run.exited).toBe(1);
        expect(run.stderr()).toContain("Invalid environment: BOT_TOKEN: is required");
        const allow = runScript("src/main.ts", {
            BOT_TOKEN: TOKEN,
            WB_PHOTO_HOST_TEMPLATE: "https://basket-{NN}.evil.example",
        });
        expect(await allow.exited).toBe(1);
        expect(allow.stderr()).toContain(
            "WB_PHOTO_HOST_TEMPLATE: host is not in WB_CDN_ALLOWED_HOSTS",
        );
    });
});

describe("fatal polling errors", () => {
    it("exits 1 when Telegram reports a second poller (409), so Docker restarts the bot", async () => {
        const { tg, cdn, dir } = await fakes();
        const env = baseEnv(tg, cdn, dir, { LOG_LEVEL: "info" });
        const bot = startBot(env);
        await tg.waitFor(() => existsSync(env.HEARTBEAT_FILE!), 20_000, "polling");
        tg.failNext("getUpdates", 409, {
            description: "Conflict: terminated by other getUpdates request",
        });
        expect(await bot.exited).toBe(1);
        expect(bot.stdout()).toContain("long polling stopped");
    });
});

describe("health check", () => {
    it("is healthy against a Bot API with no updates while the database is down", async () => {
        const { tg, cdn, dir } = await fakes();
        const deadDb = `postgresql://nobody:x@127.0.0.1:${await freePort()}/none`;
        const env = baseEnv(tg, cdn, dir, { DATABASE_URL: deadDb, LOG_LEVEL: "info" });
        const bot = startBot(env);
        await tg.waitFor(() => existsSync(env.HEARTBEAT_FILE!), 20_000, "heartbeat file");
        const healthy = runScript("src/healthcheck.ts", { HEARTBEAT_FILE: env.HEARTBEAT_FILE! });
        expect(await healthy.exited).toBe(0);
        expect(healthy.stdout()).toContain("healthy");

        // The three startup lines of SYSTEM.md section 8, in order.
        const messages = bot
            .stdout()
            .split("\n")
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as { msg: string }).msg);
        const order = ["Using Local Bot API: ", "Bot starting...", "Starting long polling..."].map(
            (m) => messages.findIndex((msg) => msg.startsWith(m)),
        );
        expect(order.every((i) => i >= 0)).toBe(true);
        expect([...order].sort((a, b) => a - b)).toEqual(order);
        expect(bot.stdout()).not.toContain(TOKEN);

        bot.child.kill("SIGSTOP"); // a hung process: its heartbeat goes stale
        await new Promise((resolve) => setTimeout(resolve, 200));
        writeFileSync(env.HEARTBEAT_FILE!, String(Date.now() - 10 * 60_000));
        const stale = runScript("src/healthcheck.ts", { HEARTBEAT_FILE: env.HEARTBEAT_FILE! });
        expect(await stale.exited).toBe(1);
        expect(stale.stderr()).toContain("unhealthy");
        bot.child.kill("SIGCONT");
    });

    it("is unhealthy when polling never started", async () => {
        const dir = mkdtempSync(join(tmpdir(), "hb-"));
        cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
        const file = join(dir, "missing");
        const run = runScript("src/healthcheck.ts", { HEARTBEAT_FILE: file });
        expect(await run.exited).toBe(1);
        expect(run.stderr()).toContain("no heartbeat");
    });
});

describe("SIGTERM", () => {
    it("in the middle of a conversion: kills ffmpeg, removes temp files, tells the user, exits within 10 s", async () => {
        const { tg, cdn, dir } = await fakes();
        const env = baseEnv(tg, cdn, dir, { LOG_LEVEL: "info" });
        const p = standardProduct({ photos: 1 });
        cdn.add(p);
        const bot = startBot(env);
        const user = newUser();
        tg.sendText(user, String(p.nm));
        await waitForText(tg, user.id, ["Видео: есть"], 20_000);
        const cardId = Number(
            tg
                .callsTo(user.id, "editMessageText")
                .filter((c) => c.payload.reply_markup)
                .at(-1)!.payload.message_id,
        );
        cdn.segmentDelayMs = 1500;
        tg.pressButton(user, `download:${p.nm}:video`, cardId);
        await tg.waitFor(
            () => cdn.requestsFor(p.nm).some((r) => r.path.endsWith(".ts")),
            15_000,
            "ffmpeg running",
        );
        const ffmpeg = ffmpegPids(dir);
        expect(ffmpeg.length).toBe(1);
        expect(readdirSync(dir).filter((f) => f.startsWith("wbv-")).length).toBeGreaterThan(0);

        const sentAt = Date.now();
        bot.child.kill("SIGTERM");
        const code = await bot.exited;
        expect(Date.now() - sentAt).toBeLessThan(10_000);
        expect(code).toBe(0);
        expect(ffmpegPids(dir)).toEqual([]);
        expect(readdirSync(dir).filter((f) => f.startsWith("wbv-"))).toEqual([]);
        expect(tg.textOf(user.id, cardId)).toContain("перезапускается");
        expect(tg.callsOf("sendVideo")).toEqual([]);
    });
});

/** ffmpeg processes whose command line mentions the bot's temp dir. */
function ffmpegPids(dir: string): number[] {
    const out = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" }).stdout;
    return out
        .split("\n")
        .filter((line) => line.includes("ffmpeg") && line.includes(dir) && !line.includes("ps -eo"))
        .map((line) => Number(line.trim().split(/\s+/)[0]));
}
