import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";
import type { TargetHost } from "./target-host";

/** Dial attempts before a step gives up (refused connections use them up in about 30 s). */
export const DIAL_ERROR_LIMIT = 30;

/** The one SSH connection every step uses; `hostKey` pins the server when known. */
export function sshConnection(
    config: StackConfig,
    target: TargetHost,
    privateKey?: pulumi.Output<string>,
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
        ...(privateKey === undefined ? {} : { privateKey }),
    };
}
