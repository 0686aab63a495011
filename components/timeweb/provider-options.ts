import { ApiContext, DEFAULT_ENDPOINT, DEFAULT_RETRY, RetryPolicy } from "./api-client";

/**
 * Knobs shared by the Timeweb dynamic providers. Production uses the defaults; tests point
 * `endpoint` at a loopback fake and inject `sleep`/`random`/`now` so no test waits for real.
 * Everything but the test hooks is plain data, so a provider closing over it serializes.
 */
export interface ProviderOptions {
    /** API root; default https://api.timeweb.cloud. */
    readonly endpoint?: string;
    /** Retry policy for 429/5xx; default 6 attempts, 1 s base, 30 s cap. */
    readonly retry?: RetryPolicy;
    /** Per-request timeout; default 30 s. */
    readonly requestTimeoutMs?: number;
    /** Pause between status polls; default 5 s. */
    readonly pollIntervalMs?: number;
    /** How long a server may take to reach `on`; default 15 min. */
    readonly createTimeoutMs?: number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly random?: () => number;
    /** Clock for deadlines; tests pair it with `sleep` so waiting takes no real time. */
    readonly now?: () => number;
}

export function apiContext(options: ProviderOptions, token: string): ApiContext {
    if (typeof token !== "string" || token.trim() === "") {
        throw new Error(
            "No Timeweb API token: run `pulumi config set --secret timeweb:token <token>` " +
                "(create the token in the Timeweb panel under API и Terraform).",
        );
    }
    return {
        endpoint: options.endpoint ?? DEFAULT_ENDPOINT,
        token,
        retry: options.retry ?? DEFAULT_RETRY,
        requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
        sleep: options.sleep,
        random: options.random,
    };
}

export function sleeper(options: ProviderOptions): (ms: number) => Promise<void> {
    return (
        options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
    );
}

/** Error for a create that succeeded at the API but failed afterwards: Pulumi keeps the id. */
export function initFailed(id: string, properties: object, reason: string): Error {
    const error = new Error(reason) as Error & Record<string, unknown>;
    error.id = id;
    error.properties = properties;
    error.reasons = [reason];
    return error;
}

/**
 * The object without its `undefined` entries. A dynamic provider's outputs cross gRPC as a
 * protobuf Struct, which has no `undefined`: one such entry fails the whole create or update
 * ("Unexpected struct type." from Struct.fromJavaScript in @pulumi/pulumi's cmd/dynamic-provider).
 */
export function withoutUndefined<T extends object>(value: T): T {
    return Object.fromEntries(
        Object.entries(value).filter(([, entry]) => entry !== undefined),
    ) as T;
}

/** Sorted copy of unique numbers/strings, so list order never shows up as a diff. */
export function sortedUnique<T extends string | number>(values: readonly T[] | undefined): T[] {
    return [...new Set(values ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function sameList<T extends string | number>(
    a: readonly T[] | undefined,
    b: readonly T[] | undefined,
) {
    const left = sortedUnique(a);
    const right = sortedUnique(b);
    return left.length === right.length && left.every((value, index) => value === right[index]);
}
