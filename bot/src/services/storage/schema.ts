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
        // What the product's card.json was when last checked (null columns: no card.json); the
        // card is revalidated with these on every article request.
        `ALTER TABLE ${s}.products
            ADD COLUMN IF NOT EXISTS has_card BOOLEAN NOT NULL DEFAULT false,
            ADD COLUMN IF NOT EXISTS has_video BOOLEAN,
            ADD COLUMN IF NOT EXISTS card_etag TEXT,
            ADD COLUMN IF NOT EXISTS card_last_modified TEXT`,
        `CREATE TABLE IF NOT EXISTS ${s}.video_cache (
            nm         BIGINT PRIMARY KEY,
            url        TEXT,
            checked_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        // Replaced by media_files: its file_ids were keyed by article only, so a seller's new
        // photos were never noticed.
        `DROP TABLE IF EXISTS ${s}.file_ids`,
        `CREATE TABLE IF NOT EXISTS ${s}.media_files (
            url           TEXT PRIMARY KEY,
            kind          VARCHAR(10) NOT NULL,
            file_id       TEXT NOT NULL,
            sha256        TEXT NOT NULL,
            etag          TEXT,
            last_modified TEXT,
            stored_at     TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
        `CREATE TABLE IF NOT EXISTS ${s}.bot_state (
            key        TEXT PRIMARY KEY,
            value      JSONB NOT NULL,
            updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )`,
    ];
}
