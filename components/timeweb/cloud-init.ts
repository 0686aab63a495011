/** Marker the host-key pinning waits for; see renderCloudInit. */
export const DEFAULT_READY_BANNER = "telegram-ecosystem: first boot finished";

/**
 * First-boot user data for the new server. It never enables password login:
 * - `ssh_pwauth: false` makes cloud-init write PasswordAuthentication no;
 * - our own drop-in sorts before cloud-init's 50-cloud-init.conf, and sshd keeps the first value
 *   it reads (hardening-notes §0.1), so a provider image that ships `PasswordAuthentication yes`
 *   cannot win;
 * - root logs in with the key only (`prohibit-password`); the server is created with
 *   `is_root_password_required: false` so Timeweb sets no root password either.
 * It also keeps exactly one host key, ed25519: every SSH client then negotiates the key that was
 * pinned, whatever its own algorithm preferences (Go's x/crypto in @pulumi/command, ssh2, OpenSSH).
 * As its very last step (runcmd, after host keys are regenerated) it adds an SSH banner and
 * reloads sshd. Keys and banner change together on that reload, so a connection that shows the
 * banner is served by the final host keys: the host-key pinning waits for exactly that.
 */
export function renderCloudInit(readyBanner: string = DEFAULT_READY_BANNER): string {
    if (/[\r\n]/.test(readyBanner)) throw new Error("the ready banner must be a single line");
    const noPassword = [
        "# managed by Pulumi (components/timeweb/cloud-init.ts): key-only SSH from the first boot",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitEmptyPasswords no",
        "PermitRootLogin prohibit-password",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "",
    ].join("\n");
    const bannerConf = "Banner /etc/ssh/first-boot-banner\n";
    return [
        "#cloud-config",
        "ssh_pwauth: false",
        "disable_root: false",
        "ssh_deletekeys: true",
        "ssh_genkeytypes: [ed25519]",
        "write_files:",
        "  - path: /etc/ssh/sshd_config.d/01-first-boot-no-password.conf",
        "    owner: root:root",
        "    permissions: '0644'",
        `    content: ${JSON.stringify(noPassword)}`,
        "runcmd:",
        `  - [sh, -c, ${JSON.stringify(
            `printf '%s\\n' ${shellQuote(readyBanner)} > /etc/ssh/first-boot-banner`,
        )}]`,
        `  - [sh, -c, ${JSON.stringify(
            `printf '%s' ${shellQuote(bannerConf)} > ` +
                "/etc/ssh/sshd_config.d/02-first-boot-banner.conf",
        )}]`,
        '  - [sh, -c, "sshd -t && systemctl try-reload-or-restart ssh.service"]',
        "",
    ].join("\n");
}

function shellQuote(value: string): string {
    return `'${value.replace(/'/g, "'\\''")}'`;
}
