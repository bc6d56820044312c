-- Custom emoji: name, aliases and the image itself (small; size-capped by the server).

CREATE TABLE custom_emoji (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    aliases       TEXT NOT NULL DEFAULT '[]',
    extension     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    etag          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    data          BYTEA NOT NULL
);
CREATE INDEX custom_emoji_updated ON custom_emoji (updated_at);
