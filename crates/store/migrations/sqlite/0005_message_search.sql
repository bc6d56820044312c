-- Full-text search over message text with FTS5, kept in step by triggers so a new message is
-- searchable at once. The index is contentless (the text lives in `messages` only) and keyed
-- by `message_search_keys.key`, an integer that never changes: a table without an INTEGER
-- PRIMARY KEY may get new rowids from VACUUM, so `messages.rowid` cannot be the key.
-- unicode61 with diacritics folded: "cafe" finds "café".

CREATE TABLE message_search_keys (
    key INTEGER PRIMARY KEY,
    id  TEXT NOT NULL UNIQUE
);

CREATE VIRTUAL TABLE messages_fts USING fts5(
    msg,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

INSERT INTO message_search_keys (id) SELECT id FROM messages ORDER BY ts;
INSERT INTO messages_fts (rowid, msg)
    SELECT k.key, m.msg FROM messages m JOIN message_search_keys k ON k.id = m.id;

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search_keys (id) VALUES (new.id);
    INSERT INTO messages_fts (rowid, msg)
        VALUES ((SELECT key FROM message_search_keys WHERE id = new.id), new.msg);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT key FROM message_search_keys WHERE id = old.id);
    DELETE FROM message_search_keys WHERE id = old.id;
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF msg ON messages WHEN old.msg IS NOT new.msg BEGIN
    DELETE FROM messages_fts WHERE rowid = (SELECT key FROM message_search_keys WHERE id = old.id);
    INSERT INTO messages_fts (rowid, msg)
        VALUES ((SELECT key FROM message_search_keys WHERE id = new.id), new.msg);
END;
