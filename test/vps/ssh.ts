import { AuthenticationType, Client, ConnectConfig } from "ssh2";

/** Where an SSH server listens. The user is always root on the test VPS. */
export interface SshTarget {
    readonly host: string;
    readonly port?: number;
    readonly username?: string;
}

/** One way to log in; exactly one method is tried, so a refusal is unambiguous. */
export type SshAuth =
    | { readonly privateKey: string }
    | { readonly password: string }
    | { readonly keyboardInteractive: string };

export interface ExecResult {
    readonly code: number | null;
    readonly signal?: string;
    readonly stdout: string;
    readonly stderr: string;
}

export interface ExecOptions {
    readonly stdin?: string;
    readonly timeoutMs?: number;
}

const readyTimeoutMs = 20_000;
const defaultExecTimeoutMs = 10 * 60_000;

function authMethod(username: string, auth: SshAuth) {
    if ("privateKey" in auth) return { type: "publickey" as const, username, key: auth.privateKey };
    if ("password" in auth) return { type: "password" as const, username, password: auth.password };
    const answer = auth.keyboardInteractive;
    return {
        type: "keyboard-interactive" as const,
        username,
        prompt: (
            _n: string,
            _i: string,
            _l: string,
            prompts: unknown[],
            finish: (a: string[]) => void,
        ) => finish(prompts.map(() => answer)),
    };
}

/**
 * Opens a connection that tries only `auth`. `offered` receives the methods the server lists
 * after a "none" probe (e.g. ["publickey"] on a hardened host).
 */
function connect(target: SshTarget, auth: SshAuth, offered?: (methods: string[]) => void) {
    const username = target.username ?? "root";
    const client = new Client();
    let tried = false;
    const config: ConnectConfig = {
        host: target.host,
        port: target.port ?? 22,
        username,
        readyTimeout: readyTimeoutMs,
        // The test VPS is created by the test itself; its host key is new on every run.
        hostVerifier: () => true,
        authHandler: (methodsLeft: AuthenticationType[] | null, _partial: boolean, next) => {
            if (methodsLeft === null) return next("none");
            offered?.(methodsLeft);
            // ssh2 reads `false` as "no more methods" (its typings omit it).
            if (tried) return next(false as unknown as AuthenticationType);
            tried = true;
            next(authMethod(username, auth));
        },
    };
    return new Promise<Client>((resolve, reject) => {
        client.once("ready", () => resolve(client));
        // Always listening: ssh2 can emit a second error (a handshake cut short while sshd sheds
        // load, e.g. during a port scan); only the first one matters, the rest must not crash.
        client.on("error", (error) => reject(error));
        client.connect(config);
    });
}

/** A logged-in SSH session that runs commands, optionally feeding stdin. */
export class SshSession {
    private constructor(private readonly client: Client) {}

    static async open(target: SshTarget, auth: SshAuth): Promise<SshSession> {
        return new SshSession(await connect(target, auth));
    }

    exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
        const timeoutMs = options.timeoutMs ?? defaultExecTimeoutMs;
        return new Promise((resolve, reject) => {
            this.client.exec(command, (error, stream) => {
                if (error) return reject(error);
                const stdout: Buffer[] = [];
                const stderr: Buffer[] = [];
                const timer = setTimeout(() => {
                    stream.close();
                    reject(new Error(`ssh command timed out after ${timeoutMs} ms: ${command}`));
                }, timeoutMs);
                stream.on("data", (chunk: Buffer) => stdout.push(chunk));
                stream.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
                stream.on("close", (code: number | null, signal?: string) => {
                    clearTimeout(timer);
                    resolve({
                        code,
                        signal,
                        stdout: Buffer.concat(stdout).toString("utf8"),
                        stderr: Buffer.concat(stderr).toString("utf8"),
                    });
                });
                stream.end(options.stdin ?? "");
            });
        });
    }

    /** Runs a command that must succeed; returns its stdout. */
    async run(command: string, options: ExecOptions = {}): Promise<string> {
        const result = await this.exec(command, options);
        if (result.code !== 0) {
            throw new Error(
                `command failed on the test VPS (exit ${result.code}): ${command}\n${result.stderr}`,
            );
        }
        return result.stdout;
    }

    close(): void {
        this.client.end();
    }
}

export interface LoginAttempt {
    readonly accepted: boolean;
    /** Methods the server offered after the "none" probe. */
    readonly offered: readonly string[];
    readonly error?: string;
}

/**
 * Tries one login and reports whether the server accepted it. Network and handshake errors are
 * thrown, so a refusal can only mean that authentication was refused.
 */
export async function attemptLogin(target: SshTarget, auth: SshAuth): Promise<LoginAttempt> {
    let offered: string[] = [];
    try {
        const client = await connect(target, auth, (methods) => (offered = methods));
        client.end();
        return { accepted: true, offered };
    } catch (error) {
        const level = (error as { level?: string }).level;
        if (level !== "client-authentication") throw error;
        return { accepted: false, offered, error: (error as Error).message };
    }
}

/** Retries `SshSession.open` until the server accepts the login or the deadline passes. */
export async function waitForSsh(
    target: SshTarget,
    auth: SshAuth,
    timeoutMs: number,
): Promise<SshSession> {
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
        try {
            return await SshSession.open(target, auth);
        } catch (error) {
            lastError = error;
            await new Promise((resolve) => setTimeout(resolve, 300));
        }
    }
    throw new Error(
        `no SSH login on ${target.host}:${target.port ?? 22} within ${timeoutMs} ms: ${String(lastError)}`,
    );
}
