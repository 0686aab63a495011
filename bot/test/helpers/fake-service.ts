import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

export interface ServiceRequest {
    method: string;
    url: string;
    authorization?: string;
    body: unknown;
}

type Route = (req: ServiceRequest) => { status: number; body?: unknown };

/** A loopback stand-in for the ecosystem's JSON services (gateway, media, analytics). */
export class FakeService {
    readonly requests: ServiceRequest[] = [];
    private readonly routes: Array<{ pattern: RegExp; route: Route }> = [];
    private server?: Server;
    url = "";

    on(pattern: RegExp, route: Route): void {
        this.routes.unshift({ pattern, route });
    }

    async start(): Promise<void> {
        const serve = async (req: IncomingMessage, res: ServerResponse) => {
            const chunks: Buffer[] = [];
            for await (const chunk of req) chunks.push(chunk as Buffer);
            const raw = Buffer.concat(chunks).toString("utf8");
            const request: ServiceRequest = {
                method: req.method ?? "GET",
                url: req.url ?? "",
                authorization: req.headers.authorization,
                body: raw ? JSON.parse(raw) : undefined,
            };
            this.requests.push(request);
            const match = this.routes.find((r) => r.pattern.test(request.url));
            const reply = match ? match.route(request) : { status: 404, body: { detail: "nope" } };
            res.writeHead(reply.status, { "content-type": "application/json" });
            res.end(JSON.stringify(reply.body ?? {}));
        };
        this.server = createServer((req, res) => void serve(req, res));
        await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
        const address = this.server.address();
        this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    }

    async stop(): Promise<void> {
        this.server?.closeAllConnections();
        await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
    }
}
