import type { Logger } from "pino";
import type { DigestStats } from "../../texts.js";
import { DbUnavailableError, errorText, type Database } from "./db.js";
import type { AnalyticsServiceClient } from "../ecosystem-services.js";
import type { EventType, UserInfo } from "../events.js";
import { naiveUtc } from "../moscow-time.js";

interface QueuedEvent {
    user: UserInfo;
    type: EventType;
    data: Record<string, unknown> | null;
    at: Date;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * Analytics events for shared.analytics_events. `track` never blocks or throws: events go into a
 * bounded in-memory queue, and one writer drains it in order. Each event upserts its user first
 * (so the foreign key never drops it) with the event's own time; while the database is down the
 * queue waits and the writer retries with backoff. `user_start` learns is_new from the upsert,
 * and only then is the new-user notice sent.
 */
export class Analytics {
    private readonly queue: QueuedEvent[] = [];
    private writer?: Promise<void>;
    private wake?: () => void;
    private stopping = false;
    private droppedCount = 0;

    constructor(
        private readonly db: Database | undefined,
        private readonly enabled: boolean,
        private readonly log: Logger,
        private readonly onNewUser: (user: UserInfo) => void,
        private readonly copy?: AnalyticsServiceClient,
        private readonly maxQueue = 10_000,
    ) {}

    get pending(): number {
        return this.queue.length;
    }

    get dropped(): number {
        return this.droppedCount;
    }

    track(user: UserInfo, type: EventType, data: Record<string, unknown> | null = null): void {
        if (!this.enabled || this.stopping) return;
        if (!this.db) return this.copy?.record(user.id, type, data);
        if (this.queue.length >= this.maxQueue) {
            this.queue.shift();
            this.droppedCount += 1;
            if (this.droppedCount % 100 === 1) {
                this.log.error({ dropped: this.droppedCount }, "analytics queue full; dropping");
            }
        }
        this.queue.push({ user, type, data, at: new Date() });
        this.kick();
    }

    /** Waits (up to timeoutMs) for the queue to drain, then stops the writer. */
    async stop(timeoutMs: number): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        while (this.queue.length > 0 && Date.now() < deadline && this.db?.available) {
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        this.stopping = true;
        this.wake?.();
        if (this.queue.length > 0) {
            this.log.warn({ pending: this.queue.length }, "analytics events not written at exit");
        }
    }

    async dailyStats(start: Date, end: Date): Promise<DigestStats> {
        if (!this.db) throw new DbUnavailableError("no DATABASE_URL");
        const window = "created_at >= $1 AND created_at < $2";
        const rows = await this.db.query<Record<string, string>>(
            `SELECT
                (SELECT count(*) FROM shared.users
                    WHERE first_seen >= $1 AND first_seen < $2) AS new_users,
                (SELECT count(*) FROM shared.users WHERE first_seen < $2) AS total_users,
                (SELECT count(DISTINCT telegram_id) FROM shared.analytics_events
                    WHERE event_type = 'user_start' AND event_data->>'is_new' = 'false'
                    AND ${window}) AS returning_users,
                (SELECT count(*) FROM shared.analytics_events
                    WHERE event_type = 'article_request' AND ${window}) AS article_requests,
                (SELECT coalesce(sum((event_data->>'count')::int), 0) FROM shared.analytics_events
                    WHERE event_type = 'photo_sent' AND ${window}) AS photos_sent,
                (SELECT count(DISTINCT event_data->>'nm_id') FROM shared.analytics_events
                    WHERE event_type = 'photo_sent' AND ${window}) AS unique_products,
                (SELECT count(*) FROM shared.analytics_events
                    WHERE event_type = 'video_sent' AND ${window}) AS videos_sent,
                (SELECT count(*) FROM shared.analytics_events
                    WHERE event_type = 'error' AND ${window}) AS errors`,
            [naiveUtc(start), naiveUtc(end)],
        );
        const r = rows[0]!;
        return {
            newUsers: Number(r.new_users),
            totalUsers: Number(r.total_users),
            returningUsers: Number(r.returning_users),
            articleRequests: Number(r.article_requests),
            photosSent: Number(r.photos_sent),
            uniqueProducts: Number(r.unique_products),
            videosSent: Number(r.videos_sent),
            errors: Number(r.errors),
        };
    }

    private kick(): void {
        if (this.wake) this.wake();
        this.writer ??= this.drain().finally(() => {
            this.writer = undefined;
        });
    }

    private async drain(): Promise<void> {
        let backoff = 500;
        while (this.queue.length > 0 && !this.stopping) {
            const event = this.queue[0]!;
            try {
                const { isNew, data } = await this.write(event);
                this.queue.shift();
                this.copy?.record(event.user.id, event.type, data);
                backoff = 500;
                if (isNew) this.onNewUser(event.user);
            } catch (error) {
                if (error instanceof DbUnavailableError) {
                    await this.sleep(backoff);
                    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
                } else {
                    this.queue.shift();
                    this.log.error({ err: errorText(error), type: event.type }, "event rejected");
                }
            }
        }
    }

    private sleep(ms: number): Promise<void> {
        return new Promise((resolve) => {
            const timer = setTimeout(done, ms);
            function done() {
                clearTimeout(timer);
                resolve();
            }
            this.wake = () => {
                this.wake = undefined;
                done();
            };
        });
    }

    /** Writes one event in one transaction; isNew = it registered a new user with /start. */
    private async write(
        event: QueuedEvent,
    ): Promise<{ isNew: boolean; data: Record<string, unknown> | null }> {
        const at = event.at.toISOString();
        return this.db!.transaction(async (client) => {
            const upsert = await client.query<{ is_new: boolean }>(
                `INSERT INTO shared.users
                    (telegram_id, username, first_name, last_name, first_seen, last_seen)
                 VALUES ($1, $2, $3, $4, $5::timestamptz AT TIME ZONE 'UTC',
                         $5::timestamptz AT TIME ZONE 'UTC')
                 ON CONFLICT (telegram_id) DO UPDATE SET
                    username = EXCLUDED.username,
                    first_name = EXCLUDED.first_name,
                    last_name = EXCLUDED.last_name,
                    last_seen = GREATEST(shared.users.last_seen, EXCLUDED.last_seen)
                 RETURNING (xmax = 0) AS is_new`,
                [
                    event.user.id,
                    event.user.username ?? null,
                    event.user.firstName ?? null,
                    event.user.lastName ?? null,
                    at,
                ],
            );
            const isNew = upsert.rows[0]?.is_new === true;
            const data = event.type === "user_start" ? { is_new: isNew } : event.data;
            await client.query(
                `INSERT INTO shared.analytics_events
                    (telegram_id, event_type, event_data, created_at)
                 VALUES ($1, $2, $3::jsonb, $4::timestamptz AT TIME ZONE 'UTC')`,
                [event.user.id, event.type, data === null ? null : JSON.stringify(data), at],
            );
            return { isNew: event.type === "user_start" && isNew, data };
        });
    }
}
