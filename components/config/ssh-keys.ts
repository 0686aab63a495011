import { createHash } from "node:crypto";
import { utils, type ParsedKey } from "ssh2";

/**
 * SSH keys as the hardened sshd sees them (templates/etc/ssh/sshd_config.d/00-hardening.conf):
 * which user keys it accepts, which host key every client can pin, and how many keys a client
 * may offer before sshd disconnects it. The config checks and the preflight use these rules, so
 * a key the server would refuse after the first deploy is refused before anything touches sshd.
 */

/** `RequiredRSASize` in the drop-in: sshd refuses smaller RSA keys (user and host keys). */
export const MIN_RSA_BITS = 3072;

/**
 * `MaxAuthTries` in the drop-in: sshd disconnects after this many refused keys. Six lets an
 * operator whose ssh-agent holds six keys, the right one last, still log in (the command provider
 * offers every agent key in agent order); both clients offer the right key first whenever they
 * can (the configured private key, or the agent key selected from operatorKeys).
 */
export const SSHD_MAX_AUTH_TRIES = 6;

/** User key types the hardened sshd accepts (RSA only from MIN_RSA_BITS on). */
const ACCEPTED_USER_KEY_TYPES = new Set([
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
]);

const NEW_KEY = "make an ed25519 key: ssh-keygen -t ed25519";

/** An SSH public key: its type, its wire-format blob and, for RSA, the modulus size. */
export interface SshPublicKey {
    readonly type: string;
    readonly blob: Buffer;
    /** Modulus size of an RSA key. */
    readonly rsaBits?: number;
}

/** Reads the SSH wire-format fields (uint32 length + bytes) of a key blob. */
function wireFields(blob: Buffer): Buffer[] {
    const fields: Buffer[] = [];
    let offset = 0;
    while (offset < blob.length) {
        if (offset + 4 > blob.length) throw new Error("truncated key blob");
        const length = blob.readUInt32BE(offset);
        if (offset + 4 + length > blob.length) throw new Error("truncated key blob");
        fields.push(blob.subarray(offset + 4, offset + 4 + length));
        offset += 4 + length;
    }
    return fields;
}

function bitLength(mpint: Buffer): number {
    let start = 0;
    while (start < mpint.length && mpint[start] === 0) start++;
    if (start === mpint.length) return 0;
    return (mpint.length - start - 1) * 8 + (mpint[start] as number).toString(2).length;
}

/** Parses a public key blob (throws when it is malformed). */
export function publicKeyFromBlob(blob: Buffer): SshPublicKey {
    const fields = wireFields(blob);
    const type = fields[0]?.toString("latin1");
    if (type === undefined || type.length === 0) throw new Error("key blob without a type");
    if (type === "ssh-rsa") {
        const modulus = fields[2];
        if (modulus === undefined) throw new Error("RSA key blob without a modulus");
        return { type, blob, rsaBits: bitLength(modulus) };
    }
    return { type, blob };
}

/** Parses one `<type> <base64> [comment]` line; throws with a short reason when malformed. */
export function parsePublicKeyLine(line: string): SshPublicKey {
    const [type, base64] = line.trim().split(/\s+/);
    if (type === undefined || base64 === undefined || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
        throw new Error("not an OpenSSH public key line (`<type> AAAA... comment`)");
    }
    const key = publicKeyFromBlob(Buffer.from(base64, "base64"));
    if (key.type !== type) throw new Error(`the base64 part is not a ${type} key`);
    return key;
}

/** OpenSSH's fingerprint, as `ssh-keygen -lf` prints it. Never secret. */
export function fingerprint(key: SshPublicKey): string {
    return `SHA256:${createHash("sha256").update(key.blob).digest("base64").replace(/=+$/, "")}`;
}

/** `ssh-rsa 2048-bit SHA256:...`: enough to recognise a key in a message. */
export function describeKey(key: SshPublicKey): string {
    const size = key.rsaBits === undefined ? "" : ` ${key.rsaBits}-bit`;
    return `${key.type}${size} ${fingerprint(key)}`;
}

export function sameKey(a: SshPublicKey, b: SshPublicKey): boolean {
    return a.blob.equals(b.blob);
}

/** Why the hardened sshd would refuse this key as a login key, with the fix; or undefined. */
export function userKeyProblem(key: SshPublicKey): string | undefined {
    if (key.type === "ssh-dss") {
        return `DSA keys are refused by OpenSSH (off since 7.0, removed in 10.0): ${NEW_KEY}`;
    }
    if (!ACCEPTED_USER_KEY_TYPES.has(key.type)) {
        return `key type ${key.type} is not accepted: use ssh-ed25519, ecdsa-sha2-nistp256/384/521 or RSA of ${MIN_RSA_BITS}+ bits; ${NEW_KEY}`;
    }
    if (key.rsaBits !== undefined && key.rsaBits < MIN_RSA_BITS) {
        return (
            `a ${key.rsaBits}-bit RSA key: the hardened sshd refuses RSA keys under ` +
            `${MIN_RSA_BITS} bits (RequiredRSASize), so it would stop working after the first ` +
            `deploy; ${NEW_KEY} (or ssh-keygen -t rsa -b 4096)`
        );
    }
    return undefined;
}

/** What a private key (sshPrivateKey) reveals without being used. */
export interface PrivateKeyInfo {
    /** Its public half; known for OpenSSH-format keys even when they are encrypted. */
    readonly publicKey?: SshPublicKey;
    readonly encrypted: boolean;
    /** Why it cannot be used as it is configured (wrong passphrase, unreadable, ...). */
    readonly problem?: string;
}

const OPENSSH_MAGIC = Buffer.from("openssh-key-v1\0", "latin1");

/**
 * The header of an OpenSSH-format private key (`-----BEGIN OPENSSH PRIVATE KEY-----`): its
 * cipher and its first public key, which the format stores unencrypted.
 */
function openSshHeader(pem: string): { cipher: string; publicBlob: Buffer } | undefined {
    const match =
        /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(pem);
    if (match === null) return undefined;
    const data = Buffer.from((match[1] as string).replace(/\s+/g, ""), "base64");
    if (!data.subarray(0, OPENSSH_MAGIC.length).equals(OPENSSH_MAGIC)) return undefined;
    let offset = OPENSSH_MAGIC.length;
    const next = (): Buffer => {
        const length = data.readUInt32BE(offset);
        const field = data.subarray(offset + 4, offset + 4 + length);
        offset += 4 + length;
        return field;
    };
    try {
        const cipher = next().toString("latin1");
        next(); // kdf name
        next(); // kdf options
        offset += 4; // number of keys
        return { cipher, publicBlob: next() };
    } catch {
        return undefined;
    }
}

function isKeyList(
    parsed: ParsedKey | Error | readonly ParsedKey[],
): parsed is readonly ParsedKey[] {
    return Array.isArray(parsed);
}

/** Type, public half and usability of sshPrivateKey with its (optional) passphrase. */
export function inspectPrivateKey(pem: string, passphrase?: string): PrivateKeyInfo {
    const header = openSshHeader(pem);
    let publicKey: SshPublicKey | undefined;
    if (header !== undefined) {
        try {
            publicKey = publicKeyFromBlob(header.publicBlob);
        } catch {
            return { encrypted: false, problem: "is not a readable OpenSSH private key" };
        }
    }
    const encryptedPem = /ENCRYPTED/.test(pem);
    const encrypted = header === undefined ? encryptedPem : header.cipher !== "none";
    if (encrypted && passphrase === undefined) {
        return {
            ...(publicKey === undefined ? {} : { publicKey }),
            encrypted,
            problem:
                "is protected by a passphrase: pulumi config set --secret sshPrivateKeyPassword " +
                "(and load the key into ssh-agent for the Docker provider: ssh-add <key file>)",
        };
    }
    if (!encrypted && passphrase !== undefined) {
        return {
            ...(publicKey === undefined ? {} : { publicKey }),
            encrypted,
            problem:
                "has no passphrase, but sshPrivateKeyPassword is set (the command provider then " +
                "refuses the key): pulumi config rm sshPrivateKeyPassword",
        };
    }
    // ssh2 returns an array for some inputs, though its types do not say so.
    const parsed: ParsedKey | Error | readonly ParsedKey[] = utils.parseKey(pem, passphrase);
    const key: ParsedKey | Error | undefined = isKeyList(parsed) ? parsed[0] : parsed;
    if (key === undefined || key instanceof Error) {
        return {
            ...(publicKey === undefined ? {} : { publicKey }),
            encrypted,
            problem: encrypted
                ? "cannot be decrypted with sshPrivateKeyPassword: set the right passphrase: pulumi config set --secret sshPrivateKeyPassword"
                : "is not a private key OpenSSH and the providers can read: pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519",
        };
    }
    return { publicKey: publicKeyFromBlob(key.getPublicSSH()), encrypted };
}
