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

/** A configurator server instead of a preset: exact resources, priced per resource. */
export interface ConfigurationSpec {
    readonly cpu: number;
    readonly ramMb: number;
    readonly diskMb: number;
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
    readonly price: number;
    readonly name: string;
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
    return { id: cheapest.id, price: cheapest.price, name: cheapest.description_short };
}

/** GET /configurator/servers and take the configurator of the location. */
export async function resolveConfigurator(ctx: ApiContext, location: string): Promise<number> {
    const answer = await callApi<{ server_configurators: { id: number; location: string }[] }>(
        ctx,
        "GET",
        "/configurator/servers",
    );
    const found = answer.server_configurators.find((item) => item.location === location);
    if (!found) {
        throw new Error(
            `Timeweb offers no configurator in location ${location}. ` +
                "Use timeweb.preset instead, or another timeweb.location.",
        );
    }
    return found.id;
}

/** GET /os/servers and find e.g. ubuntu 24.04. */
export async function resolveOs(ctx: ApiContext, selector: OsSelector): Promise<number> {
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
    return found.id;
}
