import pino from "pino";
import type { Config } from "../bot/src/config.js";
import { MediaCache } from "../bot/src/services/storage/media-cache.js";
import { MediaLookup } from "../bot/src/services/wb/media-lookup.js";
import type { FakeCdn } from "../bot/test/helpers/fake-cdn.js";
import { FIRST_GUESS_ASSUMPTION, firstGuessHits, type BenchArticle } from "./articles.js";
import { BaselineStrategy } from "./baseline.js";
import type { Row } from "./report.js";
import { median } from "./stats.js";

export interface ArticleCount {
    nm: number;
    label: string;
    ordinary: boolean;
    photos: number;
    ours: number;
    baseline: number;
    oursCorrect: boolean;
    baselineCorrect: boolean;
}

/** The bot's own lookup (cold caches, no database), as the card flow calls it. */
async function resolveOurs(config: Config, a: BenchArticle): Promise<boolean> {
    const log = pino({ level: "silent" });
    const cache = new MediaCache(undefined, config.cacheTtlMs, config.videoNotFoundTtlMs, log);
    const lookup = new MediaLookup({ ...config.cdn }, cache, log);
    const session = lookup.session();
    const nm = String(a.product.nm);
    try {
        const product = await lookup.findProduct(nm, session);
        const video = await lookup.findVideo(nm, session, product.hasVideo);
        return product.photoUrls.length === a.product.photos && correctVideo(a, video);
    } catch {
        return false;
    }
}

function correctVideo(a: BenchArticle, url: string | null): boolean {
    const v = a.product.video;
    if (!v) return url === null;
    return url !== null && url.includes(`/vol${v.vol}/`) && url.includes(`/hls/${v.rendition}/`);
}

/** Measurement 1: exact CDN request counts per article, ours vs the reference algorithm. */
export async function measureCdnRequests(
    cdn: FakeCdn,
    config: Config,
    articles: readonly BenchArticle[],
): Promise<Row> {
    const counts: ArticleCount[] = [];
    for (const a of articles) {
        cdn.add(a.product);
        const nm = a.product.nm;
        cdn.requests.length = 0;
        const oursCorrect = await resolveOurs(config, a);
        const ours = cdn.requestsFor(nm).length;
        cdn.requests.length = 0;
        const baseline = new BaselineStrategy(config.cdn);
        const result = await baseline.resolve(nm);
        const baselineCorrect =
            result.photos.length === Math.min(a.product.photos, 20) &&
            correctVideo(a, result.video);
        counts.push({
            nm,
            label: a.label,
            ordinary: a.ordinary,
            photos: a.product.photos,
            ours,
            baseline: baseline.requests,
            oursCorrect,
            baselineCorrect,
        });
        cdn.requests.length = 0;
    }
    const ordinary = counts.filter((c) => c.ordinary);
    const overBudget = ordinary.filter((c) => c.ours > c.photos + 4);
    const maxOurs = Math.max(...counts.map((c) => c.ours));
    const wrongOurs = counts.filter((c) => !c.oursCorrect);
    const wrongBaseline = counts.filter((c) => !c.baselineCorrect);
    const sum = (k: "ours" | "baseline") => counts.reduce((s, c) => s + c[k], 0);
    const notes = [
        `fixture (bench/articles.json): ${firstGuessHits(articles.filter((a) => a.ordinary))} ` +
            `of the ordinary articles. ${FIRST_GUESS_ASSUMPTION.replace(/\.$/, "")}`,
    ];
    if (overBudget.length > 0) {
        notes.push(
            `ordinary articles above photos+4: ${overBudget
                .map((c) => `${c.nm} (${c.photos} photos: ${c.ours} requests)`)
                .join(", ")}`,
        );
    }
    if (wrongOurs.length > 0) {
        notes.push(`ours resolved wrongly: ${wrongOurs.map((c) => c.label).join(", ")}`);
    }
    if (wrongBaseline.length > 0) {
        notes.push(`baseline resolved wrongly: ${wrongBaseline.map((c) => c.label).join(", ")}`);
    }
    const describe = (k: "ours" | "baseline") =>
        `ordinary: median ${median(ordinary.map((c) => c[k]))}, ` +
        `max ${Math.max(...ordinary.map((c) => c[k]))}; ` +
        `all: max ${Math.max(...counts.map((c) => c[k]))}`;
    return {
        id: "1",
        name:
            `CDN requests to find an article's photos and video (${ordinary.length} ordinary + ` +
            `${counts.length - ordinary.length} special fixture articles)`,
        ours: describe("ours"),
        baseline: describe("baseline"),
        ratio: `${(sum("baseline") / Math.max(1, sum("ours"))).toFixed(0)}x fewer in total`,
        target: "every ordinary article <= photos+4; every article <= 250",
        met: overBudget.length === 0 && maxOurs <= 250 && wrongOurs.length === 0,
        notes: notes.join("; "),
        data: {
            ordinaryWithinPhotosPlus4: `${ordinary.length - overBudget.length}/${ordinary.length}`,
            totalOurs: sum("ours"),
            totalBaseline: sum("baseline"),
            articles: counts,
        },
    };
}
