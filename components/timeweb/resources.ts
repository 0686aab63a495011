import * as pulumi from "@pulumi/pulumi";
import { FirewallRuleSpec, firewallGroupProvider } from "./firewall-provider";
import { hostKeyProvider } from "./host-key-provider";
import { ProviderOptions } from "./provider-options";
import { serverProvider } from "./server-provider";
import type { ConfigurationSpec, OsSelector, PresetSelector } from "./catalog";
import { sshKeyProvider } from "./ssh-key-provider";

/*
 * Dynamic resources over the providers. The providers are built once per options object: Pulumi
 * serializes a provider into every resource's state and caches the text per object.
 */

const defaultOptions: ProviderOptions = {};
let cache: { options: ProviderOptions; providers: ReturnType<typeof buildProviders> } | undefined;

function buildProviders(options: ProviderOptions) {
    return {
        sshKey: sshKeyProvider(options),
        firewall: firewallGroupProvider(options),
        server: serverProvider(options),
        hostKey: hostKeyProvider({ sleep: options.sleep }),
    };
}

function providersFor(options: ProviderOptions = defaultOptions) {
    if (cache === undefined || cache.options !== options)
        cache = { options, providers: buildProviders(options) };
    return cache.providers;
}

/** The token is an input, so it is echoed in the outputs: keep it encrypted there too. */
function withSecretToken(
    opts: pulumi.CustomResourceOptions | undefined,
): pulumi.CustomResourceOptions {
    return pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token"] });
}

export interface SshKeyArgs {
    readonly token: pulumi.Input<string>;
    readonly name: pulumi.Input<string>;
    readonly body: pulumi.Input<string>;
}

export class SshKey extends pulumi.dynamic.Resource {
    declare public readonly keyId: pulumi.Output<number>;

    constructor(
        name: string,
        args: SshKeyArgs,
        opts?: pulumi.CustomResourceOptions,
        options?: ProviderOptions,
    ) {
        super(
            providersFor(options).sshKey,
            name,
            { ...args, keyId: undefined },
            withSecretToken(opts),
            "timeweb",
            "SshKey",
        );
    }
}

export interface FirewallGroupArgs {
    readonly token: pulumi.Input<string>;
    readonly name: pulumi.Input<string>;
    readonly description: pulumi.Input<string>;
    readonly policy: pulumi.Input<"DROP" | "ACCEPT">;
    readonly rules: pulumi.Input<FirewallRuleSpec[]>;
}

export class FirewallGroup extends pulumi.dynamic.Resource {
    declare public readonly ruleIds: pulumi.Output<Record<string, string>>;

    constructor(
        name: string,
        args: FirewallGroupArgs,
        opts?: pulumi.CustomResourceOptions,
        options?: ProviderOptions,
    ) {
        super(
            providersFor(options).firewall,
            name,
            { ...args, ruleIds: undefined },
            withSecretToken(opts),
            "timeweb",
            "FirewallGroup",
        );
    }
}

export interface ServerArgs {
    readonly token: pulumi.Input<string>;
    readonly name: pulumi.Input<string>;
    readonly comment: pulumi.Input<string>;
    readonly location: pulumi.Input<string>;
    readonly availabilityZone: pulumi.Input<string>;
    readonly preset?: pulumi.Input<PresetSelector>;
    readonly configuration?: pulumi.Input<ConfigurationSpec>;
    readonly os: pulumi.Input<OsSelector>;
    readonly sshKeyIds: pulumi.Input<pulumi.Input<number>[]>;
    readonly cloudInit: pulumi.Input<string>;
    readonly firewallGroupIds: pulumi.Input<pulumi.Input<string>[]>;
}

export class Server extends pulumi.dynamic.Resource {
    declare public readonly serverId: pulumi.Output<number>;
    declare public readonly ipv4: pulumi.Output<string>;
    declare public readonly status: pulumi.Output<string>;
    declare public readonly presetId: pulumi.Output<number | undefined>;
    declare public readonly presetPrice: pulumi.Output<number | undefined>;
    declare public readonly presetName: pulumi.Output<string | undefined>;
    declare public readonly floatingIpId: pulumi.Output<string | undefined>;

    constructor(
        name: string,
        args: ServerArgs,
        opts?: pulumi.CustomResourceOptions,
        options?: ProviderOptions,
    ) {
        super(
            providersFor(options).server,
            name,
            {
                ...args,
                serverId: undefined,
                ipv4: undefined,
                status: undefined,
                osId: undefined,
                presetId: undefined,
                presetPrice: undefined,
                presetName: undefined,
                configuratorId: undefined,
                floatingIpId: undefined,
            },
            withSecretToken(opts),
            "timeweb",
            "Server",
        );
    }
}

export interface HostKeyArgs {
    readonly host: pulumi.Input<string>;
    readonly port: pulumi.Input<number>;
    readonly readyBanner: pulumi.Input<string>;
    readonly timeoutMs: pulumi.Input<number>;
    readonly serverId: pulumi.Input<string>;
}

export class PinnedHostKey extends pulumi.dynamic.Resource {
    declare public readonly hostKey: pulumi.Output<string>;
    declare public readonly fingerprint: pulumi.Output<string>;
    declare public readonly authMethods: pulumi.Output<string[]>;

    constructor(
        name: string,
        args: HostKeyArgs,
        opts?: pulumi.CustomResourceOptions,
        options?: ProviderOptions,
    ) {
        super(
            providersFor(options).hostKey,
            name,
            { ...args, hostKey: undefined, fingerprint: undefined, authMethods: undefined },
            opts,
            "timeweb",
            "PinnedHostKey",
        );
    }
}
