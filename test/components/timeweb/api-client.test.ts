import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
    ApiContext,
    backoffDelay,
    callApi,
    isTimewebApiError,
    parseRetryAfter,
} from "../../../components/timeweb/api-client";
import { FakeTimewebApi } from "../../helpers/fake-timeweb-api";

let fake: FakeTimewebApi;
let waits: number[];

function context(overrides: Partial<ApiContext> = {}): ApiContext {
    return {
        endpoint: fake.url,
        token: fake.token,
        retry: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 20_000 },
        requestTimeoutMs: 5_000,
        sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
        },
        random: () => 0.5,
        ...overrides,
    };
}

async function failure(promise: Promise<unknown>): Promise<Error> {
    try {
        await promise;
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected the call to fail");
}

beforeAll(async () => {
    fake = await new FakeTimewebApi().start();
});
afterAll(async () => {
    await fake.close();
});
beforeEach(() => {
    waits = [];
    fake.requests.length = 0;
});

describe("callApi", () => {
    it("sends the bearer token and unwraps the JSON body", async () => {
        const answer = await callApi<{ servers_os: unknown[] }>(context(), "GET", "/os/servers");
        expect(answer.servers_os.length).toBeGreaterThan(0);
        expect(fake.requests[0]!.authorization).toBe(`Bearer ${fake.token}`);
        expect(waits).toEqual([]);
    });

    it("waits as long as Retry-After says after a 429, then succeeds", async () => {
        fake.failNext("GET", /^\/os\/servers$/, {
            status: 429,
            headers: { "Retry-After": "7" },
            body: { status_code: 429, error_code: "too_many_requests", message: "Rate limit" },
        });
        const answer = await callApi<{ servers_os: unknown[] }>(context(), "GET", "/os/servers");
        expect(answer.servers_os.length).toBeGreaterThan(0);
        expect(fake.calls("GET", "/os/servers")).toHaveLength(2);
        expect(waits).toEqual([7_000]);
    });

    it("caps Retry-After at maxDelayMs, backs off exponentially without one", async () => {
        fake.failNext(
            "GET",
            /^\/os\/servers$/,
            { status: 429, headers: { "Retry-After": "3600" } },
            { status: 429 },
            { status: 429 },
        );
        await callApi(context(), "GET", "/os/servers");
        // jitter 0.5 → 3/4 of the ceiling; ceilings 2 s and 4 s for attempts 2 and 3
        expect(waits).toEqual([20_000, 1_500, 3_000]);
    });

    it("retries a POST on 429 without creating twice", async () => {
        fake.failNext("POST", /^\/ssh-keys$/, { status: 429, headers: { "Retry-After": "1" } });
        await callApi(context(), "POST", "/ssh-keys", {
            name: "k",
            body: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFake",
            is_default: false,
        });
        expect(fake.calls("POST", "/ssh-keys")).toHaveLength(2);
        expect(fake.sshKeys.size).toBe(1);
        fake.sshKeys.clear();
    });

    it("retries 5xx on GET a bounded number of times, then reports it", async () => {
        const outage = {
            status: 502,
            body: { status_code: 502, error_code: "bad_gateway", message: "upstream down" },
        };
        fake.failNext("GET", /^\/presets\/servers$/, outage, outage, outage, outage);
        const error = await failure(callApi(context(), "GET", "/presets/servers"));
        expect(fake.calls("GET", "/presets/servers")).toHaveLength(4);
        expect(waits).toHaveLength(3);
        expect(error.message).toContain("HTTP 502");
        expect(error.message).toContain("upstream down");
        expect(error.message).toContain("retries ran out");
    });

    it("does not repeat a POST after a 500: the server may exist already", async () => {
        fake.failNext("POST", /^\/servers$/, {
            status: 500,
            body: { status_code: 500, error_code: "internal" },
        });
        const error = await failure(callApi(context(), "POST", "/servers", { name: "x" }));
        expect(fake.calls("POST", "/servers")).toHaveLength(1);
        expect(isTimewebApiError(error) && error.status).toBe(500);
    });

    it("shows a 4xx with message and response_id, never the token", async () => {
        const error = await failure(
            callApi(context(), "POST", "/ssh-keys", { name: "", body: "nope" }),
        );
        expect(isTimewebApiError(error)).toBe(true);
        expect(error.message).toMatch(/POST \/ssh-keys failed with HTTP 400 \(bad_request\)/);
        expect(error.message).toContain("name should not be empty; body must be an SSH key");
        expect(error.message).toMatch(/response_id [0-9a-f-]{36}/);
        expect(waits).toEqual([]);
        expect(error.message).not.toContain(fake.token);
    });

    it("redacts the token even when the API echoes it back", async () => {
        fake.failNext("GET", /^\/ssh-keys\/1$/, {
            status: 403,
            body: {
                status_code: 403,
                error_code: "forbidden",
                message: `token ${fake.token} is read-only`,
            },
        });
        const error = await failure(callApi(context(), "GET", "/ssh-keys/1"));
        expect(error.message).toContain("token [redacted] is read-only");
        expect(error.message).not.toContain(fake.token);
        expect(JSON.stringify(error)).not.toContain(fake.token);
    });

    it("tells the operator how to replace a rejected token", async () => {
        const error = await failure(
            callApi(context({ token: "wrong-token" }), "GET", "/os/servers"),
        );
        expect(error.message).toContain("HTTP 401");
        expect(error.message).toContain("pulumi config set --secret timeweb:token");
        expect(error.message).not.toContain("wrong-token");
    });
});

describe("retry arithmetic", () => {
    it("reads Retry-After as seconds or as an HTTP date", () => {
        expect(parseRetryAfter("12", 0)).toBe(12_000);
        expect(parseRetryAfter(new Date(60_000).toUTCString(), 0)).toBe(60_000);
        expect(parseRetryAfter(null, 0)).toBeUndefined();
        expect(parseRetryAfter("soon", 0)).toBeUndefined();
    });

    it("keeps jittered backoff between half and all of a capped exponential ceiling", () => {
        const policy = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 1_000 };
        expect(backoffDelay(policy, 1, () => 0)).toBe(50);
        expect(backoffDelay(policy, 3, () => 0.999)).toBeLessThanOrEqual(400);
        expect(backoffDelay(policy, 3, () => 0)).toBe(200);
        expect(backoffDelay(policy, 9, () => 0.999)).toBeLessThanOrEqual(1_000);
    });
});
