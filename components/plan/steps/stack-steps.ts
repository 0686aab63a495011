import type { BotConfig, StackConfig } from "../../config/config";
import { COMPOSE_PROJECT, HOST_PATHS, MEDIA_ROOT } from "../host-layout";
import { render } from "../render";
import type { RuntimeValues } from "../runtime-values";
import { makeSecretStep, makeStep, type Step } from "../step";
import { fileStep } from "./file-step";

/** uid:gid the bots run as inside their containers; owns their media dirs on the host. */
export const BOT_UID_GID = "10001:10001";
export const HEALTH_TIMEOUT_SECONDS = 300;

/** Each bot's media dir, mounted at the same path in the bot and the Bot API server. */
export const mediaDir = (bot: { readonly name: string }) => `${MEDIA_ROOT}/${bot.name}`;

/** docker-compose.yml; YAML scalars from values go through JSON.stringify (valid YAML). */
export function renderComposeFile(config: StackConfig, runtime: RuntimeValues): string {
    const q = JSON.stringify;
    const bots = config.bots.map((bot) =>
        render("opt/stack/bot-service.yml", {
            name: bot.name,
            image: q(runtime.botImages[bot.name] ?? ""),
            media_dir: mediaDir(bot),
            mem_limit: bot.memLimit,
        }).trimEnd(),
    );
    const mounts = config.bots.map((bot) =>
        render("opt/stack/bot-api-media-mount.yml", {
            name: bot.name,
            media_dir: mediaDir(bot),
        }).trimEnd(),
    );
    return render("opt/stack/docker-compose.yml", {
        postgres_image: q(config.postgres.image),
        postgres_user: q(config.postgres.user),
        postgres_db: q(config.postgres.db),
        postgres_mem_limit: config.postgres.memLimit,
        postgres_shm_size: config.postgres.shmSize,
        bot_api_image: q(config.botApi.image),
        bot_api_media_mounts: mounts.join("\n"),
        bot_api_mem_limit: config.botApi.memLimit,
        bot_services: bots.join("\n\n"),
    });
}

export function renderInitSql(config: StackConfig): string {
    return render("opt/stack/postgres/init/01-init.sql", {
        bot_schemas: config.bots
            .map((bot) => `CREATE SCHEMA IF NOT EXISTS ${bot.schema};`)
            .join("\n"),
    });
}

export function renderBotEnv(config: StackConfig, runtime: RuntimeValues, bot: BotConfig): string {
    const extra = Object.entries(bot.env).map(([key, value]) => `${key}=${value}`);
    return render("opt/stack/env/bot.env", {
        token: runtime.botTokens[bot.name] ?? "",
        pg_user: config.postgres.user,
        pg_password: runtime.postgresPassword,
        pg_db: config.postgres.db,
        schema: bot.schema,
        media_dir: mediaDir(bot),
        extra_env: extra.length > 0 ? extra.join("\n") : "# (none)",
    });
}

/** The health monitor's maintenance lock (operations-plan.ts), held by the deploy's compose up. */
const MAINTENANCE_LOCK = `${HOST_PATHS.lockDir}/maintenance.lock`;
/** How long compose up waits for a running health check or restore to finish. */
const MAINTENANCE_LOCK_WAIT_SECONDS = 600;

interface ComposeUpArgs {
    readonly id: string;
    readonly description: string;
    /** Services to start; empty for all. */
    readonly services: readonly string[];
    readonly removeOrphans: boolean;
    /** What re-runs the step besides its script. */
    readonly triggers: readonly string[];
}

function composeUp(config: StackConfig, args: ComposeUpArgs): Step {
    const script = render("scripts/compose-up.sh", {
        stack_dir: config.stackDir,
        project: COMPOSE_PROJECT,
        services: args.services.join(" "),
        remove_orphans: args.removeOrphans ? "yes" : "no",
        timeout_seconds: String(HEALTH_TIMEOUT_SECONDS),
        maintenance_lock: MAINTENANCE_LOCK,
        lock_wait_seconds: String(MAINTENANCE_LOCK_WAIT_SECONDS),
    });
    const { id, description } = args;
    return makeStep({ id, description, script, secret: false }, ...args.triggers);
}

/** Where the steps that carry secrets keep their output on the host (root only). */
export function stepLogDir(config: StackConfig): string {
    return `${config.stackDir}/logs`;
}

/** A secret file under env/ (0700); its step id is `stack-env-<name>`. */
function envFile(config: StackConfig, name: string, file: string, content: string, mode = "600") {
    const target = `${config.stackDir}/env/${file}`;
    return fileStep({
        id: `stack-env-${name}`,
        description: `${target} is written (${mode})`,
        target,
        mode,
        content,
        secret: true,
        logDir: stepLogDir(config),
    });
}

/**
 * Stack directories and every file of the stack except the bots' env files (planBotEnvFiles):
 * those carry the Postgres password, so they change only after ALTER ROLE (planDatabase).
 */
export function planStackFiles(config: StackConfig, runtime: RuntimeValues): Step[] {
    const dir = config.stackDir;
    return [
        makeStep({
            id: "stack-dirs",
            description: `${dir} and the bots' media directories exist`,
            script: render("scripts/prepare-stack-dirs.sh", {
                stack_dir: dir,
                bot_names: config.bots.map((bot) => bot.name).join(" "),
                media_owner: BOT_UID_GID,
            }),
            secret: false,
        }),
        fileStep({
            id: "stack-project-env",
            description: `${dir}/.env names the compose project`,
            target: `${dir}/.env`,
            mode: "644",
            content: render("opt/stack/project.env", { project: COMPOSE_PROJECT }),
            secret: false,
        }),
        fileStep({
            id: "stack-compose-file",
            description: `${dir}/docker-compose.yml is written`,
            target: `${dir}/docker-compose.yml`,
            mode: "644",
            content: renderComposeFile(config, runtime),
            secret: false,
        }),
        fileStep({
            id: "stack-init-sql",
            description: "the Postgres init SQL is written",
            target: `${dir}/postgres/init/01-init.sql`,
            mode: "644",
            content: renderInitSql(config),
            secret: false,
        }),
        envFile(
            config,
            "postgres",
            "postgres.env",
            render("opt/stack/env/postgres.env", {
                user: config.postgres.user,
                db: config.postgres.db,
            }),
        ),
        // Read by the entrypoint only on an empty volume, as the postgres user in some images
        // (the official one reads it as root): 0644 inside the root-only env/ dir (0700).
        envFile(config, "postgres-password", "postgres-password", runtime.postgresPassword, "644"),
        envFile(
            config,
            "telegram-bot-api",
            "telegram-bot-api.env",
            render("opt/stack/env/telegram-bot-api.env", {
                api_id: String(config.botApi.apiId),
                api_hash: runtime.botApiHash,
            }),
        ),
    ];
}

/** One env file per bot (token, DATABASE_URL); written after the password step. */
export function planBotEnvFiles(config: StackConfig, runtime: RuntimeValues): Step[] {
    return config.bots.map((bot) =>
        envFile(config, bot.name, `${bot.name}.env`, renderBotEnv(config, runtime, bot)),
    );
}

/** Postgres up and healthy, its password current, every bot schema present. */
export function planDatabase(
    config: StackConfig,
    runtime: RuntimeValues,
    files: readonly Step[],
): Step[] {
    const trigger = (id: string) => files.find((step) => step.id === id)?.trigger ?? "";
    const psqlVars = {
        stack_dir: config.stackDir,
        project: COMPOSE_PROJECT,
        pg_user: config.postgres.user,
        pg_db: config.postgres.db,
    };
    return [
        composeUp(config, {
            id: "stack-postgres-up",
            description: "postgres is running and healthy",
            services: ["postgres"],
            removeOrphans: false,
            triggers: [trigger("stack-compose-file"), trigger("stack-env-postgres")],
        }),
        makeSecretStep({
            id: "stack-postgres-password",
            description: "the postgres role has the current password",
            script: render("scripts/set-postgres-password.sh", {
                ...psqlVars,
                marker: `${config.stackDir}/env/.postgres-password.sha256`,
            }),
            stdin: `${runtime.postgresPassword}\n`,
            logDir: stepLogDir(config),
        }),
        makeStep({
            id: "stack-bot-schemas",
            description: "the shared schema and every bot schema exist",
            script: render("scripts/ensure-bot-schemas.sh", {
                ...psqlVars,
                schemas: ["shared", ...config.bots.map((bot) => bot.schema)].join(" "),
            }),
            stdin: renderInitSql(config),
            secret: false,
        }),
    ];
}

/** Every service up and healthy; re-run whenever a file or an image changes. */
export function planComposeUp(
    config: StackConfig,
    runtime: RuntimeValues,
    files: readonly Step[],
): Step[] {
    const images = config.bots.map((bot) => runtime.botImages[bot.name] ?? "");
    return [
        composeUp(config, {
            id: "stack-up",
            description: "every service of the stack is up and healthy",
            services: [],
            removeOrphans: true,
            triggers: [...files.map((step) => step.trigger), ...images],
        }),
    ];
}
