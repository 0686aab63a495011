import type * as command from "@pulumi/command";
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config";

/** Dial attempts before a step gives up (refused connections use them up in about 30 s). */
export const DIAL_ERROR_LIMIT = 30;

/** The one SSH connection every step uses; `hostKey` pins the server when configured. */
export function sshConnection(
    config: StackConfig,
    privateKey?: pulumi.Output<string>,
): command.types.input.remote.ConnectionArgs {
    const connection: command.types.input.remote.ConnectionArgs = {
        host: config.host,
        port: config.sshPort,
        user: config.sshUser,
        dialErrorLimit: DIAL_ERROR_LIMIT,
        perDialTimeout: 15,
    };
    return {
        ...connection,
        ...(config.hostKey === undefined ? {} : { hostKey: config.hostKey }),
        ...(privateKey === undefined ? {} : { privateKey }),
    };
}
