import {
    guessPhotoBasket,
    photoVol,
    videoBasket,
    videoVol,
} from "../../src/services/wb/wb-urls.js";
import type { FakeProduct } from "./fake-cdn.js";

let nextNm = 123_456_700;

/** A fresh article number for each product, so tests never share cache entries. */
export function freshNm(): number {
    nextNm += 1009;
    return nextNm;
}

/** A product where WB's deterministic rules hold (table basket, video vol = nm mod 144). */
export function standardProduct(
    options: {
        nm?: number;
        photos?: number;
        video?: boolean;
        card?: Record<string, unknown> | null;
    } = {},
): FakeProduct {
    const nm = options.nm ?? freshNm();
    const vol = videoVol(nm);
    return {
        nm,
        photoBasket: guessPhotoBasket(photoVol(nm)),
        photos: options.photos ?? 3,
        card: options.card === undefined ? null : options.card,
        video:
            options.video === false
                ? undefined
                : { basket: videoBasket(vol), vol, rendition: "1440p" },
    };
}
