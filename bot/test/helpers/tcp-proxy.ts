import { createConnection, createServer, type Server, type Socket } from "node:net";

/**
 * A loopback TCP proxy that can be switched off and on: "off" closes the listener and cuts every
 * open connection, which is what a database restart or network outage looks like to the bot.
 */
export class TcpProxy {
    private server?: Server;
    private readonly sockets = new Set<Socket>();
    port = 0;

    constructor(
        private readonly targetHost: string,
        private readonly targetPort: number,
    ) {}

    async up(): Promise<void> {
        const server = createServer((client) => {
            const upstream = createConnection(this.targetPort, this.targetHost);
            for (const s of [client, upstream]) {
                this.sockets.add(s);
                s.on("close", () => this.sockets.delete(s));
                s.on("error", () => undefined);
            }
            client.pipe(upstream).pipe(client);
            client.on("close", () => upstream.destroy());
            upstream.on("close", () => client.destroy());
        });
        await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
        const address = server.address();
        this.port = typeof address === "object" && address ? address.port : 0;
        this.server = server;
    }

    async down(): Promise<void> {
        const server = this.server;
        this.server = undefined;
        for (const s of this.sockets) s.destroy();
        this.sockets.clear();
        if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    }
}
