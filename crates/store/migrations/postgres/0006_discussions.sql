-- Discussions: a room may belong to a parent room (`prid`); the messages that announce or
-- started a discussion carry its room id (`drid`, derived from the message document).

ALTER TABLE rooms ADD COLUMN prid TEXT;
CREATE INDEX rooms_prid ON rooms (prid) WHERE prid IS NOT NULL;
ALTER TABLE messages ADD COLUMN drid TEXT;
CREATE INDEX messages_drid ON messages (drid) WHERE drid IS NOT NULL;
