import { createServer, Socket } from "node:net";

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
        });
    });
}

function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = new Socket();
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
        socket.connect(port, "127.0.0.1");
    });
}

/**
 * Waits up to 5 s until something listens on 127.0.0.1:port. `failure` is asked before every
 * attempt and after the last one: a message there (e.g. "the server exited") ends the wait.
 */
export async function waitForPort(
    port: number,
    failure: () => string | undefined = () => undefined,
): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
        const reason = failure();
        if (reason !== undefined) throw new Error(reason);
        if (await accepts(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(failure() ?? `nothing listened on 127.0.0.1:${port} within 5 s`);
}
