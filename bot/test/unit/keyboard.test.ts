import { describe, expect, it } from "vitest";
import { downloadData, mediaKeyboard } from "../../src/keyboard.js";

describe("media keyboard (spec 1.7)", () => {
    const data = (state: "searching" | "found" | "not_found") =>
        mediaKeyboard("12345678", state).inline_keyboard.map((row) =>
            row.map((b) => (b as { callback_data?: string }).callback_data),
        );

    it("shows only the photo button while searching or without video", () => {
        expect(data("searching")).toEqual([["download:12345678:photo"]]);
        expect(data("not_found")).toEqual([["download:12345678:photo"]]);
    });

    it("adds video and everything when a video was found", () => {
        expect(data("found")).toEqual([
            ["download:12345678:photo"],
            ["download:12345678:video"],
            ["download:12345678:both"],
        ]);
    });

    it("keeps callback data within Telegram's 64 bytes", () => {
        const longest = downloadData.pack({ nm: "9999999999", kind: "photo" });
        expect(Buffer.byteLength(longest)).toBeLessThanOrEqual(64);
    });
});

describe("download callback data (10.1.6)", () => {
    it("unpacks the three download types, typed", () => {
        expect(downloadData.unpack("download:87654321:video")).toEqual({
            nm: "87654321",
            kind: "video",
        });
        expect(downloadData.unpack("download:123456:photo")).toEqual({
            nm: "123456",
            kind: "photo",
        });
        expect(downloadData.unpack("download:1234567890:both")).toEqual({
            nm: "1234567890",
            kind: "both",
        });
    });

    it.each([
        "download:12345:photo",
        "download:12345678901:photo",
        "download:0123456:photo",
        "download:12345678:zip",
        "download:12345678:photo:extra",
        "download:12345678",
        "download:abc:photo",
        "upload:12345678:photo",
        "xdownload:12345678:photo",
        "",
    ])("rejects %j (the filter too)", (input) => {
        expect(downloadData.unpack(input)).toBeNull();
        expect(downloadData.filter.test(input)).toBe(false);
    });

    it("refuses to pack a value its own filter would reject", () => {
        expect(() => downloadData.pack({ nm: "12", kind: "photo" })).toThrow(/bad callback data/);
    });
});
