import type { Logger } from "pino";
import { errorText, type Database } from "./db.js";
import { MemoryCache } from "../memory-cache.js";

export interface ProductInfo {
    title?: string;
    photoCount: number;
}

export type FileKind = "photo" | "video";

/**
 * Caches that survive restarts: vol -> photo basket, product title and photo count, nm -> video
 * playlist URL (a null URL = "no video", kept for a shorter time) and Telegram file_ids per
 * article. Postgres is the store; a memory layer answers first and covers a database outage.
 * Every read and write degrades to a miss / no-op when the database fails.
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
            const rows = await this.db!.query<{ title: string | null; photo_count: number }>(
                `SELECT title, photo_count FROM ${this.t}.products
                 WHERE nm = $1 AND updated_at > now() - make_interval(secs => $2)`,
                [nm, this.ttlMs / 1000],
            );
            const row = rows[0];
            return row ? { title: row.title ?? undefined, photoCount: row.photo_count } : undefined;
        });
    }

    async setProduct(nm: string, info: ProductInfo): Promise<void> {
        this.memory.set(`product:${nm}`, info, this.ttlMs);
        await this.write(
            `INSERT INTO ${this.t}.products (nm, title, photo_count, updated_at)
             VALUES ($1, $2, $3, now())
             ON CONFLICT (nm) DO UPDATE
             SET title = EXCLUDED.title, photo_count = EXCLUDED.photo_count, updated_at = now()`,
            [nm, info.title ?? null, info.photoCount],
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

    async getFileIds(nm: string, kind: FileKind): Promise<string[]> {
        const ids = await this.read(`files:${kind}:${nm}`, async () => {
            const rows = await this.db!.query<{ file_id: string }>(
                `SELECT file_id FROM ${this.t}.file_ids WHERE nm = $1 AND kind = $2
                 ORDER BY position`,
                [nm, kind],
            );
            return rows.length > 0 ? rows.map((r) => r.file_id) : undefined;
        });
        return ids ?? [];
    }

    async setFileIds(nm: string, kind: FileKind, fileIds: string[]): Promise<void> {
        this.memory.set(`files:${kind}:${nm}`, fileIds, this.ttlMs);
        if (!this.db) return;
        try {
            await this.db.transaction(async (client) => {
                await client.query(`DELETE FROM ${this.t}.file_ids WHERE nm = $1 AND kind = $2`, [
                    nm,
                    kind,
                ]);
                await client.query(
                    `INSERT INTO ${this.t}.file_ids (nm, kind, position, file_id)
                     SELECT $1, $2, position - 1, file_id
                     FROM unnest($3::text[]) WITH ORDINALITY AS f(file_id, position)`,
                    [nm, kind, fileIds],
                );
            });
        } catch (error) {
            this.log.warn({ err: errorText(error) }, "could not store file ids");
        }
    }

    async forgetFileIds(nm: string, kind: FileKind): Promise<void> {
        this.memory.delete(`files:${kind}:${nm}`);
        await this.write(`DELETE FROM ${this.t}.file_ids WHERE nm = $1 AND kind = $2`, [nm, kind]);
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
