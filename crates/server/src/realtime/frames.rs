//! DDP frames: what clients send, and the frames the server sends back. Outgoing frames are
//! serialised once into shareable bytes.

use axum::extract::ws::Utf8Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Error;

/// The DDP protocol versions this server speaks, best first.
pub const VERSIONS: &[&str] = &["1", "pre2", "pre1"];

/// A message from the client. Unknown `msg` values are ignored, as Meteor does.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "msg", rename_all = "lowercase")]
pub enum ClientMsg {
    Connect {
        version: Option<String>,
        #[serde(default)]
        support: Vec<String>,
        #[serde(default)]
        session: Option<String>,
    },
    Ping {
        #[serde(default)]
        id: Option<String>,
    },
    Pong {
        #[serde(default)]
        id: Option<String>,
    },
    Method {
        method: String,
        #[serde(default)]
        params: Vec<Value>,
        id: String,
    },
    Sub {
        id: String,
        name: String,
        #[serde(default)]
        params: Vec<Value>,
    },
    Unsub {
        id: String,
    },
}

/// Picks the version to speak: the client's proposal if supported, else the best one it
/// also supports.
pub fn negotiate(version: Option<&str>, support: &[String]) -> Option<&'static str> {
    if let Some(v) = version
        && let Some(found) = VERSIONS.iter().find(|s| **s == v)
    {
        return Some(found);
    }
    VERSIONS
        .iter()
        .find(|s| support.iter().any(|c| c == *s))
        .copied()
}

pub fn frame(value: &Value) -> Utf8Bytes {
    Utf8Bytes::from(value.to_string())
}

pub fn connected(session: &str) -> Utf8Bytes {
    frame(&json!({"msg": "connected", "session": session}))
}

pub fn failed(version: &str) -> Utf8Bytes {
    frame(&json!({"msg": "failed", "version": version}))
}

pub fn pong(id: Option<&str>) -> Utf8Bytes {
    match id {
        Some(id) => frame(&json!({"msg": "pong", "id": id})),
        None => Utf8Bytes::from_static(r#"{"msg":"pong"}"#),
    }
}

pub fn ping() -> Utf8Bytes {
    Utf8Bytes::from_static(r#"{"msg":"ping"}"#)
}

pub fn result(id: &str, outcome: &Result<Value, Error>) -> Utf8Bytes {
    match outcome {
        Ok(value) => frame(&json!({"msg": "result", "id": id, "result": value})),
        Err(err) => frame(&json!({"msg": "result", "id": id, "error": ddp_error(err)})),
    }
}

pub fn updated(id: &str) -> Utf8Bytes {
    frame(&json!({"msg": "updated", "methods": [id]}))
}

pub fn ready(id: &str) -> Utf8Bytes {
    frame(&json!({"msg": "ready", "subs": [id]}))
}

pub fn nosub(id: &str, error: Option<&Error>) -> Utf8Bytes {
    match error {
        Some(err) => frame(&json!({"msg": "nosub", "id": id, "error": ddp_error(err)})),
        None => frame(&json!({"msg": "nosub", "id": id})),
    }
}

/// `added` for a collection document (`meteor_autoupdate_clientVersions`, the legacy
/// `useCollection` handshake of streams).
pub fn added(collection: &str, id: &str, fields: Value) -> Utf8Bytes {
    frame(&json!({"msg": "added", "collection": collection, "id": id, "fields": fields}))
}

/// A stream event: `{"msg":"changed","collection":<stream>,"id":"id","fields":{"eventName","args"}}`.
/// `args_json` is the already serialised args array, shared between frames.
pub fn changed(stream: &str, event_name: &str, args_json: &str) -> Utf8Bytes {
    let mut text = String::with_capacity(80 + stream.len() + event_name.len() + args_json.len());
    text.push_str(r#"{"msg":"changed","collection":"#);
    text.push_str(&Value::String(stream.to_owned()).to_string());
    text.push_str(r#","id":"id","fields":{"eventName":"#);
    text.push_str(&Value::String(event_name.to_owned()).to_string());
    text.push_str(r#","args":"#);
    text.push_str(args_json);
    text.push_str("}}");
    Utf8Bytes::from(text)
}

/// A Meteor error as DDP carries it.
pub fn ddp_error(err: &Error) -> Value {
    let (code, reason, details): (Value, String, Option<Value>) = match err {
        Error::Failure {
            code,
            reason,
            details,
        } => (
            Value::String(code.clone()),
            reason.clone().unwrap_or_default(),
            details.clone(),
        ),
        // REST's bare `failure('error-not-allowed')`: the message is the code.
        Error::Plain {
            message,
            error_type,
        } => {
            let code = match error_type {
                Some(code) => code.clone(),
                None if !message.is_empty() && !message.contains(char::is_whitespace) => {
                    message.clone()
                }
                None => "error".into(),
            };
            (Value::String(code), message.clone(), None)
        }
        // Meteor turns a failed `check()` into `Match failed [400]`.
        Error::InvalidParams { message, .. } => (
            Value::from(400),
            "Match failed".into(),
            Some(json!({"message": message})),
        ),
        Error::Unauthorized | Error::UnauthorizedWith(_) => (
            Value::String("error-not-authorized".into()),
            "Not authorized".into(),
            None,
        ),
        Error::Forbidden | Error::ForbiddenWith(_) => (
            Value::String("error-not-allowed".into()),
            "Not allowed".into(),
            None,
        ),
        Error::NotFound(message) => (Value::from(404), message.clone(), None),
        Error::TooManyRequests { seconds } => (
            Value::String("too-many-requests".into()),
            format!(
                "Error, too many requests. Please slow down. You must wait {seconds} seconds before trying again."
            ),
            Some(json!({"timeToReset": seconds * 1000})),
        ),
        Error::LoginFailed { error, reason } => (error.clone(), reason.clone(), None),
        Error::PayloadTooLarge => (
            Value::String("error-payload-too-large".into()),
            "Request too large".into(),
            None,
        ),
        Error::Unavailable => (Value::from(503), "Service Unavailable".into(), None),
        Error::Internal => (Value::from(500), "Internal server error".into(), None),
    };
    // Numeric Meteor error codes (403, 400...) go out as numbers.
    let code = match code {
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<u64>()
            .map(Value::from)
            .unwrap_or(Value::String(s)),
        other => other,
    };
    let code_text = match &code {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut error = json!({
        "isClientSafe": true,
        "error": code,
        "reason": reason,
        "message": format!("{reason} [{code_text}]"),
        "errorType": "Meteor.Error",
    });
    if let Some(details) = details {
        error["details"] = details;
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_client_messages() {
        let m: ClientMsg =
            serde_json::from_str(r#"{"msg":"connect","version":"pre2","support":["pre2"]}"#)
                .unwrap();
        assert!(matches!(m, ClientMsg::Connect { .. }));
        let m: ClientMsg =
            serde_json::from_str(r#"{"msg":"method","method":"login","params":[{}],"id":"1"}"#)
                .unwrap();
        assert!(matches!(m, ClientMsg::Method { .. }));
        assert!(serde_json::from_str::<ClientMsg>(r#"{"msg":"method","params":[]}"#).is_err());
    }

    #[test]
    fn negotiates_versions() {
        assert_eq!(negotiate(Some("1"), &[]), Some("1"));
        assert_eq!(negotiate(Some("pre2"), &["pre2".into()]), Some("pre2"));
        assert_eq!(negotiate(Some("9"), &["pre1".into()]), Some("pre1"));
        assert_eq!(negotiate(Some("9"), &["9".into()]), None);
    }

    #[test]
    fn changed_frames_are_valid_json() {
        let f = changed("stream-room-messages", "r\"1", r#"[{"msg":"hi"}]"#);
        let v: Value = serde_json::from_str(f.as_str()).unwrap();
        assert_eq!(v["fields"]["eventName"], "r\"1");
        assert_eq!(v["id"], "id");
        assert_eq!(v["fields"]["args"][0]["msg"], "hi");
    }

    #[test]
    fn errors_look_like_meteor_errors() {
        let e = ddp_error(&Error::failure("error-room-not-found", "Room not found"));
        assert_eq!(e["message"], "Room not found [error-room-not-found]");
        assert_eq!(e["errorType"], "Meteor.Error");
    }
}
