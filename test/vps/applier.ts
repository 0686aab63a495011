import { describedScript, stepOutcome, Step, StepOutcome } from "../../components/plan/step";
import { SshSession } from "./ssh";

/**
 * Applies provisioning steps exactly as the Pulumi components do: each step's described script
 * (the Command's `create`) is the SSH command and its stdin is piped in, over a fresh root
 * connection per step (as every `command.remote.Command` opens its own). It never rewrites a step.
 */
export interface StepRecord {
    readonly id: string;
    readonly outcome: StepOutcome;
    readonly durationMs: number;
}

export class StepFailedError extends Error {
    constructor(
        readonly stepId: string,
        readonly exitCode: number | null,
        readonly stdout: string,
        readonly stderr: string,
    ) {
        super(
            `step ${stepId} failed (exit ${exitCode}):\n` +
                `--- stderr ---\n${stderr.trimEnd()}\n--- stdout (last lines) ---\n` +
                stdout.trimEnd().split("\n").slice(-20).join("\n"),
        );
        this.name = "StepFailedError";
    }
}

export async function applyStep(
    connect: () => Promise<SshSession>,
    step: Step,
): Promise<StepRecord> {
    const started = Date.now();
    const session = await connect();
    try {
        const result = await session.exec(describedScript(step), { stdin: step.stdin ?? "" });
        if (result.code !== 0) {
            throw new StepFailedError(step.id, result.code, result.stdout, result.stderr);
        }
        return {
            id: step.id,
            outcome: stepOutcome(step, result.stdout),
            durationMs: Date.now() - started,
        };
    } finally {
        session.close();
    }
}

/** Applies steps in order and stops at the first failure (as `pulumi up` does on a chain). */
export async function applySteps(
    connect: () => Promise<SshSession>,
    steps: readonly Step[],
    onRecord: (record: StepRecord) => void = () => undefined,
): Promise<StepRecord[]> {
    const records: StepRecord[] = [];
    for (const step of steps) {
        const record = await applyStep(connect, step);
        records.push(record);
        onRecord(record);
    }
    return records;
}
