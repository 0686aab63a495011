import { randomBytes } from "node:crypto";
import pg from "pg";
import { inject } from "vitest";

export interface TestDatabase {
    url: string;
    query<R extends pg.QueryResultRow = Record<string, unknown>>(
        sql: string,
        values?: unknown[],
    ): Promise<R[]>;
    drop(): Promise<void>;
}

/** A fresh, empty database on the test cluster; the bot creates its tables itself. */
export async function createTestDatabase(): Promise<TestDatabase> {
    const adminUrl = inject("pgAdminUrl");
    const name = `bot_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const pool = new pg.Pool({ connectionString: url.href, max: 2 });
    // pool.end() resolves before its sockets are closed; DROP ... WITH (FORCE) may then terminate
    // them, which the pool reports as an "error" event.
    pool.on("error", () => undefined);
    return {
        url: url.href,
        async query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]) {
            return (await pool.query<R>(sql, values)).rows;
        },
        async drop() {
            await pool.end();
            const c = new pg.Client({ connectionString: adminUrl });
            await c.connect();
            await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
            await c.end();
        },
    };
}
