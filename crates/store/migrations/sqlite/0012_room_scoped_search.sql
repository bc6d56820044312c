-- Search in a room reads only that room's part of the full-text index: `messages_fts` gets
-- the message's room id as a column of its own, so `chat.search` in a room matches
-- `rid : "<rid>" AND msg : (...)` instead of every match in the whole table. The user's
-- terms are bound to the `msg` column, so a word never matches a room id. The index is
-- rebuilt from `messages` with the same keys (`message_search_keys`) as before.

DROP TRIGGER messages_fts_insert;
DROP TRIGGER messages_fts_delete;
DROP TRIGGER messages_fts_update;
DROP TABLE messages_fts;

CREATE VIRTUAL TABLE messages_fts USING fts5(
    rid,
    msg,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO messages_fts (rowid, rid, msg)
    SELECT k.key, m.rid, m.msg FROM messages m JOIN message_search_keys k ON k.id = m.id;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search_keys (id) VALUES (new.id);
    INSERT INTO messages_fts (rowid, rid, msg)
        VALUES ((SELECT key FROM message_search_keys WHERE id = new.id), new.rid, new.msg);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT key FROM message_search_keys WHERE id = old.id);
    DELETE FROM message_search_keys WHERE id = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF msg, rid ON messages
    WHEN old.msg IS NOT new.msg OR old.rid IS NOT new.rid BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT key FROM message_search_keys WHERE id = old.id);
    INSERT INTO messages_fts (rowid, rid, msg)
        VALUES ((SELECT key FROM message_search_keys WHERE id = new.id), new.rid, new.msg);
END;
