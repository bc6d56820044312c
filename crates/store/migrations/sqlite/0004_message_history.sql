-- Earlier versions of edited (and deleted) messages, kept when `Message_KeepHistory` is on:
-- the message document as it was, who changed it and when. Never listed with room history.

CREATE TABLE message_history (
    id          TEXT PRIMARY KEY,
    message_id  TEXT NOT NULL,
    rid         TEXT NOT NULL,
    changed_at  BIGINT NOT NULL,
    changed_by  TEXT NOT NULL,
    doc         TEXT NOT NULL
);
CREATE INDEX message_history_message ON message_history (message_id, changed_at);
