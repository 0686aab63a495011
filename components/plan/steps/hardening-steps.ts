import { render } from "../render";
import { makeStep, type Step } from "../step";
import { fileStep } from "./file-step";

export const FAIL2BAN_JAIL = "/etc/fail2ban/jail.local";
/**
 * Audit and hygiene tools Lynis looks for; all in Ubuntu 24.04 (main/universe) and Debian 12.
 * needrestart and fail2ban get their config files first (earlier steps), so they start with it.
 */
export const HARDENING_PACKAGES = [
    "libpam-tmpdir",
    "libpam-pwquality",
    "apt-listchanges",
    "apt-show-versions",
    "debsums",
    "needrestart",
    "acct",
    "sysstat",
    "chkrootkit",
    "fail2ban",
    "python3-systemd",
];

const configFile = (id: string, description: string, target: string, template: string) =>
    fileStep({
        id,
        description,
        target,
        mode: "644",
        content: render(template, {}),
        secret: false,
    });

/**
 * 5b. OS hardening beyond sshd and UFW (Lynis hardening index >= 80 on the test VPS, Docker
 * untouched): tools, a legal banner, no core dumps, unused kernel modules off, fail2ban for sshd,
 * password rules, accounting, root-only cron and compiler.
 */
export function planHostHardening(): Step[] {
    const jail = configFile(
        "hardening-fail2ban-jail",
        "fail2ban bans repeated SSH authentication failures",
        FAIL2BAN_JAIL,
        "etc/fail2ban/jail.local",
    );
    return [
        configFile(
            "hardening-needrestart",
            "needrestart lists services to restart and never restarts them itself",
            "/etc/needrestart/conf.d/50-telegram-ecosystem.conf",
            "etc/needrestart/conf.d/50-telegram-ecosystem.conf",
        ),
        jail,
        makeStep({
            id: "hardening-packages",
            description: "audit and hygiene packages are installed",
            script: render("scripts/install-packages.sh", {
                packages: HARDENING_PACKAGES.join(" "),
            }),
            secret: false,
        }),
        configFile(
            "hardening-issue",
            "the console login shows a legal banner",
            "/etc/issue",
            "etc/issue",
        ),
        configFile(
            "hardening-issue-net",
            "the network login shows a legal banner",
            "/etc/issue.net",
            "etc/issue",
        ),
        configFile(
            "hardening-modprobe",
            "unused network protocols and USB/FireWire storage cannot be loaded",
            "/etc/modprobe.d/telegram-ecosystem-blacklist.conf",
            "etc/modprobe.d/telegram-ecosystem-blacklist.conf",
        ),
        configFile(
            "hardening-core-dumps",
            "login sessions write no core dumps",
            "/etc/security/limits.d/60-telegram-ecosystem-core.conf",
            "etc/security/limits.d/60-telegram-ecosystem-core.conf",
        ),
        makeStep(
            {
                id: "hardening-host",
                description: "password rules, accounting, root-only cron and compiler, fail2ban up",
                script: render("scripts/harden-host.sh", {
                    fail2ban_jail: FAIL2BAN_JAIL,
                    state_dir: "/var/lib/telegram-ecosystem",
                }),
                secret: false,
            },
            jail.trigger,
        ),
    ];
}
