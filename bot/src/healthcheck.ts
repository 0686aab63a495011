import { tmpdir } from "node:os";
import { join } from "node:path";
import { heartbeatAge } from "./heartbeat.js";

// Docker HEALTHCHECK: healthy while the polling loop has finished a getUpdates round recently.
// The database is deliberately not checked: without it the bot degrades but keeps serving.
const file = process.env.HEARTBEAT_FILE || join(tmpdir(), "mpcabinet-bot.heartbeat");
const maxAgeMs = Number(process.env.HEALTH_MAX_AGE_SECONDS || 120) * 1000;

const age = await heartbeatAge(file);
if (age === undefined) {
    console.error(`unhealthy: no heartbeat in ${file} (polling has not started)`);
    process.exit(1);
}
if (age > maxAgeMs) {
    console.error(`unhealthy: last getUpdates round ${Math.round(age / 1000)} s ago`);
    process.exit(1);
}
console.log(`healthy: last getUpdates round ${Math.round(age / 1000)} s ago`);
