-- Uploaded file contents stored in the database (the GridFS-style backend of
-- ferrochat-files): one row per blob plus its contents in fixed-size chunks. Upload
-- metadata (names, rooms, owners) lives elsewhere; these tables only hold bytes.
--
-- A blob is written chunk by chunk in separate short transactions, so a long upload never
-- holds the (single) SQLite writer; `complete` flips in the final transaction and readers
-- only ever see complete blobs. Incomplete rows are the remains of an upload that was cut
-- off and are removed by the uploader or, after a crash, by the pending-blob sweep.

CREATE TABLE blob_files (
    id          TEXT PRIMARY KEY,
    length      BIGINT NOT NULL DEFAULT 0,
    chunk_size  BIGINT NOT NULL,
    complete    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX blob_files_pending ON blob_files (complete, created_at);

CREATE TABLE blob_chunks (
    files_id  TEXT NOT NULL REFERENCES blob_files (id) ON DELETE CASCADE,
    n         BIGINT NOT NULL,
    data      BYTEA NOT NULL,
    PRIMARY KEY (files_id, n)
);
