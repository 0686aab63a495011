import { loadConfig } from "./config.js";
import { startApp, type App } from "./app.js";
import { createLogger } from "./logger.js";

const SHUTDOWN_LIMIT_MS = 9000;

// The only place that reads process.env, starts polling and handles signals.
const loaded = loadConfig(process.env);
if (!loaded.ok) {
    for (const line of loaded.errors) console.error(`Invalid environment: ${line}`);
    process.exit(1);
}
const config = loaded.config;
const log = createLogger(config.logLevel, [config.botToken, config.botToken.split(":")[1] ?? ""]);

let app: App | undefined;
let exiting = false;

async function shutdown(signal: string, code = 0): Promise<void> {
    if (exiting) return;
    exiting = true;
    log.info({ signal }, "shutdown requested");
    const force = setTimeout(() => {
        log.error("shutdown took too long; exiting anyway");
        process.exit(1);
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    await app?.stop();
    process.exit(code);
}

process.once("SIGTERM", () => void shutdown("SIGTERM"));
process.once("SIGINT", () => void shutdown("SIGINT"));

try {
    app = await startApp(config, log, () => void shutdown("fatal polling error", 1));
    if (exiting) await app.stop();
} catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log.fatal({ err: message }, "start-up failed");
    process.exit(1);
}
