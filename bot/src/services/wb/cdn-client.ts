import { createHash } from "node:crypto";
import { CdnError, HostNotAllowedError } from "../../errors.js";
import { hostAllowed } from "./host-allow-list.js";
import { Semaphore } from "../semaphore.js";

export interface CdnLimits {
    allowedHosts: string[];
    timeoutMs: number;
    maxRequestsPerArticle: number;
    maxInFlight: number;
}

/** What identifies a response's content to the CDN (RFC 9110 8.8.2 Last-Modified, 8.8.3 ETag). */
export interface Validator {
    etag?: string;
    lastModified?: string;
}

export interface CdnReply {
    /** HTTP status (304 for an unchanged conditional request), or 0 when the request failed. */
    status: number;
    body?: Buffer;
    /** The validators of a 200 or 304 reply. */
    validator?: Validator;
}

/** Ran out of time for the whole lookup (the session's deadline). */
export class DeadlineError extends CdnError {
    constructor() {
        super("the WB CDN did not answer within the lookup deadline");
        this.name = "DeadlineError";
    }
}

/**
 * All CDN traffic for one article goes through one session: it refuses hosts outside the
 * allow-list, never sends more than `maxRequestsPerArticle` requests, keeps at most `maxInFlight`
 * of them open (bot-spec 10.1.4, 10.1.7) and, with a deadline, makes no request after it and cuts
 * the ones still open at it. Redirects are never followed.
 */
export class CdnSession {
    private used = 0;
    private readonly slots: Semaphore;
    private readonly deadline?: number;

    constructor(
        private readonly limits: CdnLimits,
        private readonly signal?: AbortSignal,
        deadlineMs?: number,
    ) {
        this.slots = new Semaphore(limits.maxInFlight);
        if (deadlineMs !== undefined) this.deadline = Date.now() + deadlineMs;
    }

    get requestsUsed(): number {
        return this.used;
    }

    get requestsLeft(): number {
        return this.limits.maxRequestsPerArticle - this.used;
    }

    /** A HEAD; with `known`, a conditional one (304 = unchanged). */
    head(url: string, known?: Validator): Promise<CdnReply> {
        return this.request(url, "HEAD", 0, known);
    }

    /** A GET of at most `maxBytes`; with `known`, a conditional one (304 = unchanged, no body). */
    get(url: string, maxBytes: number, known?: Validator): Promise<CdnReply> {
        return this.request(url, "GET", maxBytes, known);
    }

    private async request(
        url: string,
        method: string,
        maxBytes: number,
        known?: Validator,
    ): Promise<CdnReply> {
        assertAllowed(url, this.limits.allowedHosts);
        if (this.used >= this.limits.maxRequestsPerArticle) {
            throw new CdnError(
                `CDN request budget of ${this.limits.maxRequestsPerArticle} requests is used up`,
            );
        }
        this.checkDeadline();
        this.used += 1;
        const release = await this.slots.acquire(this.signal);
        try {
            this.checkDeadline();
            const timeoutMs = Math.min(this.limits.timeoutMs, this.msLeft());
            return await fetchOnce(url, method, maxBytes, timeoutMs, known, this.signal);
        } finally {
            release();
        }
    }

    private msLeft(): number {
        return this.deadline === undefined ? Infinity : Math.max(1, this.deadline - Date.now());
    }

    private checkDeadline(): void {
        if (this.deadline !== undefined && Date.now() >= this.deadline) throw new DeadlineError();
    }
}

export function assertAllowed(url: string, allowedHosts: readonly string[]): void {
    if (!URL.canParse(url) || !hostAllowed(new URL(url), allowedHosts)) {
        throw new HostNotAllowedError(url);
    }
}

/** Request headers of a conditional request (RFC 9110 13.1.2 If-None-Match wins, 13.1.3). */
export function conditionalHeaders(known?: Validator): Record<string, string> {
    if (known?.etag) return { "if-none-match": known.etag };
    if (known?.lastModified) return { "if-modified-since": known.lastModified };
    return {};
}

/** One retry, 200 ms later, of a request that failed or got a 5xx. */
export async function retryOnce(request: () => Promise<CdnReply>): Promise<CdnReply> {
    const first = await request();
    if (first.status !== 0 && first.status < 500) return first;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return request();
}

export function sha256(data: Buffer | string): string {
    return createHash("sha256").update(data).digest("hex");
}

async function fetchOnce(
    url: string,
    method: string,
    maxBytes: number,
    timeoutMs: number,
    known: Validator | undefined,
    signal?: AbortSignal,
): Promise<CdnReply> {
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    try {
        const res = await fetch(url, {
            method,
            redirect: "manual",
            signal: combined,
            headers: conditionalHeaders(known),
        });
        const validator = validatorOf(res);
        if (method === "HEAD" || res.status !== 200) {
            await res.body?.cancel();
            return res.status === 200 || res.status === 304
                ? { status: res.status, validator }
                : { status: res.status };
        }
        return { status: res.status, body: await readLimited(res, maxBytes), validator };
    } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (error instanceof CdnError) throw error;
        return { status: 0 };
    }
}

function validatorOf(res: Response): Validator | undefined {
    const etag = res.headers.get("etag") ?? undefined;
    const lastModified = res.headers.get("last-modified") ?? undefined;
    return etag || lastModified ? { etag, lastModified } : undefined;
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
