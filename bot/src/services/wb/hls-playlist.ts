import { VideoError } from "../../errors.js";
import { assertAllowed, sha256, type CdnSession, type Validator } from "./cdn-client.js";

export const PLAYLIST_MAX_BYTES = 2 * 1024 * 1024;

export interface PreparedPlaylist {
    /** The media playlist with every URI made absolute and checked against the allow-list. */
    text: string;
    durationSec: number;
    segments: number;
}

/** What identifies the video's content: the playlist at the video URL, as first fetched. */
export interface PlaylistSource {
    sha256: string;
    validator?: Validator;
}

/**
 * Fetches an HLS playlist (following a master playlist to its best variant), and checks it: a VOD
 * playlist with an end tag, at least one segment, and every segment/key/map on an allowed host.
 * ffmpeg then reads this checked copy from a local file, each URI routed through the segment
 * relay, so it only fetches URLs we vetted.
 */
export async function preparePlaylist(
    url: string,
    session: CdnSession,
    allowedHosts: readonly string[],
    /** Where ffmpeg fetches each checked URI from (the segment relay); default: the URI itself. */
    route: (checkedUri: string) => string = (uri) => uri,
): Promise<PreparedPlaylist & { source: PlaylistSource }> {
    let playlistUrl = url;
    const first = await fetchPlaylist(playlistUrl, session);
    const source = { sha256: sha256(first.text), validator: first.validator };
    let text = first.text;
    if (text.includes("#EXT-X-STREAM-INF")) {
        playlistUrl = bestVariant(text, playlistUrl);
        text = (await fetchPlaylist(playlistUrl, session)).text;
    }
    return { ...checkMediaPlaylist(text, playlistUrl, allowedHosts, route), source };
}

async function fetchPlaylist(
    url: string,
    session: CdnSession,
): Promise<{ text: string; validator?: Validator }> {
    const reply = await session.get(url, PLAYLIST_MAX_BYTES);
    if (reply.status !== 200 || !reply.body) {
        throw new VideoError("playlist", `playlist ${url} answered ${reply.status || "no reply"}`);
    }
    const text = reply.body.toString("utf8");
    if (!text.startsWith("#EXTM3U")) throw new VideoError("playlist", `${url} is not a playlist`);
    return { text, validator: reply.validator };
}

function bestVariant(master: string, base: string): string {
    const lines = master.split(/\r?\n/);
    let best: { bandwidth: number; uri: string } | undefined;
    lines.forEach((line, i) => {
        if (!line.startsWith("#EXT-X-STREAM-INF")) return;
        const bandwidth = Number(/BANDWIDTH=(\d+)/.exec(line)?.[1] ?? 0);
        const uri = lines.slice(i + 1).find((l) => l.trim() !== "" && !l.startsWith("#"));
        if (uri && (!best || bandwidth > best.bandwidth)) best = { bandwidth, uri: uri.trim() };
    });
    if (!best) throw new VideoError("playlist", "master playlist lists no variants");
    return new URL(best.uri, base).href;
}

export function checkMediaPlaylist(
    text: string,
    base: string,
    allowedHosts: readonly string[],
    route: (checkedUri: string) => string = (uri) => uri,
): PreparedPlaylist {
    const absolute = (uri: string): string => {
        const href = new URL(uri, base).href;
        try {
            assertAllowed(href, allowedHosts);
        } catch {
            throw new VideoError("playlist", `playlist refers to a host outside the allow-list`);
        }
        return route(href);
    };
    let duration = 0;
    let segments = 0;
    let pendingInf = false;
    const out: string[] = [];
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.trim();
        if (line === "") continue;
        if (line.startsWith("#EXTINF:")) {
            const value = Number.parseFloat(line.slice("#EXTINF:".length));
            if (!Number.isFinite(value) || value < 0) {
                throw new VideoError("playlist", "playlist has a bad #EXTINF");
            }
            duration += value;
            pendingInf = true;
            out.push(line);
        } else if (line.startsWith("#")) {
            out.push(line.replace(/URI="([^"]*)"/, (_, uri: string) => `URI="${absolute(uri)}"`));
        } else {
            if (!pendingInf) throw new VideoError("playlist", "segment without #EXTINF");
            pendingInf = false;
            segments += 1;
            out.push(absolute(line));
        }
    }
    if (!text.includes("#EXT-X-ENDLIST") || segments === 0 || pendingInf) {
        throw new VideoError("playlist", "playlist is truncated (no end tag or no segments)");
    }
    return { text: `${out.join("\n")}\n`, durationSec: duration, segments };
}
