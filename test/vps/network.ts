import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { host, hostSucceeds } from "./host-commands";

/**
 * The test VPS's network: its own namespace with a veth pair in 10.200.<n>.0/24 (host .1,
 * VPS .2) and one MASQUERADE rule in the root namespace so apt and npm inside reach the mirrors.
 * That rule is the only change to the CI machine's firewall, and teardown deletes exactly it.
 */
export interface VpsNetwork {
    readonly index: number;
    readonly netns: string;
    readonly hostInterface: string;
    readonly hostAddress: string;
    readonly vpsAddress: string;
    readonly subnet: string;
}

const netnsPrefix = "e2e-vps-";
const ipForwardPath = "/proc/sys/net/ipv4/ip_forward";
/** ip_forward as it was before the first test VPS; restored when the last one is gone. */
const ipForwardBeforePath = resolve(__dirname, "../../build/vps/ip-forward-before");

async function enableForwarding(): Promise<void> {
    if ((await listVpsNamespaces()).length <= 1 || !existsSync(ipForwardBeforePath)) {
        mkdirSync(dirname(ipForwardBeforePath), { recursive: true });
        writeFileSync(ipForwardBeforePath, readFileSync(ipForwardPath, "utf8"));
    }
    writeFileSync(ipForwardPath, "1\n");
}

async function restoreForwarding(): Promise<void> {
    if ((await listVpsNamespaces()).length > 0 || !existsSync(ipForwardBeforePath)) return;
    writeFileSync(ipForwardPath, readFileSync(ipForwardBeforePath, "utf8"));
}

function natRule(network: VpsNetwork): [string, string, string, ...string[]] {
    return [
        "-t",
        "nat",
        "POSTROUTING",
        "-s",
        network.subnet,
        "!",
        "-o",
        network.hostInterface,
        "-m",
        "comment",
        "--comment",
        network.netns,
        "-j",
        "MASQUERADE",
    ];
}

/** The rule in iptables' syntax for -A/-C/-D: the action goes after the table. */
function natRuleWith(action: "-A" | "-C" | "-D", network: VpsNetwork): string[] {
    const [tableFlag, table, chain, ...rest] = natRule(network);
    return [tableFlag, table, action, chain, ...rest];
}

export async function listVpsNamespaces(): Promise<string[]> {
    const out = await host("ip", ["netns", "list"]);
    return out
        .split("\n")
        .map((line) => line.split(" ")[0] ?? "")
        .filter((name) => name.startsWith(netnsPrefix));
}

async function freeIndex(): Promise<number> {
    const used = new Set(
        (await listVpsNamespaces()).map((n) => Number(n.slice(netnsPrefix.length))),
    );
    const addresses = await host("ip", ["-4", "-o", "addr", "show"]);
    for (let index = 1; index < 255; index++) {
        if (!used.has(index) && !addresses.includes(` 10.200.${index}.`)) return index;
    }
    throw new Error(
        "no free 10.200.<n>.0/24 subnet: tear down old test VPSes (npm run sandbox -- --cleanup)",
    );
}

async function assertForwardingAllowed(): Promise<void> {
    const filter = await host("iptables", ["-S", "FORWARD"]);
    if (filter.includes("-P FORWARD DROP")) {
        throw new Error(
            "the CI machine's FORWARD policy is DROP (a host Docker daemon?): the test VPS could " +
                "not reach the Debian mirror. Run the tests on a machine without a host firewall.",
        );
    }
}

/** Creates the namespace, the veth pair and the NAT rule. Call under a lock (index choice). */
export async function createVpsNetwork(): Promise<VpsNetwork> {
    await assertForwardingAllowed();
    const index = await freeIndex();
    const network: VpsNetwork = {
        index,
        netns: `${netnsPrefix}${index}`,
        hostInterface: `e2evps${index}`,
        hostAddress: `10.200.${index}.1`,
        vpsAddress: `10.200.${index}.2`,
        subnet: `10.200.${index}.0/24`,
    };
    const ns = network.netns;
    await host("ip", ["netns", "add", ns]);
    try {
        await host("ip", [
            "link",
            "add",
            network.hostInterface,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns,
        ]);
        await host("ip", [
            "addr",
            "add",
            `${network.hostAddress}/24`,
            "dev",
            network.hostInterface,
        ]);
        await host("ip", ["link", "set", network.hostInterface, "up"]);
        await host("ip", ["-n", ns, "addr", "add", `${network.vpsAddress}/24`, "dev", "eth0"]);
        await host("ip", ["-n", ns, "link", "set", "eth0", "up"]);
        await host("ip", ["-n", ns, "link", "set", "lo", "up"]);
        await host("ip", ["-n", ns, "route", "add", "default", "via", network.hostAddress]);
        await enableForwarding();
        await host("iptables", natRuleWith("-A", network));
    } catch (error) {
        await removeVpsNetwork(network);
        throw error;
    }
    return network;
}

/** Deletes exactly what createVpsNetwork made; safe to call twice. */
export async function removeVpsNetwork(network: VpsNetwork): Promise<void> {
    while (await hostSucceeds("iptables", natRuleWith("-C", network))) {
        await host("iptables", natRuleWith("-D", network));
    }
    if (await hostSucceeds("ip", ["netns", "pids", network.netns])) {
        await host("ip", ["netns", "del", network.netns]);
    }
    if (await hostSucceeds("ip", ["link", "show", network.hostInterface])) {
        // Deleting the namespace also destroys the veth pair, a moment later: the host end may
        // vanish between the check and this delete, and then there is nothing left to do.
        const deleted = await hostSucceeds("ip", ["link", "del", network.hostInterface]);
        if (!deleted && (await hostSucceeds("ip", ["link", "show", network.hostInterface]))) {
            throw new Error(`could not delete the test VPS's interface ${network.hostInterface}`);
        }
    }
    await restoreForwarding();
}
