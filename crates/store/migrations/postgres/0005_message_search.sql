-- Full-text search over message text: a generated tsvector with the language-neutral
-- `simple` configuration (messages are in any language) and unaccent-free folding to lower
-- case, indexed with GIN. Generated, so a new message is searchable at once.

ALTER TABLE messages ADD COLUMN msg_tsv tsvector
    GENERATED ALWAYS AS (to_tsvector('simple', msg)) STORED;
CREATE INDEX messages_msg_tsv ON messages USING GIN (msg_tsv);
