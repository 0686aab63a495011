import type { Api } from "grammy";
import type { Logger } from "pino";
import type { Analytics } from "../services/storage/analytics.js";
import type { UserInfo } from "../services/events.js";
import { errorText } from "../services/storage/db.js";
import { dayWindow, msUntilNextMidnight, previousDay } from "../services/moscow-time.js";
import { texts } from "../texts.js";
import { describe } from "./status-message.js";

const DIGEST_RETRY_MS = 5 * 60_000;
const DIGEST_ATTEMPTS = 12;

/** Posts to the analytics channel: new-user notices and the daily digest at 00:00 Moscow. */
export class AnalyticsChannel {
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly api: Api,
        private readonly channelId: string,
        private readonly analytics: () => Analytics,
        private readonly log: Logger,
    ) {}

    notifyNewUser(user: UserInfo): void {
        this.api
            .sendMessage(this.channelId, texts.newUser(user))
            .catch((e: unknown) => this.log.warn({ err: describe(e) }, "new-user notice failed"));
    }

    /** Sends the digest of one Moscow calendar day (YYYY-MM-DD). */
    async sendDigest(date: string): Promise<void> {
        const { start, end } = dayWindow(date);
        const stats = await this.analytics().dailyStats(start, end);
        const [y, m, d] = date.split("-");
        await this.api.sendMessage(this.channelId, texts.digest(`${d}.${m}.${y}`, stats));
        this.log.info({ date, stats }, "daily digest sent");
    }

    startSchedule(now: () => Date = () => new Date()): void {
        const delay = msUntilNextMidnight(now());
        this.timer = setTimeout(() => {
            void this.runDigest(previousDay(now()), 1);
            this.startSchedule(now);
        }, delay + 1000);
        this.timer.unref();
    }

    stop(): void {
        if (this.timer) clearTimeout(this.timer);
    }

    private async runDigest(date: string, attempt: number): Promise<void> {
        try {
            await this.sendDigest(date);
        } catch (error) {
            this.log.warn({ date, attempt, err: errorText(error) }, "daily digest failed");
            if (attempt < DIGEST_ATTEMPTS) {
                setTimeout(() => void this.runDigest(date, attempt + 1), DIGEST_RETRY_MS).unref();
            }
        }
    }
}
