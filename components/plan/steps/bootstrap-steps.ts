import type { StackConfig } from "../../config/config";
import { MIN_RSA_BITS, SSHD_MAX_AUTH_TRIES } from "../../config/ssh-keys";
import { render } from "../render";
import { makeStep, type Step } from "../step";
import { fileStep } from "./file-step";

export const ROOT_AUTHORIZED_KEYS = "/root/.ssh/authorized_keys";
export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-hardening.conf";
export const UFW_RULE_COMMENT = "telegram-ecosystem-ssh";
/** What the later steps rely on: TLS + curl + gpg (Docker's repo), tzdata, ufw, sysctl, ssh. */
export const BASE_PACKAGES = [
    "ca-certificates",
    "curl",
    "gnupg",
    "tzdata",
    "procps",
    "ufw",
    "unattended-upgrades",
    "openssh-client",
];

/** 1. Operator keys first: nothing may disable passwords before a key is authorised. */
export function planOperatorKeys(config: StackConfig): Step[] {
    const keys = config.operatorKeys.map((key) => `${key}\n`).join("");
    return [
        makeStep({
            id: "operator-keys",
            description: "operator public keys are authorised for root",
            script: render("scripts/install-authorized-keys.sh", {
                keys_file: ROOT_AUTHORIZED_KEYS,
            }),
            stdin: keys,
            secret: false,
        }),
    ];
}

/** 2. Base packages, timezone, swap and the sysctl baseline. */
export function planBaseSystem(config: StackConfig): Step[] {
    return [
        makeStep({
            id: "base-packages",
            description: "base packages are installed",
            script: render("scripts/install-packages.sh", { packages: BASE_PACKAGES.join(" ") }),
            secret: false,
        }),
        makeStep({
            id: "timezone",
            description: `the timezone is ${config.timezone}`,
            script: render("scripts/set-timezone.sh", { timezone: config.timezone }),
            secret: false,
        }),
        makeStep({
            id: "swap",
            description: `a ${config.swapSize} swap file is active`,
            script: render("scripts/configure-swap.sh", {
                swap_size: config.swapSize,
                swap_file: "/swapfile",
            }),
            secret: false,
        }),
        makeStep({
            id: "sysctl",
            description: "the sysctl baseline is applied (IP forwarding stays on for Docker)",
            script: render("scripts/apply-sysctl.sh", {
                sysctl_file: "/etc/sysctl.d/60-telegram-ecosystem.conf",
            }),
            stdin: render("etc/sysctl.d/60-telegram-ecosystem.conf", {}),
            secret: false,
        }),
    ];
}

/** The sshd drop-in: extra options from config first (sshd keeps the first value it reads). */
export function renderSshdDropIn(config: StackConfig): string {
    const extras = Object.entries(config.sshd.extraOptions).map(
        ([key, value]) => `${key} ${value}`,
    );
    return render("etc/ssh/sshd_config.d/00-hardening.conf", {
        extra_options: extras.length > 0 ? extras.join("\n") : "# (none)",
        ssh_port: String(config.sshPort),
        max_auth_tries: String(SSHD_MAX_AUTH_TRIES),
        min_rsa_bits: String(MIN_RSA_BITS),
    });
}

/** 3. sshd hardening (validated, applied, login-proven, rolled back on failure). */
export function planSshd(config: StackConfig): Step[] {
    return [
        makeStep({
            id: "sshd-hardening",
            description: "sshd accepts keys only, with modern crypto",
            script: render("scripts/harden-sshd.sh", {
                drop_in: SSHD_DROP_IN,
                keys_file: ROOT_AUTHORIZED_KEYS,
            }),
            stdin: renderSshdDropIn(config),
            secret: false,
        }),
    ];
}

/** 4. UFW: deny incoming except SSH from the allowed sources. */
export function planFirewall(config: StackConfig): Step[] {
    return [
        makeStep({
            id: "ufw",
            description: "UFW denies incoming traffic except SSH",
            script: render("scripts/configure-ufw.sh", {
                ssh_port: String(config.sshPort),
                allow_from: config.sshAllowFrom.join(" "),
                rule_comment: UFW_RULE_COMMENT,
            }),
            secret: false,
        }),
    ];
}

/**
 * Docker's apt repository as unattended-upgrades matches it: its Release file says Origin
 * "Docker", Label "Docker CE" and Suite <codename>, and has no Codename field.
 */
const DOCKER_CE_ORIGIN = '    "origin=Docker,label=Docker CE,archive=${distro_codename}";\n';

/** 5. unattended-upgrades: daily security upgrades, optional reboot at a fixed time. */
export function planUnattendedUpgrades(config: StackConfig): Step[] {
    return [
        fileStep({
            id: "unattended-upgrades-periodic",
            description: "apt updates lists and runs unattended-upgrades daily",
            target: "/etc/apt/apt.conf.d/20auto-upgrades",
            mode: "644",
            content: render("etc/apt/apt.conf.d/20auto-upgrades", {}),
            secret: false,
        }),
        fileStep({
            id: "unattended-upgrades-policy",
            description: "unattended-upgrades installs security updates",
            target: "/etc/apt/apt.conf.d/52unattended-upgrades-telegram-ecosystem",
            mode: "644",
            content: render("etc/apt/apt.conf.d/52unattended-upgrades-telegram-ecosystem", {
                automatic_reboot: String(config.unattendedUpgrades.automaticReboot),
                reboot_time: config.unattendedUpgrades.rebootTime,
                docker_origin: config.docker.source === "docker-ce" ? DOCKER_CE_ORIGIN : "",
            }),
            secret: false,
        }),
    ];
}
