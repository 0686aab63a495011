import * as docker from "@pulumi/docker";
import { mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/config";

/** Relative to the project directory (Pulumi's working directory), so laptop and CI agree. */
export const KNOWN_HOSTS_DIR = ".pulumi-ssh";

/** An IPv6 literal needs brackets wherever a port follows it. */
function bracketed(host: string): string {
    return host.includes(":") ? `[${host}]` : host;
}

/** The Docker host URL of the VPS daemon: `ssh://root@[2001:db8::1]:22` for IPv6 literals. */
export function dockerHostUrl(user: string, host: string, port: number): string {
    return `ssh://${user}@${bracketed(host)}:${port}`;
}

/** The known_hosts line for a pinned host key (`[host]:port` when the port is not 22). */
export function knownHostsLine(host: string, port: number, hostKey: string): string {
    return `${port === 22 ? host : `[${host}]:${port}`} ${hostKey}`;
}

/** Where the program leaves what the Docker provider's ssh reads, per stack. */
export function dockerSshFiles(stack: string): { knownHosts: string; identity: string } {
    return {
        knownHosts: path.join(KNOWN_HOSTS_DIR, `${stack}-known_hosts`),
        identity: path.join(KNOWN_HOSTS_DIR, `${stack}-identity`),
    };
}

/**
 * ssh options for the Docker CLI's ssh transport: only the pinned host key is accepted, and only
 * the identity file is offered (IdentitiesOnly), so no other agent key or default file uses up
 * sshd's MaxAuthTries. The identity file holds the configured private key, or the public key of
 * the agent key to use (OpenSSH then takes that key from the agent); the preflight writes it.
 */
export function dockerSshOpts(files: { knownHosts: string; identity: string }): string[] {
    return [
        "-o",
        `UserKnownHostsFile=${files.knownHosts}`,
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        `IdentityFile=${files.identity}`,
        "-o",
        "BatchMode=yes",
        "-o",
        "ConnectTimeout=15",
    ];
}

/**
 * The Docker provider for the VPS daemon over SSH. Writes the known_hosts file for the pinned key
 * once host and key are known (the key of a server created in this run is known only after its
 * first boot); sshOpts wait for the file, so the provider never runs ssh before it exists.
 * `disableDockerDaemonCheck` lets a CI preview run without SSH. `host` is the preflight-gated
 * address, so the provider dials only after the preflight passed.
 */
export function remoteDockerProvider(
    name: string,
    config: StackConfig,
    target: { host: pulumi.Input<string>; hostKey?: pulumi.Input<string> },
    workDir = process.cwd(),
): docker.Provider {
    const files = dockerSshFiles(pulumi.getStack());
    const pin = (host: string, hostKey: string): string[] => {
        mkdirSync(path.join(workDir, KNOWN_HOSTS_DIR), { recursive: true, mode: 0o700 });
        const line = knownHostsLine(host, config.sshPort, hostKey);
        writeFileSync(path.join(workDir, files.knownHosts), `${line}\n`, { mode: 0o600 });
        return dockerSshOpts(files);
    };
    return new docker.Provider(name, {
        host: pulumi
            .output(target.host)
            .apply((host) => dockerHostUrl(config.sshUser, host, config.sshPort)),
        sshOpts:
            target.hostKey === undefined
                ? dockerSshOpts(files)
                : pulumi.all([target.host, target.hostKey]).apply(([host, key]) => pin(host, key)),
        disableDockerDaemonCheck: true,
    });
}
