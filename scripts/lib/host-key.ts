import { createHash } from "node:crypto";

/**
 * Host-key pinning shared by every ssh2 connection of the project (trust-host, the ops CLI, the
 * e2e applier). The pinned value is one authorized_keys-style line (`ssh-ed25519 AAAA...`), the
 * same format @pulumi/command's `connection.hostKey` takes.
 */

/** A host public key: its type and its SSH wire-format blob. */
export interface HostKey {
    readonly type: string;
    readonly blob: Buffer;
}

/** Key types ssh2 can verify as host keys, with the signature algorithms each one allows. */
const HOST_KEY_ALGORITHMS: Readonly<Record<string, readonly string[]>> = {
    "ssh-ed25519": ["ssh-ed25519"],
    "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
    "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
    "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
    "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

export const RETRUST_ADVICE =
    "Was the server rebuilt? If so, re-run trust-host only after verifying the fingerprint " +
    "in the Timeweb console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` in the server's web " +
    "console). If not, someone may be intercepting the connection: do not go on.";

/** The key type written at the start of an SSH public key blob. */
function blobType(blob: Buffer): string | undefined {
    if (blob.length < 4) return undefined;
    const length = blob.readUInt32BE(0);
    if (length === 0 || length > 64 || blob.length < 4 + length) return undefined;
    return blob.subarray(4, 4 + length).toString("latin1");
}

/** Builds a HostKey from the raw blob ssh2 hands to `hostVerifier`. */
export function hostKeyFromBlob(blob: Buffer): HostKey {
    const type = blobType(blob);
    if (type === undefined) throw new Error("the server sent a malformed host key");
    return { type, blob };
}

/** Parses a pinned `hostKey` line (`<type> <base64> [comment]`); throws with the fix. */
export function parseHostKeyLine(line: string): HostKey {
    const fields = line.trim().split(/\s+/);
    const [type, base64] = fields;
    const hint =
        "hostKey must be one line like `ssh-ed25519 AAAA...`; get it with `npm run trust-host`";
    if (type === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
        throw new Error(`invalid hostKey ${JSON.stringify(line.slice(0, 40))}: ${hint}`);
    }
    const blob = Buffer.from(base64, "base64");
    if (blobType(blob) !== type) {
        throw new Error(`invalid hostKey: the base64 part does not encode a ${type} key; ${hint}`);
    }
    if (HOST_KEY_ALGORITHMS[type] === undefined) {
        const known = Object.keys(HOST_KEY_ALGORITHMS).join(", ");
        throw new Error(`unsupported hostKey type ${type}: use one of ${known}`);
    }
    return { type, blob };
}

/** The one-line form stored in the stack config: `<type> <base64>`. */
export function formatHostKeyLine(key: HostKey): string {
    return `${key.type} ${key.blob.toString("base64")}`;
}

/** OpenSSH's fingerprint format, as `ssh-keygen -lf` prints it: `SHA256:<base64, no padding>`. */
export function fingerprint(key: HostKey): string {
    const digest = createHash("sha256").update(key.blob).digest("base64");
    return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** The signature algorithms to offer so that the server presents the pinned key type. */
export function hostKeyAlgorithmsFor(key: HostKey): string[] {
    return [...(HOST_KEY_ALGORITHMS[key.type] ?? [key.type])];
}

/** Raised during the handshake, before authentication, when the server key is not the pin. */
export class HostKeyMismatchError extends Error {
    constructor(
        readonly host: string,
        readonly expected: HostKey,
        readonly received: HostKey,
    ) {
        super(
            `host key mismatch for ${host}: expected ${expected.type} ${fingerprint(expected)} ` +
                `(hostKey in the stack config), but the server presented ${received.type} ` +
                `${fingerprint(received)}. ${RETRUST_ADVICE}`,
        );
        this.name = "HostKeyMismatchError";
    }
}

/** Throws HostKeyMismatchError unless the received blob is exactly the pinned key. */
export function verifyHostKey(host: string, pinned: HostKey, receivedBlob: Buffer): void {
    if (receivedBlob.equals(pinned.blob)) return;
    let received: HostKey;
    try {
        received = hostKeyFromBlob(receivedBlob);
    } catch {
        received = { type: "unknown", blob: receivedBlob };
    }
    throw new HostKeyMismatchError(host, pinned, received);
}

/**
 * An ssh2 `hostVerifier` that accepts only the pinned key. ssh2 reports a rejection only as
 * "Host denied (verification failed)", so the detailed error goes to `onMismatch`; callers keep
 * it and report it instead of ssh2's error (connectPinned in ssh-connect.ts does that).
 */
export function hostVerifier(
    host: string,
    pinned: HostKey,
    onMismatch: (error: HostKeyMismatchError) => void,
): (key: Buffer) => boolean {
    return (key: Buffer) => {
        try {
            verifyHostKey(host, pinned, key);
            return true;
        } catch (error) {
            if (error instanceof HostKeyMismatchError) onMismatch(error);
            return false;
        }
    };
}
