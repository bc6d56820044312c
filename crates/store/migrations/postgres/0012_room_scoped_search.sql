-- Search in a room reads only that room's part of the full-text index: a GIN index over the
-- message's words plus one lexeme for its room, `#<rid>` (array_to_tsvector takes it as is;
-- the `simple` parser never produces `#`, and search terms are letters and digits, so no
-- word can match or prefix-match it). `chat.search` in a room asks for
-- `words && '#<rid>'`, which GIN answers by intersecting with the room's posting list
-- instead of rechecking every match in the table. No extension needed (unlike btree_gin).
-- The table-wide index of 0005 stays for searches over all of a user's rooms.

CREATE INDEX messages_room_search ON messages
    USING GIN ((msg_tsv || array_to_tsvector(ARRAY['#' || rid])));

-- Statistics for the new expression: without them the planner guesses its selectivity and,
-- for a common word, prefers this index to walking the room newest first (seconds instead of
-- milliseconds on a million-message room).
ANALYZE messages;
