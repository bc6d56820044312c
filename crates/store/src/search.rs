//! Full-text message search: SQLite FTS5 (`messages_fts`) or PostgreSQL's `tsvector`
//! (`messages.msg_tsv`), both filled as messages are written (migration 0005). Terms are
//! reduced to letters and digits before they reach either query language, so no user input
//! is ever parsed as FTS5 or tsquery syntax.

use ferrochat_model::Message;

use crate::filter::list_contains;
use crate::messages::{COLUMNS, from_row};
use crate::{Dialect, Page, Result, Store};

/// What to look for. Every term must match (as a word prefix); the other conditions narrow.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub terms: Vec<String>,
    /// Only messages by this username.
    pub from_username: Option<String>,
    pub pinned_only: bool,
    /// Only messages starred by this user id.
    pub starred_by: Option<String>,
}

/// Splits free text into search terms the way both full-text tokenizers split words:
/// lower-cased runs of letters and digits.
pub fn terms_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Above this many full-text matches in a room (SQLite), a search walks the room's
/// messages newest first instead of looking every match up.
const WALK_ABOVE: i64 = 2_000;

/// PostgreSQL: the expression of the room-scoped index of migration 0014, the message's
/// lexemes each prefixed with its room id (`<rid>/<word>`).
const ROOM_LEXEMES: &str = "room_lexemes(rid, msg_tsv)";

/// Whether a room id is of the characters Meteor ids and Rocket.Chat's fixed ids use, none
/// of them `/`, so that `<rid>/` prefixes only that room's lexemes; other ids are searched
/// through the table-wide index.
fn plain_room_id(rid: &str) -> bool {
    !rid.is_empty()
        && rid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// The FTS5 query: every term as a word prefix in the message text (`msg`), and, for one
/// room, the room id in the `rid` column. Terms are letters and digits only, so quoting
/// them is enough; a room id is quoted with its quotes doubled.
fn fts5_expression(terms: &[String], room: Option<&str>) -> String {
    let words: Vec<String> = terms.iter().map(|t| format!("\"{t}\"*")).collect();
    let text = format!("msg : ({})", words.join(" AND "));
    match room {
        Some(rid) if rid.chars().any(char::is_alphanumeric) => {
            format!("rid : \"{}\" AND {text}", rid.replace('"', "\"\""))
        }
        _ => text,
    }
}

impl Store {
    /// Whether the FTS5 query matches at least `n` messages (reads at most `n` keys).
    async fn fts5_matches_at_least(&self, expression: &str, n: i64) -> Result<bool> {
        let found: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM (SELECT rowid FROM messages_fts WHERE messages_fts MATCH $1 LIMIT $2)",
        )
        .bind(expression)
        .bind(n)
        .fetch_one(&self.read)
        .await?;
        Ok(found >= n)
    }

    /// Messages in `rids` matching `query`, newest first (system messages excluded).
    pub async fn search_messages(
        &self,
        rids: &[String],
        query: &SearchQuery,
        page: Page,
    ) -> Result<Vec<Message>> {
        if rids.is_empty() {
            return Ok(Vec::new());
        }
        let mut binds: Vec<String> = Vec::new();
        let next = |value: String, binds: &mut Vec<String>| {
            binds.push(value);
            format!("${}", binds.len())
        };
        let room_params: Vec<String> = rids.iter().map(|r| next(r.clone(), &mut binds)).collect();
        let mut conditions = vec![
            format!("rid IN ({})", room_params.join(", ")),
            "t IS NULL".to_owned(),
        ];
        // Terms are alphanumeric only (see `terms_of`), so quoting them is enough.
        let terms: Vec<String> = query
            .terms
            .iter()
            .flat_map(|t| terms_of(t))
            .take(16)
            .collect();
        // One room: the full-text match is limited to that room's entries (migrations 0012
        // on SQLite, 0014 on PostgreSQL).
        let room = match rids {
            [rid] => Some(rid.as_str()),
            _ => None,
        };
        if !terms.is_empty() {
            match self.dialect {
                Dialect::Sqlite => {
                    let expression = fts5_expression(&terms, room);
                    // Many matches in a room: walk the room's messages newest first and keep
                    // those whose key is among the matches, stopping at the page's end; few:
                    // look the matches up by id and sort them. Both select the same rows.
                    let many = room.is_some()
                        && self.fts5_matches_at_least(&expression, WALK_ABOVE).await?;
                    let p = next(expression, &mut binds);
                    if many {
                        conditions.push(format!(
                            "(SELECT k.key FROM message_search_keys k WHERE k.id = messages.id) \
                             IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH {p})"
                        ));
                    } else {
                        conditions.push(format!(
                            "id IN (SELECT k.id FROM messages_fts f JOIN message_search_keys k \
                             ON k.key = f.rowid WHERE messages_fts MATCH {p})"
                        ));
                        // Left to itself SQLite walks the room's (rid, ts) index here too,
                        // through the whole room when the matches are few and old; `+rid`
                        // takes that index away, so the matches are looked up by id.
                        if room.is_some() {
                            conditions[0] = format!("+{}", conditions[0]);
                        }
                    }
                }
                Dialect::Postgres => match room.filter(|rid| plain_room_id(rid)) {
                    // Every term as a prefix of one of the room's own lexemes (migration
                    // 0014): the index never looks at other rooms' words.
                    Some(rid) => {
                        let r = next(rid.to_owned(), &mut binds);
                        let p = next(terms.join(" "), &mut binds);
                        conditions.push(format!("{ROOM_LEXEMES} @@ room_prefix_query({r}, {p})"));
                    }
                    None => {
                        let expression: Vec<String> =
                            terms.iter().map(|t| format!("{t}:*")).collect();
                        let p = next(expression.join(" & "), &mut binds);
                        conditions.push(format!("msg_tsv @@ to_tsquery('simple', {p})"));
                    }
                },
            }
        }
        if let Some(username) = &query.from_username {
            let p = next(username.clone(), &mut binds);
            conditions.push(format!("username = {p}"));
        }
        if query.pinned_only {
            conditions.push(match self.dialect {
                Dialect::Sqlite => "pinned = 1".to_owned(),
                Dialect::Postgres => "pinned".to_owned(),
            });
        }
        if let Some(uid) = &query.starred_by {
            let p = next(uid.clone(), &mut binds);
            conditions.push(list_contains(self.dialect, "starred_by", &p));
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM messages WHERE {} ORDER BY ts DESC{}",
            conditions.join(" AND "),
            page.sql(self.dialect)
        );
        // PostgreSQL: not a prepared statement, so every search is planned for its own terms.
        // A cached generic plan cannot tell a common word (walk the room newest first) from a
        // rare one (use the full-text index), and picked the index for "build": seconds.
        let mut q = sqlx::query(&sql).persistent(self.dialect != Dialect::Postgres);
        for bind in &binds {
            q = q.bind(bind);
        }
        let rows = q.fetch_all(&self.read).await?;
        rows.iter().map(from_row).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::terms_of;

    #[test]
    fn room_scoped_expressions() {
        let terms = vec!["hello".to_owned(), "wor".to_owned()];
        assert_eq!(
            super::fts5_expression(&terms, Some("GENERAL")),
            r#"rid : "GENERAL" AND msg : ("hello"* AND "wor"*)"#
        );
        assert_eq!(
            super::fts5_expression(&terms, None),
            r#"msg : ("hello"* AND "wor"*)"#
        );
        assert_eq!(
            super::fts5_expression(&terms, Some("a\"b")),
            r#"rid : "a""b" AND msg : ("hello"* AND "wor"*)"#
        );
        assert!(super::plain_room_id("aB3xYz"));
        assert!(super::plain_room_id("GENERAL"));
        assert!(!super::plain_room_id("a'b"));
        assert!(!super::plain_room_id("a/b"));
        assert!(!super::plain_room_id(""));
    }

    #[test]
    fn terms_are_words_without_syntax() {
        assert_eq!(terms_of("Hello, World!"), ["hello", "world"]);
        assert_eq!(terms_of("don't \"OR\" *"), ["don", "t", "or"]);
        assert_eq!(terms_of("café über 42"), ["café", "über", "42"]);
        assert!(terms_of("-- ' \" ( ) :*").is_empty());
    }
}
