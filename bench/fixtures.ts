import { randomBytes } from "node:crypto";
import pg from "pg";
import setup from "../bot/test/helpers/global-setup.js";
import type { Cleanup } from "./cleanup.js";

export interface SharedFixtures {
    /** Admin URL of a private Postgres cluster on 127.0.0.1 (or TEST_DATABASE_URL). */
    pgAdminUrl: string;
    /** The bot tests' small HLS fixture (6 s, 1 s segments) made by real ffmpeg. */
    hlsDir: string;
}

/**
 * Reuses the bot tests' global setup (private Postgres cluster + HLS fixture) outside vitest: it
 * only needs something with `provide`. Its teardown is registered with the bench's cleanup.
 */
export async function startSharedFixtures(cleanup: Cleanup): Promise<SharedFixtures> {
    const provided: Record<string, string> = {};
    const project = { provide: (key: string, value: string) => (provided[key] = value) };
    const teardown = await setup(project as unknown as Parameters<typeof setup>[0]);
    cleanup.add("postgres cluster and HLS fixture", teardown);
    const { pgAdminUrl, hlsDir } = provided;
    if (!pgAdminUrl || !hlsDir) {
        throw new Error("the bot's global setup provided no database or HLS fixture");
    }
    return { pgAdminUrl, hlsDir };
}

/** A fresh empty database on the cluster (the bot creates its tables); dropped at cleanup. */
export async function createDatabase(adminUrl: string, cleanup: Cleanup): Promise<string> {
    const name = `bench_${randomBytes(5).toString("hex")}`;
    const admin = async (sql: string) => {
        const client = new pg.Client({ connectionString: adminUrl });
        await client.connect();
        try {
            await client.query(sql);
        } finally {
            await client.end();
        }
    };
    await admin(`CREATE DATABASE ${name}`);
    cleanup.add(`database ${name}`, () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return url.href;
}
