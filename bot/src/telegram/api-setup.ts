import { autoRetry } from "@grammyjs/auto-retry";
import type { Api } from "grammy";

const HTML_METHODS = new Set([
    "sendMessage",
    "editMessageText",
    "sendPhoto",
    "sendVideo",
    "editMessageCaption",
]);

/**
 * Transformers every Api instance of the bot gets: HTML as the default parse mode (all dynamic
 * text is escaped in texts.ts), and retries of 429 (after retry_after) and of 5xx/network errors,
 * with explicit limits.
 */
export function configureApi(api: Api): void {
    api.config.use(
        autoRetry({
            maxRetryAttempts: 3,
            maxDelaySeconds: 60,
            rethrowInternalServerErrors: false,
            rethrowHttpErrors: false,
        }),
    );
    api.config.use((prev, method, payload, signal) => {
        if (HTML_METHODS.has(method) && payload && !("parse_mode" in payload)) {
            payload = { ...payload, parse_mode: "HTML" };
        }
        return prev(method, payload, signal);
    });
}

type ApiSignal = NonNullable<Parameters<Api["sendMessage"]>[3]>;

/** grammY types signals with the abort-controller polyfill; Node's own works the same. */
export function apiSignal(signal: AbortSignal): ApiSignal {
    return signal as unknown as ApiSignal;
}
