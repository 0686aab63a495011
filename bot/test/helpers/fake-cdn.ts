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
}

export type Fault = { status: number } | { hang: true } | { truncate: true } | { delayMs: number };

export interface CdnRequest {
    method: string;
    path: string;
    nm?: number;
    start: number;
    end?: number;
}

const WEBP = Buffer.from("RIFF\x24\x00\x00\x00WEBPVP8 fake-photo-bytes", "latin1");

/**
 * A loopback fake of the WB static CDN. Hosts are path prefixes (`/basket-NN/...`,
 * `/videonme-basket-NN/...`) so one server stands in for all shards. Serves photos, card.json and
 * the HLS fixture made by real ffmpeg; injects faults by path pattern; counts requests and the
 * peak number in flight.
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
    url = "";

    constructor(private readonly hlsDir: string) {}

    async start(): Promise<void> {
        this.server = createServer((req, res) => void this.handle(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    }

    async stop(): Promise<void> {
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
        };
        this.requests.push(record);
        this.inFlight += 1;
        this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
        res.on("close", () => {
            this.inFlight -= 1;
            record.end = Date.now();
        });
        let delay = this.delayMs + (path.endsWith(".ts") ? this.segmentDelayMs : 0);
        let truncate = false;
        for (const { pattern, fault } of this.faults) {
            if (!pattern.test(path)) continue;
            if ("hang" in fault) return; // never answers; the client must time out
            if ("status" in fault) return void setTimeout(() => send(res, fault.status), delay);
            if ("truncate" in fault) truncate = true;
            if ("delayMs" in fault) delay += fault.delayMs;
        }
        if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
        const found = this.resolve(path, truncate);
        if (!found) return send(res, 404);
        send(res, 200, req.method === "HEAD" ? undefined : found.body, found.type);
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
            return Number(index) >= 1 && Number(index) <= p.photos
                ? { body: WEBP, type: "image/webp" }
                : undefined;
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

function send(res: ServerResponse, status: number, body?: Buffer, type = "text/plain"): void {
    if (res.writableEnded) return;
    res.writeHead(status, {
        "content-type": type,
        ...(body ? { "content-length": body.length } : {}),
    });
    res.end(body);
}
