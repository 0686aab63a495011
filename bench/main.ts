import { existsSync, mkdirSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { articleSet } from "./articles.js";
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
import { measureLanguageHostBuild, measureTimewebEngine } from "./measure-engine.js";
import { measurePlanDeterminism, measureVpsBootstrap } from "./measure-provisioning.js";
import { writeReadmeSection } from "./readme.js";
import { failed, notMeasured, table, writeResults, type Row } from "./report.js";
import { startRig, type Rig } from "./rig.js";

/**
 * `npm run bench`: the measurements of issue 7, side by side in one run, on loopback only.
 * Flags: --with-vps (or BENCH_WITH_VPS=1) adds the test-VPS bootstrap (root, minutes);
 * --with-toolchain adds the language host's cold build (empty Go caches, minutes);
 * --with-engine (or BENCH_WITH_ENGINE=1) adds the real engine on the Timeweb project (root);
 * --only=1,3 runs a subset.
 */
const root = process.cwd();
if (!existsSync(join(root, "bench", "main.ts"))) {
    console.error("run the bench from the repository root: npm run bench");
    process.exit(2);
}
const args = process.argv.slice(2);
const withVps = args.includes("--with-vps") || process.env.BENCH_WITH_VPS === "1";
const withToolchain = args.includes("--with-toolchain");
const withEngine = args.includes("--with-engine") || process.env.BENCH_WITH_ENGINE === "1";
const only = args
    .find((a) => a.startsWith("--only="))
    ?.slice("--only=".length)
    .split(",");
const wanted = (id: string) => !only || only.includes(id);
const cacheDir = join(root, "build", "bench-cache");
const resultsPath = join(root, "bench", "results.json");
const FFMPEG_MAX_JOBS = 2;

// The machine is shared: the load around a run says how far its timings can be trusted.
const loadAverageAtStart = loadavg()[0];
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

/** One row (or rows) of the table; a row that does not run is listed as not measured. */
async function step(id: string, name: string, target: string, run: () => Promise<Row | Row[]>) {
    if (!wanted(id) || interrupted) {
        const why = interrupted ? "the run was interrupted" : "not selected by --only";
        rows.push(notMeasured(id, name, target, why));
        return;
    }
    progress(`${id}: ${name}`);
    try {
        const result = await run();
        rows.push(...(Array.isArray(result) ? result : [result]));
    } catch (error) {
        console.error(error);
        rows.push(failed(id, name, target, error));
    }
}

async function main(): Promise<void> {
    mkdirSync(cacheDir, { recursive: true });
    const needsBot = ["2", "2b", "4", "5", "6", "7", "9"].some(wanted);
    const needsFixtures = needsBot || wanted("1");
    if (needsFixtures) progress("starting a private Postgres cluster + HLS fixture (bot helpers)");
    const fixtures = needsFixtures ? await startSharedFixtures(cleanup) : undefined;
    const entry = needsBot ? buildBot(root, cacheDir) : "";

    const requestsTarget = "every ordinary article <= photos+4; every article <= 250";
    await step("1", "CDN requests per article", requestsTarget, async () => {
        const cdn = new FakeCdn(fixtures!.hlsDir);
        await cdn.start();
        cleanup.add("fake CDN for measurement 1", () => cdn.stop());
        return measureCdnRequests(cdn, inProcessConfig(cdn, cacheDir), articleSet("requests"));
    });

    const remuxTarget = ">= 0.9 of plain ffmpeg in every round";
    await step("3", "HLS -> MP4 remux throughput", remuxTarget, async () => {
        progress("preparing the >= 200 MiB HLS input (cached in build/bench-cache)");
        return measureConversion(ensureHlsInput(cacheDir, 200), cleanup);
    });

    await rigMeasurements(entry, fixtures);

    const bigVideo = "RSS growth <= 50 MiB; no file bytes over HTTP";
    await step("4", "RSS growth delivering a >= 1 GiB video", bigVideo, async () => {
        progress("preparing the >= 1 GiB HLS input (cached in build/bench-cache)");
        const input = ensureHlsInput(cacheDir, 1024);
        const rig = await startRig({
            entry,
            hlsDir: input.dir,
            pgAdminUrl: fixtures!.pgAdminUrl,
            cleanup,
        });
        const article = articleSet("bigVideo")[0]!;
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
                entry,
                hlsDir: fixtures!.hlsDir,
                pgAdminUrl: fixtures!.pgAdminUrl,
                cleanup,
                extraEnv: env,
                perChatIntervalMs: 1000,
            });
            runs.push(await floodRun(rig, label, articleSet("latency")));
            await rig.bot.stop();
        }
        return floodRow(runs);
    });

    await step("8", "Plan determinism", "0 steps", () =>
        Promise.resolve(measurePlanDeterminism(root)),
    );
    await step("8b", "Second apply on the test VPS", "second apply: 0 CHANGED", () =>
        measureVpsBootstrap(withVps, cleanup),
    );
    await step("10", "Language host build", "— (informational)", () =>
        Promise.resolve(measureLanguageHostBuild(root, withToolchain)),
    );
    await step("11", "Real engine on the Timeweb project", "each < 30 s", () =>
        measureTimewebEngine(root, withEngine, cleanup),
    );
}

/** Measurements 6, 2, 5 and 7 on one bot process (FFMPEG_MAX_JOBS=2), started when needed. */
async function rigMeasurements(entry: string, fixtures: SharedFixtures | undefined): Promise<void> {
    let started: Promise<Rig> | undefined;
    const rig = () =>
        (started ??= (async () => {
            progress("starting a bot process (local Bot API mode, FFMPEG_MAX_JOBS=2)");
            return startRig({
                entry,
                hlsDir: fixtures!.hlsDir,
                pgAdminUrl: fixtures!.pgAdminUrl,
                cleanup,
                extraEnv: { FFMPEG_MAX_JOBS: String(FFMPEG_MAX_JOBS) },
            });
        })());
    // Sampled before any other measurement touches the bot; a failure is reported by step 6.
    let fresh: Promise<number[]> | undefined;
    if (wanted("6")) {
        fresh = rig().then((r) => {
            progress("6: idle RSS of the freshly started bot");
            return idleSamples(r, 3000);
        });
        await fresh.catch(() => undefined);
    }
    let latency: Promise<[Row, Row]> | undefined;
    const measureBoth = async () =>
        (latency ??= rig().then((r) => measureLatency(r, articleSet("latency"))));
    await step(
        "2",
        "Time until the card offers the video, 50 ms per CDN response",
        ">= 10x faster for every article",
        async () => (await measureBoth())[0],
    );
    await step(
        "2b",
        "Time until the first card shows, 50 ms per CDN response",
        "— (informational)",
        async () => (await measureBoth())[1],
    );
    await step(
        "5",
        "Repeat request",
        "0 upload bytes; only conditional requests, all 304",
        async () => measureRepeat(await rig(), articleSet("repeat")[0]!),
    );
    await step("7", "50 users within 10 s", "all served, no errors, ffmpeg <= limit", async () =>
        measureLoad(await rig(), articleSet("load"), FFMPEG_MAX_JOBS),
    );
    await step("6", "Idle RSS", "every sample <= 90 MiB", async () =>
        idleRow(await fresh!, wanted("7") ? await idleSamples(await rig(), 20_000) : undefined),
    );
    if (started) await (await started.catch(() => undefined))?.bot.stop();
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
    if (!only) {
        writeResults(resultsPath, rows, { withVps, loadAverageAtStart });
        writeReadmeSection(root);
        console.log("bench/results.json and the table in docs/benchmarks.md written");
    } else {
        const subsetPath = join(cacheDir, "results-subset.json");
        writeResults(subsetPath, rows, { withVps, loadAverageAtStart, only });
        console.log(`(subset run: written to ${subsetPath}, not to bench/results.json)`);
    }
    return rows.some((r) => r.ours === "FAILED") ? 1 : exitCode;
}

void runAll().then((code) => process.exit(code));
