import { randomUUID } from "node:crypto";
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

const PREFIX = "wbv-";

/**
 * Unique temp files for video work in one directory (shared with the local Bot API server). Every
 * path handed out is tracked until removed, so shutdown can delete what is left; files of a
 * previous process (crash, kill) are removed at start.
 */
export class TempFiles {
    private readonly live = new Set<string>();

    constructor(readonly dir: string) {}

    async init(): Promise<number> {
        await mkdir(this.dir, { recursive: true, mode: 0o755 });
        const names = await readdir(this.dir);
        const orphans = names.filter((name) => name.startsWith(PREFIX));
        await Promise.all(orphans.map((name) => rm(join(this.dir, name), { force: true })));
        return orphans.length;
    }

    path(nm: string, extension: string): string {
        const file = join(this.dir, `${PREFIX}${nm}-${process.pid}-${randomUUID()}${extension}`);
        this.live.add(file);
        return file;
    }

    async remove(...files: string[]): Promise<void> {
        await Promise.all(
            files.map(async (file) => {
                await rm(file, { force: true });
                this.live.delete(file);
            }),
        );
    }

    async removeAll(): Promise<void> {
        await this.remove(...this.live);
    }

    get count(): number {
        return this.live.size;
    }
}
