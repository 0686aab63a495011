import { describe, expect, it } from "vitest";
import { callbackData } from "../../src/callback-data.js";
import { downloadData } from "../../src/keyboard.js";

describe("typed callback data (10.1.6)", () => {
    it("keeps kinds apart: a second kind of button has its own prefix and filter", () => {
        const page = callbackData("page", { n: /[0-9]{1,3}/ });
        expect(page.unpack("page:7")).toEqual({ n: "7" });
        expect(page.filter.test("download:12345678:photo")).toBe(false);
        expect(downloadData.filter.test(page.pack({ n: "7" }))).toBe(false);
    });

    it("packs fields in their declared order and unpacks them by name", () => {
        const item = callbackData("item", { id: /[0-9]+/, view: ["list", "grid"] });
        expect(item.pack({ view: "grid", id: "42" })).toBe("item:42:grid");
        expect(item.unpack("item:42:grid")).toEqual({ id: "42", view: "grid" });
        expect(item.unpack("item:grid:42")).toBeNull();
    });

    it("reads the prefix and listed words literally, and keeps a pattern's alternatives in its field", () => {
        const odd = callbackData("a.b", { op: ["x+y", "z"], v: /1|22/ });
        expect(odd.unpack("a.b:x+y:22")).toEqual({ op: "x+y", v: "22" });
        expect(odd.filter.test("aXb:x+y:1")).toBe(false);
        expect(odd.filter.test("a.b:xxy:1")).toBe(false);
        expect(odd.filter.test("a.b:z:122")).toBe(false);
    });

    it("refuses to pack a value that would smuggle in another field", () => {
        const page = callbackData("page", { n: /[0-9]{1,3}/ });
        expect(() => page.pack({ n: "7:8" })).toThrow(/bad callback data for page: page:7:8/);
    });
});
