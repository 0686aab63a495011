import type { FakeProduct } from "../bot/test/helpers/fake-cdn.js";
import { guessPhotoBasket, videoBasket } from "../bot/src/services/wb/wb-urls.js";

/** A fake CDN product plus what the bench expects of it. */
export interface BenchArticle {
    label: string;
    /** Deterministic locations (table basket, video vol = nm mod 144) and a card.json. */
    typical: boolean;
    product: FakeProduct;
}

/** The middle vol of a basket's row in the vol -> basket table (vol >= 1: 6+ digit articles). */
function volForBasket(basket: number): number {
    const vols: number[] = [];
    for (let vol = 1; vol < 20_000 && guessPhotoBasket(vol) <= basket; vol++) {
        if (guessPhotoBasket(vol) === basket) vols.push(vol);
    }
    if (vols.length === 0) throw new Error(`no vol maps to basket ${basket}`);
    return vols[Math.floor(vols.length / 2)]!;
}

/** An article on `basket` whose video vol (nm mod 144) is `videoVol`; `salt` varies the part. */
function articleNumber(basket: number, videoVol: number, salt: number): number {
    const base = volForBasket(basket) * 100_000 + (salt % 500) * 144;
    return base + ((videoVol - (base % 144) + 144) % 144);
}

function card(nm: number, photos: number, hasVideo: boolean): Record<string, unknown> {
    return {
        imt_name: `Товар ${nm} для замеров`,
        media: { photo_count: photos, has_video: hasVideo },
    };
}

/**
 * The article set of measurement 1: 20 typical articles spread over baskets 1..40, video vols
 * 0..143 (video hosts 1..12) and 1..20 photos, plus atypical ones that exercise the fallbacks.
 * `salt` makes a disjoint set of article numbers (so several sets can share one bot's caches).
 */
export function articleSet(salt = 0): BenchArticle[] {
    const articles: BenchArticle[] = [];
    for (let i = 0; i < 20; i++) {
        const basket = 1 + Math.round((i * 39) / 19);
        const vol = (i * 53 + 7) % 144;
        const photos = 1 + ((i * 7) % 20);
        const nm = articleNumber(basket, vol, salt * 31 + i);
        articles.push({
            label: `basket ${basket}, video vol ${vol}`,
            typical: true,
            product: {
                nm,
                photoBasket: basket,
                photos,
                card: card(nm, photos, true),
                video: { basket: videoBasket(vol), vol, rendition: "1440p" },
            },
        });
    }
    const odd = (label: string, basket: number, vol: number, make: (nm: number) => FakeProduct) => {
        const nm = articleNumber(basket, vol, salt * 31 + 20 + articles.length);
        articles.push({ label, typical: false, product: make(nm) });
    };
    odd("photo basket 2 above the table's guess", 12, 30, (nm) => ({
        nm, photoBasket: 14, photos: 5, card: card(nm, 5, true),
        video: { basket: videoBasket(30), vol: 30, rendition: "1440p" },
    }));
    odd("no card.json", 25, 77, (nm) => ({
        nm, photoBasket: 25, photos: 8, card: null,
        video: { basket: videoBasket(77), vol: 77, rendition: "1440p" },
    }));
    odd("video on host 3 above the rule's", 30, 40, (nm) => ({
        nm, photoBasket: 30, photos: 4, card: card(nm, 4, true),
        video: { basket: videoBasket(40) + 3, vol: 40, rendition: "1440p" },
    }));
    odd("only a 720p rendition", 8, 100, (nm) => ({
        nm, photoBasket: 8, photos: 6, card: card(nm, 6, true),
        video: { basket: videoBasket(100), vol: 100, rendition: "720p" },
    }));
    odd("no video, card.json says so", 35, 60, (nm) => ({
        nm, photoBasket: 35, photos: 7, card: card(nm, 7, false),
    }));
    odd("no video, no card.json", 18, 90, (nm) => ({
        nm, photoBasket: 18, photos: 3, card: null,
    }));
    odd("video at vol 0", 5, 0, (nm) => ({
        nm, photoBasket: 5, photos: 2, card: card(nm, 2, true),
        video: { basket: 1, vol: 0, rendition: "1440p" },
    }));
    return articles;
}
