import { CdnError, HostNotAllowedError } from "../../errors.js";
import { hostAllowed } from "./host-allow-list.js";
import { Semaphore } from "../semaphore.js";

export interface CdnLimits {
    allowedHosts: string[];
    timeoutMs: number;
    maxRequestsPerArticle: number;
    maxInFlight: number;
}

export interface CdnReply {
    /** HTTP status, or 0 when the request failed (network error, timeout). */
    status: number;
    body?: Buffer;
}

/**
 * All CDN traffic for one article goes through one session: it refuses hosts outside the
 * allow-list, never sends more than `maxRequestsPerArticle` requests and keeps at most
 * `maxInFlight` of them open (bot-spec 10.1.4, 10.1.7).
 */
export class CdnSession {
    private used = 0;
    private readonly slots: Semaphore;

    constructor(
        private readonly limits: CdnLimits,
        private readonly signal?: AbortSignal,
    ) {
        this.slots = new Semaphore(limits.maxInFlight);
    }

    get requestsUsed(): number {
        return this.used;
    }

    get requestsLeft(): number {
        return this.limits.maxRequestsPerArticle - this.used;
    }

    head(url: string): Promise<CdnReply> {
        return this.request(url, "HEAD", 0);
    }

    get(url: string, maxBytes: number): Promise<CdnReply> {
        return this.request(url, "GET", maxBytes);
    }

    private async request(url: string, method: string, maxBytes: number): Promise<CdnReply> {
        assertAllowed(url, this.limits.allowedHosts);
        if (this.used >= this.limits.maxRequestsPerArticle) {
            throw new CdnError(
                `CDN request budget of ${this.limits.maxRequestsPerArticle} requests is used up`,
            );
        }
        this.used += 1;
        const release = await this.slots.acquire(this.signal);
        try {
            return await fetchOnce(url, method, maxBytes, this.limits.timeoutMs, this.signal);
        } finally {
            release();
        }
    }
}

export function assertAllowed(url: string, allowedHosts: readonly string[]): void {
    if (!URL.canParse(url) || !hostAllowed(new URL(url), allowedHosts)) {
        throw new HostNotAllowedError(url);
    }
}

async function fetchOnce(
    url: string,
    method: string,
    maxBytes: number,
    timeoutMs: number,
    signal?: AbortSignal,
): Promise<CdnReply> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
        const res = await fetch(url, { method, redirect: "manual", signal: combined });
        if (method === "HEAD" || res.status !== 200) {
            await res.body?.cancel();
            return { status: res.status };
        }
        return { status: res.status, body: await readLimited(res, maxBytes) };
    } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof CdnError) throw error;
        return { status: 0 };
    }
}

async function readLimited(res: Response, maxBytes: number): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let size = 0;
    // Node's types leave the chunks of a fetch body untyped; they are bytes.
    const body = (res.body ?? []) as AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
    for await (const chunk of body) {
        size += chunk.length;
        if (size > maxBytes) throw new CdnError(`response of ${res.url} exceeds ${maxBytes} bytes`);
        chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks);
}
