import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findExecutable } from "../../scripts/lib/find-executable";
import {
    HostKeyMismatchError,
    fingerprint,
    formatHostKeyLine,
    hostVerifier,
    parseHostKeyLine,
} from "../../scripts/lib/host-key";
import { connectPinned, resolveCredentials, runRemote } from "../../scripts/lib/ssh-connect";
import { installFakePulumi, readCalls, runCli } from "./helpers/fake-tools";
import { startSshd, type PrivateSshd } from "./helpers/private-sshd";

/** What `ssh-keygen -lf <pub>` prints: `<bits> SHA256:... <comment> (<TYPE>)`. */
function sshKeygenFingerprint(pubPath: string): string {
    const result = spawnSync("ssh-keygen", ["-lf", pubPath], { encoding: "utf8" });
    expect(result.status).toBe(0);
    return result.stdout.split(" ")[1]!;
}

function otherKeyLine(type: string): string {
    const dir = mkdtempSync(join(tmpdir(), "day2-key-"));
    try {
        spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", join(dir, "k")]);
        return readFileSync(join(dir, "k.pub"), "utf8").trim();
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

const NO_PULUMI_PATH = "/usr/bin:/bin";

describe("host-key helpers", () => {
    it("computes the fingerprint ssh-keygen prints and keeps the line's type and key", () => {
        const dir = mkdtempSync(join(tmpdir(), "day2-key-"));
        try {
            for (const type of ["ed25519", "ecdsa", "rsa"]) {
                spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-f", join(dir, type)]);
                const line = readFileSync(join(dir, `${type}.pub`), "utf8").trim();
                const key = parseHostKeyLine(line);
                expect(fingerprint(key)).toBe(sshKeygenFingerprint(join(dir, `${type}.pub`)));
                expect(formatHostKeyLine(key)).toBe(line.split(" ").slice(0, 2).join(" "));
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("rejects malformed lines and a type that does not match the key", () => {
        const [, base64] = otherKeyLine("ed25519").split(" ");
        expect(() => parseHostKeyLine("")).toThrow(/trust-host/);
        expect(() => parseHostKeyLine("ssh-ed25519")).toThrow(/trust-host/);
        expect(() => parseHostKeyLine("ssh-ed25519 not*base64")).toThrow(/trust-host/);
        expect(() => parseHostKeyLine(`ssh-rsa ${base64}`)).toThrow(
            /does not encode a ssh-rsa key/,
        );
    });

    it("the verifier accepts only the pinned blob and reports the mismatch in detail", () => {
        const pinned = parseHostKeyLine(otherKeyLine("ed25519"));
        const other = parseHostKeyLine(otherKeyLine("ed25519"));
        const mismatches: HostKeyMismatchError[] = [];
        const verify = hostVerifier("vps.example", pinned, (error) => mismatches.push(error));
        expect(verify(pinned.blob)).toBe(true);
        expect(mismatches).toHaveLength(0);
        expect(verify(other.blob)).toBe(false);
        expect(mismatches).toHaveLength(1);
        expect(mismatches[0]!.message).toContain(fingerprint(pinned));
        expect(mismatches[0]!.message).toContain(fingerprint(other));
    });
});

describe("against a private sshd without an ed25519 host key", () => {
    it("trust-host refuses to pin another type, with the fix", async () => {
        const sshd = await startSshd({ hostKeyTypes: ["rsa", "ecdsa"] });
        const work = mkdtempSync(join(tmpdir(), "day2-trust-"));
        try {
            const result = await runCli(
                "scripts/trust-host.ts",
                ["127.0.0.1", String(sshd.port), "--yes"],
                {
                    cwd: work,
                    env: { PATH: NO_PULUMI_PATH, HOME: work },
                },
            );
            expect(result.code).toBe(1);
            expect(result.stderr).toContain(
                `127.0.0.1:${sshd.port} offers no ssh-ed25519 host key, the only type every client can pin`,
            );
        } finally {
            await sshd.stop();
            rmSync(work, { recursive: true, force: true });
        }
    });
});

describe("against a private sshd", () => {
    let sshd: PrivateSshd;
    let work: string;

    beforeAll(async () => {
        sshd = await startSshd({ hostKeyTypes: ["rsa", "ecdsa", "ed25519"] });
        work = mkdtempSync(join(tmpdir(), "day2-trust-"));
    });
    afterAll(async () => {
        await sshd?.stop();
        if (work) rmSync(work, { recursive: true, force: true });
    });

    function env(path: string): NodeJS.ProcessEnv {
        return { PATH: path, HOME: work };
    }

    it("trust-host prints the ed25519 fingerprint and, without pulumi, the exact command", async () => {
        expect(findExecutable("pulumi", env(NO_PULUMI_PATH))).toBeUndefined();
        const result = await runCli(
            "scripts/trust-host.ts",
            ["127.0.0.1", String(sshd.port), "--stack", "prod", "--yes"],
            {
                cwd: work,
                env: env(NO_PULUMI_PATH),
            },
        );
        expect(result.stderr).toBe("");
        expect(result.code).toBe(0);
        expect(result.stdout).toContain(
            `fingerprint: ${sshKeygenFingerprint(sshd.hostKeyPubPath)}`,
        );
        expect(result.stdout).toContain("type:        ssh-ed25519");
        const line = sshd.hostKeyPub.split(" ").slice(0, 2).join(" ");
        expect(result.stdout).toContain(`  pulumi config set hostKey '${line}' --stack prod\n`);
    });

    it("trust-host runs `pulumi config set hostKey <line> --stack <stack>` when pulumi exists", async () => {
        const bin = mkdtempSync(join(work, "bin-"));
        const log = join(bin, "pulumi.log");
        installFakePulumi(bin, log);
        const result = await runCli(
            "scripts/trust-host.ts",
            ["127.0.0.1", String(sshd.port), "--stack", "test", "--yes"],
            {
                cwd: work,
                env: env(`${bin}:${NO_PULUMI_PATH}`),
            },
        );
        expect(result.code).toBe(0);
        const line = sshd.hostKeyPub.split(" ").slice(0, 2).join(" ");
        expect(readCalls(log).map((call) => call.argv)).toEqual([
            ["config", "set", "hostKey", line, "--stack", "test"],
        ]);
        expect(result.stdout).toContain("Pinned hostKey");
    });

    it("trust-host refuses a fingerprint other than the expected one and pins nothing", async () => {
        const bin = mkdtempSync(join(work, "bin-"));
        const log = join(bin, "pulumi.log");
        installFakePulumi(bin, log);
        const wrong = fingerprint(parseHostKeyLine(otherKeyLine("ed25519")));
        const result = await runCli(
            "scripts/trust-host.ts",
            ["127.0.0.1", String(sshd.port), "--fingerprint", wrong],
            { cwd: work, env: env(`${bin}:${NO_PULUMI_PATH}`) },
        );
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`not the expected ${wrong}`);
        expect(readCalls(log)).toEqual([]);
    });

    it("trust-host pins nothing without a terminal unless told the fingerprint (or --yes)", async () => {
        const bin = mkdtempSync(join(work, "bin-"));
        const log = join(bin, "pulumi.log");
        installFakePulumi(bin, log);
        const args = ["127.0.0.1", String(sshd.port), "--stack", "prod"];
        const options = { cwd: work, env: env(`${bin}:${NO_PULUMI_PATH}`) };
        const refused = await runCli("scripts/trust-host.ts", args, options);
        const print = sshKeygenFingerprint(sshd.hostKeyPubPath);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(
            `not pinned: there is no terminal to confirm the fingerprint on. Compare it, then run again with --fingerprint ${print} (or --yes).`,
        );
        expect(readCalls(log)).toEqual([]);
        const confirmed = await runCli(
            "scripts/trust-host.ts",
            [...args, "--fingerprint", print],
            options,
        );
        expect(confirmed.code).toBe(0);
        expect(readCalls(log)).toHaveLength(1);
    });

    it("trust-host explains its usage", async () => {
        const result = await runCli("scripts/trust-host.ts", [], {
            cwd: work,
            env: env(NO_PULUMI_PATH),
        });
        expect(result.code).toBe(2);
        expect(result.stderr).toContain("missing <host>");
        expect(result.stderr).toContain("Usage: npm run trust-host -- <host> [port]");
    });

    it("connectPinned runs commands when the pinned key matches", async () => {
        const client = await connectPinned(
            {
                host: "127.0.0.1",
                port: sshd.port,
                user: "root",
                hostKey: parseHostKeyLine(sshd.hostKeyPub),
            },
            resolveCredentials({ identity: sshd.clientKeyPath }),
        );
        let out = "";
        const sink = new PassThrough().on("data", (chunk: Buffer) => (out += chunk.toString()));
        const status = await runRemote(client, "echo pinned-ok", {
            stdout: sink,
            stderr: process.stderr,
        });
        client.end();
        expect(status).toBe(0);
        expect(out).toBe("pinned-ok\n");
    });

    it("a wrong pinned key fails during the handshake, before authentication", async () => {
        const wrong = parseHostKeyLine(otherKeyLine("ed25519"));
        const accepted = (): number =>
            readFileSync(sshd.logPath, "utf8").split("Accepted publickey").length;
        const acceptedBefore = accepted();
        const attempt = connectPinned(
            { host: "127.0.0.1", port: sshd.port, user: "root", hostKey: wrong },
            resolveCredentials({ identity: sshd.clientKeyPath }),
        );
        const error = await attempt.then(
            () => undefined,
            (caught: Error) => caught,
        );
        expect(error).toBeInstanceOf(HostKeyMismatchError);
        expect(error!.message).toContain(`expected ssh-ed25519 ${fingerprint(wrong)}`);
        expect(error!.message).toContain(sshKeygenFingerprint(sshd.hostKeyPubPath));
        expect(error!.message).toContain("Was the server rebuilt?");
        expect(error!.message).toContain("re-run trust-host only after verifying the fingerprint");
        expect(accepted()).toBe(acceptedBefore);
    });

    it("a pinned key of a type the server lacks says so", async () => {
        const server = await startSshd();
        try {
            const ecdsa = parseHostKeyLine(otherKeyLine("ecdsa"));
            const error = await connectPinned(
                { host: "127.0.0.1", port: server.port, user: "root", hostKey: ecdsa },
                resolveCredentials({ identity: server.clientKeyPath }),
            ).then(
                () => undefined,
                (caught: Error) => caught,
            );
            expect(error?.message).toContain("offers no ecdsa-sha2-nistp256 host key");
            expect(error?.message).toContain("Was the server rebuilt?");
            expect(readFileSync(server.logPath, "utf8")).not.toContain("Accepted publickey");
        } finally {
            await server.stop();
        }
    });
});
