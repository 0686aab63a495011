import * as docker from "@pulumi/docker";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BotConfig, StackConfig } from "./config/config";
import type { TargetHost } from "./target-host";

/** Relative to the project directory (Pulumi's working directory), so laptop and CI agree. */
export const KNOWN_HOSTS_DIR = ".pulumi-ssh";

/** The known_hosts line for a pinned host key (`[host]:port` when the port is not 22). */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
    return `${port === 22 ? host : `[${host}]:${port}`} ${hostKey}`;
}

/** ssh options for the Docker CLI's ssh transport: only the pinned key is accepted. */
export function dockerSshOpts(knownHostsFile: string): string[] {
    return [
        "-o",
        `UserKnownHostsFile=${knownHostsFile}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=15",
    ];
}

/**
 * The Docker provider for the VPS daemon over SSH (the key comes from ssh-agent). Writes the
 * known_hosts file for the pinned key once host and key are known (the key of a server created
 * in this run is known only after its first boot); sshOpts wait for the file, so the provider
 * never runs ssh before it exists. `disableDockerDaemonCheck` lets a CI preview run without SSH.
 */
export function remoteDockerProvider(
    name: string,
    config: StackConfig,
    target: TargetHost,
    workDir = process.cwd(),
): docker.Provider {
    const knownHostsFile = path.join(KNOWN_HOSTS_DIR, `${pulumi.getStack()}-known_hosts`);
    const pin = (host: string, hostKey: string): string[] => {
        mkdirSync(path.join(workDir, KNOWN_HOSTS_DIR), { recursive: true, mode: 0o700 });
        const line = knownHostsLine(host, config.sshPort, hostKey);
        writeFileSync(path.join(workDir, knownHostsFile), `${line}\n`, { mode: 0o600 });
        return dockerSshOpts(knownHostsFile);
    };
    return new docker.Provider(name, {
        host: pulumi.interpolate`ssh://${config.sshUser}@${target.host}:${config.sshPort}`,
        sshOpts:
            target.hostKey === undefined
                ? dockerSshOpts(knownHostsFile)
                : pulumi.all([target.host, target.hostKey]).apply(([host, key]) => pin(host, key)),
        disableDockerDaemonCheck: true,
    });
}

export interface BotImageArgs {
    readonly bot: BotConfig;
    readonly provider: docker.Provider;
}

/** Builds a bot's image on the VPS daemon (no registry, no push); `imageId` is `sha256:...`. */
export class BotImage extends pulumi.ComponentResource {
    public readonly imageId: pulumi.Output<string>;

    constructor(name: string, args: BotImageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("timeweb:vps:BotImage", name, {}, opts);
        const image = new docker.Image(
            `${name}-image`,
            {
                imageName: `telegram-ecosystem/${args.bot.name}:managed`,
                build: {
                    // Relative to the project directory (Pulumi's working directory): an
                    // absolute path would differ between a laptop and a CI runner, and the
                    // image and every step after it would then show as changed.
                    context: args.bot.buildContext,
                    platform: "linux/amd64",
                },
                skipPush: true,
                buildOnPreview: false,
            },
            {
                parent: this,
                provider: args.provider,
                ...(opts?.dependsOn === undefined ? {} : { dependsOn: opts.dependsOn }),
            },
        );
        // For a local image repoDigest is the image id; compose refers to the image by it.
        this.imageId = image.repoDigest;
        this.registerOutputs({ imageId: this.imageId });
    }
}
