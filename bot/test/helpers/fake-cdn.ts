import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";

export interface FakeProduct {
    nm: number;
    photoBasket: number;
    photos: number;
    /** card.json body; null = no card.json (404). */
    card?: Record<string, unknown> | null;
    video?: { basket: number; vol: number; rendition: string };
    /** Photo index -> revision: a seller replaced that photo (new bytes, new validators). */
    photoRevisions?: Record<number, number>;
}

export type Fault =
    | { status: number }
    | { hang: true }
    | { truncate: true }
    | { delayMs: number }
    /** 302 to this URL (any host). */
    | { redirect: string }
    /** Headers and half the body, then silence: a stalled download. */
    | { stall: true };

/** Which validators the fake sends (real CDNs send both; some only one). */
export type ValidatorMode = "etag" | "last-modified" | "both" | "none";

export interface CdnRequest {
    method: string;
    path: string;
    nm?: number;
    start: number;
    end?: number;
    /** The status sent (undefined while open or when the fake never answered). */
    status?: number;
    /** Carried If-None-Match or If-Modified-Since. */
    conditional: boolean;
}

const WEBP = Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8 fake-photo-bytes", "latin1");

/**
 * A loopback fake of the WB static CDN. Hosts are path prefixes (`/basket-NN/...`,
 * `/videonme-basket-NN/...`) so one server stands in for all shards. Serves photos, card.json and
 * the HLS fixture made by real ffmpeg; injects faults by path pattern; counts requests and the
 * peak number in flight.
 *
 * Validators and conditional requests behave as an HTTP origin must (RFC 9110): a 200 to GET or
 * HEAD carries a strong ETag (8.8.3, a hash of the body) and Last-Modified (8.8.2, the time this
 * body was first served); If-None-Match is evaluated first with the weak comparison (13.1.2, 13.2.2)
 * and If-Modified-Since only without it (13.1.3); a true precondition on GET/HEAD gives 304 with
 * no body (15.4.5), carrying the ETag (or Last-Modified when there is no ETag).
 */
export class FakeCdn {
    readonly requests: CdnRequest[] = [];
    private readonly products = new Map<number, FakeProduct>();
    private readonly faults: Array<{ pattern: RegExp; fault: Fault }> = [];
    private server?: Server;
    private inFlight = 0;
    peakInFlight = 0;
    /** Added to every response, to make concurrency observable. */
    delayMs = 0;
    /** Added to each .ts segment response (slow video downloads). */
    segmentDelayMs = 0;
    validators: ValidatorMode = "both";
    private readonly firstServed = new Map<string, { hash: string; at: Date }>();
    private readonly stalled = new Set<ServerResponse>();
    url = "";

    constructor(private readonly hlsDir: string) {}

    async start(): Promise<void> {
        this.server = createServer((req, res) => void this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    }

    async stop(): Promise<void> {
        for (const res of this.stalled) res.destroy();
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }

    get photoTemplate(): string {
        return `${this.url}/basket-{NN}`;
    }

    get videoTemplate(): string {
        return `${this.url}/videonme-basket-{NN}`;
    }

    add(product: FakeProduct): void {
        this.products.set(product.nm, product);
    }

    /** A seller's edit: the product's data changes from the next request on. */
    update(nm: number, change: Partial<FakeProduct>): void {
        const product = this.products.get(nm);
        if (!product) throw new Error(`no fake product ${nm}`);
        this.products.set(nm, { ...product, ...change });
    }

    fault(pattern: RegExp, fault: Fault): void {
        this.faults.push({ pattern, fault });
    }

    clearFaults(): void {
        this.faults.length = 0;
    }

    requestsFor(nm: number): CdnRequest[] {
        return this.requests.filter((r) => r.nm === nm);
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const path = req.url ?? "";
        const nmMatch = /\/(\d{5,})\/(?:images|info|hls)\//.exec(path);
        const record: CdnRequest = {
            method: req.method ?? "GET",
            path,
            nm: nmMatch ? Number(nmMatch[1]) : undefined,
            start: Date.now(),
            conditional:
                req.headers["if-none-match"] !== undefined ||
                req.headers["if-modified-since"] !== undefined,
        };
        this.requests.push(record);
        this.inFlight += 1;
        this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
        res.on("close", () => {
            this.inFlight -= 1;
            record.end = Date.now();
            if (res.writableEnded) record.status = res.statusCode;
        });
        let delay = this.delayMs + (path.endsWith(".ts") ? this.segmentDelayMs : 0);
        let truncate = false;
        let stall = false;
        for (const { pattern, fault } of this.faults) {
            if (!pattern.test(path)) continue;
            if ("hang" in fault) return; // never answers; the client must time out
            if ("status" in fault) return void setTimeout(() => send(res, fault.status), delay);
            if ("redirect" in fault) {
                return void setTimeout(() => {
                    res.writeHead(302, { location: fault.redirect, "content-length": 0 });
                    res.end();
                }, delay);
            }
            if ("truncate" in fault) truncate = true;
            if ("stall" in fault) stall = true;
            if ("delayMs" in fault) delay += fault.delayMs;
        }
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        // The query string does not select content (as on a static CDN).
        const found = this.resolve(path.split("?")[0]!, truncate);
        if (!found) return send(res, 404);
        if (stall) {
            res.writeHead(200, { "content-type": found.type, "content-length": found.body.length });
            res.write(found.body.subarray(0, Math.floor(found.body.length / 2)));
            this.stalled.add(res);
            res.on("close", () => this.stalled.delete(res));
            return;
        }
        const validators = this.validatorsOf(path, found.body);
        if (notModified(req, validators)) {
            const kept = validators.etag ? { etag: validators.etag } : validators;
            return send(res, 304, undefined, undefined, kept);
        }
        const body = req.method === "HEAD" ? undefined : found.body;
        send(res, 200, body, found.type, { ...validators, "content-length": found.body.length });
    }

    private validatorsOf(path: string, body: Buffer): Record<string, string> {
        const hash = createHash("sha256").update(body).digest("hex").slice(0, 20);
        let served = this.firstServed.get(path);
        if (served?.hash !== hash) {
            // HTTP dates have one-second resolution: a change within the same second as the
            // previous body would be invisible to If-Modified-Since, so it is a second later.
            const at = new Date(Math.max(Date.now(), (served?.at.getTime() ?? 0) + 1000));
            served = { hash, at };
            this.firstServed.set(path, served);
        }
        const out: Record<string, string> = {};
        if (this.validators === "etag" || this.validators === "both") out.etag = `"${hash}"`;
        if (this.validators === "last-modified" || this.validators === "both") {
            out["last-modified"] = served.at.toUTCString();
        }
        return out;
    }

    private resolve(path: string, truncate: boolean): { body: Buffer; type: string } | undefined {
        const photo =
            /^\/basket-(\d+)\/vol(\d+)\/part(\d+)\/(\d+)\/(images\/big\/(\d+)\.webp|info\/ru\/card\.json)$/.exec(
                path,
            );
        if (photo) {
            const [, basket, vol, part, nm, what, index] = photo;
            const p = this.products.get(Number(nm));
            if (!p || p.photoBasket !== Number(basket)) return undefined;
            if (
                Number(vol) !== Math.floor(p.nm / 100_000) ||
                Number(part) !== Math.floor(p.nm / 1000)
            ) {
                return undefined;
            }
            if (what!.startsWith("info")) {
                return p.card
                    ? { body: Buffer.from(JSON.stringify(p.card)), type: "application/json" }
                    : undefined;
            }
            const i = Number(index);
            if (i < 1 || i > p.photos) return undefined;
            const revision = p.photoRevisions?.[i] ?? 0;
            return {
                body: Buffer.concat([WEBP, Buffer.from(`:${p.nm}:${i}:${revision}`)]),
                type: "image/webp",
            };
        }
        const video =
            /^\/videonme-basket-(\d+)\/vol(\d+)\/part(\d+)\/(\d+)\/hls\/(\w+)\/([\w.]+)$/.exec(
                path,
            );
        if (video) {
            const [, basket, vol, part, nm, rendition, file] = video;
            const v = this.products.get(Number(nm))?.video;
            if (
                !v ||
                v.basket !== Number(basket) ||
                v.vol !== Number(vol) ||
                v.rendition !== rendition
            ) {
                return undefined;
            }
            if (Number(part) !== Math.floor(Number(nm) / 10_000)) return undefined;
            if (!/^(index\.m3u8|seg\d{3}\.ts)$/.test(file!)) return undefined;
            try {
                let body = readFileSync(join(this.hlsDir, file!));
                if (truncate) body = body.subarray(0, Math.floor(body.length / 2));
                return {
                    body,
                    type: file!.endsWith(".ts") ? "video/mp2t" : "application/vnd.apple.mpegurl",
                };
            } catch {
                return undefined;
            }
        }
        return undefined;
    }
}

/** RFC 9110 13.2.2: If-None-Match (weak comparison) first, else If-Modified-Since. */
function notModified(req: IncomingMessage, validators: Record<string, string>): boolean {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const ifNoneMatch = req.headers["if-none-match"];
    if (ifNoneMatch !== undefined) {
        if (!validators.etag) return false;
        const weak = (tag: string) => tag.trim().replace(/^W\//, "");
        const tags = ifNoneMatch.split(",").map(weak);
        return tags.includes("*") || tags.includes(weak(validators.etag));
    }
    const since = req.headers["if-modified-since"];
    const modified = validators["last-modified"];
    if (since === undefined || !modified) return false;
    const sinceMs = Date.parse(since);
    return Number.isFinite(sinceMs) && Date.parse(modified) <= sinceMs;
}

function send(
    res: ServerResponse,
    status: number,
    body?: Buffer,
    type = "text/plain",
    headers: Record<string, string | number> = {},
): void {
    if (res.writableEnded) return;
    res.writeHead(status, {
        "content-type": type,
        ...(body ? { "content-length": body.length } : {}),
        ...headers,
    });
    res.end(body);
}
