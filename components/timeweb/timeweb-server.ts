import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { DEFAULT_READY_BANNER, renderCloudInit } from "./cloud-init";
import type { TimewebConfig } from "./config";
import { type FirewallRuleSpec, protocolFor } from "./firewall-provider";
import type { ProviderOptions } from "./provider-options";
import { FirewallGroup, PinnedHostKey, Server, SshKey } from "./resources";
import { keyMaterial } from "./ssh-key-provider";

export interface TimewebServerArgs {
    /** The parsed `timeweb` config block (config.ts). `sshPublicKey` is required here. */
    readonly config: TimewebConfig;
    /** API token from `config.requireSecret("timeweb:token")`; wrapped as secret again here. */
    readonly token: pulumi.Input<string>;
    /**
     * The port the hardened sshd will listen on (stack config `sshPort`). The firewall opens it
     * next to 22, which the first boot and the host-key pinning use. Default 22.
     */
    readonly sshPort?: number;
    /** Test hook: API endpoint, retry timing. Default: the real API. */
    readonly providerOptions?: ProviderOptions;
}

/**
 * Only SSH in (on the given ports, from the configured networks); everything out, because the box
 * pulls packages and images and talks to Telegram. Egress is explicit so it works whether or not
 * Timeweb's DROP policy also covers outgoing traffic (not documented). Each rule names the
 * protocol of its address family (tcp for IPv4 networks, tcp6 for IPv6 ones).
 */
export function firewallRules(
    allowSshFrom: readonly string[],
    sshPorts: readonly number[] = [22],
): FirewallRuleSpec[] {
    const ports = [...new Set(sshPorts)].map(String);
    const ssh = ports.flatMap((port) =>
        allowSshFrom.map((cidr): FirewallRuleSpec => ({
            direction: "ingress",
            protocol: protocolFor("tcp", cidr),
            port,
            cidr,
            description: "SSH",
        })),
    );
    const egress = (["tcp", "udp", "icmp"] as const).flatMap((protocol) =>
        ["0.0.0.0/0", "::/0"].map((cidr): FirewallRuleSpec => ({
            direction: "egress",
            protocol: protocolFor(protocol, cidr),
            cidr,
            description: "outbound",
        })),
    );
    return [...ssh, ...egress];
}

/** Key name in the panel: prefix + short hash of the key, so a new key never clashes. */
export function sshKeyName(prefix: string, publicKey: string): string {
    const digest = createHash("sha256").update(keyMaterial(publicKey)).digest("hex");
    return `${prefix}-${digest.slice(0, 8)}`;
}

/**
 * A Timeweb Cloud VPS created from code: the operator's SSH key, a firewall group that lets only
 * SSH in, the server (Ubuntu 24.04, key-only from the first boot, protected by default) and its
 * SSH host key pinned on first connect. Feed `ipv4` and `hostKey` into the bootstrap.
 */
export class TimewebServer extends pulumi.ComponentResource {
    public readonly serverId: pulumi.Output<string>;
    public readonly ipv4: pulumi.Output<string>;
    /** `ssh-ed25519 AAAA...`, for `connection.hostKey` and known_hosts. */
    public readonly hostKey: pulumi.Output<string>;
    /** `SHA256:...`, as `ssh-keygen -lf` prints it. */
    public readonly hostKeyFingerprint: pulumi.Output<string>;
    /** Monthly RUB price of the resolved preset (undefined with a configurator). */
    public readonly monthlyPriceRub: pulumi.Output<number | undefined>;

    constructor(name: string, args: TimewebServerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:cloud:Server", name, {}, opts);
        const { config } = args;
        if (config.sshPublicKey === undefined) {
            throw new pulumi.ResourceError(
                "timeweb.sshPublicKey is required to create the server: " +
                    "`pulumi config set --path timeweb.sshPublicKey " +
                    '"$(cat ~/.ssh/id_ed25519.pub)"`',
                this,
            );
        }
        const token = pulumi.secret(args.token);
        const options = args.providerOptions;

        const key = new SshKey(
            `${name}-ssh-key`,
            {
                token,
                name: sshKeyName(config.sshKeyName, config.sshPublicKey),
                body: config.sshPublicKey,
            },
            { parent: this },
            options,
        );

        const firewall = new FirewallGroup(
            `${name}-firewall`,
            {
                token,
                name: `${config.name}-ssh-only`,
                description: "Managed by Pulumi: only SSH in, everything out",
                policy: "DROP",
                rules: firewallRules(config.firewall.allowSshFrom, [22, args.sshPort ?? 22]),
            },
            { parent: this },
            options,
        );

        const server = new Server(
            `${name}-server`,
            {
                token,
                name: config.name,
                comment: "Managed by Pulumi (telegram-ecosystem)",
                location: config.location,
                availabilityZone: config.availabilityZone,
                ...(config.configuration === undefined
                    ? { preset: config.preset }
                    : { configuration: config.configuration }),
                os: config.os,
                sshKeyIds: [key.keyId],
                cloudInit: renderCloudInit(DEFAULT_READY_BANNER),
                firewallGroupIds: [firewall.id],
            },
            { parent: this, protect: config.protect },
            options,
        );

        const pinned = new PinnedHostKey(
            `${name}-host-key`,
            {
                host: server.ipv4,
                port: 22,
                readyBanner: DEFAULT_READY_BANNER,
                timeoutMs: config.bootTimeoutMinutes * 60_000,
                serverId: server.id,
            },
            { parent: this },
            options,
        );

        this.serverId = server.id;
        this.ipv4 = server.ipv4;
        this.hostKey = pinned.hostKey;
        this.hostKeyFingerprint = pinned.fingerprint;
        this.monthlyPriceRub = server.presetPrice;
        this.registerOutputs({
            serverId: this.serverId,
            ipv4: this.ipv4,
            hostKey: this.hostKey,
            hostKeyFingerprint: this.hostKeyFingerprint,
            monthlyPriceRub: this.monthlyPriceRub,
        });
    }
}
