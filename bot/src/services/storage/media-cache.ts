import type { Logger } from "pino";
import { errorText, type Database } from "./db.js";
import { MemoryCache } from "../memory-cache.js";
import type { Validator } from "../wb/cdn-client.js";

export interface ProductInfo {
    title?: string;
    photoCount: number;
    /** card.json's has_video, when it said. */
    hasVideo?: boolean;
    /** The validators of card.json when it was read; null = the product has no card.json. */
    card: { validator?: Validator } | null;
    /** When the CDN last confirmed this (ms since the epoch). */
    checkedAt: number;
}

export type FileKind = "photo" | "video";

/** A Telegram file_id and what identifies the CDN content it was uploaded from. */
export interface CachedFile {
    fileId: string;
    sha256: string;
    validator?: Validator;
}

/**
 * Caches that survive restarts: vol -> photo basket, product title and photo count (with the
 * validators of card.json), nm -> video playlist URL (a null URL = "no video", kept for a shorter
 * time) and Telegram file_ids per media URL with the content they came from. Postgres is the
 * store; a memory layer answers first and covers a database outage. Every read and write degrades
 * to a miss / no-op when the database fails.
 */
export class MediaCache {
    private readonly memory = new MemoryCache<unknown>();

    constructor(
        private readonly db: Database | undefined,
        private readonly ttlMs: number,
        private readonly notFoundTtlMs: number,
        private readonly log: Logger,
    ) {}

    private get t(): string {
        return `"${this.db?.schema ?? ""}"`;
    }

    async getBasket(vol: number): Promise<number | undefined> {
        return this.read(`basket:${vol}`, async () => {
            const rows = await this.db!.query<{ basket: number }>(
                `SELECT basket FROM ${this.t}.basket_cache
                 WHERE vol = $1 AND updated_at > now() - make_interval(secs => $2)`,
                [vol, this.ttlMs / 1000],
            );
            return rows[0]?.basket;
        });
    }

    async setBasket(vol: number, basket: number): Promise<void> {
        this.memory.set(`basket:${vol}`, basket, this.ttlMs);
        await this.write(
            `INSERT INTO ${this.t}.basket_cache (vol, basket, updated_at) VALUES ($1, $2, now())
             ON CONFLICT (vol) DO UPDATE SET basket = EXCLUDED.basket, updated_at = now()`,
            [vol, basket],
        );
    }

    async forgetBasket(vol: number): Promise<void> {
        this.memory.delete(`basket:${vol}`);
        await this.write(`DELETE FROM ${this.t}.basket_cache WHERE vol = $1`, [vol]);
    }

    async getProduct(nm: string): Promise<ProductInfo | undefined> {
        return this.read(`product:${nm}`, async () => {
            const rows = await this.db!.query<{
                title: string | null;
                photo_count: number;
                has_video: boolean | null;
                has_card: boolean;
                card_etag: string | null;
                card_last_modified: string | null;
                checked_at: string;
            }>(
                `SELECT title, photo_count, has_video, has_card, card_etag, card_last_modified,
                        (extract(epoch FROM updated_at) * 1000)::float8 AS checked_at
                 FROM ${this.t}.products
                 WHERE nm = $1 AND updated_at > now() - make_interval(secs => $2)`,
                [nm, this.ttlMs / 1000],
            );
            const row = rows[0];
            if (!row) return undefined;
            const validator =
                row.card_etag || row.card_last_modified
                    ? {
                          etag: row.card_etag ?? undefined,
                          lastModified: row.card_last_modified ?? undefined,
                      }
                    : undefined;
            return {
                title: row.title ?? undefined,
                photoCount: row.photo_count,
                hasVideo: row.has_video ?? undefined,
                card: row.has_card ? { validator } : null,
                checkedAt: Number(row.checked_at),
            };
        });
    }

    async setProduct(nm: string, info: ProductInfo): Promise<void> {
        this.memory.set(`product:${nm}`, info, this.ttlMs);
        await this.write(
            `INSERT INTO ${this.t}.products (nm, title, photo_count, has_video, has_card, card_etag,
                 card_last_modified, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8 / 1000))
             ON CONFLICT (nm) DO UPDATE
             SET title = EXCLUDED.title, photo_count = EXCLUDED.photo_count,
                 has_video = EXCLUDED.has_video, has_card = EXCLUDED.has_card,
                 card_etag = EXCLUDED.card_etag, card_last_modified = EXCLUDED.card_last_modified,
                 updated_at = EXCLUDED.updated_at`,
            [
                nm,
                info.title ?? null,
                info.photoCount,
                info.hasVideo ?? null,
                info.card !== null,
                info.card?.validator?.etag ?? null,
                info.card?.validator?.lastModified ?? null,
                info.checkedAt,
            ],
        );
    }

    /** undefined = unknown; { url: null } = known to have no video. */
    async getVideo(nm: string): Promise<{ url: string | null } | undefined> {
        return this.read(`video:${nm}`, async () => {
            const rows = await this.db!.query<{ url: string | null }>(
                `SELECT url FROM ${this.t}.video_cache
                 WHERE nm = $1 AND checked_at > now() - make_interval(secs =>
                     CASE WHEN url IS NULL THEN $3::float8 ELSE $2::float8 END)`,
                [nm, this.ttlMs / 1000, this.notFoundTtlMs / 1000],
            );
            return rows[0] ? { url: rows[0].url } : undefined;
        });
    }

    async setVideo(nm: string, url: string | null): Promise<void> {
        this.memory.set(`video:${nm}`, { url }, url ? this.ttlMs : this.notFoundTtlMs);
        await this.write(
            `INSERT INTO ${this.t}.video_cache (nm, url, checked_at) VALUES ($1, $2, now())
             ON CONFLICT (nm) DO UPDATE SET url = EXCLUDED.url, checked_at = now()`,
            [nm, url],
        );
    }

    async forgetVideo(nm: string): Promise<void> {
        this.memory.delete(`video:${nm}`);
        await this.write(`DELETE FROM ${this.t}.video_cache WHERE nm = $1`, [nm]);
    }

    /** The file_id uploaded from `url`, unless it is older than the cache lifetime. */
    async getFile(url: string): Promise<CachedFile | undefined> {
        return this.read(`file:${url}`, async () => {
            const rows = await this.db!.query<{
                file_id: string;
                sha256: string;
                etag: string | null;
                last_modified: string | null;
            }>(
                `SELECT file_id, sha256, etag, last_modified FROM ${this.t}.media_files
                 WHERE url = $1 AND stored_at > now() - make_interval(secs => $2)`,
                [url, this.ttlMs / 1000],
            );
            const row = rows[0];
            if (!row) return undefined;
            const validator =
                row.etag || row.last_modified
                    ? { etag: row.etag ?? undefined, lastModified: row.last_modified ?? undefined }
                    : undefined;
            return { fileId: row.file_id, sha256: row.sha256, validator };
        });
    }

    async setFile(url: string, kind: FileKind, file: CachedFile): Promise<void> {
        this.memory.set(`file:${url}`, file, this.ttlMs);
        await this.write(
            `INSERT INTO ${this.t}.media_files
                 (url, kind, file_id, sha256, etag, last_modified, stored_at)
             VALUES ($1, $2, $3, $4, $5, $6, now())
             ON CONFLICT (url) DO UPDATE
             SET kind = EXCLUDED.kind, file_id = EXCLUDED.file_id, sha256 = EXCLUDED.sha256,
                 etag = EXCLUDED.etag, last_modified = EXCLUDED.last_modified,
                 stored_at = EXCLUDED.stored_at`,
            [
                url,
                kind,
                file.fileId,
                file.sha256,
                file.validator?.etag ?? null,
                file.validator?.lastModified ?? null,
            ],
        );
    }

    async forgetFiles(urls: readonly string[]): Promise<void> {
        for (const url of urls) this.memory.delete(`file:${url}`);
        await this.write(`DELETE FROM ${this.t}.media_files WHERE url = ANY($1::text[])`, [urls]);
    }

    private async read<V>(key: string, load: () => Promise<V | undefined>): Promise<V | undefined> {
        const cached = this.memory.get(key) as V | undefined;
        if (cached !== undefined || !this.db) return cached;
        try {
            return await load();
        } catch (error) {
            this.log.debug({ err: errorText(error), key }, "cache read failed");
            return undefined;
        }
    }

    private async write(sql: string, values: unknown[]): Promise<void> {
        if (!this.db) return;
        try {
            await this.db.query(sql, values);
        } catch (error) {
            this.log.debug({ err: errorText(error) }, "cache write failed");
        }
    }
}
