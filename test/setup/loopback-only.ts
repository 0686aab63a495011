// Unit tests may reach only this machine (the team's ground rule). A program test that forgets to
// mock a probe would otherwise dial the stack's documentation address and wait for a timeout, or
// worse, a real server; here it fails at once, naming the address.
import * as net from "node:net";

// Kept unbound on purpose: the replacement below applies it to each socket as `this`.
// eslint-disable-next-line @typescript-eslint/unbound-method
const original = net.Socket.prototype.connect as (
    this: net.Socket,
    ...args: unknown[]
) => net.Socket;

function destination(args: unknown[]): string | undefined {
    const [first, second] = args;
    // net.connect() hands the socket its arguments already normalized, as one array.
    if (Array.isArray(first)) return destination(first);
    if (typeof first === "object" && first !== null) {
        const options = first as { host?: unknown; path?: unknown };
        if (typeof options.path === "string") return undefined;
        return typeof options.host === "string" ? options.host : "localhost";
    }
    if (typeof first === "string" && !/^\d+$/.test(first)) return undefined; // a Unix socket path
    return typeof second === "string" ? second : "localhost";
}

function isLoopback(host: string): boolean {
    if (host === "localhost" || host === "::1" || host === "[::1]") return true;
    const version = net.isIP(host);
    if (version === 4) return host.startsWith("127.");
    if (version === 6) return host.toLowerCase().startsWith("::ffff:127.");
    return false;
}

net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    const host = destination(args);
    if (host !== undefined && !isLoopback(host)) {
        throw new Error(`unit tests may connect only to loopback, not to ${host} (mock the probe)`);
    }
    return original.apply(this, args);
};
