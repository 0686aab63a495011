import { describe, expect, it } from "vitest";
import {
    basketsByDistance,
    cardUrl,
    guessPhotoBasket,
    photoUrl,
    videoBasket,
    videoFallbackLocations,
    videoUrl,
    videoVol,
} from "../../../../src/services/wb/wb-urls.js";

const t = {
    photoHostTemplate: "https://basket-{NN}.wbbasket.ru",
    videoHostTemplate: "https://videonme-basket-{NN}.wbbasket.ru",
};

describe("WB CDN URL arithmetic (appendix A)", () => {
    it("builds photo and card URLs with floor divisions and a two-digit basket", () => {
        expect(photoUrl(t, 9, 123456789, 1)).toBe(
            "https://basket-09.wbbasket.ru/vol1234/part123456/123456789/images/big/1.webp",
        );
        expect(cardUrl(t, 12, 187654321)).toBe(
            "https://basket-12.wbbasket.ru/vol1876/part187654/187654321/info/ru/card.json",
        );
    });

    it("computes video vol = nm mod 144 and basket = floor(vol / 12) + 1, including vol 0", () => {
        expect(videoVol(404448483)).toBe(3);
        expect(videoBasket(3)).toBe(1);
        expect(videoUrl(t, 1, 3, 404448483, "1440p")).toBe(
            "https://videonme-basket-01.wbbasket.ru/vol3/part40444/404448483/hls/1440p/index.m3u8",
        );
        expect(videoVol(144 * 1000)).toBe(0);
        expect(videoBasket(0)).toBe(1);
        expect(videoBasket(143)).toBe(12);
        expect([137, 63, 103, 129, 45].map(videoBasket)).toEqual([12, 6, 9, 11, 4]);
    });

    it("guesses the photo basket from the vol table and continues past its end", () => {
        expect(guessPhotoBasket(0)).toBe(1);
        expect(guessPhotoBasket(143)).toBe(1);
        expect(guessPhotoBasket(144)).toBe(2);
        expect(guessPhotoBasket(1234)).toBe(9);
        expect(guessPhotoBasket(6125)).toBe(30);
        expect(guessPhotoBasket(14213)).toBe(46);
        expect(guessPhotoBasket(20000)).toBe(47);
    });

    it("orders probing candidates by distance from the guess", () => {
        expect(basketsByDistance(5, 8)).toEqual([5, 4, 6, 3, 7, 2, 8, 1]);
        expect(basketsByDistance(1, 3)).toEqual([1, 2, 3]);
    });

    it("orders the video fallback cheapest first, one half of the rule broken at a time", () => {
        const vol = 40; // rule host 4
        const all = videoFallbackLocations(vol);
        expect(all.slice(0, 6)).toEqual([
            { host: 3, vol: 40 },
            { host: 4, vol: 39 },
            { host: 5, vol: 40 },
            { host: 4, vol: 41 },
            { host: 2, vol: 40 },
            { host: 4, vol: 38 },
        ]);
        // Every other vol sits on its own rule host; the rule's location itself is not repeated.
        expect(all.find((l) => l.vol === 150)).toEqual({ host: 13, vol: 150 });
        expect(all.some((l) => l.host === 4 && l.vol === 40)).toBe(false);
        expect(all).toHaveLength(99 + 199);
        expect(new Set(all.map((l) => `${l.host}/${l.vol}`)).size).toBe(all.length);
    });
});
