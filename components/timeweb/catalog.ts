import { ApiContext, callApi } from "./api-client";

/** Which tariff to buy: a fixed preset id, or the cheapest preset matching the filters. */
export interface PresetSelector {
    readonly id?: number;
    /** Tariff name as the panel shows it (`description_short`), e.g. "Cloud MSK 30". */
    readonly descriptionShort?: string;
    readonly cpu?: number;
    readonly ramMb?: number;
    /** Smallest acceptable disk. */
    readonly minDiskMb?: number;
}

/** Tariff lines of the configurator (`preset_type` of a configurator). */
export const SERVER_TYPES = ["standard", "premium", "dedicated_cpu", "gpu"] as const;
export type ServerType = (typeof SERVER_TYPES)[number];

/** A configurator server instead of a preset: exact resources, priced per resource. */
export interface ConfigurationSpec {
    readonly cpu: number;
    readonly ramMb: number;
    readonly diskMb: number;
    /** Tariff line; default standard. */
    readonly type?: ServerType;
    /** GPUs; default 0, or the line's minimum for type gpu. */
    readonly gpu?: number;
}

export interface OsSelector {
    readonly name: string;
    readonly version: string;
}

interface ApiPreset {
    readonly id: number;
    readonly location: string;
    readonly price: number;
    readonly cpu: number;
    readonly ram: number;
    readonly disk: number;
    readonly description_short: string;
}

export interface ResolvedPreset {
    readonly id: number;
    /** Monthly price in RUB, as the catalogue reports it. */
    readonly price: number;
    readonly name: string;
    readonly location: string;
    readonly cpu: number;
    readonly ramMb: number;
    readonly diskMb: number;
}

/** GET /presets/servers, keep the location's presets that match, take the cheapest. */
export async function resolvePreset(
    ctx: ApiContext,
    location: string,
    selector: PresetSelector,
): Promise<ResolvedPreset> {
    const answer = await callApi<{ server_presets: ApiPreset[] }>(ctx, "GET", "/presets/servers");
    const inLocation = answer.server_presets.filter((preset) => preset.location === location);
    const matches = inLocation.filter(
        (preset) =>
            (selector.id === undefined || preset.id === selector.id) &&
            (selector.descriptionShort === undefined ||
                preset.description_short === selector.descriptionShort) &&
            (selector.cpu === undefined || preset.cpu === selector.cpu) &&
            (selector.ramMb === undefined || preset.ram === selector.ramMb) &&
            (selector.minDiskMb === undefined || preset.disk >= selector.minDiskMb),
    );
    if (matches.length === 0) {
        const offered = inLocation
            .map(
                (preset) =>
                    `${preset.id} "${preset.description_short}" ` +
                    `${preset.cpu} CPU/${preset.ram} MB/` +
                    `${preset.disk} MB ${preset.price} RUB`,
            )
            .join("; ");
        throw new Error(
            `No Timeweb preset in location ${location} matches timeweb.preset ` +
                `${JSON.stringify(selector)}. Offered there: ${offered || "none"}. ` +
                "Change timeweb.preset (or timeweb.location) in the stack config.",
        );
    }
    const cheapest = [...matches].sort((a, b) => a.price - b.price || a.id - b.id)[0]!;
    return {
        id: cheapest.id,
        price: cheapest.price,
        name: cheapest.description_short,
        location: cheapest.location,
        cpu: cheapest.cpu,
        ramMb: cheapest.ram,
        diskMb: cheapest.disk,
    };
}

type Range = "cpu" | "ram" | "disk" | "gpu";
type Requirements = Partial<Record<`${Range}_${"min" | "max" | "step"}`, number | null>>;

interface ApiConfigurator {
    readonly id: number;
    readonly location: string;
    readonly preset_type?: string;
    readonly requirements?: Requirements;
}

export interface ResolvedConfigurator {
    readonly id: number;
    readonly type: ServerType;
    readonly location: string;
    /** The `gpu` to send: set whenever the configurator states a GPU range (0 included). */
    readonly gpu?: number;
}

/**
 * The configurators of the location whose tariff line is `type`. Newer answers carry
 * `preset_type` on each configurator; without it, the grouping of /presets/types/servers is used,
 * the way the official CLI selects one (twc server.py select_configurator).
 */
async function configuratorsOfType(
    ctx: ApiContext,
    location: string,
    type: ServerType,
): Promise<{ matching: ApiConfigurator[]; offered: string }> {
    const answer = await callApi<{ server_configurators: ApiConfigurator[] }>(
        ctx,
        "GET",
        "/configurator/servers",
    );
    const inLocation = answer.server_configurators.filter((item) => item.location === location);
    let typeOf = (item: ApiConfigurator) => item.preset_type;
    if (inLocation.some((item) => item.preset_type === undefined)) {
        const grouped = await callApi<{ configurators: Record<string, { id: number }[]> }>(
            ctx,
            "GET",
            "/presets/types/servers",
        );
        const types = new Map<number, string>();
        for (const [name, items] of Object.entries(grouped.configurators ?? {}))
            for (const item of items) types.set(item.id, name);
        typeOf = (item) => item.preset_type ?? types.get(item.id);
    }
    const offered = inLocation.map((item) => `${item.id} (${typeOf(item) ?? "?"})`).join(", ");
    return { matching: inLocation.filter((item) => typeOf(item) === type), offered };
}

/** Why `value` does not fit the configurator's range for `key`, or undefined when it fits. */
function outOfRange(req: Requirements, key: Range, value: number): string | undefined {
    const min = req[`${key}_min`];
    const max = req[`${key}_max`];
    const step = req[`${key}_step`];
    if (min == null || max == null) return undefined;
    if (value >= min && value <= max && (step == null || step === 0 || value % step === 0))
        return undefined;
    return `${key} ${value} is outside ${min}..${max}${step ? ` (step ${step})` : ""}`;
}

/**
 * GET /configurator/servers and pick the configurator of the location whose tariff line is the
 * requested one (standard unless timeweb.configuration.type says otherwise), checking the wanted
 * resources against its requirements. A location offers several lines (standard, premium,
 * dedicated CPU, GPU), so the first configurator of the location may be the wrong one.
 */
export async function resolveConfigurator(
    ctx: ApiContext,
    location: string,
    spec: ConfigurationSpec,
): Promise<ResolvedConfigurator> {
    const type = spec.type ?? "standard";
    const { matching, offered } = await configuratorsOfType(ctx, location, type);
    if (matching.length === 0) {
        throw new Error(
            `Timeweb offers no "${type}" configurator in location ${location} ` +
                `(there: ${offered || "none"}). Set timeweb.configuration.type to one of the ` +
                "offered lines, use timeweb.preset instead, or choose another timeweb.location.",
        );
    }
    const problems: string[] = [];
    for (const item of matching) {
        const req = item.requirements ?? {};
        const hasGpuRange = req.gpu_max != null;
        const gpu = spec.gpu ?? (type === "gpu" ? (req.gpu_min ?? 1) : 0);
        const misfits = [
            outOfRange(req, "cpu", spec.cpu),
            outOfRange(req, "ram", spec.ramMb),
            outOfRange(req, "disk", spec.diskMb),
            hasGpuRange ? outOfRange(req, "gpu", gpu) : gpu > 0 ? "it has no GPUs" : undefined,
        ].filter((text): text is string => text !== undefined);
        if (misfits.length === 0) {
            return {
                id: item.id,
                type,
                location: item.location,
                ...(hasGpuRange || gpu > 0 ? { gpu } : {}),
            };
        }
        problems.push(`configurator ${item.id}: ${misfits.join(", ")}`);
    }
    throw new Error(
        `timeweb.configuration ${JSON.stringify(spec)} does not fit the "${type}" configurator ` +
            `in ${location}: ${problems.join("; ")}. Change timeweb.configuration ` +
            "(cpu, ramMb, diskMb, gpu) to fit.",
    );
}

export interface ResolvedOs {
    readonly id: number;
    readonly name: string;
    readonly version: string;
}

/** GET /os/servers and find e.g. ubuntu 24.04. */
export async function resolveOs(ctx: ApiContext, selector: OsSelector): Promise<ResolvedOs> {
    const answer = await callApi<{ servers_os: { id: number; name: string; version: string }[] }>(
        ctx,
        "GET",
        "/os/servers",
    );
    const wanted = selector.name.toLowerCase();
    const found = answer.servers_os.find(
        (os) => os.name?.toLowerCase() === wanted && os.version === selector.version,
    );
    if (!found) {
        const versions = answer.servers_os
            .filter((os) => os.name?.toLowerCase() === wanted)
            .map((os) => os.version);
        throw new Error(
            `Timeweb offers no ${selector.name} ${selector.version} image ` +
                `(available: ${versions.join(", ") || "none"}). ` +
                "Change timeweb.os in the stack config.",
        );
    }
    return { id: found.id, name: found.name, version: found.version };
}
