//! Request parameters, read the same way for query strings (GET) and bodies (JSON or
//! form-encoded), with Rocket.Chat's validation errors. Every accessor checks the type, so
//! an operator object such as `{"$ne": null}` never reaches a service as a string.

use axum::body::Body;
use axum::extract::FromRequest;
use axum::http::{Method, Request, header};
use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// The largest JSON or form body accepted by the REST API.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Debug, Clone, Default)]
pub struct Params {
    map: Map<String, Value>,
    in_query: bool,
}

impl Params {
    pub fn from_map(map: Map<String, Value>, in_query: bool) -> Self {
        Self { map, in_query }
    }

    /// Parses a query string: repeated keys and `key[]` become arrays.
    pub fn from_query(query: &str) -> Self {
        let mut map = Map::new();
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            let (key, is_list) = match key.strip_suffix("[]") {
                Some(stripped) => (stripped.to_owned(), true),
                None => (key.into_owned(), false),
            };
            let value = Value::String(value.into_owned());
            match map.get_mut(&key) {
                Some(Value::Array(items)) => items.push(value),
                Some(existing) => {
                    let first = existing.take();
                    *existing = Value::Array(vec![first, value]);
                }
                None if is_list => {
                    map.insert(key, Value::Array(vec![value]));
                }
                None => {
                    map.insert(key, value);
                }
            }
        }
        Self {
            map,
            in_query: true,
        }
    }

    pub fn in_query(&self) -> bool {
        self.in_query
    }

    pub fn raw(&self) -> &Map<String, Value> {
        &self.map
    }

    pub fn into_map(self) -> Map<String, Value> {
        self.map
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn value(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn invalid(&self, message: impl Into<String>) -> Error {
        Error::InvalidParams {
            message: message.into(),
            in_query: self.in_query,
        }
    }

    pub fn missing(&self, key: &str) -> Error {
        self.invalid(format!("must have required property '{key}'"))
    }

    fn wrong_type(&self, key: &str, kind: &str) -> Error {
        self.invalid(format!("'{key}' must be {kind}"))
    }

    /// An optional string.
    pub fn str(&self, key: &str) -> Result<Option<String>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(self.wrong_type(key, "string")),
        }
    }

    /// A required string (it may be empty; services decide what an empty value means).
    pub fn req_str(&self, key: &str) -> Result<String> {
        self.str(key)?.ok_or_else(|| self.missing(key))
    }

    /// A required, non-blank string.
    pub fn req_nonempty(&self, key: &str) -> Result<String> {
        let value = self.req_str(key)?;
        if value.trim().is_empty() {
            return Err(self.invalid(format!("'{key}' must NOT have fewer than 1 characters")));
        }
        Ok(value)
    }

    /// An optional non-blank string: blank counts as absent.
    pub fn str_nonempty(&self, key: &str) -> Result<Option<String>> {
        Ok(self.str(key)?.filter(|s| !s.trim().is_empty()))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if self.in_query || s == "true" || s == "false" => {
                match s.as_str() {
                    "true" | "1" => Ok(Some(true)),
                    "false" | "0" => Ok(Some(false)),
                    _ => Err(self.wrong_type(key, "boolean")),
                }
            }
            Some(_) => Err(self.wrong_type(key, "boolean")),
        }
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| self.wrong_type(key, "integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse::<i64>()
                .map(Some)
                .map_err(|_| self.wrong_type(key, "integer")),
            Some(_) => Err(self.wrong_type(key, "integer")),
        }
    }

    /// A list of strings: a JSON array, repeated query keys, or (in query strings) one
    /// comma-separated value.
    pub fn str_list(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.clone()),
                    _ => Err(self.wrong_type(key, "array of strings")),
                })
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(Value::String(s)) if self.in_query => Ok(Some(
                s.split(',')
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty())
                    .collect(),
            )),
            Some(_) => Err(self.wrong_type(key, "array")),
        }
    }

    pub fn object(&self, key: &str) -> Result<Option<Map<String, Value>>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(self.wrong_type(key, "object")),
        }
    }

    /// A JSON document given either inline (body) or as JSON text (query string).
    pub fn json(&self, key: &str) -> Result<Option<Value>> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
            Some(Value::String(text)) => serde_json::from_str(text).map(Some).map_err(|e| {
                Error::failure(
                    "error-invalid-query",
                    format!("Invalid JSON in parameter {key}: {e}"),
                )
            }),
            Some(other) => Ok(Some(other.clone())),
        }
    }

    /// Refuses parameters not in `allowed`.
    pub fn only(&self, allowed: &[&str]) -> Result<()> {
        match self.map.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(key) => {
                Err(self.invalid(format!("must NOT have additional properties ('{key}')")))
            }
            None => Ok(()),
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = Error;

    async fn from_request(req: Request<Body>, _state: &S) -> Result<Self> {
        let params = read_request(req).await?;
        // PostgreSQL cannot store or compare text with NUL characters; refuse them here
        // rather than fail in the database.
        if let Some(key) = params
            .map
            .iter()
            .find(|(k, v)| k.contains('\0') || has_nul(v))
            .map(|(k, _)| k.replace('\0', "\\u0000"))
        {
            return Err(params.invalid(format!("'{key}' must not contain NUL characters")));
        }
        Ok(params)
    }
}

/// Whether a value holds a NUL character anywhere (keys included).
fn has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        _ => false,
    }
}

async fn read_request(req: Request<Body>) -> Result<Params> {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::DELETE) {
        let mut params = Params::from_query(req.uri().query().unwrap_or(""));
        if *req.method() == Method::DELETE {
            // DELETE routes (push.token) take a JSON body too.
            let body = read_body(req).await?;
            if let Some(Value::Object(map)) = body {
                params.map.extend(map);
                params.in_query = false;
            }
        }
        return Ok(params);
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
            .await
            .map_err(|_| Error::PayloadTooLarge)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::failure("error-invalid-body", "The body is not UTF-8"))?;
        let mut params = Params::from_query(text);
        params.in_query = false;
        return Ok(params);
    }
    match read_body(req).await? {
        None => Ok(Params::default()),
        Some(Value::Object(map)) => Ok(Params::from_map(map, false)),
        Some(_) => Err(Error::failure(
            "error-invalid-body",
            "The request body must be a JSON object",
        )),
    }
}

async fn read_body(req: Request<Body>) -> Result<Option<Value>> {
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Error::failure(
            "error-invalid-body",
            format!("The request body is not valid JSON: {e}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Params {
        match v {
            Value::Object(map) => Params::from_map(map, false),
            _ => unreachable!(),
        }
    }

    #[test]
    fn operator_objects_are_not_strings() {
        let p = body(json!({"roomId": {"$ne": null}}));
        let err = p.req_str("roomId").unwrap_err();
        assert_eq!(
            err.status_and_body().1["errorType"],
            json!("invalid-params")
        );
    }

    #[test]
    fn nul_characters_are_found_anywhere() {
        assert!(has_nul(&json!({"a": [1, {"b": "x\u{0}y"}]})));
        assert!(has_nul(&json!({"k\u{0}": 1})));
        assert!(!has_nul(&json!({"a": ["x", 0, null]})));
    }

    #[test]
    fn query_lists_and_flags() {
        let p = Params::from_query("ids[]=a&ids[]=b&flag=true&n=5&status=online&status=away");
        assert_eq!(
            p.str_list("ids").unwrap(),
            Some(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            p.str_list("status").unwrap(),
            Some(vec!["online".into(), "away".into()])
        );
        assert_eq!(p.bool("flag").unwrap(), Some(true));
        assert_eq!(p.int("n").unwrap(), Some(5));
        assert!(p.int("flag").is_err());
        assert_eq!(
            p.req_str("missing").unwrap_err().status_and_body().1["errorType"],
            json!("error-invalid-params")
        );
    }
}
