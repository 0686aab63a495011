import pg from "pg";
import type { Logger } from "pino";
import { schemaStatements } from "./schema.js";

export class DbUnavailableError extends Error {
    constructor(message = "database unavailable") {
        super(message);
        this.name = "DbUnavailableError";
    }
}

const RETRY_AFTER_FAILURE_MS = 2000;

/**
 * A pg pool that degrades instead of blocking: after a failure it fails fast for a short while
 * (no reconnect storm from every handler, bot-spec 10.2.15), and it creates the schema on the first
 * successful connection (so a database that was down at boot is set up when it returns).
 */
export class Database {
    private readonly pool: pg.Pool;
    private readyPromise?: Promise<void>;
    private downUntil = 0;
    private wasDown = false;

    constructor(
        url: string,
        readonly schema: string,
        private readonly log: Logger,
    ) {
        this.pool = new pg.Pool({
            connectionString: url,
            max: 5,
            connectionTimeoutMillis: 2000,
            idleTimeoutMillis: 30_000,
            query_timeout: 8000,
            statement_timeout: 7000,
        });
        // A client losing its server (idle or checked out) must not crash the process; the
        // failing query reports the error to its caller.
        this.pool.on("error", (err) =>
            this.log.debug({ err: err.message }, "idle db client failed"),
        );
        this.pool.on("connect", (client) => {
            client.on("error", (err) => this.log.debug({ err: err.message }, "db client failed"));
        });
    }

    get available(): boolean {
        return Date.now() >= this.downUntil;
    }

    async query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<R[]> {
        await this.ready();
        return (await this.guard(() => this.pool.query<R>(text, values))).rows;
    }

    /** Runs fn in one transaction on one connection. */
    async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
        await this.ready();
        return this.guard(async () => {
            const client = await this.pool.connect();
            try {
                await client.query("BEGIN");
                const result = await fn(client);
                await client.query("COMMIT");
                return result;
            } catch (error) {
                await client.query("ROLLBACK").catch(() => undefined);
                throw error;
            } finally {
                client.release();
            }
        });
    }

    async close(): Promise<void> {
        await this.pool.end().catch(() => undefined);
    }

    private ready(): Promise<void> {
        this.readyPromise ??= this.guard(async () => {
            for (const statement of schemaStatements(this.schema)) await this.pool.query(statement);
            this.log.info({ schema: this.schema }, "database schema ready");
        }).catch((error: unknown) => {
            this.readyPromise = undefined;
            throw error;
        });
        return this.readyPromise;
    }

    private async guard<T>(fn: () => Promise<T>): Promise<T> {
        if (!this.available) throw new DbUnavailableError();
        try {
            const result = await fn();
            if (this.wasDown) {
                this.wasDown = false;
                this.log.info("database is reachable again");
            }
            return result;
        } catch (error) {
            if (isConnectionError(error)) {
                this.downUntil = Date.now() + RETRY_AFTER_FAILURE_MS;
                if (!this.wasDown) {
                    this.wasDown = true;
                    this.log.warn({ err: errorText(error) }, "database unavailable; degrading");
                }
                throw new DbUnavailableError(errorText(error));
            }
            throw error;
        }
    }
}

function isConnectionError(error: unknown): boolean {
    if (!(error instanceof Error)) return false;
    const code = (error as { code?: string }).code ?? "";
    // Class 08 = connection exceptions, 57P0x = server shutting down; the rest are socket errors.
    return (
        code.startsWith("08") ||
        code.startsWith("57P") ||
        ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN"].includes(
            code,
        ) ||
        /timeout|terminated|Connection terminated|not queryable|ended/i.test(error.message)
    );
}

export function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}
