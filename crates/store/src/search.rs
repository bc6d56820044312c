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

impl Store {
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
        if !terms.is_empty() {
            match self.dialect {
                Dialect::Sqlite => {
                    let expression: Vec<String> =
                        terms.iter().map(|t| format!("\"{t}\"*")).collect();
                    let p = next(expression.join(" "), &mut binds);
                    conditions.push(format!(
                        "id IN (SELECT k.id FROM messages_fts f JOIN message_search_keys k \
                         ON k.key = f.rowid WHERE messages_fts MATCH {p})"
                    ));
                }
                Dialect::Postgres => {
                    let expression: Vec<String> = terms.iter().map(|t| format!("{t}:*")).collect();
                    let p = next(expression.join(" & "), &mut binds);
                    conditions.push(format!("msg_tsv @@ to_tsquery('simple', {p})"));
                }
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
        let mut q = sqlx::query(&sql);
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
    fn terms_are_words_without_syntax() {
        assert_eq!(terms_of("Hello, World!"), ["hello", "world"]);
        assert_eq!(terms_of("don't \"OR\" *"), ["don", "t", "or"]);
        assert_eq!(terms_of("café über 42"), ["café", "über", "42"]);
        assert!(terms_of("-- ' \" ( ) :*").is_empty());
    }
}
