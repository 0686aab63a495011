import { execFileSync } from "node:child_process";
import { join } from "node:path";
import type { Cleanup } from "./cleanup.js";
import { planTriggers } from "./plan-triggers.js";
import { notMeasured, type Row } from "./report.js";

/** Environments of the processes that build the plan again: other time zones and locales. */
const OTHER_PROCESSES: ReadonlyArray<Record<string, string>> = [
    { TZ: "Pacific/Kiritimati", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8" },
    { TZ: "America/Adak", LANG: "C", LC_ALL: "C" },
];

/**
 * Measurement 8: a no-op `pulumi up` runs a step's command only when its trigger changed, so the
 * plan must give every step the same trigger whenever it is built from the same config and
 * runtime values. This builds the plan in this process and in two others (other TZ and locale)
 * and counts the steps whose trigger differs. It is not an apply: row 8b applies twice on the
 * test VPS.
 */
export function measurePlanDeterminism(root: string): Row {
    const here = planTriggers();
    const tsx = join(root, "node_modules", ".bin", "tsx");
    const others = OTHER_PROCESSES.map(
        (env) =>
            JSON.parse(
                execFileSync(tsx, [join(root, "bench", "print-plan-triggers.ts")], {
                    cwd: root,
                    env: { ...process.env, ...env },
                    encoding: "utf8",
                }),
            ) as Record<string, string>,
    );
    const ids = new Set([here, ...others].flatMap((plan) => Object.keys(plan)));
    const differing = [...ids].filter((id) => others.some((plan) => plan[id] !== here[id]));
    const steps = Object.keys(here).length;
    return {
        id: "8",
        name:
            `Plan determinism: steps whose trigger differs when the plan of one config ` +
            `(${steps} steps) is built in 3 processes with other time zones and locales`,
        ours: `${differing.length} of ${steps}`,
        baseline: "—",
        ratio: "—",
        target: "0 steps (a no-op `pulumi up` runs none)",
        met: differing.length === 0,
        notes: differing.length ? `triggers differ: ${differing.join(", ")}` : undefined,
        data: { steps, differing, environments: OTHER_PROCESSES },
    };
}

interface StepRecordLike {
    id: string;
    outcome: string;
    durationMs: number;
}

const BOOTSTRAP_NAME =
    "Second apply on the test VPS: steps reporting CHANGED when the plan's scripts run again " +
    "(ssh2 applier, not `pulumi up`), and the fresh apply's time";
const BOOTSTRAP_TARGET = "second apply: 0 CHANGED";

/**
 * Measurement 8b (needs root and minutes, so only with --with-vps): the test-VPS
 * harness (test/vps/) boots a fresh systemd-nspawn VPS, applies the real plan over SSH, then
 * applies it again; the applier records CHANGED/UNCHANGED and the duration of each step.
 */
export async function measureVpsBootstrap(enabled: boolean, cleanup: Cleanup): Promise<Row> {
    if (!enabled) {
        return notMeasured(
            "8b",
            BOOTSTRAP_NAME,
            BOOTSTRAP_TARGET,
            "needs root and several minutes: `npm run bench -- --with-vps` (or BENCH_WITH_VPS=1)",
        );
    }
    if (process.getuid?.() !== 0) {
        return notMeasured(
            "8b",
            BOOTSTRAP_NAME,
            BOOTSTRAP_TARGET,
            "--with-vps needs root (systemd-nspawn)",
        );
    }
    const log = (line: string) => console.log(`[vps] ${line}`);
    const { TestVps } = await import("../test/vps/vps.js");
    const { provision, reapply } = await import("../test/vps/provision.js");
    const started = Date.now();
    const vps = await TestVps.create({ log });
    cleanup.add("test VPS", () => vps.destroy());
    const created = Date.now();
    const provisioned = await provision(vps, log);
    const bootstrapped = Date.now();
    const second: StepRecordLike[] = await reapply(vps, provisioned.plan, log);
    const secondMs = Date.now() - bootstrapped;
    const changed = second.filter((r) => r.outcome === "CHANGED").map((r) => r.id);
    const first: StepRecordLike[] = provisioned.records;
    const stepsMs = first.reduce((sum, r) => sum + r.durationMs, 0);
    const imagesMs = Object.values(provisioned.images.durationsMs).reduce((sum, v) => sum + v, 0);
    return {
        id: "8b",
        name: BOOTSTRAP_NAME,
        ours:
            `fresh apply ${seconds(bootstrapped - created)} ` +
            `(${first.length} steps ${seconds(stepsMs)} + local images ${seconds(imagesMs)}); ` +
            `second run ${seconds(secondMs)}, ${changed.length} of ${second.length} CHANGED`,
        baseline: "—",
        ratio: "—",
        target: BOOTSTRAP_TARGET,
        met: changed.length === 0,
        notes: changed.length ? `CHANGED on the second run: ${changed.join(", ")}` : undefined,
        data: {
            vpsCreateMs: created - started,
            freshApplyMs: bootstrapped - created,
            imagesMs,
            firstRun: first,
            secondRun: second,
            secondRunMs: secondMs,
        },
    };
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(0)} s`;
}
