import { TestPostgres } from "./postgres";

export const DB = "telegram_ecosystem";

/** The shared tables (team brief) plus a bot schema, filled with known rows. */
export const SEED_SQL = `
CREATE SCHEMA IF NOT EXISTS shared;
CREATE TABLE IF NOT EXISTS shared.users (
    telegram_id BIGINT PRIMARY KEY,
    username    VARCHAR(255),
    first_name  VARCHAR(255),
    last_name   VARCHAR(255),
    first_seen  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
    last_seen   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE TABLE IF NOT EXISTS shared.analytics_events (
    id          SERIAL PRIMARY KEY,
    telegram_id BIGINT NOT NULL REFERENCES shared.users (telegram_id) ON DELETE CASCADE,
    event_type  VARCHAR(50) NOT NULL,
    event_data  JSONB,
    created_at  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
CREATE SCHEMA IF NOT EXISTS mpcabinet;
CREATE TABLE IF NOT EXISTS mpcabinet.requests (
    id BIGSERIAL PRIMARY KEY, article TEXT NOT NULL, done BOOLEAN
);
INSERT INTO shared.users (telegram_id, username, first_name, last_name, first_seen, last_seen)
    SELECT 1000 + n, 'user' || n, 'Имя ' || n, NULL,
           TIMESTAMP '2026-01-01' + n * INTERVAL '1 hour',
           TIMESTAMP '2026-02-01' + n * INTERVAL '1 minute'
    FROM generate_series(1, 250) AS n;
INSERT INTO shared.analytics_events (telegram_id, event_type, event_data, created_at)
    SELECT 1000 + (n % 250) + 1, 'event_' || (n % 7),
           jsonb_build_object('n', n, 'note', 'кириллица'),
           TIMESTAMP '2026-03-01' + n * INTERVAL '1 second'
    FROM generate_series(1, 1200) AS n;
INSERT INTO mpcabinet.requests (article, done)
    SELECT 'art-' || n, n % 3 = 0 FROM generate_series(1, 40) AS n;
`;

export function createSeededDatabase(pg: TestPostgres, database = DB): void {
    pg.sql("postgres", `DROP DATABASE IF EXISTS ${database} WITH (FORCE);`);
    pg.sql("postgres", `CREATE DATABASE ${database};`);
    pg.sql(database, SEED_SQL);
}

/** "schema.table rows md5" for every user table, so two databases compare with one equality. */
export function tableFingerprints(pg: TestPostgres, database = DB): string[] {
    const tables = pg
        .sql(
            database,
            `SELECT schemaname || '.' || tablename FROM pg_tables
            WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1;`,
        )
        .split("\n")
        .filter((line) => line !== "");
    return tables.map((table) => {
        const row = pg.sql(
            database,
            `SELECT count(*) || ' ' ||
            coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '-') FROM ${table} AS t;`,
        );
        return `${table} ${row}`;
    });
}

export function databases(pg: TestPostgres): string[] {
    const sql = "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1;";
    return pg.sql("postgres", sql).split("\n");
}
