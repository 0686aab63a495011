import type { Logger } from "pino";
import type { EventType, UserInfo } from "./events.js";
import { callJson } from "./http-json.js";

export interface ServiceEndpoint {
    url: string;
    timeoutMs: number;
    apiKey?: string;
}

/**
 * The optional API gateway (bot-spec 8.3): `/start` also registers the user there. The local
 * shared.users upsert always runs too, so is_new comes from the database (the gateway's reply
 * has no such field: the reference's "always new" bug, 10.2.17). Fire-and-forget.
 */
export class GatewayClient {
    constructor(
        private readonly endpoint: ServiceEndpoint,
        private readonly log: Logger,
    ) {}

    register(user: UserInfo): void {
        const body: Record<string, unknown> = { telegram_id: user.id };
        if (user.username) body.username = user.username;
        if (user.firstName) body.first_name = user.firstName;
        callJson(`${this.endpoint.url}/api/users/`, {
            method: "POST",
            body,
            timeoutMs: this.endpoint.timeoutMs,
            bearer: this.endpoint.apiKey,
        }).catch((error: unknown) =>
            this.log.warn({ err: (error as Error).message }, "gateway registration failed"),
        );
    }
}

/**
 * The optional analytics-service (bot-spec 8.5): a copy of every event, `user_start` included
 * (10.2.17), as `POST /events`. The local tables stay the source of truth (the digest reads them,
 * so its numbers mean the same in both modes); a failed copy is retried once and then logged.
 */
export class AnalyticsServiceClient {
    constructor(
        private readonly endpoint: ServiceEndpoint,
        private readonly log: Logger,
    ) {}

    record(telegramId: number, type: EventType, data: Record<string, unknown> | null): void {
        const body: Record<string, unknown> = { telegram_id: telegramId, event_type: type };
        if (data !== null) body.event_data = data;
        const send = () =>
            callJson(`${this.endpoint.url}/events`, {
                method: "POST",
                body,
                timeoutMs: this.endpoint.timeoutMs,
            });
        send()
            .catch(async () => {
                await new Promise((resolve) => setTimeout(resolve, 1000));
                return send();
            })
            .catch((error: unknown) =>
                this.log.warn(
                    { err: (error as Error).message, type },
                    "analytics-service copy failed",
                ),
            );
    }
}
