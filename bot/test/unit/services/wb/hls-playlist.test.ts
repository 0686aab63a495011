import { describe, expect, it } from "vitest";
import { VideoError } from "../../../../src/errors.js";
import { checkMediaPlaylist } from "../../../../src/services/wb/hls-playlist.js";

const BASE = "https://videonme-basket-01.wbbasket.ru/vol3/part40444/404448483/hls/1440p/index.m3u8";
const ALLOW = [".wbbasket.ru", ".wbcontent.net"];

const playlist = (body: string, end = true) =>
    `#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n${body}${end ? "#EXT-X-ENDLIST\n" : ""}`;

describe("checkMediaPlaylist (10.1.4)", () => {
    it("makes segment URIs absolute and sums the duration", () => {
        const result = checkMediaPlaylist(
            playlist("#EXTINF:2.0,\nseg000.ts\n#EXTINF:1.5,\n/other/seg001.ts\n"),
            BASE,
            ALLOW,
        );
        expect(result.durationSec).toBeCloseTo(3.5);
        expect(result.segments).toBe(2);
        expect(result.text).toContain(
            "https://videonme-basket-01.wbbasket.ru/vol3/part40444/404448483/hls/1440p/seg000.ts",
        );
        expect(result.text).toContain("https://videonme-basket-01.wbbasket.ru/other/seg001.ts");
    });

    it("rewrites and checks key URIs", () => {
        const ok = checkMediaPlaylist(
            playlist('#EXT-X-KEY:METHOD=AES-128,URI="key.bin"\n#EXTINF:1,\nseg.ts\n'),
            BASE,
            ALLOW,
        );
        expect(ok.text).toContain('URI="https://videonme-basket-01.wbbasket.ru/');
        expect(() =>
            checkMediaPlaylist(
                playlist(
                    '#EXT-X-KEY:METHOD=AES-128,URI="https://evil.example/key"\n#EXTINF:1,\nseg.ts\n',
                ),
                BASE,
                ALLOW,
            ),
        ).toThrow(VideoError);
    });

    it.each([
        ["a segment on another host", playlist("#EXTINF:1,\nhttps://evil.example/seg.ts\n")],
        ["a file:// segment", playlist("#EXTINF:1,\nfile:///etc/passwd\n")],
        ["a plain-http WB segment", playlist("#EXTINF:1,\nhttp://x.wbbasket.ru/seg.ts\n")],
        ["no end tag (truncated)", playlist("#EXTINF:1,\nseg.ts\n", false)],
        ["no segments", playlist("")],
        ["an #EXTINF without its segment", playlist("#EXTINF:1,\n")],
        ["a bad duration", playlist("#EXTINF:abc,\nseg.ts\n")],
    ])("rejects %s", (_, text) => {
        expect(() => checkMediaPlaylist(text, BASE, ALLOW)).toThrow(VideoError);
    });
});
