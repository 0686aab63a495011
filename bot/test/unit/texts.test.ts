import { describe, expect, it } from "vitest";
import { texts } from "../../src/texts.js";

describe("HTML escaping in the texts (10.1.5)", () => {
    it("escapes titles and names in the texts that carry them", () => {
        expect(texts.card("123456", "<i>x</i>", 1, { kind: "found" })).toContain(
            "&lt;i&gt;x&lt;/i&gt;",
        );
        expect(texts.videoCaption("123456", "A&B")).toBe("Видео: A&amp;B");
        expect(texts.newUser({ id: 1, username: "a<b" })).toContain("@a&lt;b");
    });
});
