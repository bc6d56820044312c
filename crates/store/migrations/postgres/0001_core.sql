-- Core schema: users, login tokens, rooms, subscriptions, messages, trash, settings,
-- roles and permissions. Times are epoch milliseconds; open-ended documents are JSON text.

CREATE TABLE users (
    id                      TEXT PRIMARY KEY,
    username                TEXT NOT NULL,
    name                    TEXT NOT NULL DEFAULT '',
    email                   TEXT,
    email_verified          BOOLEAN NOT NULL DEFAULT FALSE,
    user_type               TEXT NOT NULL DEFAULT 'user',
    active                  BOOLEAN NOT NULL DEFAULT TRUE,
    roles                   TEXT NOT NULL DEFAULT '[]',
    status                  TEXT NOT NULL DEFAULT 'offline',
    status_default          TEXT NOT NULL DEFAULT 'online',
    status_connection       TEXT NOT NULL DEFAULT 'offline',
    status_text             TEXT NOT NULL DEFAULT '',
    utc_offset              DOUBLE PRECISION NOT NULL DEFAULT 0,
    created_at              BIGINT NOT NULL,
    updated_at              BIGINT NOT NULL,
    last_login              BIGINT,
    password_hash           TEXT,
    require_password_change BOOLEAN NOT NULL DEFAULT FALSE,
    avatar_etag             TEXT,
    bio                     TEXT,
    nickname                TEXT,
    language                TEXT,
    preferences             TEXT NOT NULL DEFAULT '{}',
    custom_fields           TEXT
);
CREATE UNIQUE INDEX users_username_lower ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
CREATE INDEX users_updated_at ON users (updated_at);

CREATE TABLE login_tokens (
    hashed_token      TEXT PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at        BIGINT NOT NULL,
    expires_at        BIGINT,
    kind              TEXT NOT NULL DEFAULT 'resume',
    name              TEXT,
    last_token_part   TEXT,
    bypass_two_factor BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX login_tokens_user ON login_tokens (user_id);
CREATE UNIQUE INDEX login_tokens_pat_name ON login_tokens (user_id, name) WHERE kind = 'personalAccessToken';

CREATE TABLE rooms (
    id               TEXT PRIMARY KEY,
    t                TEXT NOT NULL,
    name             TEXT,
    fname            TEXT,
    creator_id       TEXT,
    creator_username TEXT,
    ts               BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    msgs             BIGINT NOT NULL DEFAULT 0,
    users_count      BIGINT NOT NULL DEFAULT 0,
    lm               BIGINT,
    last_message     TEXT,
    read_only        BOOLEAN NOT NULL DEFAULT FALSE,
    is_default       BOOLEAN NOT NULL DEFAULT FALSE,
    featured         BOOLEAN NOT NULL DEFAULT FALSE,
    broadcast        BOOLEAN NOT NULL DEFAULT FALSE,
    encrypted        BOOLEAN NOT NULL DEFAULT FALSE,
    archived         BOOLEAN NOT NULL DEFAULT FALSE,
    topic            TEXT,
    description      TEXT,
    purpose          TEXT,
    announcement     TEXT,
    join_code        TEXT,
    custom_fields    TEXT,
    uids             TEXT NOT NULL DEFAULT '[]',
    usernames        TEXT NOT NULL DEFAULT '[]',
    muted            TEXT NOT NULL DEFAULT '[]',
    sys_mes          TEXT
);
CREATE UNIQUE INDEX rooms_name_lower ON rooms (lower(name)) WHERE t IN ('c', 'p');
CREATE INDEX rooms_t ON rooms (t);
CREATE INDEX rooms_updated_at ON rooms (updated_at);

CREATE TABLE subscriptions (
    id             TEXT PRIMARY KEY,
    rid            TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id        TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    username       TEXT NOT NULL,
    user_name      TEXT,
    t              TEXT NOT NULL,
    name           TEXT NOT NULL,
    fname          TEXT,
    ts             BIGINT NOT NULL,
    ls             BIGINT,
    lr             BIGINT,
    updated_at     BIGINT NOT NULL,
    open           BOOLEAN NOT NULL DEFAULT TRUE,
    alert          BOOLEAN NOT NULL DEFAULT FALSE,
    unread         BIGINT NOT NULL DEFAULT 0,
    user_mentions  BIGINT NOT NULL DEFAULT 0,
    group_mentions BIGINT NOT NULL DEFAULT 0,
    roles          TEXT NOT NULL DEFAULT '[]',
    favorite       BOOLEAN NOT NULL DEFAULT FALSE,
    archived       BOOLEAN NOT NULL DEFAULT FALSE,
    extra          TEXT NOT NULL DEFAULT '{}'
);
CREATE UNIQUE INDEX subscriptions_room_user ON subscriptions (rid, user_id);
CREATE INDEX subscriptions_user ON subscriptions (user_id, updated_at);

CREATE TABLE messages (
    id          TEXT PRIMARY KEY,
    rid         TEXT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    msg         TEXT NOT NULL DEFAULT '',
    ts          BIGINT NOT NULL,
    user_id     TEXT NOT NULL,
    username    TEXT NOT NULL,
    user_name   TEXT,
    updated_at  BIGINT NOT NULL,
    t           TEXT,
    tmid        TEXT,
    edited_at   BIGINT,
    edited_by   TEXT,
    extra       TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX messages_room_ts ON messages (rid, ts);
CREATE INDEX messages_room_updated ON messages (rid, updated_at);
CREATE INDEX messages_tmid ON messages (tmid) WHERE tmid IS NOT NULL;

-- Deleted documents, kept so that `updatedSince` sync endpoints can report removals.
CREATE TABLE trash (
    id          TEXT NOT NULL,
    collection  TEXT NOT NULL,
    rid         TEXT,
    user_id     TEXT,
    deleted_at  BIGINT NOT NULL,
    doc         TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (collection, id)
);
CREATE INDEX trash_user ON trash (collection, user_id, deleted_at);
CREATE INDEX trash_room ON trash (collection, rid, deleted_at);

-- Only values that differ from the built-in defaults (and their change times) are stored.
CREATE TABLE settings (
    id          TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE roles (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL DEFAULT 'Users',
    description  TEXT NOT NULL DEFAULT '',
    protected    BOOLEAN NOT NULL DEFAULT FALSE,
    mandatory2fa BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at   BIGINT NOT NULL
);

CREATE TABLE permissions (
    id          TEXT PRIMARY KEY,
    roles       TEXT NOT NULL DEFAULT '[]',
    updated_at  BIGINT NOT NULL
);

-- Instance-wide facts (the instance id, seeding state).
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
