import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Client, utils, type AuthMethod, type ClientChannel, type ConnectConfig } from "ssh2";
import {
    HostKeyMismatchError,
    RETRUST_ADVICE,
    hostKeyAlgorithmsFor,
    hostKeyFromBlob,
    hostVerifier,
    type HostKey,
} from "./host-key";

/** Where and as whom to connect, and the key the server must present. */
export interface SshTarget {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly hostKey: HostKey;
}

/** Authentication methods in the order they are tried, each with a label for error messages. */
export interface SshCredentials {
    readonly methods: readonly CredentialMethod[];
}

export type CredentialMethod =
    | { readonly kind: "key"; readonly source: string; readonly key: Buffer }
    | { readonly kind: "agent"; readonly socket: string };

const DEFAULT_KEY_FILES = ["id_ed25519", "id_ecdsa", "id_rsa"];
const READY_TIMEOUT_MS = 20_000;

function isEncrypted(key: Buffer): boolean {
    const parsed = utils.parseKey(key);
    return parsed instanceof Error && /passphrase|encrypted/i.test(parsed.message);
}

function readPrivateKey(path: string): Buffer {
    const key = readFileSync(path);
    const parsed = utils.parseKey(key);
    if (!(parsed instanceof Error)) return key;
    if (isEncrypted(key)) {
        throw new Error(
            `${path} is protected by a passphrase: load it into ssh-agent (\`ssh-add ${path}\`) ` +
                "and run again without --identity",
        );
    }
    throw new Error(`${path} is not a private key ssh2 can read: ${parsed.message}`);
}

/**
 * --identity wins; otherwise the ssh-agent (SSH_AUTH_SOCK), then the first of ~/.ssh/id_ed25519,
 * id_ecdsa, id_rsa that exists and has no passphrase (encrypted keys belong in the agent).
 */
export function resolveCredentials(options: {
    identity?: string;
    env?: NodeJS.ProcessEnv;
    home?: string;
}): SshCredentials {
    if (options.identity !== undefined) {
        if (!existsSync(options.identity)) {
            throw new Error(`--identity ${options.identity}: no such file`);
        }
        return {
            methods: [
                { kind: "key", source: options.identity, key: readPrivateKey(options.identity) },
            ],
        };
    }
    const methods: CredentialMethod[] = [];
    const socket = (options.env ?? process.env).SSH_AUTH_SOCK;
    if (socket) methods.push({ kind: "agent", socket });
    for (const name of DEFAULT_KEY_FILES) {
        const path = join(options.home ?? homedir(), ".ssh", name);
        if (!existsSync(path)) continue;
        const key = readFileSync(path);
        if (utils.parseKey(key) instanceof Error) continue;
        methods.push({ kind: "key", source: path, key });
        break;
    }
    if (methods.length === 0) {
        throw new Error(
            "no SSH credentials: start ssh-agent and `ssh-add` your key, or pass " +
                "--identity <file> " +
                "(~/.ssh/id_ed25519, id_ecdsa and id_rsa are missing or passphrase-protected)",
        );
    }
    return { methods };
}

function describeCredentials(credentials: SshCredentials): string {
    return credentials.methods
        .map((method) => (method.kind === "agent" ? "ssh-agent" : method.source))
        .join(", ");
}

function authMethods(user: string, credentials: SshCredentials): AuthMethod[] {
    return credentials.methods.map((method) =>
        method.kind === "agent"
            ? ({ type: "agent", username: user, agent: method.socket } as AuthMethod)
            : ({ type: "publickey", username: user, key: method.key } as AuthMethod),
    );
}

/** Turns ssh2's terse errors into "what happened + what to do". */
function explain(error: Error, target: SshTarget, credentials: SshCredentials): Error {
    const where = `${target.user}@${target.host}:${target.port}`;
    const code = (error as NodeJS.ErrnoException).code;
    const level = (error as { level?: string }).level;
    if (level === "client-authentication") {
        return new Error(
            `authentication as ${where} failed with ${describeCredentials(credentials)}: ` +
                "make sure the key is among the stack's operatorKeys, load it into ssh-agent " +
                "or pass --identity",
        );
    }
    if (/no matching host key/i.test(error.message)) {
        return new Error(
            `${where} offers no ${target.hostKey.type} host key, the type pinned in hostKey. ` +
                RETRUST_ADVICE,
        );
    }
    if (code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND") {
        return new Error(
            `cannot reach ${where} (${code}): check the host and port in the stack config`,
        );
    }
    if (level === "client-timeout" || code === "ETIMEDOUT") {
        return new Error(`timed out connecting to ${where}: is the server up and port open?`);
    }
    return new Error(`SSH connection to ${where} failed: ${error.message}`);
}

/**
 * Connects with ssh2, accepting only the pinned host key. The server is asked for the pinned key
 * type only, so a server that also has other key types still presents the one we compare. A
 * mismatch rejects during the handshake: nothing is authenticated and no command runs.
 */
export function connectPinned(target: SshTarget, credentials: SshCredentials): Promise<Client> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        let mismatch: HostKeyMismatchError | undefined;
        const config: ConnectConfig = {
            host: target.host,
            port: target.port,
            username: target.user,
            readyTimeout: READY_TIMEOUT_MS,
            algorithms: { serverHostKey: hostKeyAlgorithmsFor(target.hostKey) as never },
            hostVerifier: hostVerifier(target.host, target.hostKey, (error) => (mismatch = error)),
            authHandler: authMethods(target.user, credentials),
        };
        client.once("ready", () => resolve(client));
        // `on`, not `once`: a refused handshake can be followed by a socket reset, and a second
        // unhandled "error" event would crash the process.
        client.on("error", (error: Error) => {
            client.end();
            reject(mismatch ?? explain(error, target, credentials));
        });
        client.connect(config);
    });
}

/**
 * Reads the server's ssh-ed25519 host key without authenticating: the key is captured during
 * the handshake and the connection is then refused on our side. Only ed25519 is asked for: it is
 * the one type every client of the project can pin (an RSA pin makes @pulumi/command offer only
 * the SHA-1 `ssh-rsa` algorithm, which hardened servers refuse; see HOST_KEY in
 * components/config/config-schemas.ts).
 */
export function fetchHostKey(host: string, port: number): Promise<HostKey> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        let captured: HostKey | undefined;
        let captureError: Error | undefined;
        client.on("error", (error: Error) => {
            client.end();
            if (captured) return resolve(captured);
            const where = `${host}:${port}`;
            if (/no matching host key/i.test(error.message)) {
                reject(
                    new Error(
                        `${where} offers no ssh-ed25519 host key, the only type every client can pin: ` +
                            "on the server (Timeweb console) run `ssh-keygen -A` and make sure sshd " +
                            "loads /etc/ssh/ssh_host_ed25519_key, then run trust-host again",
                    ),
                );
                return;
            }
            reject(
                captureError ?? new Error(`cannot read the host key of ${where}: ${error.message}`),
            );
        });
        client.once("ready", () => {
            client.end();
            reject(new Error("the server accepted a connection whose host key was refused"));
        });
        client.connect({
            host,
            port,
            username: "trust-host",
            readyTimeout: READY_TIMEOUT_MS,
            algorithms: { serverHostKey: ["ssh-ed25519"] },
            hostVerifier: (blob: Buffer) => {
                try {
                    captured = hostKeyFromBlob(blob);
                } catch (error) {
                    captureError = error as Error;
                }
                return false;
            },
        });
    });
}

export interface RemoteIo {
    readonly stdin?: NodeJS.ReadableStream;
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
    /** Allocate a terminal (interactive shells, psql, `docker compose exec` on a TTY). */
    readonly pty?: boolean;
}

/** Runs one command through the remote user's shell; resolves with its exit status. */
export function runRemote(client: Client, command: string, io: RemoteIo): Promise<number> {
    return new Promise((resolve, reject) => {
        const options = io.pty
            ? {
                  pty: {
                      term: process.env.TERM ?? "xterm-256color",
                      rows: process.stdout.rows ?? 24,
                      cols: process.stdout.columns ?? 80,
                  },
              }
            : {};
        client.exec(command, options, (error, channel) => {
            if (error)
                return reject(new Error(`cannot start the remote command: ${error.message}`));
            let status: number | undefined;
            channel.on("exit", (code: number | null, signal?: string) => {
                status = code ?? (signal ? 128 + signalNumber(signal) : 255);
            });
            const restoreTerminal = io.pty ? attachTerminal(channel) : () => undefined;
            channel.on("close", () => {
                io.stdin?.unpipe(channel);
                restoreTerminal();
                resolve(status ?? 255);
            });
            channel.pipe(io.stdout, { end: false });
            channel.stderr.pipe(io.stderr, { end: false });
            if (io.stdin) io.stdin.pipe(channel);
            else channel.end();
        });
    });
}

/** Raw keystrokes and window-size changes go to the remote terminal; returns the undo. */
function attachTerminal(channel: ClientChannel): () => void {
    const stdin = process.stdin;
    const wasRaw = stdin.isTTY ? stdin.isRaw : false;
    if (stdin.isTTY) stdin.setRawMode(true);
    const onResize = (): void => {
        channel.setWindow(process.stdout.rows ?? 24, process.stdout.columns ?? 80, 0, 0);
    };
    process.stdout.on("resize", onResize);
    return () => {
        process.stdout.off("resize", onResize);
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
    };
}

function signalNumber(signal: string): number {
    const numbers: Record<string, number> = { HUP: 1, INT: 2, KILL: 9, PIPE: 13, TERM: 15 };
    return numbers[signal.replace(/^SIG/, "")] ?? 0;
}
