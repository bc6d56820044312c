-- The audit log of administrative actions. The actor is kept as text (id and username),
-- without a foreign key, so entries outlive the acting account. Snapshots are JSON text;
-- times are epoch milliseconds.

CREATE TABLE audit_log (
    id             TEXT PRIMARY KEY,
    ts             BIGINT NOT NULL,
    actor_id       TEXT NOT NULL,
    actor_username TEXT NOT NULL,
    action         TEXT NOT NULL,
    target_type    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    before_doc     TEXT,
    after_doc      TEXT,
    ip             TEXT
);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE INDEX audit_log_actor ON audit_log (actor_id);
CREATE INDEX audit_log_target ON audit_log (target_id);
