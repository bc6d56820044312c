-- Message state that queries select on, kept next to the `extra` document it is derived from
-- (the store writes both on every change): pinned messages, thread parents by last reply,
-- who starred a message, who a message mentions, who follows a thread.

ALTER TABLE messages ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN tlm BIGINT;
ALTER TABLE messages ADD COLUMN starred_by TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN mentioned_ids TEXT NOT NULL DEFAULT '[]';
ALTER TABLE messages ADD COLUMN followers TEXT NOT NULL DEFAULT '[]';

UPDATE messages SET mentioned_ids = (
    SELECT json_group_array(json_extract(m.value, '$._id')) FROM json_each(messages.extra, '$.mentions') AS m
) WHERE json_type(extra, '$.mentions') = 'array';

CREATE INDEX messages_room_pinned ON messages (rid, ts) WHERE pinned = 1;
CREATE INDEX messages_room_threads ON messages (rid, tlm) WHERE tlm IS NOT NULL;
