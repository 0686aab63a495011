import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";
import { planGroups } from "./plan/plan";
import { placeholderRuntime } from "./plan/runtime-values";
import { createStepCommands, stepReports, type StepReport } from "./step-commands";

export interface HostStepsArgs {
    readonly config: StackConfig;
    readonly connection: command.types.input.remote.ConnectionArgs;
}

/**
 * Turns a bare VPS into a hardened host: operator keys, base packages, timezone, swap, sysctl,
 * sshd hardening, UFW and unattended-upgrades, one remote command per step of the plan.
 */
export class Bootstrap extends pulumi.ComponentResource {
    public readonly commands: command.remote.Command[];
    /** CHANGED or UNCHANGED per step, in order (see stepReports). */
    public readonly steps: pulumi.Output<StepReport[]>;

    constructor(name: string, args: HostStepsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:vps:Bootstrap", name, {}, opts);
        // Bootstrap steps never read runtime values, so the placeholder plan is the real one.
        const steps = planGroups(args.config, placeholderRuntime(args.config)).bootstrap;
        this.commands = createStepCommands({
            steps,
            connection: args.connection,
            namePrefix: name,
            parent: this,
            ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }),
        });
        this.steps = stepReports(steps, this.commands);
        this.registerOutputs({ steps: this.steps });
    }
}
