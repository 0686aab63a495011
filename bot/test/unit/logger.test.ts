import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";

describe("logger", () => {
    it("writes JSON lines and scrubs the token wherever it appears", () => {
        const token = "123456789:TEST-fake-token-not-real-abcdef";
        const lines: string[] = [];
        const log = createLogger("info", [token, token.split(":")[1]!], {
            write: (line: string) => void lines.push(line),
        });
        log.info({ url: `https://api.telegram.org/bot${token}/getMe` }, `failed with ${token}`);
        log.error({ err: new Error(`secret part ${token.split(":")[1]}`) }, "boom");
        expect(lines).toHaveLength(2);
        const text = lines.join("");
        expect(text).not.toContain("TEST-fake-token-not-real-abcdef");
        expect(text).toContain("[redacted]");
        expect((JSON.parse(lines[0]!) as { msg: string }).msg).toBe("failed with [redacted]");
    });
});
