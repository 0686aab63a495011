import type { ApiContext } from "../../components/timeweb/api-client";
import { resolveOs, type ResolvedOs } from "../../components/timeweb/catalog";
import type { TimewebConfig } from "../../components/timeweb/config";
import { resolveSizing, type Sizing } from "../../components/timeweb/sizing";

/** What `pulumi up` would buy with this `timeweb` block, resolved against the live catalogue. */
export interface ServerPlan {
    readonly location: string;
    readonly availabilityZone: string;
    readonly os: ResolvedOs;
    readonly sizing: Sizing;
}

/** Catalogue reads only (GET): the same resolution the server provider runs before it creates. */
export async function planServer(ctx: ApiContext, config: TimewebConfig): Promise<ServerPlan> {
    const os = await resolveOs(ctx, config.os);
    const sizing = await resolveSizing(ctx, {
        location: config.location,
        ...(config.configuration === undefined
            ? { preset: config.preset }
            : { configuration: config.configuration }),
    });
    return { location: config.location, availabilityZone: config.availabilityZone, os, sizing };
}

/** The plan as the operator reads it. */
export function formatPlan(stack: string, config: TimewebConfig, plan: ServerPlan): string[] {
    const lines = [`Timeweb server for stack ${stack} (nothing has been created):`];
    if (!config.createServer) {
        lines.push(
            "  note:          timeweb.createServer is false, so `pulumi up` uses `host` and " +
                "creates nothing; with it true, it would create:",
        );
    }
    lines.push(`  name:          ${config.name}`);
    lines.push(`  location:      ${plan.location}, availability zone ${plan.availabilityZone}`);
    lines.push(`  OS image:      ${plan.os.name} ${plan.os.version} (os_id ${plan.os.id})`);
    const { sizing } = plan;
    if (sizing.kind === "preset") {
        const { preset } = sizing;
        lines.push(
            `  preset:        ${preset.id} "${preset.name}": ${preset.cpu} vCPU, ` +
                `${preset.ramMb} MB RAM, ${preset.diskMb} MB disk`,
        );
        lines.push(`  monthly price: ${preset.price} RUB (Timeweb's catalogue)`);
    } else {
        const { configurator, configuration } = sizing;
        const gpu = configurator.gpu === undefined ? "" : `, ${configurator.gpu} GPU`;
        lines.push(
            `  configurator:  ${configurator.id} (${configurator.type} line): ` +
                `${configuration.cpu} vCPU, ${configuration.ramMb} MB RAM, ` +
                `${configuration.diskMb} MB disk${gpu}`,
        );
        lines.push(
            "  monthly price: the catalogue lists none for configurator servers; " +
                "the panel's configurator shows it",
        );
    }
    lines.push(
        "  public IPv4:   a floating IP ordered with the server, released when it is destroyed",
    );
    return lines;
}
