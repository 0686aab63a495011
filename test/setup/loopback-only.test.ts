import * as net from "node:net";
import { describe, expect, it } from "vitest";

describe("unit tests reach only loopback", () => {
    it("refuses a connection to an outside address before it is dialled", () => {
        expect(() => net.connect(22, "203.0.113.10")).toThrow(
            /only to loopback, not to 203\.0\.113\.10/,
        );
        expect(() => net.connect({ host: "example.com", port: 443 })).toThrow(
            /not to example\.com/,
        );
    });

    it("lets loopback connections through", async () => {
        const server = net.createServer((socket) => socket.end());
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as net.AddressInfo;
        const socket = net.connect(port, "127.0.0.1");
        await new Promise<void>((resolve, reject) =>
            socket.once("connect", resolve).once("error", reject),
        );
        socket.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
    });
});
