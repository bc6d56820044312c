-- Message state that queries select on, kept next to the `extra` document it is derived from
-- (the store writes both on every change): pinned messages, thread parents by last reply,
-- who starred a message, who a message mentions, who follows a thread.

ALTER TABLE messages ADD COLUMN pinned BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE messages ADD COLUMN tlm BIGINT;
ALTER TABLE messages ADD COLUMN starred_by TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN mentioned_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN followers TEXT NOT NULL DEFAULT '[]';

UPDATE messages SET mentioned_ids = COALESCE(
    (SELECT json_agg(m ->> '_id')::text FROM jsonb_array_elements(extra::jsonb -> 'mentions') AS m),
    '[]'
) WHERE jsonb_typeof(extra::jsonb -> 'mentions') = 'array';

CREATE INDEX messages_room_pinned ON messages (rid, ts) WHERE pinned;
CREATE INDEX messages_room_threads ON messages (rid, tlm) WHERE tlm IS NOT NULL;
