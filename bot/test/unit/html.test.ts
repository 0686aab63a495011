import { describe, expect, it } from "vitest";
import { escapeHtml } from "../../src/html.js";

describe("HTML escaping (10.1.5)", () => {
    it("escapes the characters Telegram's HTML mode needs", () => {
        expect(escapeHtml(`<a href="x">Tom & Jerry</a>`)).toBe(
            "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;",
        );
    });
});
