import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** A key pair made by the real ssh-keygen for a test (never a real credential). */
export interface GeneratedKey {
    readonly privatePath: string;
    readonly privateKey: string;
    /** `<type> <base64> <comment>` */
    readonly publicLine: string;
}

export interface KeySpec {
    readonly type: "ed25519" | "rsa" | "ecdsa";
    readonly bits?: number;
    readonly passphrase?: string;
    readonly comment?: string;
}

/** Runs ssh-keygen into `dir/name` (and `.pub`). */
export function generateKey(dir: string, name: string, spec: KeySpec): GeneratedKey {
    const privatePath = join(dir, name);
    const args = [
        "-q",
        "-t",
        spec.type,
        "-N",
        spec.passphrase ?? "",
        "-C",
        spec.comment ?? name,
        "-f",
        privatePath,
    ];
    if (spec.bits !== undefined) args.push("-b", String(spec.bits));
    const result = spawnSync("ssh-keygen", args, { encoding: "utf8" });
    if (result.status !== 0)
        throw new Error(`ssh-keygen ${args.join(" ")} failed: ${result.stderr}`);
    return {
        privatePath,
        privateKey: readFileSync(privatePath, "utf8"),
        publicLine: readFileSync(`${privatePath}.pub`, "utf8").trim(),
    };
}

/** A DSA public key line built from its wire format: ssh-keygen 10 cannot make DSA keys. */
export function dsaPublicLine(): string {
    const field = (data: Buffer) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(data.length);
        return Buffer.concat([length, data]);
    };
    const blob = Buffer.concat([
        field(Buffer.from("ssh-dss")),
        ...[129, 21, 128, 128].map((size) => field(Buffer.alloc(size, 7))),
    ]);
    return `ssh-dss ${blob.toString("base64")} old@laptop`;
}
