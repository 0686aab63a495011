import { Client, OpenSSHAgent } from "ssh2";
import type { StackConfig } from "./config/config";
import {
    preflight,
    type AgentKeys,
    type ConnectionKey,
    type HostProbe,
    type PreflightResult,
} from "./config/preflight";
import { inspectPrivateKey, publicKeyFromBlob } from "./config/ssh-keys";

/**
 * What the preflight observes on the deploying machine: the ssh-agent's keys, the runner, and one
 * unauthenticated SSH handshake with the host (no credential is ever sent).
 */

const PROBE_TIMEOUT_MS = 15_000;

/** The keys of the agent at `socket`, in the order it offers them. */
export function listAgentKeys(socket: string): Promise<AgentKeys> {
    return new Promise((resolve, reject) => {
        new OpenSSHAgent(socket).getIdentities((error, keys) => {
            if (error || keys === undefined) {
                reject(error ?? new Error("no answer"));
                return;
            }
            // OpenSSHAgent hands out parsed keys (ssh2 lib/agent.js); the type also allows entries.
            const blobs = keys.map((key) =>
                "getPublicSSH" in key ? key.getPublicSSH() : undefined,
            );
            if (blobs.some((blob) => blob === undefined)) {
                reject(new Error("the agent listed a key ssh2 could not parse"));
                return;
            }
            resolve({ socket, keys: blobs.map((blob) => publicKeyFromBlob(blob as Buffer)) });
        });
    });
}

/**
 * Connects offering only the ssh-ed25519 host key type (the type every client can pin), records
 * the key, asks for `none` authentication to learn the offered methods and disconnects.
 */
export function probeHost(
    host: string,
    port: number,
    timeoutMs = PROBE_TIMEOUT_MS,
): Promise<HostProbe> {
    return new Promise((resolve) => {
        const client = new Client();
        let blob: Buffer | undefined;
        let settled = false;
        const settle = (probe: HostProbe) => {
            if (settled) return;
            settled = true;
            client.end();
            resolve(probe);
        };
        const seen = (authMethods: readonly string[]) =>
            blob === undefined
                ? settle({ reachable: false, error: "the handshake ended before a host key" })
                : settle({ reachable: true, hostKey: publicKeyFromBlob(blob), authMethods });
        client.on("error", (error: Error) => settle({ reachable: false, error: error.message }));
        client.on("close", () =>
            settle({ reachable: false, error: "the server closed the connection" }),
        );
        client.on("ready", () => seen(["none"]));
        client.connect({
            host,
            port,
            username: "root",
            readyTimeout: timeoutMs,
            algorithms: { serverHostKey: ["ssh-ed25519"] },
            hostVerifier: (key: Buffer) => {
                blob = Buffer.from(key);
                return true;
            },
            authHandler: (methodsLeft, _partialSuccess, next) => {
                if (methodsLeft === null) {
                    next({ type: "none", username: "root" });
                    return;
                }
                seen(methodsLeft);
                (next as unknown as (stop: false) => void)(false);
            },
        });
    });
}

/** The secret-free facts of sshPrivateKey: its public half and whether it has a passphrase. */
export function connectionKeyOf(
    privateKey?: string,
    passphrase?: string,
): ConnectionKey | undefined {
    if (privateKey === undefined) return undefined;
    const info = inspectPrivateKey(privateKey, passphrase);
    return info.publicKey === undefined
        ? undefined
        : { publicKey: info.publicKey, encrypted: info.encrypted };
}

export interface PreflightEnvironment {
    readonly env: NodeJS.ProcessEnv;
    /** Whether to make the SSH handshake with the host (not in a dry run). */
    readonly probeHost: boolean;
}

/** Observes the agent, the runner and (optionally) the host, then runs the preflight checks. */
export async function runPreflight(
    config: StackConfig,
    target: { host: string; hostKey?: string },
    connectionKey: ConnectionKey | undefined,
    environment: PreflightEnvironment,
): Promise<PreflightResult> {
    const socket = environment.env.SSH_AUTH_SOCK;
    const agent =
        socket === undefined || socket === ""
            ? undefined
            : await listAgentKeys(socket).catch((error: Error) => error.message);
    const probe = environment.probeHost ? await probeHost(target.host, config.sshPort) : undefined;
    return preflight({
        config,
        host: target.host,
        ...(target.hostKey === undefined ? {} : { hostKey: target.hostKey }),
        ...(connectionKey === undefined ? {} : { connectionKey }),
        ...(agent === undefined ? {} : { agent }),
        githubHostedRunner:
            environment.env.GITHUB_ACTIONS === "true" &&
            environment.env.RUNNER_ENVIRONMENT === "github-hosted",
        ...(probe === undefined ? {} : { probe }),
    });
}
