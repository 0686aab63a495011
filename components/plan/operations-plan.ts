import { COMPOSE_PROJECT, HOST_PATHS, MEDIA_ROOT, type OperationsPaths } from "./host-layout";
import { render } from "./render";
import { makeSecretStep, makeStep, Step } from "./step";
import { DAEMON_JSON } from "./steps/docker-steps";
import type { OffsiteKeys, OperationsConfig } from "../config/operations-config";

/**
 * Day-2 operations on the host: the daily Postgres backup (telegram-backup.timer), the health
 * monitor (telegram-health.timer), the journald size cap and a check that Docker rotates the
 * stack's logs. Everything here is a pure function of the config, so tests render the very files
 * the host gets.
 */

export const BACKUP_UNIT = "telegram-backup.service";
export const BACKUP_TIMER = "telegram-backup.timer";
export const HEALTH_TIMER = "telegram-health.timer";
/** The compose services that are not bots (the restore stops every other service). */
export const INFRA_SERVICES = ["postgres", "telegram-bot-api"] as const;
const BOT_API_SERVICE = "telegram-bot-api";
const BOT_API_PORT = "8081";
const BACKUP_TIMEOUT_SECONDS = 3600;
/** A daily backup plus slack for a slow run: older means the backups stopped. */
const BACKUP_MAX_AGE_HOURS = 26;
const JOURNALD_DROP_IN = "/etc/systemd/journald.conf.d/50-telegram-ecosystem.conf";
const HEALTH_TIMEOUT_SECONDS = 600;

/** Where Docker keeps images, volumes and build cache (the disk check watches its filesystem). */
export const DOCKER_ROOT = "/var/lib/docker";

/** The slice of StackConfig that operations need (StackConfig itself fits). */
export interface OperationsInput extends OperationsConfig {
    readonly stackDir: string;
    readonly timezone: string;
    readonly postgres: { readonly db: string; readonly user: string };
    readonly bots: readonly { readonly name: string }[];
}

/** Values only known at run time (Pulumi secrets). */
export interface OperationsSecrets {
    readonly botTokens: Readonly<Record<string, string>>;
    readonly offsiteKeys?: OffsiteKeys;
}

/** A file for the host: absolute path, octal mode and content. */
export interface HostFile {
    readonly path: string;
    readonly mode: string;
    readonly content: string;
}

/** The systemd OnCalendar= value of the daily backup, in the stack's timezone. */
export function backupOnCalendar(input: OperationsInput): string {
    return `*-*-* ${input.backups.time}:00 ${input.timezone}`;
}

export function backupDir(input: OperationsInput): string {
    return `${input.stackDir}/backups`;
}

export function monitorIntervalSeconds(input: OperationsInput): number {
    return Math.round(input.monitor.intervalMinutes * 60);
}

/** What the stack outputs show about operations. */
export function operationsOutputs(input: OperationsInput) {
    const { time, retentionDays, s3 } = input.backups;
    const onCalendar = backupOnCalendar(input);
    return {
        backupSchedule: `daily at ${time} ${input.timezone} (OnCalendar=${onCalendar})`,
        backupFolder: backupDir(input),
        backupRetentionDays: retentionDays,
        backupOffsite: s3 ? `${s3.endpoint.replace(/\/$/, "")}/${s3.bucket}/${s3.prefix}` : "off",
        monitorInterval: `every ${monitorIntervalSeconds(input)} s`,
        monitorAlerts: input.monitor.alerts ? `chat ${input.monitor.alerts.chatId}` : "off",
        monitorHeartbeat: input.monitor.heartbeatUrl === undefined ? "off" : "on",
    };
}

/** Every non-secret file the operations install, rendered. */
export function operationsFiles(
    input: OperationsInput,
    paths: OperationsPaths = HOST_PATHS,
): HostFile[] {
    const scripts = `${input.stackDir}/scripts`;
    const common = { stack_dir: input.stackDir, compose_project: COMPOSE_PROJECT };
    const units = "etc/systemd/system";
    const interval = String(monitorIntervalSeconds(input));
    return [
        script(`${scripts}/backup-postgres.sh`, "opt/stack/scripts/backup-postgres.sh", {
            ...common,
            postgres_user: input.postgres.user,
            postgres_db: input.postgres.db,
            retention_days: String(input.backups.retentionDays),
            offsite_env_file: paths.offsiteEnvFile,
            lock_dir: paths.lockDir,
        }),
        script(`${scripts}/restore-postgres.sh`, "opt/stack/scripts/restore-postgres.sh", {
            ...common,
            postgres_user: input.postgres.user,
            postgres_db: input.postgres.db,
            infra_services: INFRA_SERVICES.join(" "),
            lock_dir: paths.lockDir,
        }),
        script(`${scripts}/health-monitor.sh`, "opt/stack/scripts/health-monitor.sh", {
            ...common,
            alert_env_file: paths.alertEnvFile,
            bot_api_service: BOT_API_SERVICE,
            bot_api_port: BOT_API_PORT,
            backup_unit: BACKUP_UNIT,
            lock_dir: paths.lockDir,
            ...resourceThresholds(input, paths),
        }),
        script(`${scripts}/production-check.sh`, "opt/stack/scripts/production-check.sh", {
            ...common,
            backup_dir: backupDir(input),
            backup_max_age_hours: String(BACKUP_MAX_AGE_HOURS),
            timers: [BACKUP_TIMER, HEALTH_TIMER].join(" "),
            health_timer: HEALTH_TIMER,
            monitor_interval_seconds: interval,
            health_state_dir: paths.healthStateDir,
            alert_env_file: paths.alertEnvFile,
            bot_api_service: BOT_API_SERVICE,
            bot_api_port: BOT_API_PORT,
            bots: input.bots.map((bot) => bot.name).join(" "),
            media_root: MEDIA_ROOT,
            postgres_user: input.postgres.user,
            postgres_db: input.postgres.db,
            daemon_json: DAEMON_JSON,
            journald_drop_in: JOURNALD_DROP_IN,
            ...resourceThresholds(input, paths),
        }),
        unit("telegram-backup.service", {
            ...common,
            timeout_seconds: String(BACKUP_TIMEOUT_SECONDS),
        }),
        unit("telegram-backup.timer", {
            compose_project: COMPOSE_PROJECT,
            on_calendar: backupOnCalendar(input),
        }),
        unit("telegram-health.service", {
            ...common,
            timeout_seconds: String(HEALTH_TIMEOUT_SECONDS),
        }),
        unit("telegram-health.timer", {
            compose_project: COMPOSE_PROJECT,
            interval_seconds: interval,
        }),
        {
            path: JOURNALD_DROP_IN,
            mode: "0644",
            content: render("etc/systemd/journald.conf.d/50-telegram-ecosystem.conf", {
                system_max_use: input.journald.systemMaxUse,
                system_keep_free: input.journald.systemKeepFree,
            }),
        },
    ];

    function script(path: string, template: string, vars: Record<string, string>): HostFile {
        return { path, mode: "0750", content: render(template, vars) };
    }

    function unit(name: string, vars: Record<string, string>): HostFile {
        const content = render(`${units}/${name}`, vars);
        return { path: `/etc/systemd/system/${name}`, mode: "0644", content };
    }
}

/** The monitor's disk and memory limits, shared by the monitor and the production check. */
function resourceThresholds(input: OperationsInput, paths: OperationsPaths) {
    const { disk, memory } = input.monitor;
    return {
        proc_dir: paths.procDir,
        disk_paths: `${input.stackDir} ${DOCKER_ROOT}`,
        disk_min_free_percent: String(disk.minFreePercent),
        inodes_min_free_percent: String(disk.minFreeInodesPercent),
        memory_min_available_mb: String(memory.minAvailableMb),
        memory_low_checks: String(memory.lowChecks),
    };
}

/** stdin of install-operations.sh: one "<mode> <path> <base64>" line per file. */
export function encodeFileLines(files: readonly HostFile[]): string {
    return files.map((file) => `${file.mode} ${file.path} ${toBase64(file.content)}\n`).join("");
}

/** The env file that turns the off-site copy on, or undefined when no bucket is configured. */
export function offsiteEnv(
    input: OperationsInput,
    keys: OffsiteKeys | undefined,
): string | undefined {
    const s3 = input.backups.s3;
    if (s3 === undefined) return undefined;
    if (keys === undefined) {
        throw new Error(
            "backups.s3 is set but its keys are missing: pulumi config set --secret --path " +
                "backups.s3.accessKeyId <key id> (and backups.s3.secretAccessKey)",
        );
    }
    return envLines({
        S3_ENDPOINT: s3.endpoint.replace(/\/$/, ""),
        S3_BUCKET: s3.bucket,
        S3_REGION: s3.region,
        S3_PREFIX: s3.prefix,
        S3_ACCESS_KEY_ID: keys.accessKeyId,
        S3_SECRET_ACCESS_KEY: keys.secretAccessKey,
    });
}

/**
 * The monitor's root-only env file: the alert bot and chat (when an admin chat is configured)
 * and the heartbeat URL (when set); undefined when neither is.
 */
export function monitorEnv(
    input: OperationsInput,
    botTokens: Readonly<Record<string, string>>,
): string | undefined {
    const heartbeat = input.monitor.heartbeatUrl;
    const alerts = alertSettings(input, botTokens);
    if (alerts === undefined && heartbeat === undefined) return undefined;
    const ping: Record<string, string> =
        heartbeat === undefined ? {} : { HEARTBEAT_URL: heartbeat };
    return envLines({ ...alerts, ...ping });
}

function alertSettings(
    input: OperationsInput,
    botTokens: Readonly<Record<string, string>>,
): Record<string, string> | undefined {
    const alerts = input.monitor.alerts;
    if (alerts === undefined) return undefined;
    const botName = alerts.bot ?? input.bots[0]?.name;
    if (botName === undefined || !input.bots.some((bot) => bot.name === botName)) {
        throw new Error(
            `monitor.alerts.bot is "${botName ?? ""}", which is not one of the bots ` +
                `(${input.bots.map((bot) => bot.name).join(", ")}): ` +
                "pulumi config set --path monitor.alerts.bot <bot name>",
        );
    }
    const token = botTokens[botName];
    if (token === undefined) {
        throw new Error(
            `no token for bot ${botName}, which sends the alerts: set bots[N].token for it`,
        );
    }
    return {
        ALERT_BOT_TOKEN: token,
        ALERT_CHAT_ID: alerts.chatId,
        ALERT_API_BASE_URL: alerts.apiBaseUrl,
    };
}

function toBase64(text: string): string {
    return Buffer.from(text).toString("base64");
}

function envLines(values: Readonly<Record<string, string>>): string {
    return Object.entries(values)
        .map(([key, value]) => {
            if (/[\r\n]/.test(value)) throw new Error(`${key} must be one line`);
            return `${key}=${value}\n`;
        })
        .join("");
}

/** The two steps, in order: secret settings first, so the first timer run already sees them. */
export function planOperations(
    input: OperationsInput,
    secrets: OperationsSecrets,
    paths: OperationsPaths = HOST_PATHS,
): Step[] {
    const files = operationsFiles(input, paths);
    return [
        makeSecretStep({
            id: "operations-secrets",
            description:
                "Off-site backup keys, alert bot and heartbeat settings (root-only files, or none)",
            script: render("scripts/install-operations-secrets.sh", {
                offsite_env_file: paths.offsiteEnvFile,
                alert_env_file: paths.alertEnvFile,
            }),
            stdin:
                `${toBase64(offsiteEnv(input, secrets.offsiteKeys) ?? "")}\n` +
                `${toBase64(monitorEnv(input, secrets.botTokens) ?? "")}\n`,
            logDir: `${input.stackDir}/logs`,
        }),
        makeStep({
            id: "operations",
            description:
                "Daily Postgres backup and health monitor timers, journald cap, log rotation check",
            script: render("scripts/install-operations.sh", {
                timers: [BACKUP_TIMER, HEALTH_TIMER].join(" "),
                on_calendar: backupOnCalendar(input),
                backup_dir: backupDir(input),
                compose_project: COMPOSE_PROJECT,
            }),
            stdin: encodeFileLines(files),
            secret: false,
        }),
    ];
}
