//! Positional DDP params with type checks. A wrong type is Meteor's `Match failed` (400),
//! so an operator object never reaches a service where a string belongs.

use ferrochat_model::time::parse_iso;
use serde_json::{Map, Value};

use crate::error::{Error, Result};

pub struct Args<'a>(&'a [Value]);

pub fn mismatch(index: usize, expected: &str) -> Error {
    Error::InvalidParams {
        message: format!("Match error: Expected {expected} in parameter {index}"),
        in_query: false,
    }
}

impl<'a> Args<'a> {
    pub fn new(params: &'a [Value]) -> Self {
        Self(params)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, index: usize) -> Option<&'a Value> {
        self.0.get(index).filter(|v| !v.is_null())
    }

    pub fn str(&self, index: usize) -> Result<&'a str> {
        match self.get(index) {
            Some(Value::String(s)) => Ok(s),
            _ => Err(mismatch(index, "string")),
        }
    }

    pub fn opt_str(&self, index: usize) -> Result<Option<&'a str>> {
        match self.get(index) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(mismatch(index, "string")),
        }
    }

    pub fn opt_bool(&self, index: usize) -> Result<Option<bool>> {
        match self.get(index) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(mismatch(index, "boolean")),
        }
    }

    pub fn opt_int(&self, index: usize) -> Result<Option<i64>> {
        match self.get(index) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .map(Some)
                .ok_or_else(|| mismatch(index, "number")),
            Some(_) => Err(mismatch(index, "number")),
        }
    }

    pub fn object(&self, index: usize) -> Result<&'a Map<String, Value>> {
        match self.get(index) {
            Some(Value::Object(map)) => Ok(map),
            _ => Err(mismatch(index, "object")),
        }
    }

    pub fn opt_object(&self, index: usize) -> Result<Option<&'a Map<String, Value>>> {
        match self.get(index) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(mismatch(index, "object")),
        }
    }

    pub fn str_list(&self, index: usize) -> Result<Vec<String>> {
        match self.get(index) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| mismatch(index, "array of strings"))
                })
                .collect(),
            Some(_) => Err(mismatch(index, "array")),
        }
    }

    /// An EJSON date (`{"$date": ms}`), an ISO string, or epoch milliseconds.
    pub fn opt_date(&self, index: usize) -> Result<Option<i64>> {
        match self.get(index) {
            None => Ok(None),
            Some(value) => ejson_date(value)
                .map(Some)
                .ok_or_else(|| mismatch(index, "date")),
        }
    }
}

/// Reads a date as DDP clients send it.
pub fn ejson_date(value: &Value) -> Option<i64> {
    match value {
        Value::Object(map) => match map.get("$date") {
            Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
            Some(Value::String(s)) => parse_iso(s),
            _ => None,
        },
        Value::String(s) => parse_iso(s),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn typed_access() {
        let params = [
            json!("r1"),
            json!({"$ne": null}),
            json!({"$date": 5}),
            json!(null),
        ];
        let args = Args::new(&params);
        assert_eq!(args.str(0).unwrap(), "r1");
        assert!(args.str(1).is_err());
        assert_eq!(args.opt_date(2).unwrap(), Some(5));
        assert_eq!(args.opt_str(3).unwrap(), None);
        assert!(args.str(9).is_err());
    }
}
