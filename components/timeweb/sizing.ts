import type { ApiContext } from "./api-client";
import {
    ConfigurationSpec,
    PresetSelector,
    ResolvedConfigurator,
    ResolvedPreset,
    resolveConfigurator,
    resolvePreset,
} from "./catalog";

/** What the server is bought as: a preset, or exact resources through a configurator. */
export type Sizing =
    | { readonly kind: "preset"; readonly preset: ResolvedPreset }
    | {
          readonly kind: "configurator";
          readonly configurator: ResolvedConfigurator;
          readonly configuration: ConfigurationSpec;
      };

export interface SizingRequest {
    readonly location: string;
    /** Exactly one of preset and configuration is set. */
    readonly preset?: PresetSelector;
    readonly configuration?: ConfigurationSpec;
}

/**
 * Resolves the sizing against the catalogue. The server provider and `npm run timeweb -- plan`
 * both call this, so the plan shows exactly what `pulumi up` buys.
 */
export async function resolveSizing(ctx: ApiContext, request: SizingRequest): Promise<Sizing> {
    if (request.preset !== undefined)
        return {
            kind: "preset",
            preset: await resolvePreset(ctx, request.location, request.preset),
        };
    if (request.configuration === undefined) {
        throw new Error("Set either timeweb.preset or timeweb.configuration in the stack config.");
    }
    const configurator = await resolveConfigurator(ctx, request.location, request.configuration);
    return { kind: "configurator", configurator, configuration: request.configuration };
}

/** The `preset_id` or `configuration` part of POST /servers (PATCH calls it `configurator`). */
export function sizingBody(sizing: Sizing): Record<string, unknown> {
    if (sizing.kind === "preset") return { preset_id: sizing.preset.id };
    const { configurator, configuration } = sizing;
    return {
        configuration: {
            configurator_id: configurator.id,
            cpu: configuration.cpu,
            ram: configuration.ramMb,
            disk: configuration.diskMb,
            ...(configurator.gpu === undefined ? {} : { gpu: configurator.gpu }),
        },
    };
}
