//! Successful REST replies: the handler's fields plus `"success": true`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::error::json_response;

/// A success envelope under construction.
#[derive(Debug, Default)]
pub struct Success(Map<String, Value>);

impl Success {
    pub fn new() -> Self {
        Self(Map::new())
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.0.insert(key.to_owned(), value.into());
        self
    }

    /// A list page: `{<key>: items, count, offset, total}`.
    pub fn page(self, key: &str, items: Vec<Value>, offset: i64, total: i64) -> Self {
        let count = items.len();
        self.with(key, Value::Array(items))
            .with("count", count)
            .with("offset", offset)
            .with("total", total)
    }

    /// Merges an object's fields into the reply.
    pub fn merge(mut self, value: Value) -> Self {
        if let Value::Object(map) = value {
            self.0.extend(map);
        }
        self
    }
}

impl IntoResponse for Success {
    fn into_response(mut self) -> Response {
        self.0.insert("success".into(), Value::Bool(true));
        json_response(StatusCode::OK, &Value::Object(self.0))
    }
}

pub type Reply = crate::error::Result<Success>;
