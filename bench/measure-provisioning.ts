import { planProvisioning } from "../components/plan/plan.js";
import { runtimeFor, stackConfig } from "../test/helpers/stack-fixtures.js";
import type { Cleanup } from "./cleanup.js";
import { notMeasured, type Row } from "./report.js";

const TARGET_SECOND = "0 steps";

/**
 * Measurement 8, exact part: a second `pulumi up` runs a step's command only when its trigger
 * changed, so the steps it executes are the steps whose trigger differs between two plans made
 * from the same stack config and the same runtime values (as Pulumi's state keeps them).
 */
export function measureSecondApplyPlan(): Row {
    const first = stackConfig();
    const second = stackConfig();
    const a = planProvisioning(first, runtimeFor(first));
    const b = planProvisioning(second, runtimeFor(second));
    const before = new Map(a.map((step) => [step.id, step.trigger]));
    const after = new Set(b.map((step) => step.id));
    const executed = [
        ...b.filter((step) => before.get(step.id) !== step.trigger).map((step) => step.id),
        ...a.filter((step) => !after.has(step.id)).map((step) => `${step.id} (removed)`),
    ];
    return {
        id: "8",
        name: `Second apply: steps whose trigger changed (plan of ${a.length} steps, same config)`,
        ours: `${executed.length} of ${a.length}`,
        baseline: "—",
        ratio: "—",
        target: TARGET_SECOND,
        met: executed.length === 0,
        notes: executed.length ? `re-run steps: ${executed.join(", ")}` : undefined,
        data: { steps: a.length, executed },
    };
}

interface StepRecordLike {
    id: string;
    outcome: string;
    durationMs: number;
}

const BOOTSTRAP_NAME = "Fresh bootstrap on the test VPS; second run of the applier";
const BOOTSTRAP_TARGET = "second run: 0 CHANGED";

/**
 * Measurement 8, test-VPS part (needs root and minutes, so only with --with-vps): the test-VPS
 * harness (test/vps/) boots a fresh systemd-nspawn VPS, applies the real plan over SSH, then
 * applies it again; the applier records CHANGED/UNCHANGED and the duration of each step.
 */
export async function measureVpsBootstrap(enabled: boolean, cleanup: Cleanup): Promise<Row> {
    if (!enabled) {
        return notMeasured("8b", BOOTSTRAP_NAME, BOOTSTRAP_TARGET,
            "needs root and several minutes: `npm run bench -- --with-vps` (or BENCH_WITH_VPS=1)");
    }
    if (process.getuid?.() !== 0) {
        return notMeasured("8b", BOOTSTRAP_NAME, BOOTSTRAP_TARGET,
            "--with-vps needs root (systemd-nspawn)");
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
    const imagesMs = Object.values(provisioned.images.durationsMs as Record<string, number>)
        .reduce((sum, v) => sum + v, 0);
    return {
        id: "8b",
        name: BOOTSTRAP_NAME,
        ours: `fresh apply ${seconds(bootstrapped - created)} ` +
            `(${first.length} steps ${seconds(stepsMs)} + local images ${seconds(imagesMs)}); ` +
            `second run ${seconds(secondMs)}, ${changed.length} of ${second.length} CHANGED`,
        baseline: "—",
        ratio: "—",
        target: BOOTSTRAP_TARGET,
        met: changed.length === 0,
        notes: changed.length ? `CHANGED on the second run: ${changed.join(", ")}` : undefined,
        data: {
            vpsCreateMs: created - started, freshApplyMs: bootstrapped - created, imagesMs,
            firstRun: first, secondRun: second, secondRunMs: secondMs,
        },
    };
}

function seconds(ms: number): string {
    return `${(ms / 1000).toFixed(0)} s`;
}
