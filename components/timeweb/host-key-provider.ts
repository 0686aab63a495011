import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { Client } from "ssh2";

/** What one unauthenticated SSH handshake tells about a host. */
export interface HostObservation {
    /** authorized_keys/known_hosts form: `ssh-ed25519 AAAA...`. */
    readonly hostKey: string;
    /** OpenSSH form: `SHA256:<base64 without padding>`. */
    readonly fingerprint: string;
    /** Pre-authentication banner text ("" when none). */
    readonly banner: string;
    /** Methods the server offers after the `none` attempt, e.g. ["publickey"]. */
    readonly authMethods: readonly string[];
}

export interface HostKeyInputs {
    readonly host: string;
    readonly port: number;
    /** Text the first-boot cloud-init puts into the SSH banner once sshd serves its final keys. */
    readonly readyBanner: string;
    /** How long to wait for the host to become ready. */
    readonly timeoutMs: number;
    /** Id of the server behind `host`: a new server means a new key to pin. */
    readonly serverId: string;
}

export interface HostKeyOutputs extends HostKeyInputs {
    readonly hostKey: string;
    readonly fingerprint: string;
    readonly authMethods: readonly string[];
}

/** Strongest first; ed25519 is what every Ubuntu 24.04 host has. */
const HOST_KEY_ALGORITHMS = ["ssh-ed25519", "ecdsa-sha2-nistp256", "rsa-sha2-512", "rsa-sha2-256"];

/** Authentication methods that mean someone could log in with a password. */
const PASSWORD_METHODS = ["password", "keyboard-interactive"];

/** Turns the raw host key blob into its known_hosts line and SHA256 fingerprint. */
export function describeHostKey(blob: Buffer): { hostKey: string; fingerprint: string } {
    const nameLength = blob.readUInt32BE(0);
    const algorithm = blob.subarray(4, 4 + nameLength).toString("ascii");
    const digest = createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
    return { hostKey: `${algorithm} ${blob.toString("base64")}`, fingerprint: `SHA256:${digest}` };
}

/**
 * Connects, records the host key, asks for `none` authentication to learn the offered methods
 * and disconnects. It never authenticates and never sends a credential.
 */
export function probeHost(host: string, port: number, timeoutMs: number): Promise<HostObservation> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        let blob: Buffer | undefined;
        let methods: string[] | undefined;
        let banner = "";
        let settled = false;
        const settle = (error?: Error) => {
            if (settled) return;
            settled = true;
            client.end();
            if (blob !== undefined && methods !== undefined) {
                resolve({ ...describeHostKey(blob), banner, authMethods: methods });
            } else {
                reject(error ?? new Error(`SSH handshake with ${host}:${port} ended early`));
            }
        };
        client.on("banner", (message: string) => {
            banner += message;
        });
        client.on("error", (error: Error) => settle(error));
        client.on("close", () => settle());
        client.on("ready", () => {
            methods = ["none"];
            settle();
        });
        client.connect({
            host,
            port,
            username: "root",
            readyTimeout: timeoutMs,
            algorithms: { serverHostKey: HOST_KEY_ALGORITHMS as never },
            hostVerifier: (key: Buffer) => {
                blob = Buffer.from(key);
                return true;
            },
            authHandler: (authsLeft, _partialSuccess, next) => {
                if (authsLeft === null) {
                    next({ type: "none", username: "root" });
                    return;
                }
                methods = [...authsLeft];
                (next as unknown as (stop: false) => void)(false);
            },
        });
    });
}

/** Why an observation must not be pinned (yet), or undefined when it is fine. */
export function notPinnable(observation: HostObservation, readyBanner: string): string | undefined {
    const passwords = observation.authMethods.filter((method) => PASSWORD_METHODS.includes(method));
    if (!observation.banner.includes(readyBanner))
        return "first boot has not finished (no ready banner yet)";
    if (passwords.length > 0) return `sshd offers ${passwords.join(" and ")} login`;
    if (!observation.authMethods.includes("publickey")) {
        const offered = observation.authMethods.join(", ") || "nothing";
        return `sshd does not offer publickey login (offers: ${offered})`;
    }
    return undefined;
}

/**
 * How a dynamic provider sees an input that is not known yet (a preview): @pulumi/pulumi's
 * runtime/rpc `unknownValue`.
 */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Host and server changes pin a new key; everything else keeps the pinned one. In the preview of
 * any in-place server update (a token rotation, a rename) the engine knows none of the server's
 * outputs, so `host` arrives unknown; with the same server id it is the same address (the
 * server's floating IP), so that is no change: otherwise every such preview would announce a
 * new host key that the update itself then keeps.
 */
export function diffHostKey(olds: HostKeyOutputs, news: HostKeyInputs): pulumi.dynamic.DiffResult {
    const sameServer = news.serverId !== UNKNOWN && olds.serverId === news.serverId;
    const replaces = (["host", "port", "serverId"] as const).filter(
        (key) =>
            olds[key] !== news[key] && !(key === "host" && news.host === UNKNOWN && sameServer),
    );
    const changes =
        replaces.length > 0 ||
        olds.readyBanner !== news.readyBanner ||
        olds.timeoutMs !== news.timeoutMs;
    return { changes, replaces };
}

export interface HostKeyProviderOptions {
    /** Pause between probes while the host boots; default 5 s. */
    readonly pollIntervalMs?: number;
    /** Timeout of one probe; default 15 s. */
    readonly probeTimeoutMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Trust on first connect: `create` waits for the new server's first boot to finish (ready banner,
 * no password methods) and pins the key it sees then. `read` (refresh) probes again and fails
 * loudly if the key differs; it never adopts a new key on its own.
 */
export function hostKeyProvider(options: HostKeyProviderOptions): pulumi.dynamic.ResourceProvider {
    const sleep =
        options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const probeTimeout = options.probeTimeoutMs ?? 15_000;
    return {
        diff(_id: string, olds: HostKeyOutputs, news: HostKeyInputs) {
            return Promise.resolve(diffHostKey(olds, news));
        },

        async create(inputs: HostKeyInputs) {
            const deadline = Date.now() + inputs.timeoutMs;
            let last: string;
            for (;;) {
                try {
                    const seen = await probeHost(inputs.host, inputs.port, probeTimeout);
                    const problem = notPinnable(seen, inputs.readyBanner);
                    if (problem === undefined) {
                        const outs: HostKeyOutputs = {
                            ...inputs,
                            hostKey: seen.hostKey,
                            fingerprint: seen.fingerprint,
                            authMethods: seen.authMethods,
                        };
                        return { id: `${inputs.host}:${inputs.port}`, outs };
                    }
                    last = problem;
                } catch (error) {
                    last = error instanceof Error ? error.message : String(error);
                }
                if (Date.now() >= deadline) {
                    throw new Error(
                        `Refusing to pin the SSH host key of ${inputs.host}:${inputs.port}: ` +
                            `${last}. Check the server console in the Timeweb panel ` +
                            "(cloud-init output), then run `pulumi up` again.",
                    );
                }
                await sleep(options.pollIntervalMs ?? 5_000);
            }
        },

        async read(id: string, props: HostKeyOutputs) {
            let seen: HostObservation;
            try {
                seen = await probeHost(props.host, props.port, probeTimeout);
            } catch {
                // Unreachable proves nothing about the key; keep the pinned one.
                return { id, props };
            }
            if (seen.hostKey !== props.hostKey) {
                throw new Error(
                    `SSH host key of ${props.host}:${props.port} CHANGED: ` +
                        `pinned ${props.fingerprint}, now ${seen.fingerprint}. ` +
                        "Someone may be intercepting the connection. If the server was really " +
                        "reinstalled, re-pin on purpose with " +
                        "`pulumi up --replace <host key resource URN>`.",
                );
            }
            return { id, props: { ...props, authMethods: seen.authMethods } };
        },

        update(_id: string, olds: HostKeyOutputs, news: HostKeyInputs) {
            const outs: HostKeyOutputs = {
                ...news,
                hostKey: olds.hostKey,
                fingerprint: olds.fingerprint,
                authMethods: olds.authMethods,
            };
            return Promise.resolve({ outs });
        },
    };
}
