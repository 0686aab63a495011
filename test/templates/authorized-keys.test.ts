import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { renderText, TEMPLATES_DIR } from "../../components/plan/render";
import { fakePublicKey } from "../helpers/stack-fixtures";

/**
 * install-authorized-keys.sh: the managed block of operator keys, its removals and the guards
 * that keep a rotation from locking anyone out. Each run gets an explicit environment, so an
 * SSH session of the person running the tests does not leak in.
 */

const BEGIN = "# BEGIN telegram-ecosystem operator keys (managed by Pulumi: operatorKeys)";
const END = "# END telegram-ecosystem operator keys";
const scratch = mkdtempSync(path.join(tmpdir(), "authorized-keys-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const keysFile = path.join(scratch, "ssh", "authorized_keys");
const authInfo = path.join(scratch, "ssh-user-auth");

const OLD = fakePublicKey("old@laptop");
const NEW = fakePublicKey("new@laptop");
const PROVIDER = fakePublicKey("timeweb-injected");
const keyPart = (line: string) => line.split(" ").slice(0, 2).join(" ");

/** As sshd with ExposeAuthInfo: SSH_USER_AUTH names the key this session logged in with. */
const overSsh = (sessionKey: string) => {
    writeFileSync(authInfo, `publickey ${keyPart(sessionKey)}\n`);
    return { SSH_CONNECTION: "192.0.2.1 50000 192.0.2.2 22", SSH_USER_AUTH: authInfo };
};

function apply(keys: readonly string[], env: Record<string, string> = {}) {
    const file = path.join(TEMPLATES_DIR, "scripts", "install-authorized-keys.sh");
    const script = renderText("install-authorized-keys.sh", readFileSync(file, "utf8"), {
        keys_file: keysFile,
    });
    const result = spawnSync("bash", ["-c", script], {
        input: keys.map((key) => `${key}\n`).join(""),
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    });
    const outcome = result.stdout.trimEnd().split("\n").at(-1);
    return { status: result.status, outcome, stdout: result.stdout, stderr: result.stderr };
}

const content = () => readFileSync(keysFile, "utf8");
const block = (...keys: string[]) => [BEGIN, ...keys, END].join("\n") + "\n";

beforeEach(() => rmSync(path.dirname(keysFile), { recursive: true, force: true }));

describe("install-authorized-keys.sh", () => {
    it("creates the managed block (0600), then reports UNCHANGED", () => {
        expect(apply([OLD]).outcome).toBe("CHANGED");
        expect(content()).toBe(block(OLD));
        expect((statSync(keysFile).mode & 0o777).toString(8)).toBe("600");
        expect((statSync(path.dirname(keysFile)).mode & 0o777).toString(8)).toBe("700");
        expect(apply([OLD]).outcome).toBe("UNCHANGED");
    });

    it("keeps foreign keys, moves copies of operator keys into the block, adds a newline", () => {
        apply([PROVIDER]);
        writeFileSync(keysFile, `${PROVIDER}\n# a comment\n${OLD}`);
        const first = apply([OLD]);
        expect(first.outcome).toBe("CHANGED");
        expect(content()).toBe(`${PROVIDER}\n# a comment\n${block(OLD)}`);
        expect(apply([OLD]).outcome).toBe("UNCHANGED");
    });

    it("adds a key (rotation step 1), removes the old one once the session uses the new", () => {
        apply([OLD], overSsh(OLD));
        expect(apply([OLD, NEW], overSsh(OLD)).outcome).toBe("CHANGED");
        expect(content()).toBe(block(OLD, NEW));
        const removal = apply([NEW], overSsh(NEW));
        expect(removal.status, removal.stderr).toBe(0);
        expect(removal.outcome).toBe("CHANGED");
        expect(removal.stdout).toMatch(/==> removed ssh-ed25519 SHA256:/);
        expect(content()).toBe(block(NEW));
        expect(content()).not.toContain(keyPart(OLD));
    });

    it("also removes a copy of a dropped key that sat outside the block", () => {
        apply([OLD, NEW]);
        writeFileSync(keysFile, `${OLD}\n${content()}`);
        expect(apply([NEW], overSsh(NEW)).outcome).toBe("CHANGED");
        expect(content()).toBe(block(NEW));
    });

    it("refuses to remove the key the current SSH session logged in with, changing nothing", () => {
        apply([OLD, NEW]);
        const before = content();
        const result = apply([NEW], overSsh(OLD));
        expect(result.status).toBe(1);
        expect(result.stderr).toMatch(/refusing to remove ssh-ed25519 SHA256:\S+ from operator/);
        expect(result.stderr).toContain("this very connection logged in with it");
        expect(content()).toBe(before);
    });

    it("refuses a removal over SSH when sshd does not say which key the session used", () => {
        apply([OLD, NEW]);
        const before = content();
        const result = apply([NEW], { SSH_CONNECTION: "192.0.2.1 50000 192.0.2.2 22" });
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("ExposeAuthInfo");
        expect(content()).toBe(before);
        // Adding keys needs no such knowledge.
        expect(apply([OLD, NEW, PROVIDER], { SSH_CONNECTION: "x" }).outcome).toBe("CHANGED");
    });

    it("refuses an empty operatorKeys once a block exists; leaves a file without one alone", () => {
        apply([PROVIDER]);
        writeFileSync(keysFile, `${PROVIDER}\n`);
        expect(apply([]).outcome).toBe("UNCHANGED");
        expect(content()).toBe(`${PROVIDER}\n`);
        apply([OLD]);
        const before = content();
        const result = apply([]);
        expect(result.status).toBe(1);
        expect(result.stderr).toContain("refusing to remove every operator key");
        expect(content()).toBe(before);
    });

    it("refuses a line that is not a public key, and a block without its end marker", () => {
        const bad = apply(["not a key"]);
        expect(bad.status).toBe(1);
        expect(bad.stderr).toContain("not an SSH public key");
        apply([OLD]);
        writeFileSync(keysFile, `${BEGIN}\n${OLD}\n${PROVIDER}\n`);
        const broken = apply([NEW], overSsh(NEW));
        expect(broken.status).toBe(1);
        expect(broken.stderr).toContain("without");
        expect(content()).toBe(`${BEGIN}\n${OLD}\n${PROVIDER}\n`);
    });
});
