import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { HostStepsArgs } from "./bootstrap";
import { planGroups } from "./plan/plan";
import { placeholderRuntime } from "./plan/runtime-values";
import { createStepCommands, stepReports, type StepReport } from "./step-commands";

/** Docker Engine with the compose plugin and a daemon.json with log rotation and live-restore. */
export class DockerEngine extends pulumi.ComponentResource {
    public readonly commands: command.remote.Command[];
    /** CHANGED or UNCHANGED per step, in order (see stepReports). */
    public readonly steps: pulumi.Output<StepReport[]>;

    constructor(name: string, args: HostStepsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:vps:DockerEngine", name, {}, opts);
        // Docker steps never read runtime values, so the placeholder plan is the real one.
        const steps = planGroups(args.config, placeholderRuntime(args.config)).docker;
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
