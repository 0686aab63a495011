import {
    createServer,
    request,
    type IncomingMessage,
    type Server,
    type ServerResponse,
} from "node:http";

export interface MeteredCall {
    method: string;
    contentType: string;
    /** Request line + headers as sent on the wire. */
    headerBytes: number;
    bodyBytes: number;
    at: number;
}

/**
 * An HTTP proxy between the bot and the fake Bot API that counts, per Bot API method, the bytes
 * the bot sends (request line, headers, body). It streams; nothing is buffered.
 */
export class ApiMeter {
    readonly calls: MeteredCall[] = [];
    private server?: Server;
    url = "";

    constructor(private readonly target: string) {}

    async start(): Promise<void> {
        this.server = createServer((req, res) => this.forward(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    }

    async stop(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }

    /** Calls of `method` (or all calls but getUpdates) made at or after `since`. */
    callsSince(since: number, method?: string): MeteredCall[] {
        return this.calls.filter(
            (c) => c.at >= since && (method ? c.method === method : c.method !== "getUpdates"),
        );
    }

    private forward(req: IncomingMessage, res: ServerResponse): void {
        const call: MeteredCall = {
            method: /\/bot[^/]+\/(\w+)$/.exec(req.url ?? "")?.[1] ?? "unknown",
            contentType: String(req.headers["content-type"] ?? ""),
            headerBytes: headerSize(req),
            bodyBytes: 0,
            at: Date.now(),
        };
        this.calls.push(call);
        const upstream = request(
            `${this.target}${req.url ?? "/"}`,
            { method: req.method, headers: req.headers },
            (reply) => {
                res.writeHead(reply.statusCode ?? 502, reply.headers);
                reply.pipe(res);
            },
        );
        upstream.on("error", () => {
            if (!res.headersSent) res.writeHead(502);
            res.end();
        });
        req.on("data", (chunk: Buffer) => (call.bodyBytes += chunk.length));
        req.pipe(upstream);
    }
}

function headerSize(req: IncomingMessage): number {
    let size = Buffer.byteLength(`${req.method} ${req.url} HTTP/${req.httpVersion}\r\n\r\n`);
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
        size += Buffer.byteLength(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}\r\n`);
    }
    return size;
}
