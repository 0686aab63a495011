import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULT_READY_BANNER, renderCloudInit } from "../../../components/timeweb/cloud-init";

interface CloudConfig {
    ssh_pwauth: boolean;
    disable_root: boolean;
    write_files: { path: string; content: string }[];
    runcmd: [string, string, string][];
}

const dir = mkdtempSync(join(tmpdir(), "timeweb-cloud-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("first-boot cloud-init", () => {
    const text = renderCloudInit();
    const config = parse(text) as CloudConfig;

    it("is a cloud-config that never turns password login on", () => {
        expect(text.startsWith("#cloud-config\n")).toBe(true);
        expect(config.ssh_pwauth).toBe(false);
        expect(config.disable_root).toBe(false);
        expect(text).not.toMatch(/PasswordAuthentication\s+yes/i);
        expect(text).not.toMatch(/chpasswd|passwd:|plain_text_passwd/);
    });

    it("writes an sshd drop-in that sorts before cloud-init's own and that sshd accepts", () => {
        const dropIn = config.write_files.find((file) =>
            file.path.startsWith("/etc/ssh/sshd_config.d/"),
        )!;
        expect(dropIn.path.split("/").at(-1)! < "50-cloud-init.conf").toBe(true);
        expect(dropIn.content).toMatch(/^PasswordAuthentication no$/m);
        expect(dropIn.content).toMatch(/^KbdInteractiveAuthentication no$/m);
        expect(dropIn.content).toMatch(/^PermitRootLogin prohibit-password$/m);
        expect(dropIn.content).toMatch(/^HostKey \/etc\/ssh\/ssh_host_ed25519_key$/m);
        expect(text).toMatch(/^ssh_genkeytypes: \[ed25519\]$/m);

        // sshd itself must accept the directives, and they must win when read first.
        const hostKey = join(dir, "host");
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey]);
        const main = join(dir, "sshd_config");
        const content = dropIn.content.replace("/etc/ssh/ssh_host_ed25519_key", hostKey);
        writeFileSync(main, `${content}PasswordAuthentication yes\n`);
        const effective = execFileSync("/usr/sbin/sshd", ["-T", "-f", main], { encoding: "utf8" });
        expect(effective).toMatch(/^passwordauthentication no$/m);
        expect(effective).toMatch(/^kbdinteractiveauthentication no$/m);
        expect(effective).toMatch(/^permitrootlogin without-password$/m);
        expect(effective.match(/^hostkey .*$/gm)).toEqual([`hostkey ${hostKey}`]);
    });

    it("adds the ready banner as its last step, then reloads sshd", () => {
        const commands = config.runcmd.map((command) => command[2]);
        expect(commands.at(-1)).toBe("sshd -t && systemctl try-reload-or-restart ssh.service");
        // Run the two file-writing commands against a scratch dir instead of /etc/ssh.
        mkdirSync(join(dir, "sshd_config.d"));
        for (const command of commands.slice(0, -1)) {
            execFileSync("sh", ["-c", command.split("/etc/ssh/").join(`${dir}/`)]);
        }
        expect(readFileSync(join(dir, "first-boot-banner"), "utf8")).toBe(
            `${DEFAULT_READY_BANNER}\n`,
        );
        expect(
            readFileSync(join(dir, "sshd_config.d/02-first-boot-banner.conf"), "utf8").replace(
                dir,
                "/etc/ssh",
            ),
        ).toBe("Banner /etc/ssh/first-boot-banner\n");
    });

    it("quotes a banner with shell metacharacters safely and rejects multi-line ones", () => {
        const tricky = "it's $(reboot) `done`";
        const command = (parse(renderCloudInit(tricky)) as CloudConfig).runcmd[0]![2];
        execFileSync("sh", ["-c", command.split("/etc/ssh/").join(`${dir}/`)]);
        expect(readFileSync(join(dir, "first-boot-banner"), "utf8")).toBe(`${tricky}\n`);
        expect(() => renderCloudInit("two\nlines")).toThrow(/single line/);
    });
});
