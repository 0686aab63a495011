import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { articleSet, type BenchArticle } from "./articles.js";
import { inProcessConfig } from "./bot-config.js";
import { buildBot } from "./bot-process.js";
import { Cleanup } from "./cleanup.js";
import { startSharedFixtures, type SharedFixtures } from "./fixtures.js";
import { ensureHlsInput } from "./hls-inputs.js";
import {
    floodRow,
    floodRun,
    idleRow,
    idleSamples,
    measureBigVideo,
    measureLatency,
    measureLoad,
    measureRepeat,
} from "./measure-bot.js";
import { measureCdnRequests } from "./measure-cdn.js";
import { measureConversion } from "./measure-convert.js";
import { measureSecondApplyPlan, measureVpsBootstrap } from "./measure-provisioning.js";
import { failed, table, writeResults, type Row } from "./report.js";
import { startRig } from "./rig.js";

/**
 * `npm run bench`: the measurements of issue 7, side by side in one run, on loopback only.
 * Flags: --with-vps (or BENCH_WITH_VPS=1) adds the test-VPS bootstrap (root, minutes);
 * --only=1,3 runs a subset.
 */
const root = process.cwd();
if (!existsSync(join(root, "bench", "main.ts"))) {
    console.error("run the bench from the repository root: npm run bench");
    process.exit(2);
}
const args = process.argv.slice(2);
const withVps = args.includes("--with-vps") || process.env.BENCH_WITH_VPS === "1";
const only = args.find((a) => a.startsWith("--only="))?.slice("--only=".length).split(",");
const wanted = (id: string) => !only || only.includes(id);
const cacheDir = join(root, "build", "bench-cache");
const resultsPath = join(root, "bench", "results.json");
const FFMPEG_MAX_JOBS = 2;

const cleanup = new Cleanup();
const rows: Row[] = [];
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
        interrupted = true;
        console.error(`${signal}: stopping everything the bench started`);
        void cleanup.run().finally(() => process.exit(130));
    });
}

// An error nobody awaited (e.g. an SSH client's late "error" event) must still stop the VPS,
// the bot processes and the servers.
process.on("uncaughtException", (error) => {
    console.error("uncaught error; stopping everything the bench started:", error);
    interrupted = true;
    void cleanup.run().finally(() => process.exit(1));
});

function progress(text: string): void {
    console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}`);
}

async function step(id: string, name: string, target: string, run: () => Promise<Row | Row[]>) {
    if (!wanted(id) || interrupted) return;
    progress(`${id}: ${name}`);
    try {
        const result = await run();
        rows.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
        console.error(error);
        rows.push(failed(id, name, target, error));
    }
}

/** Typical articles of several disjoint sets (so measurements never share cache entries). */
function typicalArticles(count: number, firstSalt: number): BenchArticle[] {
    const out: BenchArticle[] = [];
    for (let salt = firstSalt; out.length < count; salt++) {
        out.push(...articleSet(salt).filter((a) => a.typical));
    }
    return out.slice(0, count);
}

async function main(): Promise<void> {
    mkdirSync(cacheDir, { recursive: true });
    const needsBot = ["2", "2b", "4", "5", "6", "7", "9"].some(wanted);
    const needsFixtures = needsBot || wanted("1");
    if (needsFixtures) progress("starting a private Postgres cluster + HLS fixture (bot helpers)");
    const fixtures = needsFixtures ? await startSharedFixtures(cleanup) : undefined;
    const entry = needsBot ? buildBot(root, cacheDir) : "";

    await step("1", "CDN requests per article", "typical <= photos+4; never > 250", async () => {
        const cdn = new FakeCdn(fixtures!.hlsDir);
        await cdn.start();
        cleanup.add("fake CDN for measurement 1", () => cdn.stop());
        return measureCdnRequests(cdn, inProcessConfig(cdn, cacheDir), articleSet(0));
    });

    await step("3", "HLS -> MP4 conversion throughput", ">= 0.9 of plain ffmpeg", async () => {
        progress("preparing the >= 200 MiB HLS input (cached in build/bench-cache)");
        return measureConversion(ensureHlsInput(cacheDir, 200), cleanup);
    });

    const rigIds = ["6", "2", "2b", "5", "7"];
    if (rigIds.some(wanted) && !interrupted) {
        try {
            await rigMeasurements(entry, fixtures!);
        } catch (error) {
            console.error(error);
            for (const id of rigIds.filter((i) => wanted(i) && !rows.some((r) => r.id === i))) {
                rows.push(failed(id, `measurement ${id} (bot process)`, "see the issue", error));
            }
        }
    }

    const bigVideo = "RSS growth <= 50 MiB; no file bytes over HTTP";
    await step("4", "Delivering a >= 1 GiB video", bigVideo, async () => {
        progress("preparing the >= 1 GiB HLS input (cached in build/bench-cache)");
        const input = ensureHlsInput(cacheDir, 1024);
        const rig = await startRig({
            entry, hlsDir: input.dir, pgAdminUrl: fixtures!.pgAdminUrl, cleanup,
        });
        const article = typicalArticles(1, 9)[0]!;
        const row = await measureBigVideo(rig, article, input);
        await rig.bot.stop();
        return row;
    });

    await step("9", "Other users' replies during a flood", "p95 < 2 s", async () => {
        const runs = [];
        for (const [label, env] of [
            ["production rate limit (3 s)", {}],
            ["rate limit off", { RATE_LIMIT_SECONDS: "0" }],
        ] as const) {
            progress(`9: a 130-message flood, ${label}`);
            const rig = await startRig({
                entry, hlsDir: fixtures!.hlsDir, pgAdminUrl: fixtures!.pgAdminUrl, cleanup,
                extraEnv: env, perChatIntervalMs: 1000,
            });
            runs.push(await floodRun(rig, label, typicalArticles(11, 12)));
            await rig.bot.stop();
        }
        return floodRow(runs);
    });

    await step("8", "Second apply (plan)", "0 steps", async () => measureSecondApplyPlan());
    await step("8b", "Test-VPS bootstrap", "second run: 0 CHANGED", () =>
        measureVpsBootstrap(withVps, cleanup));
}

/** Measurements 6, 2, 5 and 7 on one bot process (FFMPEG_MAX_JOBS=2). */
async function rigMeasurements(entry: string, fixtures: SharedFixtures): Promise<void> {
    progress("starting a bot process (local Bot API mode, FFMPEG_MAX_JOBS=2)");
    const rig = await startRig({
        entry, hlsDir: fixtures.hlsDir, pgAdminUrl: fixtures.pgAdminUrl, cleanup,
        extraEnv: { FFMPEG_MAX_JOBS: String(FFMPEG_MAX_JOBS) },
    });
    let fresh: number[] | Error = [];
    if (wanted("6")) {
        progress("6: idle RSS of the freshly started bot");
        fresh = await idleSamples(rig, 3000).catch((e: unknown) => e as Error);
    }
    await step("2", "Time to the product card with 50 ms CDN latency", ">= 10x faster", () =>
        measureLatency(rig, typicalArticles(20, 1).filter((_, i) => i % 3 === 0)));
    await step("5", "Repeat request", "0 upload bytes; only conditional requests, all 304", () =>
        measureRepeat(rig, typicalArticles(20, 3).find((a) => a.product.photos >= 3)!));
    await step("7", "50 users within 10 s", "all served, no errors, ffmpeg <= limit", () =>
        measureLoad(rig, typicalArticles(50, 4), FFMPEG_MAX_JOBS));
    await step("6", "Idle RSS", "<= 90 MiB", async () => {
        if (fresh instanceof Error) throw fresh;
        return idleRow(fresh, wanted("7") ? await idleSamples(rig, 20_000) : undefined);
    });
    await rig.bot.stop();
}

async function runAll(): Promise<number> {
    let exitCode = 0;
    try {
        await main();
    } catch (error) {
        console.error(error);
        exitCode = 1;
    } finally {
        await cleanup.run();
    }
    rows.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    console.log(`\n${table(rows)}\n`);
    if (!only) writeResults(resultsPath, rows, { withVps });
    else {
        const subsetPath = join(cacheDir, "results-subset.json");
        writeResults(subsetPath, rows, { withVps, only });
        console.log(`(subset run: written to ${subsetPath}, not to bench/results.json)`);
    }
    return rows.some((r) => r.ours === "FAILED") ? 1 : exitCode;
}

void runAll().then((code) => process.exit(code));
