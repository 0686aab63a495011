import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dockerHostUrl, knownHostsLine } from "../../components/docker-provider";

// The Docker provider reaches the VPS daemon through an ssh:// URL; the Docker CLI library turns
// it into an `ssh ... -l <user> -p <port> -- <host> docker system dial-stdio` command.

const scratch = mkdtempSync(join(tmpdir(), "docker-url-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The ssh command line the real Docker CLI derives from a host URL (a fake ssh records it). */
function sshCommandFor(url: string): string {
    const bin = join(scratch, "bin");
    spawnSync("mkdir", ["-p", bin]);
    const log = join(scratch, "ssh-argv");
    writeFileSync(join(bin, "ssh"), `#!/bin/sh\nprintf '%s ' "$@" > '${log}'\nexit 255\n`);
    chmodSync(join(bin, "ssh"), 0o755);
    spawnSync("docker", ["-H", url, "version"], {
        env: { PATH: `${bin}:/usr/bin:/bin`, HOME: scratch },
        encoding: "utf8",
        timeout: 30_000,
    });
    return readFileSync(log, "utf8").trim();
}

describe("the Docker host URL", () => {
    it("puts an IPv6 address in brackets, as URLs require", () => {
        const url = dockerHostUrl("root", "2001:db8::1", 2222);
        expect(url).toBe("ssh://root@[2001:db8::1]:2222");
        const parsed = new URL(url);
        expect([parsed.hostname, parsed.port, parsed.username]).toEqual([
            "[2001:db8::1]",
            "2222",
            "root",
        ]);
        expect(dockerHostUrl("root", "203.0.113.10", 22)).toBe("ssh://root@203.0.113.10:22");
        expect(dockerHostUrl("root", "vps.example.org", 22)).toBe("ssh://root@vps.example.org:22");
    });

    it("is read by the real Docker CLI as that host and port", () => {
        expect(sshCommandFor(dockerHostUrl("root", "2001:db8::1", 2222))).toMatch(
            /-l root -p 2222 -- 2001:db8::1 docker system dial-stdio$/,
        );
        expect(sshCommandFor(dockerHostUrl("root", "203.0.113.10", 22))).toMatch(
            /-l root -p 22 -- 203\.0\.113\.10 docker system dial-stdio$/,
        );
    });

    it("pins IPv6 hosts in known_hosts the way OpenSSH looks them up", () => {
        expect(knownHostsLine("2001:db8::1", 22, "ssh-ed25519 AAAA")).toBe(
            "2001:db8::1 ssh-ed25519 AAAA",
        );
        expect(knownHostsLine("2001:db8::1", 2222, "ssh-ed25519 AAAA")).toBe(
            "[2001:db8::1]:2222 ssh-ed25519 AAAA",
        );
    });
});
