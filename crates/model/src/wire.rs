//! How dates go out: ISO strings in REST, `{"$date": ms}` (EJSON) in DDP.

use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateStyle {
    Iso,
    EJson,
}

impl DateStyle {
    pub fn date(self, ms: i64) -> Value {
        match self {
            DateStyle::Iso => Value::String(crate::time::iso(ms)),
            DateStyle::EJson => json!({ "$date": ms }),
        }
    }

    pub fn opt_date(self, ms: Option<i64>) -> Value {
        ms.map_or(Value::Null, |ms| self.date(ms))
    }
}

/// A small builder for JSON objects that skips absent optional fields, so wire documents
/// only carry the keys Rocket.Chat would have set.
#[derive(Default)]
pub struct Doc(Map<String, Value>);

impl Doc {
    pub fn new() -> Self {
        Self(Map::new())
    }

    pub fn set(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    pub fn opt<V: Into<Value>>(mut self, key: &str, value: Option<V>) -> Self {
        if let Some(value) = value {
            self.0.insert(key.to_owned(), value.into());
        }
        self
    }

    /// Sets a boolean only when it is true (Rocket.Chat leaves false flags unset).
    pub fn flag(mut self, key: &str, value: bool) -> Self {
        if value {
            self.0.insert(key.to_owned(), Value::Bool(true));
        }
        self
    }

    pub fn merge(mut self, extra: &Map<String, Value>) -> Self {
        for (key, value) in extra {
            self.0.insert(key.clone(), value.clone());
        }
        self
    }

    pub fn build(self) -> Value {
        Value::Object(self.0)
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.0
    }
}
