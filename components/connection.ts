import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";

/** Dial attempts before a step gives up (refused connections use them up in about 30 s). */
export const DIAL_ERROR_LIMIT = 30;

/** The configured connection key; the command provider offers it before any agent key. */
export interface ConnectionKeyInputs {
    readonly privateKey: pulumi.Output<string>;
    readonly privateKeyPassword?: pulumi.Output<string>;
}

/**
 * The one SSH connection every step uses; `hostKey` pins the server when known. `host` is the
 * preflight-gated address (components/preflight.ts).
 */
export function sshConnection(
    config: StackConfig,
    target: { host: pulumi.Input<string>; hostKey?: pulumi.Input<string> },
    key?: ConnectionKeyInputs,
): command.types.input.remote.ConnectionArgs {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: target.host,
        port: config.sshPort,
        user: config.sshUser,
        dialErrorLimit: DIAL_ERROR_LIMIT,
        perDialTimeout: 15,
    };
    return {
        ...connection,
        ...(target.hostKey === undefined ? {} : { hostKey: target.hostKey }),
        ...(key === undefined ? {} : { privateKey: key.privateKey }),
        ...(key?.privateKeyPassword === undefined
            ? {}
            : { privateKeyPassword: key.privateKeyPassword }),
    };
}
