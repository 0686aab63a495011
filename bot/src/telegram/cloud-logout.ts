import { Api } from "grammy";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import { errorText, type Database } from "../services/storage/db.js";
import { describe } from "./status-message.js";

/**
 * Moving a bot from the cloud Bot API to a local server needs one logOut call on the cloud API
 * (https://core.telegram.org/bots/api#logout). It is done once per bot and remembered in the
 * bot's schema; without a database the call is skipped (it cannot be remembered).
 */
export async function logOutFromCloudOnce(
    config: Config,
    db: Database | undefined,
    log: Logger,
): Promise<void> {
    if (!db) {
        log.warn("cloud logOut skipped: it needs DATABASE_URL to be remembered");
        return;
    }
    const key = `cloud_logout:${config.botToken.split(":")[0]}`;
    const table = `"${config.dbSchema}".bot_state`;
    try {
        const done = await db.query(`SELECT 1 FROM ${table} WHERE key = $1`, [key]);
        if (done.length > 0) return;
    } catch (error) {
        log.warn({ err: errorText(error) }, "cloud logOut skipped: database unavailable");
        return;
    }
    try {
        const cloud = new Api(config.botToken, {
            apiRoot: config.cloudApiRoot,
            timeoutSeconds: 20,
        });
        await cloud.logOut();
        await db.query(
            `INSERT INTO ${table} (key, value) VALUES ($1, $2::jsonb) ON CONFLICT (key) DO NOTHING`,
            [key, JSON.stringify({ at: new Date().toISOString() })],
        );
        log.info("logged out from the cloud Bot API (done once, remembered)");
    } catch (error) {
        log.warn({ err: describe(error) }, "cloud logOut failed; will try again at next start");
    }
}
