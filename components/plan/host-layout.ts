/**
 * Where the stack lives on the host, for both halves of the plan: the compose steps
 * (steps/stack-steps.ts) and the day-2 operations (operations-plan.ts) use the same compose
 * project, media dirs and lock files.
 */

export const COMPOSE_PROJECT = "telegram-ecosystem";

/** The bots' media dirs (steps/stack-steps.ts, mediaDir) are under here. */
export const MEDIA_ROOT = "/var/lib/telegram-media";

/** Where the host side keeps its files; tests point these into a temporary directory. */
export interface OperationsPaths {
    /** Root-only env file with the S3 endpoint and keys; when present, backups go off-site. */
    readonly offsiteEnvFile: string;
    /** Root-only env file with the alert bot token and chat and the heartbeat URL. */
    readonly alertEnvFile: string;
    /** flock files shared by backup, restore and the health monitor. */
    readonly lockDir: string;
    /** Where the kernel's meminfo, vmstat and boot_id are read. */
    readonly procDir: string;
    /** The health monitor's state (systemd StateDirectory=telegram-health). */
    readonly healthStateDir: string;
}

export const HOST_PATHS: OperationsPaths = {
    offsiteEnvFile: "/etc/telegram-ecosystem/backup-offsite.env",
    alertEnvFile: "/etc/telegram-ecosystem/health-alerts.env",
    lockDir: "/run/lock/telegram-ecosystem",
    procDir: "/proc",
    healthStateDir: "/var/lib/telegram-health",
};
