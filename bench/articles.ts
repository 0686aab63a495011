import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FakeProduct } from "../bot/test/helpers/fake-cdn.js";
import { guessPhotoBasket, photoVol, videoBasket } from "../bot/src/services/wb/wb-urls.js";

/** An article of the fixture and where the fake CDN serves it. */
export interface BenchArticle {
    label: string;
    /** A card.json, a 1440p video, photos and video wherever the fixture puts them. */
    ordinary: boolean;
    product: FakeProduct;
}

interface FixtureArticle {
    label: string;
    ordinary: boolean;
    nm: number;
    photoBasket: number;
    photos: number;
    card: { photos: number; hasVideo: boolean } | null;
    video: { basket: number; vol: number; rendition: string } | null;
}

export type ArticleSetName = "requests" | "latency" | "repeat" | "bigVideo" | "load";

interface Fixture {
    about: string;
    assumption: string;
    sets: Record<ArticleSetName, FixtureArticle[]>;
}

// The bench runs from the repository root (bench/main.ts checks).
const fixture = JSON.parse(
    readFileSync(join(process.cwd(), "bench", "articles.json"), "utf8"),
) as Fixture;

/** How often the first guess hits in this fixture: an assumption, stated next to the figures. */
export const FIRST_GUESS_ASSUMPTION = fixture.assumption;

/** One of the fixture's article sets (bench/articles.json); the sets share no article. */
export function articleSet(name: ArticleSetName): BenchArticle[] {
    return fixture.sets[name].map((a) => ({
        label: a.label,
        ordinary: a.ordinary,
        product: {
            nm: a.nm,
            photoBasket: a.photoBasket,
            photos: a.photos,
            card: a.card && {
                imt_name: `Товар ${a.nm} для замеров`,
                media: { photo_count: a.card.photos, has_video: a.card.hasVideo },
            },
            ...(a.video ? { video: a.video } : {}),
        },
    }));
}

/**
 * For the report only: how many articles sit where the bot's first guesses look (the vol ->
 * basket table for photos, floor(vol / 12) + 1 for the video host).
 */
export function firstGuessHits(articles: readonly BenchArticle[]): string {
    const photos = articles.filter(
        (a) => guessPhotoBasket(photoVol(a.product.nm)) === a.product.photoBasket,
    ).length;
    const videos = articles.filter((a) => a.product.video);
    const hosts = videos.filter(
        (a) => videoBasket(a.product.video!.vol) === a.product.video!.basket,
    );
    return (
        `first guess right for ${photos}/${articles.length} photo baskets and ` +
        `${hosts.length}/${videos.length} video hosts`
    );
}
