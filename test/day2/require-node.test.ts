import { spawnSync } from "node:child_process";
import {
    chmodSync,
    existsSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

// scripts/require-node.sh, which install-deps.sh runs first: a fresh Debian has no Node.js (or
// Debian 12's 18). Fake node, npm, apt-cache and apt-get record what the script does.

const script = resolve(__dirname, "../../scripts/require-node.sh");
let bin: string;
let calls: string;

function fake(name: string, body: string): void {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> '${calls}'\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
}

function run() {
    // PATH is the fakes' directory alone: this machine's own node must not be found.
    const result = spawnSync("/bin/bash", [script], { env: { PATH: bin }, encoding: "utf8" });
    return {
        code: result.status,
        stderr: result.stderr,
        calls: existsSync(calls) ? readFileSync(calls, "utf8") : "",
    };
}

const policy = (candidate: string) =>
    `echo "nodejs:"; echo "  Installed: (none)"; echo "  Candidate: ${candidate}"`;

beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), "require-node-"));
    calls = join(bin, "calls.log");
    fake("apt-get", "exit 0");
    for (const tool of ["sed", "awk"])
        symlinkSync(
            spawnSync("/bin/sh", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim(),
            join(bin, tool),
        );
});
afterEach(() => rmSync(bin, { recursive: true, force: true }));

describe("require-node.sh", () => {
    it("leaves a machine with Node.js 22 and npm alone", () => {
        fake("node", "echo v22.14.0");
        fake("npm", "echo 10.9.2");
        expect(run()).toMatchObject({ code: 0, calls: "node --version\n" });
    });

    it("installs the distribution's nodejs and npm when they are new enough (Debian 13)", () => {
        fake("apt-cache", policy("20.19.2+dfsg-1"));
        const result = run();
        expect(result.code).toBe(0);
        expect(result.calls).toContain("apt-get install -y -qq --no-install-recommends nodejs npm");
    });

    it("stops with what to do on Debian 12, whose Node.js is 18", () => {
        fake("node", "echo v18.19.0");
        fake("npm", "echo 9.2.0");
        fake("apt-cache", policy("18.19.0+dfsg-6~deb12u2"));
        const result = run();
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(
            "ERROR: Node.js 20 or newer (with npm) is needed; this machine has v18.19.0, and its distribution offers 18 (Debian 12 ships 18)",
        );
        expect(result.calls).not.toContain("apt-get install");
    });
});
