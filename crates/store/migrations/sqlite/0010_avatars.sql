-- Uploaded avatars: which blob holds the image of a user (`user:<id>`) or room
-- (`room:<id>`), its type, and the ETag clients cache it by.

CREATE TABLE avatars (
    subject       TEXT PRIMARY KEY,
    blob_id       TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    etag          TEXT NOT NULL,
    updated_at    BIGINT NOT NULL
);
