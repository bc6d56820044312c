-- Uploaded files: who put which file in which room, what it is, and where its bytes are
-- (`store`: the backend that holds blob `id`). An upload stays incomplete until it is
-- confirmed into a message; incomplete ones older than a day are swept.

CREATE TABLE uploads (
    id           TEXT PRIMARY KEY,
    rid          TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    username     TEXT NOT NULL,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    size         BIGINT NOT NULL,
    store        TEXT NOT NULL,
    complete     INTEGER NOT NULL DEFAULT 0,
    uploaded_at  BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    extra        TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX uploads_room ON uploads (rid, uploaded_at);
CREATE INDEX uploads_incomplete ON uploads (uploaded_at) WHERE complete = 0;
