/**
 * A small client for the Timeweb Cloud REST API (https://api.timeweb.cloud/api/v1, bearer JWT).
 *
 * It runs inside Pulumi's dynamic-provider process, which receives the provider as serialized
 * source. So everything here is plain functions over plain data: no classes holding sockets, no
 * module-level state, and only Node globals (`fetch`, `setTimeout`, `AbortSignal`).
 */

/** How requests are retried; all fields are plain numbers so the options serialize. */
export interface RetryPolicy {
    /** Attempts in total, the first one included. */
    readonly maxAttempts: number;
    /** First backoff step in ms; step n waits up to baseDelayMs * 2^(n-1). */
    readonly baseDelayMs: number;
    /** Upper bound for any single wait, Retry-After included. */
    readonly maxDelayMs: number;
}

/** Everything a call needs besides the request itself. */
export interface ApiContext {
    /** API root without the `/api/v1` suffix, e.g. `https://api.timeweb.cloud`. */
    readonly endpoint: string;
    /** The bearer token; never printed, never part of an error message. */
    readonly token: string;
    readonly retry: RetryPolicy;
    /** Per-request timeout in ms. */
    readonly requestTimeoutMs: number;
    /** Injected in tests to record waits instead of sleeping. */
    readonly sleep?: (ms: number) => Promise<void>;
    /** Injected in tests to make jitter deterministic; returns [0, 1). */
    readonly random?: () => number;
}

export const DEFAULT_ENDPOINT = "https://api.timeweb.cloud";

export const DEFAULT_RETRY: RetryPolicy = {
    maxAttempts: 6,
    baseDelayMs: 1_000,
    maxDelayMs: 30_000,
};

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/** A failed API call. `message` names the call, the status, Timeweb's message and response_id. */
export interface TimewebApiError extends Error {
    readonly status: number;
    readonly errorCode?: string;
    readonly responseId?: string;
    readonly apiMessage?: string;
}

export function isTimewebApiError(error: unknown): error is TimewebApiError {
    return error instanceof Error && typeof (error as { status?: unknown }).status === "number";
}

/** Builds the error thrown for a non-2xx answer. Exported for tests of the wording. */
export function apiError(
    method: HttpMethod,
    path: string,
    status: number,
    body: unknown,
): TimewebApiError {
    const fields = (typeof body === "object" && body !== null ? body : {}) as Record<
        string,
        unknown
    >;
    const rawMessage = fields.message;
    const apiMessage = Array.isArray(rawMessage)
        ? rawMessage.map(String).join("; ")
        : typeof rawMessage === "string"
          ? rawMessage
          : undefined;
    const errorCode = typeof fields.error_code === "string" ? fields.error_code : undefined;
    const responseId = typeof fields.response_id === "string" ? fields.response_id : undefined;
    const parts = [`Timeweb API ${method} ${path} failed with HTTP ${status}`];
    if (errorCode) parts.push(`(${errorCode})`);
    let text = parts.join(" ");
    if (apiMessage) text += `: ${apiMessage}`;
    if (responseId) text += ` [response_id ${responseId}; quote it to Timeweb support]`;
    text += `. ${hintFor(status)}`;
    const error = new Error(text) as Error & Record<string, unknown>;
    error.status = status;
    error.errorCode = errorCode;
    error.responseId = responseId;
    error.apiMessage = apiMessage;
    return error as unknown as TimewebApiError;
}

function hintFor(status: number): string {
    if (status === 401) {
        return (
            "The token was rejected: create a new one in the panel (API и Terraform) and run " +
            "`pulumi config set --secret timeweb:token <token>`."
        );
    }
    if (status === 403)
        return "The token lacks the permission for this action; check its scope in the panel.";
    if (status === 404)
        return "The resource does not exist (deleted outside Pulumi?); run `pulumi refresh`.";
    if (status === 409) return "The resource is busy; retry once it settles.";
    if (status === 423) {
        return (
            "Timeweb locks this action for the account (e.g. deletions confirmed by SMS or " +
            "Telegram); lift the lock in the panel, retrying does not help."
        );
    }
    if (status === 429) return "Rate limited and out of retries; wait a minute and run again.";
    if (status >= 500) return "Timeweb had an internal error and retries ran out; try again later.";
    return "Fix the request values named above in the `timeweb` stack config.";
}

/** 429 is always safe to repeat; a 5xx answer to a POST may mean the object was created anyway. */
export function isRetryable(method: HttpMethod, status: number): boolean {
    if (status === 429) return true;
    if (status < 500) return false;
    if (method !== "POST") return true;
    return status === 503;
}

/** Retry-After in ms (seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null, nowMs: number): number | undefined {
    if (header === null || header.trim() === "") return undefined;
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(header);
    if (Number.isNaN(date)) return undefined;
    return Math.max(0, date - nowMs);
}

/** Full-jitter exponential backoff for attempt n (1-based), capped at maxDelayMs. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
    const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
    return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Sends one API call, retrying 429 (honouring Retry-After, capped) and 5xx with exponential
 * backoff plus jitter, at most `retry.maxAttempts` times. Resolves to the parsed JSON body
 * (undefined for 204 / empty bodies); throws a TimewebApiError for any other answer.
 */
export async function callApi<T>(
    ctx: ApiContext,
    method: HttpMethod,
    path: string,
    body?: unknown,
): Promise<T> {
    const sleep =
        ctx.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const random = ctx.random ?? Math.random;
    const url = `${ctx.endpoint.replace(/\/+$/, "")}/api/v1${path}`;
    for (let attempt = 1; ; attempt++) {
        let response: Response;
        try {
            response = await fetch(url, {
                method,
                headers: {
                    Authorization: `Bearer ${ctx.token}`,
                    Accept: "application/json",
                    ...(body === undefined ? {} : { "Content-Type": "application/json" }),
                },
                body: body === undefined ? undefined : JSON.stringify(body),
                signal: AbortSignal.timeout(ctx.requestTimeoutMs),
            });
        } catch (cause) {
            // Without an answer a POST may or may not have happened; only repeat the others.
            if (method !== "POST" && attempt < ctx.retry.maxAttempts) {
                await sleep(backoffDelay(ctx.retry, attempt, random));
                continue;
            }
            const reason = cause instanceof Error ? cause.message : String(cause);
            throw new Error(
                `Timeweb API ${method} ${path} got no answer (${reason}). ` +
                    "Check the network and run again.",
                { cause },
            );
        }
        const text = await response.text();
        const parsed = parseJson(text);
        if (response.ok) return parsed as T;
        if (isRetryable(method, response.status) && attempt < ctx.retry.maxAttempts) {
            const hinted =
                response.status === 429
                    ? parseRetryAfter(response.headers.get("retry-after"), Date.now())
                    : undefined;
            const wait =
                hinted === undefined
                    ? backoffDelay(ctx.retry, attempt, random)
                    : Math.min(ctx.retry.maxDelayMs, hinted);
            await sleep(wait);
            continue;
        }
        throw redact(apiError(method, path, response.status, parsed), ctx.token);
    }
}

/** Removes the token from an error's text, in case an answer echoed it back. */
function redact<E extends Error>(error: E, token: string): E {
    if (token.length > 0 && error.message.includes(token)) {
        error.message = error.message.split(token).join("[redacted]");
        const fields = error as unknown as Record<string, unknown>;
        if (typeof fields.apiMessage === "string") {
            fields.apiMessage = fields.apiMessage.split(token).join("[redacted]");
        }
    }
    return error;
}

function parseJson(text: string): unknown {
    if (text.trim() === "") return undefined;
    try {
        return JSON.parse(text);
    } catch {
        return { message: text.slice(0, 300) };
    }
}
