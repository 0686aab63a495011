import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseStack, StackConfigError } from "../../../components/config/config";
import {
    inspectPrivateKey,
    MIN_RSA_BITS,
    parsePublicKeyLine,
} from "../../../components/config/ssh-keys";
import { dsaPublicLine, generateKey, type GeneratedKey } from "../../helpers/ssh-keygen";
import { rawConfig } from "../../helpers/stack-fixtures";

// The keys the hardened sshd will accept, checked in the stack config before anything touches
// sshd: operator keys, the connection key (sshPrivateKey and its passphrase) and the pinned host
// key. Keys are made by ssh-keygen.

const PASSPHRASE = "correct horse battery staple";
let dir: string;
const keys: Record<string, GeneratedKey> = {};

beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "ssh-keys-"));
    keys.ed25519 = generateKey(dir, "ed25519", { type: "ed25519" });
    keys.ecdsa = generateKey(dir, "ecdsa", { type: "ecdsa", bits: 256 });
    keys.rsa2048 = generateKey(dir, "rsa2048", { type: "rsa", bits: 2048 });
    keys.rsa3072 = generateKey(dir, "rsa3072", { type: "rsa", bits: 3072 });
    keys.encrypted = generateKey(dir, "encrypted", { type: "ed25519", passphrase: PASSPHRASE });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(overrides: Record<string, unknown>): string[] {
    try {
        parseStack(rawConfig(overrides), {});
    } catch (error) {
        if (error instanceof StackConfigError) return [...error.problems];
        throw error;
    }
    return [];
}

describe("operator keys", () => {
    it("accepts ed25519, ECDSA and RSA keys from 3072 bits", () => {
        const lines = [keys.ed25519!, keys.ecdsa!, keys.rsa3072!].map((key) => key.publicLine);
        expect(problems({ operatorKeys: lines })).toEqual([]);
        expect(parsePublicKeyLine(keys.rsa3072!.publicLine).rsaBits).toBe(MIN_RSA_BITS);
    });

    it("refuses a 2048-bit RSA key, which the hardened sshd (RequiredRSASize 3072) refuses", () => {
        expect(
            problems({ operatorKeys: [keys.ed25519!.publicLine, keys.rsa2048!.publicLine] }),
        ).toEqual([
            "operatorKeys[1]: a 2048-bit RSA key: the hardened sshd refuses RSA keys under 3072 bits (RequiredRSASize), so it would stop working after the first deploy; make an ed25519 key: ssh-keygen -t ed25519 (or ssh-keygen -t rsa -b 4096)",
        ]);
    });

    it("refuses DSA keys with the reason", () => {
        expect(problems({ operatorKeys: [dsaPublicLine()] })).toEqual([
            "operatorKeys[0]: DSA keys are refused by OpenSSH (off since 7.0, removed in 10.0): make an ed25519 key: ssh-keygen -t ed25519",
        ]);
    });
});

describe("the pinned host key", () => {
    it("must be ed25519: an ssh-rsa pin cannot be negotiated with the hardened sshd", () => {
        const rsaHostKey = keys.rsa3072!.publicLine.split(" ").slice(0, 2).join(" ");
        const [problem] = problems({ hostKey: rsaHostKey });
        expect(problem).toMatch(/^hostKey: must be the server's ssh-ed25519 host key/);
        expect(problem).toContain("no common algorithm");
        const ed25519HostKey = keys.ed25519!.publicLine.split(" ").slice(0, 2).join(" ");
        expect(problems({ hostKey: ed25519HostKey })).toEqual([]);
    });
});

describe("the connection key (sshPrivateKey)", () => {
    it("is accepted when it is one of operatorKeys", () => {
        const { secrets } = parseStack(
            rawConfig({
                operatorKeys: [keys.ed25519!.publicLine],
                sshPrivateKey: keys.ed25519!.privateKey,
            }),
            {},
        );
        expect(secrets.sshPrivateKey).toBe(keys.ed25519!.privateKey);
    });

    it("must be one of operatorKeys (the operator-keys step manages exactly that list)", () => {
        const [problem] = problems({
            operatorKeys: [keys.ecdsa!.publicLine],
            sshPrivateKey: keys.ed25519!.privateKey,
        });
        expect(problem).toMatch(
            /^sshPrivateKey: its public key \(ssh-ed25519 SHA256:\S+\) is not in operatorKeys/,
        );
    });

    it("refuses a 2048-bit RSA connection key", () => {
        expect(
            problems({
                operatorKeys: [keys.rsa2048!.publicLine],
                sshPrivateKey: keys.rsa2048!.privateKey,
            }),
        ).toEqual([
            expect.stringMatching(/^operatorKeys\[0\]: a 2048-bit RSA key/),
            "sshPrivateKey: a 2048-bit RSA key: the hardened sshd refuses RSA keys under 3072 bits (RequiredRSASize), so it would stop working after the first deploy; make an ed25519 key: ssh-keygen -t ed25519 (or ssh-keygen -t rsa -b 4096)",
        ]);
    });

    it("needs sshPrivateKeyPassword when the key has a passphrase, and the right one", () => {
        const base = {
            operatorKeys: [keys.encrypted!.publicLine],
            sshPrivateKey: keys.encrypted!.privateKey,
        };
        expect(problems(base)).toEqual([
            "sshPrivateKey: is protected by a passphrase: pulumi config set --secret sshPrivateKeyPassword (and load the key into ssh-agent for the Docker provider: ssh-add <key file>)",
        ]);
        expect(problems({ ...base, sshPrivateKeyPassword: "wrong passphrase" })).toEqual([
            "sshPrivateKey: cannot be decrypted with sshPrivateKeyPassword: set the right passphrase: pulumi config set --secret sshPrivateKeyPassword",
        ]);
        const { config, secrets } = parseStack(
            rawConfig({ ...base, sshPrivateKeyPassword: PASSPHRASE }),
            {},
        );
        expect(secrets.sshPrivateKeyPassword).toBe(PASSPHRASE);
        expect(JSON.stringify(config)).not.toContain(PASSPHRASE);
    });

    it("reads the public half of an encrypted OpenSSH key without its passphrase", () => {
        const info = inspectPrivateKey(keys.encrypted!.privateKey);
        expect(info.encrypted).toBe(true);
        expect(
            info.publicKey?.blob.equals(parsePublicKeyLine(keys.encrypted!.publicLine).blob),
        ).toBe(true);
    });

    it("refuses a passphrase for a key that has none (the command provider would refuse the key)", () => {
        expect(
            problems({
                operatorKeys: [keys.ed25519!.publicLine],
                sshPrivateKey: keys.ed25519!.privateKey,
                sshPrivateKeyPassword: PASSPHRASE,
            }),
        ).toEqual([
            "sshPrivateKey: has no passphrase, but sshPrivateKeyPassword is set (the command provider then refuses the key): pulumi config rm sshPrivateKeyPassword",
        ]);
        expect(problems({ sshPrivateKeyPassword: PASSPHRASE })).toEqual([
            "sshPrivateKeyPassword: set, but sshPrivateKey is not: pulumi config rm sshPrivateKeyPassword",
        ]);
    });

    it("never echoes the key or its passphrase", () => {
        const text = problems({
            operatorKeys: [keys.ecdsa!.publicLine],
            sshPrivateKey: keys.encrypted!.privateKey,
            sshPrivateKeyPassword: "wrong but secret passphrase",
        }).join("\n");
        expect(text).not.toContain("wrong but secret");
        expect(text).not.toContain(keys.encrypted!.privateKey.split("\n")[1]);
    });
});
