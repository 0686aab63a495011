/**
 * Tables the bot needs. The shared ones match the ecosystem's init SQL exactly (team brief); the
 * bot's own caches and state live in its schema. Every statement is idempotent.
 */
export function schemaStatements(schema: string): string[] {
    const s = `"${schema}"`;
    return [
        "CREATE SCHEMA IF NOT EXISTS shared",
        `CREATE TABLE IF NOT EXISTS shared.users (
            telegram_id BIGINT PRIMARY KEY,
            username    VARCHAR(255),
            first_name  VARCHAR(255),
            last_name   VARCHAR(255),
            first_seen  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC'),
            last_seen   TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
        )`,
        `CREATE TABLE IF NOT EXISTS shared.analytics_events (
            id          SERIAL PRIMARY KEY,
            telegram_id BIGINT NOT NULL REFERENCES shared.users (telegram_id) ON DELETE CASCADE,
            event_type  VARCHAR(50) NOT NULL,
            event_data  JSONB,
            created_at  TIMESTAMP NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
        )`,
        `CREATE INDEX IF NOT EXISTS analytics_events_created_at_idx
            ON shared.analytics_events (created_at)`,
        `CREATE INDEX IF NOT EXISTS analytics_events_event_type_idx
            ON shared.analytics_events (event_type)`,
        `CREATE INDEX IF NOT EXISTS analytics_events_telegram_id_idx
            ON shared.analytics_events (telegram_id)`,
        `CREATE INDEX IF NOT EXISTS analytics_events_created_type_idx
            ON shared.analytics_events (created_at, event_type)`,
        `CREATE SCHEMA IF NOT EXISTS ${s}`,
        `CREATE TABLE IF NOT EXISTS ${s}.basket_cache (
            vol        INTEGER PRIMARY KEY,
            basket     INTEGER NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        `CREATE TABLE IF NOT EXISTS ${s}.products (
            nm          BIGINT PRIMARY KEY,
            title       TEXT,
            photo_count INTEGER NOT NULL,
            updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        `CREATE TABLE IF NOT EXISTS ${s}.video_cache (
            nm         BIGINT PRIMARY KEY,
            url        TEXT,
            checked_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        `CREATE TABLE IF NOT EXISTS ${s}.file_ids (
            nm         BIGINT NOT NULL,
            kind       VARCHAR(10) NOT NULL,
            position   INTEGER NOT NULL,
            file_id    TEXT NOT NULL,
            created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
            PRIMARY KEY (nm, kind, position)
        )`,
        `CREATE TABLE IF NOT EXISTS ${s}.bot_state (
            key        TEXT PRIMARY KEY,
            value      JSONB NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
    ];
}
