import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";
import { TimewebServer } from "./timeweb/timeweb-server";

/** The server every step and the Docker provider connect to. */
export interface TargetHost {
    /** IPv4 address or host name. */
    readonly host: pulumi.Input<string>;
    /** Pinned host key (`ssh-ed25519 AAAA...`); absent only in a preview before trust-host. */
    readonly hostKey?: pulumi.Input<string>;
    /** The VPS created through the Timeweb API, when timeweb.createServer is true. */
    readonly server?: TimewebServer;
}

/**
 * `host` and `hostKey` from config, or, with timeweb.createServer, a new Timeweb VPS: its IPv4
 * and the host key pinned on its first boot (components/timeweb). The config loader has checked
 * that exactly one of the two is configured and that the token is there.
 */
export function targetHost(config: StackConfig, timewebToken?: pulumi.Input<string>): TargetHost {
    if (config.timeweb?.createServer === true) {
        if (timewebToken === undefined) {
            throw new Error(
                "timeweb.createServer is true but no API token was passed: " +
                    "pulumi config set --secret timeweb:token <API token from the Timeweb panel>",
            );
        }
        const server = new TimewebServer("vps", {
            config: config.timeweb,
            token: timewebToken,
            sshPort: config.sshPort,
        });
        return { host: server.ipv4, hostKey: server.hostKey, server };
    }
    if (config.host === undefined) {
        throw new Error("host is not set: pulumi config set host <VPS IPv4>");
    }
    return {
        host: config.host,
        ...(config.hostKey === undefined ? {} : { hostKey: config.hostKey }),
    };
}

/** Stack outputs that say where the stack runs and how to reach it. */
export interface TargetOutputs {
    readonly host: pulumi.Output<string>;
    /** The pinned host key: the ops CLI reads it when the stack config has none. */
    readonly hostKey?: pulumi.Output<string>;
    readonly sshCommand: pulumi.Output<string>;
    readonly vpsIpv4?: pulumi.Output<string>;
    readonly vpsHostKeyFingerprint?: pulumi.Output<string>;
    readonly vpsMonthlyPriceRub?: pulumi.Output<number | undefined>;
}

export function targetOutputs(config: StackConfig, target: TargetHost): TargetOutputs {
    const host = pulumi.output(target.host);
    const { server } = target;
    return {
        host,
        ...(target.hostKey === undefined ? {} : { hostKey: pulumi.output(target.hostKey) }),
        sshCommand: pulumi.interpolate`ssh -p ${config.sshPort} ${config.sshUser}@${host}`,
        ...(server === undefined
            ? {}
            : {
                  vpsIpv4: server.ipv4,
                  vpsHostKeyFingerprint: server.hostKeyFingerprint,
                  vpsMonthlyPriceRub: server.monthlyPriceRub,
              }),
    };
}
