import { parse } from "yaml";

interface ComposeFile {
    services?: Record<string, ComposeService | null>;
    networks?: Record<string, { driver?: string; name?: string } | null>;
}

interface ComposeService {
    ports?: unknown[];
    network_mode?: string;
    networks?: string[] | Record<string, unknown>;
    pid?: string;
    privileged?: boolean;
}

/**
 * Every way a compose service reaches past the project network or the container boundary: a
 * published port (Docker's NAT rules bypass UFW), host networking (directly or through a network
 * that is the host's), the host's PID namespace, privileged mode. Empty means none.
 */
export function hostExposures(composeYaml: string): string[] {
    const compose = (parse(composeYaml, { merge: true }) ?? {}) as ComposeFile;
    const hostNetworks = new Set(
        Object.entries(compose.networks ?? {})
            .filter(([, network]) => network?.driver === "host" || network?.name === "host")
            .map(([key]) => key),
    );
    hostNetworks.add("host");
    const found: string[] = [];
    for (const [name, service] of Object.entries(compose.services ?? {})) {
        if (!service) continue;
        if ((service.ports ?? []).length > 0) found.push(`${name} publishes ports`);
        if (service.network_mode === "host") found.push(`${name} uses host networking`);
        const joined = Array.isArray(service.networks)
            ? service.networks
            : Object.keys(service.networks ?? {});
        if (joined.some((network) => hostNetworks.has(network))) {
            found.push(`${name} joins the host's network`);
        }
        if (service.pid === "host") found.push(`${name} shares the host's PIDs`);
        if (service.privileged === true) found.push(`${name} is privileged`);
    }
    return found;
}
