/**
 * The only hosts the bot ever fetches (and lets ffmpeg fetch). An entry starting with "." matches
 * that domain's subdomains ("*.wbbasket.ru"); any other entry matches one host exactly. Plain http
 * is accepted for loopback hosts only, which is what the tests' fake CDN uses.
 */
export function parseAllowList(raw: string): string[] {
    return raw
        .split(",")
        .map((entry) => entry.trim().toLowerCase())
        .filter((entry) => entry.length > 0);
}

export function hostAllowed(url: URL, allowList: readonly string[]): boolean {
    const host = url.hostname.toLowerCase();
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopback(host))) return false;
    if (url.username || url.password) return false;
    return allowList.some((entry) =>
        entry.startsWith(".") ? host.endsWith(entry) && host.length > entry.length : host === entry,
    );
}

function isLoopback(host: string): boolean {
    return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
