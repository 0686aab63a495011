import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { StackConfig } from "./config/config";
import type { OffsiteKeys } from "./config/operations-config";
import { planGroups } from "./plan/plan";
import { placeholderRuntime, type RuntimeValues } from "./plan/runtime-values";
import { createStepCommands, stepReports, type StepReport } from "./step-commands";

export interface ComposeStackArgs {
    readonly config: StackConfig;
    readonly connection: command.types.input.remote.ConnectionArgs;
    readonly botApiHash: pulumi.Input<string>;
    readonly botTokens: pulumi.Input<Record<string, string>>;
    /** Bot name -> image id of its BotImage. */
    readonly botImages: Readonly<Record<string, pulumi.Input<string>>>;
    /** Bot name -> the images its Dockerfile builds FROM, kept by the image pruning. */
    readonly botBaseImages?: Readonly<Record<string, readonly string[]>>;
    /** S3 keys of the off-site backup copy, when backups.s3 is configured. */
    readonly offsiteKeys?: pulumi.Input<OffsiteKeys>;
}

/**
 * The compose stack under stackDir: files and env files (through stdin), Postgres password and
 * schemas, then `docker compose up` until every service is healthy.
 */
export class ComposeStack extends pulumi.ComponentResource {
    public readonly commands: command.remote.Command[];
    /** CHANGED or UNCHANGED per step, in order (see stepReports); secret steps give the word only. */
    public readonly steps: pulumi.Output<StepReport[]>;
    public readonly services: string[];

    constructor(name: string, args: ComposeStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:vps:ComposeStack", name, {}, opts);
        const { config } = args;
        const password = new random.RandomPassword(
            `${name}-postgres-password`,
            {
                length: 32,
                special: false,
                keepers: { passwordVersion: String(config.postgres.passwordVersion) },
            },
            { parent: this },
        );
        // Secret in the engine already; wrapped again so mocks and derivations stay secret.
        const runtime: pulumi.Output<RuntimeValues> = pulumi
            .all([
                pulumi.secret(password.result),
                pulumi.secret(args.botApiHash),
                pulumi.secret(args.botTokens),
                pulumi.all(args.botImages),
                pulumi.secret(args.offsiteKeys),
            ])
            .apply(([postgresPassword, botApiHash, botTokens, botImages, offsiteKeys]) => ({
                postgresPassword,
                botApiHash,
                botTokens,
                botImages,
                ...(args.botBaseImages === undefined ? {} : { botBaseImages: args.botBaseImages }),
                ...(offsiteKeys === undefined ? {} : { offsiteKeys }),
            }));
        const steps = planGroups(config, placeholderRuntime(config)).stack;
        this.commands = createStepCommands({
            steps,
            resolved: runtime.apply((values) => planGroups(config, values).stack),
            connection: args.connection,
            namePrefix: name,
            parent: this,
            ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }),
        });
        this.services = ["postgres", "telegram-bot-api", ...config.bots.map((bot) => bot.name)];
        this.steps = stepReports(steps, this.commands);
        this.registerOutputs({ services: this.services, steps: this.steps });
    }
}
