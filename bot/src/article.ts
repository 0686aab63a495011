/**
 * Turns user input into a WB article number (nmId): 6 to 10 ASCII digits, returned without
 * leading zeros. Accepts bare numbers, "арт 12345678"-style text with one number, and product
 * links on any Wildberries domain (with or without a trailing slash, mobile and share links).
 * Seller and brand pages are rejected, as are links to other sites.
 */
export function parseArticle(input: string): string | null {
    const text = input.trim();
    if (text.length === 0 || text.length > 2000) return null;
    const urls = findUrls(text);
    if (urls.length > 0) {
        for (const raw of urls) {
            const nm = articleFromUrl(raw);
            if (nm !== null) return nm;
        }
        return null;
    }
    const numbers = text.match(/(?<![0-9A-Za-z])[0-9]+(?![0-9A-Za-z])/g) ?? [];
    if (numbers.length !== 1) return null;
    return normalise(numbers[0]);
}

export function isArticle(input: string): boolean {
    return parseArticle(input) !== null;
}

/** True when the text contains a link to a Wildberries product (not just any number). */
export function hasProductLink(input: string): boolean {
    return input.length <= 2000 && findUrls(input).some((raw) => articleFromUrl(raw) !== null);
}

// A WB link (scheme optional), any other http(s) link, or any other "domain.tld/path" token.
const URL_TOKEN = new RegExp(
    [
        String.raw`(?<![\w./-])(?:https?://)?(?:[a-z0-9-]+\.)*` +
            String.raw`(?:wildberries\.[a-z]{2,3}|wb\.ru)(?:[/?#]\S*)?`,
        String.raw`https?://\S+`,
        String.raw`(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*`,
    ].join("|"),
    "gi",
);

function findUrls(text: string): string[] {
    return text.match(URL_TOKEN) ?? [];
}

const WB_HOST = /^(?:[a-z0-9-]+\.)*(?:wildberries\.(?:ru|by|kz|am|kg|uz|ge|tj|az|com)|wb\.ru)$/;
const REJECTED_SECTIONS = new Set(["seller", "sellers", "brands", "brand", "promotions", "search"]);

function articleFromUrl(raw: string): string | null {
    const withScheme = /^https?:\/\//i.test(raw) ? raw : `https://${raw}`;
    if (!URL.canParse(withScheme)) return null;
    const url = new URL(withScheme);
    if (!WB_HOST.test(url.hostname.toLowerCase())) return null;
    const segments = url.pathname.split("/").filter((s) => s.length > 0);
    if (segments.length > 0 && REJECTED_SECTIONS.has(segments[0]!.toLowerCase())) return null;

    const catalog = segments.findIndex((s) => s.toLowerCase() === "catalog");
    if (catalog >= 0 && segments[catalog + 1] !== undefined) {
        return normalise(segments[catalog + 1]!);
    }
    for (const key of ["card", "nm", "nmId", "nm_id"]) {
        const value = url.searchParams.get(key);
        if (value !== null) return normalise(value);
    }
    const numeric = segments.filter((s) => /^[0-9]+$/.test(s));
    return numeric.length > 0 ? normalise(numeric[0]!) : null;
}

function normalise(digits: string): string | null {
    if (!/^[0-9]+$/.test(digits)) return null;
    const nm = digits.replace(/^0+/, "");
    return nm.length >= 6 && nm.length <= 10 ? nm : null;
}
