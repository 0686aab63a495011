import { randomBytes } from "node:crypto";
import {
    Agent as HttpAgent,
    createServer,
    request as httpRequest,
    type IncomingMessage,
    type Server,
    type ServerResponse,
} from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { VideoError } from "../../errors.js";
import { hostAllowed } from "../wb/host-allow-list.js";

export interface RelayOptions {
    allowedHosts: readonly string[];
    /** Longest wait for the CDN's next bytes (or its answer) before the job counts as stalled. */
    readTimeoutMs: number;
}

const MAX_REDIRECTS = 3;
/** Response headers ffmpeg needs to read ranges and sizes; nothing else is passed on. */
const PASSED_HEADERS = ["content-type", "content-length", "content-range", "accept-ranges"];

/**
 * ffmpeg never talks to the CDN. The playlist it reads points at this loopback relay (one per
 * job, a random path prefix), and the relay fetches each vetted URL itself: it follows a redirect
 * only to a host on the allow-list, hop by hop (ffmpeg 5.1 follows any redirect of an HLS segment
 * and has no option to stop it), and gives up when the CDN sends nothing for `readTimeoutMs`.
 * The first such failure aborts `failed`, so the job stops at once instead of limping on.
 */
export class SegmentRelay {
    private readonly controller = new AbortController();
    private readonly targets: string[] = [];
    private readonly prefix = `/${randomBytes(12).toString("hex")}/`;
    private readonly agents = {
        "http:": new HttpAgent({ keepAlive: true, maxSockets: 4 }),
        "https:": new HttpsAgent({ keepAlive: true, maxSockets: 4 }),
    };
    private server?: Server;
    private origin = "";

    constructor(private readonly o: RelayOptions) {}

    /** Aborted (with a VideoError as its reason) when a fetch was refused, failed or stalled. */
    get failed(): AbortSignal {
        return this.controller.signal;
    }

    async start(): Promise<void> {
        this.server = createServer((req, res) => this.serve(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        const port = typeof address === "object" && address ? address.port : 0;
        this.origin = `http://127.0.0.1:${port}`;
    }

    /** The loopback URL for a checked CDN URL, with its file name (ffmpeg checks extensions). */
    route(target: string): string {
        this.targets.push(target);
        const name = new URL(target).pathname.split("/").at(-1) || "file";
        return `${this.origin}${this.prefix}${this.targets.length - 1}/${encodeURIComponent(name)}`;
    }

    async close(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
        this.agents["http:"].destroy();
        this.agents["https:"].destroy();
    }

    private fail(reason: string): void {
        if (!this.controller.signal.aborted) {
            this.controller.abort(new VideoError("incomplete", `video download failed: ${reason}`));
        }
    }

    private serve(req: IncomingMessage, res: ServerResponse): void {
        const path = req.url ?? "";
        const index = path.startsWith(this.prefix)
            ? Number(path.slice(this.prefix.length).split("/")[0])
            : NaN;
        const target = Number.isInteger(index) ? this.targets[index] : undefined;
        if (!target || req.method !== "GET") {
            res.writeHead(404).end();
            return;
        }
        this.fetch(target, req.headers.range, MAX_REDIRECTS, res);
    }

    private fetch(
        url: string,
        range: string | undefined,
        redirectsLeft: number,
        res: ServerResponse,
    ): void {
        const target = new URL(url);
        const agent = this.agents[target.protocol as "http:" | "https:"];
        const send = target.protocol === "https:" ? httpsRequest : httpRequest;
        const upstream = send(target, {
            agent,
            headers: range ? { range } : {},
            timeout: this.o.readTimeoutMs,
        });
        // ffmpeg went away mid-response: stop the download (a finished one keeps its connection).
        res.on("close", () => {
            if (!res.writableFinished) upstream.destroy();
        });
        upstream.on("timeout", () => {
            this.fail(`no data from the CDN for ${this.o.readTimeoutMs} ms`);
            upstream.destroy();
            res.destroy();
        });
        upstream.on("error", (error) => {
            if (res.destroyed) return;
            this.fail(error.message);
            res.destroy();
        });
        upstream.on("response", (reply) => {
            const status = reply.statusCode ?? 502;
            const location = reply.headers.location;
            if (status >= 300 && status < 400 && location) {
                reply.resume();
                const next = new URL(location, target);
                if (redirectsLeft <= 0 || !hostAllowed(next, this.o.allowedHosts)) {
                    this.fail(`refused a redirect to ${next.host}`);
                    res.writeHead(502).end();
                    return;
                }
                this.fetch(next.href, range, redirectsLeft - 1, res);
                return;
            }
            if (status !== 200 && status !== 206) {
                reply.resume();
                this.fail(`the CDN answered ${status}`);
                res.writeHead(status).end();
                return;
            }
            const headers: Record<string, string> = {};
            for (const name of PASSED_HEADERS) {
                const value = reply.headers[name];
                if (typeof value === "string") headers[name] = value;
            }
            res.writeHead(status, headers);
            reply.pipe(res);
        });
        upstream.end();
    }
}
