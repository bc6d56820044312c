//! A small, safe subset of MongoDB filters (the deprecated `query` parameter of Rocket.Chat's
//! list endpoints) compiled to parameterised SQL. Only fields a collection names in its
//! [`FieldMap`] can be queried, and only these operators are understood: `$and`, `$or`,
//! `$eq`, `$ne`, `$in`, `$nin`, `$exists`, `$regex` (with `$options: "i"`), `$gt`, `$gte`,
//! `$lt`, `$lte`. Regular expressions are limited to literal text with optional `^` and `$`
//! anchors, compiled to string functions, never to a regex engine. Anything else is refused.

use serde_json::Value;

use crate::Dialect;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FilterError {
    #[error("Invalid query parameter provided: {0}")]
    Invalid(String),
}

/// How a queryable field is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Int,
    Bool,
    /// Epoch milliseconds; queried with ISO strings or `{"$date": ms}`.
    Date,
    /// A JSON array of strings: equality means "contains".
    TextList,
}

/// `(wire field, SQL column, kind)`.
pub type FieldMap = &'static [(&'static str, &'static str, FieldKind)];

#[derive(Debug, Clone, PartialEq)]
pub enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

#[derive(Debug, Clone, PartialEq)]
enum Cond {
    And(Vec<Cond>),
    Or(Vec<Cond>),
    Cmp(&'static str, FieldKind, Op, Bind),
    IsNull(&'static str, bool),
    In(&'static str, FieldKind, Vec<Bind>, bool),
    Text {
        column: &'static str,
        needle: String,
        anchor_start: bool,
        anchor_end: bool,
        insensitive: bool,
    },
}

/// A compiled filter. `Filter::default()` matches everything.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    conds: Vec<Cond>,
}

/// A compiled sort: `(column, ascending)`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sort(pub Vec<(&'static str, bool)>);

impl Sort {
    /// Compiles `{"field": 1|-1, ...}` against a field map.
    pub fn from_mongo(value: &Value, fields: FieldMap) -> Result<Self, FilterError> {
        let Value::Object(map) = value else {
            return Err(FilterError::Invalid("sort must be an object".into()));
        };
        let mut out = Vec::new();
        for (key, dir) in map {
            let (column, _) = lookup(fields, key)?;
            let ascending = match dir.as_i64() {
                Some(1) => true,
                Some(-1) => false,
                _ => {
                    return Err(FilterError::Invalid(format!(
                        "sort direction of {key} must be 1 or -1"
                    )));
                }
            };
            out.push((column, ascending));
        }
        Ok(Sort(out))
    }

    pub(crate) fn sql(&self, default: &str) -> String {
        if self.0.is_empty() {
            return format!(" ORDER BY {default}");
        }
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(column, asc)| format!("{column} {}", if *asc { "ASC" } else { "DESC" }))
            .collect();
        format!(" ORDER BY {}, {default}", parts.join(", "))
    }
}

fn lookup(fields: FieldMap, key: &str) -> Result<(&'static str, FieldKind), FilterError> {
    fields
        .iter()
        .find(|(wire, _, _)| *wire == key)
        .map(|(_, column, kind)| (*column, *kind))
        .ok_or_else(|| FilterError::Invalid(format!("field {key} cannot be queried")))
}

impl Filter {
    /// Compiles a Mongo-style filter document against a field map.
    pub fn from_mongo(value: &Value, fields: FieldMap) -> Result<Self, FilterError> {
        Ok(Self {
            conds: vec![compile_doc(value, fields, 0)?],
        })
    }

    /// Adds `column = value` (used by endpoints for their fixed conditions).
    pub fn eq_text(mut self, column: &'static str, value: impl Into<String>) -> Self {
        self.conds.push(Cond::Cmp(
            column,
            FieldKind::Text,
            Op::Eq,
            Bind::Text(value.into()),
        ));
        self
    }

    pub fn and(mut self, other: Filter) -> Self {
        self.conds.extend(other.conds);
        self
    }

    /// Renders ` WHERE ...` (or nothing), numbering placeholders from `first_param`.
    pub fn to_sql(&self, dialect: Dialect, first_param: usize) -> (String, Vec<Bind>) {
        if self.conds.is_empty() {
            return (String::new(), Vec::new());
        }
        let mut binds = Vec::new();
        let mut next = first_param;
        let sql = render(
            &Cond::And(self.conds.clone()),
            dialect,
            &mut next,
            &mut binds,
        );
        (format!(" WHERE {sql}"), binds)
    }
}

const MAX_DEPTH: usize = 8;

fn compile_doc(value: &Value, fields: FieldMap, depth: usize) -> Result<Cond, FilterError> {
    if depth > MAX_DEPTH {
        return Err(FilterError::Invalid("query is nested too deeply".into()));
    }
    let Value::Object(map) = value else {
        return Err(FilterError::Invalid("query must be an object".into()));
    };
    let mut conds = Vec::new();
    for (key, val) in map {
        match key.as_str() {
            "$and" | "$or" => {
                let Value::Array(items) = val else {
                    return Err(FilterError::Invalid(format!("{key} needs an array")));
                };
                if items.is_empty() {
                    return Err(FilterError::Invalid(format!(
                        "{key} needs a non-empty array"
                    )));
                }
                let inner = items
                    .iter()
                    .map(|item| compile_doc(item, fields, depth + 1))
                    .collect::<Result<Vec<_>, _>>()?;
                conds.push(if key == "$and" {
                    Cond::And(inner)
                } else {
                    Cond::Or(inner)
                });
            }
            k if k.starts_with('$') => {
                return Err(FilterError::Invalid(format!("operator {k} is not allowed")));
            }
            field => {
                let (column, kind) = lookup(fields, field)?;
                conds.push(compile_field(column, kind, val)?);
            }
        }
    }
    Ok(Cond::And(conds))
}

fn compile_field(column: &'static str, kind: FieldKind, val: &Value) -> Result<Cond, FilterError> {
    let Value::Object(ops) = val else {
        return scalar(column, kind, val, Op::Eq);
    };
    if ops.contains_key("$date") {
        return scalar(column, kind, val, Op::Eq);
    }
    if ops.is_empty() {
        return Err(FilterError::Invalid("empty operator object".into()));
    }
    let mut conds = Vec::new();
    let options = ops.get("$options").and_then(Value::as_str).unwrap_or("");
    if options.chars().any(|c| c != 'i') {
        return Err(FilterError::Invalid(
            "only the i regex option is allowed".into(),
        ));
    }
    for (op, arg) in ops {
        let cond = match op.as_str() {
            "$eq" => scalar(column, kind, arg, Op::Eq)?,
            "$ne" => scalar(column, kind, arg, Op::Ne)?,
            "$gt" => scalar(column, kind, arg, Op::Gt)?,
            "$gte" => scalar(column, kind, arg, Op::Gte)?,
            "$lt" => scalar(column, kind, arg, Op::Lt)?,
            "$lte" => scalar(column, kind, arg, Op::Lte)?,
            "$in" | "$nin" => {
                let Value::Array(items) = arg else {
                    return Err(FilterError::Invalid(format!("{op} needs an array")));
                };
                if items.len() > 1000 {
                    return Err(FilterError::Invalid(format!("{op} list is too long")));
                }
                let binds = items
                    .iter()
                    .map(|item| bind_for(kind, item))
                    .collect::<Result<Vec<_>, _>>()?;
                Cond::In(column, kind, binds, op == "$nin")
            }
            "$exists" => match arg {
                Value::Bool(exists) => Cond::IsNull(column, !exists),
                _ => return Err(FilterError::Invalid("$exists needs a boolean".into())),
            },
            "$regex" => regex(column, kind, arg, options.contains('i'))?,
            "$options" => continue,
            other => {
                return Err(FilterError::Invalid(format!(
                    "operator {other} is not allowed"
                )));
            }
        };
        conds.push(cond);
    }
    Ok(Cond::And(conds))
}

fn scalar(column: &'static str, kind: FieldKind, val: &Value, op: Op) -> Result<Cond, FilterError> {
    if val.is_null() {
        return match op {
            Op::Eq => Ok(Cond::IsNull(column, true)),
            Op::Ne => Ok(Cond::IsNull(column, false)),
            _ => Err(FilterError::Invalid(
                "null can only be compared for equality".into(),
            )),
        };
    }
    if kind == FieldKind::TextList && !matches!(op, Op::Eq | Op::Ne) {
        return Err(FilterError::Invalid(
            "list fields only support equality".into(),
        ));
    }
    Ok(Cond::Cmp(column, kind, op, bind_for(kind, val)?))
}

fn bind_for(kind: FieldKind, val: &Value) -> Result<Bind, FilterError> {
    let bad = || FilterError::Invalid(format!("value {val} has the wrong type"));
    match kind {
        FieldKind::Text | FieldKind::TextList => val
            .as_str()
            .map(|s| Bind::Text(s.to_owned()))
            .ok_or_else(bad),
        FieldKind::Int => val.as_i64().map(Bind::Int).ok_or_else(bad),
        FieldKind::Bool => val.as_bool().map(Bind::Bool).ok_or_else(bad),
        FieldKind::Date => {
            let ms = match val {
                Value::String(s) => ferrochat_model::time::parse_iso(s),
                Value::Object(o) => o.get("$date").and_then(|d| {
                    d.as_i64()
                        .or_else(|| d.as_str().and_then(ferrochat_model::time::parse_iso))
                }),
                Value::Number(n) => n.as_i64(),
                _ => None,
            };
            ms.map(Bind::Int).ok_or_else(bad)
        }
    }
}

/// Accepts `^?literal$?`; metacharacters must be escaped with a backslash to be literal.
fn regex(
    column: &'static str,
    kind: FieldKind,
    arg: &Value,
    insensitive: bool,
) -> Result<Cond, FilterError> {
    if kind != FieldKind::Text {
        return Err(FilterError::Invalid(
            "$regex only applies to text fields".into(),
        ));
    }
    let Some(pattern) = arg.as_str() else {
        return Err(FilterError::Invalid("$regex needs a string".into()));
    };
    let mut body = pattern;
    let anchor_start = body.starts_with('^');
    if anchor_start {
        body = &body[1..];
    }
    let anchor_end = body.ends_with('$') && !body.ends_with("\\$");
    if anchor_end {
        body = &body[..body.len() - 1];
    }
    let mut needle = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) if !escaped.is_alphanumeric() => needle.push(escaped),
                _ => return Err(FilterError::Invalid("unsupported regex escape".into())),
            },
            '.' | '*' | '+' | '?' | '(' | ')' | '[' | ']' | '{' | '}' | '|' | '^' | '$' => {
                return Err(FilterError::Invalid(
                    "only literal regular expressions are supported".into(),
                ));
            }
            other => needle.push(other),
        }
    }
    Ok(Cond::Text {
        column,
        needle,
        anchor_start,
        anchor_end,
        insensitive,
    })
}

fn placeholder(next: &mut usize, binds: &mut Vec<Bind>, bind: Bind) -> String {
    binds.push(bind);
    let text = format!("${}", *next);
    *next += 1;
    text
}

fn render(cond: &Cond, dialect: Dialect, next: &mut usize, binds: &mut Vec<Bind>) -> String {
    match cond {
        Cond::And(items) | Cond::Or(items) if items.is_empty() => "1=1".to_owned(),
        Cond::And(items) => join(items, " AND ", dialect, next, binds),
        Cond::Or(items) => join(items, " OR ", dialect, next, binds),
        Cond::IsNull(column, true) => format!("{column} IS NULL"),
        Cond::IsNull(column, false) => format!("{column} IS NOT NULL"),
        Cond::Cmp(column, FieldKind::TextList, op, bind) => {
            let p = placeholder(next, binds, bind.clone());
            let contains = list_contains(dialect, column, &p);
            if *op == Op::Ne {
                format!("NOT {contains}")
            } else {
                contains
            }
        }
        Cond::Cmp(column, _, op, bind) => {
            let p = placeholder(next, binds, bind.clone());
            let sym = match op {
                Op::Eq => "=",
                Op::Ne => "<>",
                Op::Gt => ">",
                Op::Gte => ">=",
                Op::Lt => "<",
                Op::Lte => "<=",
            };
            if *op == Op::Ne {
                // Mongo's $ne also matches documents without the field.
                format!("({column} IS NULL OR {column} <> {p})")
            } else {
                format!("{column} {sym} {p}")
            }
        }
        Cond::In(_, _, items, negate) if items.is_empty() => {
            if *negate { "1=1" } else { "1=0" }.to_owned()
        }
        Cond::In(column, kind, items, negate) => {
            if *kind == FieldKind::TextList {
                let parts: Vec<Cond> = items
                    .iter()
                    .map(|b| Cond::Cmp(column, *kind, Op::Eq, b.clone()))
                    .collect();
                let any = join(&parts, " OR ", dialect, next, binds);
                return if *negate { format!("NOT {any}") } else { any };
            }
            let ps: Vec<String> = items
                .iter()
                .map(|b| placeholder(next, binds, b.clone()))
                .collect();
            let list = ps.join(", ");
            if *negate {
                format!("({column} IS NULL OR {column} NOT IN ({list}))")
            } else {
                format!("{column} IN ({list})")
            }
        }
        Cond::Text {
            column,
            needle,
            anchor_start,
            anchor_end,
            insensitive,
        } => {
            let (col, needle) = if *insensitive {
                (format!("lower({column})"), needle.to_lowercase())
            } else {
                (column.to_string(), needle.clone())
            };
            let p = placeholder(next, binds, Bind::Text(needle));
            match (anchor_start, anchor_end) {
                (true, true) => format!("{col} = {p}"),
                (true, false) => format!("substr({col}, 1, length({p})) = {p}"),
                (false, true) => format!(
                    "(length({col}) >= length({p}) AND substr({col}, length({col}) - length({p}) + 1) = {p})"
                ),
                (false, false) => match dialect {
                    Dialect::Sqlite => format!("instr({col}, {p}) > 0"),
                    Dialect::Postgres => format!("strpos({col}, {p}) > 0"),
                },
            }
        }
    }
}

fn join(
    items: &[Cond],
    sep: &str,
    dialect: Dialect,
    next: &mut usize,
    binds: &mut Vec<Bind>,
) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|c| render(c, dialect, next, binds))
        .collect();
    format!("({})", parts.join(sep))
}

/// SQL that is true when the JSON array of strings in `column` contains the bound value.
pub(crate) fn list_contains(dialect: Dialect, column: &str, param: &str) -> String {
    match dialect {
        Dialect::Sqlite => {
            format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = {param})")
        }
        Dialect::Postgres => format!("({column})::jsonb @> jsonb_build_array(({param})::text)"),
    }
}

/// Binds values in order onto a query.
pub(crate) fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    binds: &'q [Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for bind in binds {
        query = match bind {
            Bind::Text(s) => query.bind(s.as_str()),
            Bind::Int(i) => query.bind(*i),
            Bind::Bool(b) => query.bind(*b),
        };
    }
    query
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIELDS: FieldMap = &[
        ("username", "username", FieldKind::Text),
        ("active", "active", FieldKind::Bool),
        ("roles", "roles", FieldKind::TextList),
        ("createdAt", "created_at", FieldKind::Date),
    ];

    fn sql(q: Value) -> Result<(String, Vec<Bind>), FilterError> {
        Ok(Filter::from_mongo(&q, FIELDS)?.to_sql(Dialect::Postgres, 1))
    }

    #[test]
    fn compiles_the_safe_subset() {
        let (text, binds) = sql(json!({"username": "bob", "active": true})).unwrap();
        assert_eq!(text, " WHERE ((username = $1 AND active = $2))");
        assert_eq!(binds, vec![Bind::Text("bob".into()), Bind::Bool(true)]);
        let (text, _) = sql(
            json!({"$or": [{"username": {"$regex": "^al", "$options": "i"}}, {"roles": "admin"}]}),
        )
        .unwrap();
        assert!(
            text.contains("substr(lower(username), 1, length($1)) = $1"),
            "{text}"
        );
        assert!(text.contains("jsonb_build_array"), "{text}");
        let (_, binds) = sql(json!({"createdAt": {"$gt": {"$date": 5}}})).unwrap();
        assert_eq!(binds, vec![Bind::Int(5)]);
    }

    #[test]
    fn refuses_everything_else() {
        for bad in [
            json!({"$where": "1"}),
            json!({"password_hash": "x"}),
            json!({"username": {"$function": "x"}}),
            json!({"username": {"$regex": "a.*b"}}),
            json!({"username": {"$regex": "ab", "$options": "s"}}),
            json!({"active": "yes"}),
            json!(["username"]),
            json!({"username": {}}),
        ] {
            assert!(sql(bad.clone()).is_err(), "{bad} should be refused");
        }
    }
}
