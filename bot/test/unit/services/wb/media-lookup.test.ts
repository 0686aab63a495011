import { describe, expect, it } from "vitest";
import { parseCard } from "../../../../src/services/wb/media-lookup.js";

describe("parseCard", () => {
    it("reads title, photo count and video flag, and tolerates junk", () => {
        const card = Buffer.from(
            JSON.stringify({ imt_name: " Платье ", media: { photo_count: 7, has_video: true } }),
        );
        expect(parseCard(card)).toEqual({ title: "Платье", photoCount: 7, hasVideo: true });
        expect(parseCard(Buffer.from("not json"))).toEqual({});
        expect(parseCard(Buffer.from(JSON.stringify({ media: { photo_count: "7" } })))).toEqual({
            title: undefined,
            photoCount: undefined,
            hasVideo: undefined,
        });
    });
});
