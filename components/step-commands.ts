import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { describedScript, stepOutcome, type Step, type StepOutcome } from "./plan/step";

/**
 * What `update` runs: input changes other than triggers (a rotated key, a new host key line, the
 * description comment of `create`) must not re-run a step; only a changed trigger does, through a
 * replace. The provider replaces the command's stdout with the update's, so it prints the outcome
 * of doing nothing: stepReports reads every stdout.
 */
export const NO_OP_UPDATE = "echo UNCHANGED";

export interface StepCommandsArgs {
    /** The steps as planned with placeholder runtime values: ids and scripts, known at preview. */
    readonly steps: readonly Step[];
    /** The same steps planned with the real runtime values (omit when they need none). */
    readonly resolved?: pulumi.Output<readonly Step[]>;
    readonly connection: command.types.input.remote.ConnectionArgs;
    /** Prefix of each command's name: `<prefix>-<step id>`. */
    readonly namePrefix: string;
    readonly parent: pulumi.Resource;
    /** What the first step waits for; each later step waits for the one before it. */
    readonly dependsOn?: pulumi.ComponentResourceOptions["dependsOn"];
}

/** Fails when runtime values leaked into a script (scripts must be static for preview). */
export function assertSameScripts(placeholder: readonly Step[], resolved: readonly Step[]): void {
    const ids = (steps: readonly Step[]) => steps.map((step) => step.id).join(",");
    if (ids(placeholder) !== ids(resolved)) {
        throw new Error(
            `the plan's steps changed with runtime values: ${ids(placeholder)} vs ${ids(resolved)}`,
        );
    }
    placeholder.forEach((step, index) => {
        if (resolved[index]?.script !== step.script) {
            throw new Error(
                `step ${step.id}: its script depends on runtime values; move them into stdin`,
            );
        }
    });
}

/** stdin and trigger of step `index`; a non-secret step's stdin is unsecreted (it holds none). */
export function resolveStepInputs(
    steps: readonly Step[],
    index: number,
    resolved?: pulumi.Output<readonly Step[]>,
): { stdin?: pulumi.Input<string>; trigger: pulumi.Input<string> } {
    const step = steps[index];
    if (step === undefined) throw new Error(`no step at index ${index}`);
    if (resolved === undefined) {
        return {
            ...(step.stdin === undefined ? {} : { stdin: step.stdin }),
            trigger: step.trigger,
        };
    }
    const current = resolved.apply((all) => {
        assertSameScripts(steps, all);
        return all[index] as Step;
    });
    const stdin = current.apply((s) => s.stdin ?? "");
    return {
        ...(step.stdin === undefined
            ? {}
            : { stdin: step.secret ? stdin : pulumi.unsecret(stdin) }),
        trigger: current.apply((s) => s.trigger),
    };
}

/** The Command args and the options that keep secrets out of logs and state. */
export function stepCommandArgs(
    step: Step,
    inputs: { stdin?: pulumi.Input<string>; trigger: pulumi.Input<string> },
    connection: command.types.input.remote.ConnectionArgs,
): { args: command.remote.CommandArgs; additionalSecretOutputs: string[] } {
    return {
        args: {
            connection,
            create: describedScript(step),
            update: NO_OP_UPDATE,
            ...(inputs.stdin === undefined ? {} : { stdin: inputs.stdin }),
            triggers: [inputs.trigger],
            addPreviousOutputInEnv: false,
            logging: step.secret ? "none" : "stdoutAndStderr",
        },
        additionalSecretOutputs: step.secret ? ["stdout", "stderr"] : [],
    };
}

/** One `command.remote.Command` per step, chained in order. */
export function createStepCommands(args: StepCommandsArgs): command.remote.Command[] {
    const commands: command.remote.Command[] = [];
    args.steps.forEach((step, index) => {
        const inputs = resolveStepInputs(args.steps, index, args.resolved);
        const built = stepCommandArgs(step, inputs, args.connection);
        const previous = commands.at(-1);
        commands.push(
            new command.remote.Command(`${args.namePrefix}-${step.id}`, built.args, {
                parent: args.parent,
                dependsOn: previous === undefined ? args.dependsOn : [previous],
                additionalSecretOutputs: built.additionalSecretOutputs,
            }),
        );
    });
    return commands;
}

/** What one step did when it last ran. */
export interface StepReport {
    /** The step's id; its command is `<component name>-<id>`. */
    readonly step: string;
    readonly outcome: StepOutcome;
}

/**
 * CHANGED or UNCHANGED per step, read from the last line of each command's stdout: the step's
 * script when its trigger last changed, or UNCHANGED after an update (NO_OP_UPDATE). A secret
 * step's stdout is a secret; only the word is taken from it, and the word is no secret.
 */
export function stepReports(
    steps: readonly Step[],
    commands: readonly command.remote.Command[],
): pulumi.Output<StepReport[]> {
    return pulumi.all(
        steps.map((step, index) => {
            const stdout = commands[index]?.stdout;
            if (stdout === undefined) throw new Error(`no command for step ${step.id}`);
            const outcome = stdout.apply((text) => stepOutcome(step, text));
            return (step.secret ? pulumi.unsecret(outcome) : outcome).apply((word): StepReport => ({
                step: step.id,
                outcome: word,
            }));
        }),
    );
}
