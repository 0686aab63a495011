-- Managed by Pulumi from templates/opt/stack/postgres/init/01-init.sql; host edits are overwritten.
-- Runs once, on an empty data volume (/docker-entrypoint-initdb.d). The bot-schemas step applies
-- the same SQL to an initialised database when a bot's schema is missing: keep it idempotent.
-- Timestamps are UTC without time zone, as the existing bots write them.
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

CREATE INDEX IF NOT EXISTS analytics_events_created_at_idx ON shared.analytics_events (created_at);
CREATE INDEX IF NOT EXISTS analytics_events_event_type_idx ON shared.analytics_events (event_type);
CREATE INDEX IF NOT EXISTS analytics_events_telegram_id_idx ON shared.analytics_events (telegram_id);
CREATE INDEX IF NOT EXISTS analytics_events_created_type_idx
    ON shared.analytics_events (created_at, event_type);

-- One schema per bot:
{{ bot_schemas }}
