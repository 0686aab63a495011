/*
 * Catalogue fixtures of the fake Timeweb API (fake-timeweb-api.ts): presets, OS images and
 * server configurators, shaped like the public contract. Source keys, as in the fake:
 *   [spec] timeweb-cloud/sdk-go api/openapi.yaml at 1779a9a (2026-07-23), by line;
 *   [twc]  timeweb-cloud/twc (the official CLI) at 5a8829e (v2.14.1), by file and function;
 *   [tf]   timeweb-cloud/terraform-provider-timeweb-cloud CHANGELOG.md / docs at 3817e21.
 */

/** [spec] servers-preset (line 60268): the fields GET /presets/servers lists. */
export const FAKE_PRESETS = [
    {
        id: 2447,
        location: "ru-3",
        price: 550,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 10240,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 2 GB",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2449,
        location: "ru-3",
        price: 657,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 30720,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 30",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2451,
        location: "ru-3",
        price: 800,
        cpu: 2,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 40960,
        disk_type: "nvme",
        bandwidth: 200,
        description: "Fast 3.3 GHz",
        description_short: "Cloud MSK 40",
        is_allowed_local_network: true,
        tags: [],
    },
    {
        id: 2235,
        location: "ru-1",
        price: 590,
        cpu: 1,
        cpu_frequency: "3.3",
        ram: 2048,
        disk: 30720,
        disk_type: "nvme",
        bandwidth: 200,
        description: "",
        description_short: "Scarlett",
        is_allowed_local_network: true,
        tags: [],
    },
];

/** [spec] servers-os (line 60228): GET /os/servers. */
export const FAKE_OS = [
    {
        id: 79,
        family: "linux",
        name: "ubuntu",
        version: "22.04",
        version_codename: "jammy",
        description: "",
    },
    {
        id: 99,
        family: "linux",
        name: "ubuntu",
        version: "24.04",
        version_codename: "noble",
        description: "",
    },
    {
        id: 47,
        family: "linux",
        name: "debian",
        version: "12",
        version_codename: "bookworm",
        description: "",
    },
];

/** [spec] servers_configurator_requirements (line 75002): every gpu_* key is there, nullable. */
function requirements(overrides: Record<string, number | null> = {}) {
    return {
        cpu_min: 1,
        cpu_step: 1,
        cpu_max: 8,
        ram_min: 1024,
        ram_step: 1024,
        ram_max: 16384,
        disk_min: 10240,
        disk_step: 5120,
        disk_max: 204800,
        network_bandwidth_min: 200,
        network_bandwidth_step: 100,
        network_bandwidth_max: 1000,
        gpu_min: null,
        gpu_step: null,
        gpu_max: null,
        ...overrides,
    };
}

/**
 * A location has several configurators, one per tariff line: [tf] v1.3.16 "новые тарифные линейки
 * VDS-конфигуратора (Dedicated CPU, GPU)", and each carries `preset_type` (premium, standard, gpu,
 * dedicated_cpu: [tf] docs/data-sources/configurator.md). [spec] servers-configurator (line 60361)
 * predates that field. The premium line here states a zero GPU range, the case where the API wants
 * `gpu: 0` spelled out (issue 16's finding; [spec] only says gpu_* may be null); the GPU line uses
 * the range of the spec's example (1 to 4).
 */
export const FAKE_CONFIGURATORS = [
    {
        id: 23,
        location: "ru-3",
        preset_type: "premium",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: requirements({ cpu_max: 16, gpu_min: 0, gpu_step: 1, gpu_max: 0 }),
    },
    {
        id: 21,
        location: "ru-3",
        preset_type: "standard",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: requirements(),
    },
    {
        id: 25,
        location: "ru-3",
        preset_type: "dedicated_cpu",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: requirements({ cpu_min: 2, cpu_step: 2, cpu_max: 32, ram_min: 4096 }),
    },
    {
        id: 27,
        location: "ru-3",
        preset_type: "gpu",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: requirements({
            cpu_min: 4,
            ram_min: 16384,
            ram_max: 65536,
            gpu_min: 1,
            gpu_step: 1,
            gpu_max: 4,
        }),
    },
    {
        id: 11,
        location: "ru-1",
        preset_type: "standard",
        disk_type: "nvme",
        is_allowed_local_network: true,
        cpu_frequency: "3.3",
        requirements: requirements(),
    },
];

/**
 * GET /presets/types/servers: configurators grouped by tariff line, the way the official CLI picks
 * one ([twc] twc/api/client.py get_server_preset_types, twc/commands/server.py select_configurator:
 * `json()["configurators"][kind]`, then the first of the location). Not in [spec].
 */
export function configuratorsByType(list: readonly { id: number; location: string }[]) {
    const grouped: Record<string, { id: number; location: string }[]> = {};
    for (const item of FAKE_CONFIGURATORS) {
        if (!list.some((listed) => listed.id === item.id)) continue;
        (grouped[item.preset_type] ??= []).push({ id: item.id, location: item.location });
    }
    return grouped;
}
