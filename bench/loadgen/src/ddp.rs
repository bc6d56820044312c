//! A lean DDP client over WebSocket that speaks like Rocket.Chat's clients: `connect`
//! (version 1), `login` with a resume token, `sub` to streams, `pong` to the server's
//! pings. Many thousands of these run in one generator, so buffers are small and frames
//! received after the set-up are handed to the caller as text, unparsed.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

#[derive(Debug, thiserror::Error)]
pub enum DdpError {
    #[error("tcp connect: {0}")]
    Connect(std::io::Error),
    #[error("websocket: {0}")]
    WebSocket(#[from] tokio_tungstenite::tungstenite::Error),
    #[error("timed out waiting for {0}")]
    Timeout(&'static str),
    #[error("the server closed the connection")]
    Closed,
    #[error("protocol: {0}")]
    Protocol(String),
    #[error("{what} refused: {reason}")]
    Refused { what: String, reason: String },
}

/// One DDP connection.
pub struct Ddp {
    ws: WebSocketStream<TcpStream>,
    next_id: u64,
    timeout: Duration,
}

fn config() -> WebSocketConfig {
    // Small buffers: the generator holds up to 100k of these.
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0)
        .max_message_size(Some(16 << 20))
}

/// Whether a frame is the server's `ping` (cheap test on the text, then a parse for its id).
fn ping_reply(text: &str) -> Option<String> {
    if !text.starts_with("{\"msg\":\"ping\"") {
        return None;
    }
    let frame: Value = serde_json::from_str(text).ok()?;
    Some(match frame.get("id") {
        Some(id) => json!({"msg": "pong", "id": id}).to_string(),
        None => r#"{"msg":"pong"}"#.to_owned(),
    })
}

impl Ddp {
    /// Opens `ws://<server>/websocket` (from `source` when given: one loopback address has
    /// about 28k ephemeral ports towards one server port) and completes `connect`.
    pub async fn connect(
        server: SocketAddr,
        source: Option<IpAddr>,
        timeout: Duration,
    ) -> Result<Ddp, DdpError> {
        let open = async {
            let socket = TcpSocket::new_v4().map_err(DdpError::Connect)?;
            if let Some(ip) = source {
                socket
                    .bind(SocketAddr::new(ip, 0))
                    .map_err(DdpError::Connect)?;
            }
            let stream = socket.connect(server).await.map_err(DdpError::Connect)?;
            stream.set_nodelay(true).map_err(DdpError::Connect)?;
            let url = format!("ws://{server}/websocket");
            let (ws, _) =
                tokio_tungstenite::client_async_with_config(url, stream, Some(config())).await?;
            Ok::<_, DdpError>(ws)
        };
        let ws = tokio::time::timeout(timeout, open)
            .await
            .map_err(|_| DdpError::Timeout("the websocket"))??;
        let mut ddp = Ddp {
            ws,
            next_id: 0,
            timeout,
        };
        ddp.send(&json!({"msg": "connect", "version": "1", "support": ["1"]}))
            .await?;
        let connected = ddp
            .wait_for("connected", |f| {
                matches!(f["msg"].as_str(), Some("connected" | "failed"))
            })
            .await?;
        if connected["msg"] != "connected" {
            return Err(DdpError::Refused {
                what: "connect".into(),
                reason: connected.to_string(),
            });
        }
        Ok(ddp)
    }

    async fn send(&mut self, frame: &Value) -> Result<(), DdpError> {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await?;
        Ok(())
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// The next text frame (pings answered on the way).
    async fn next_text(&mut self) -> Result<String, DdpError> {
        loop {
            match self.ws.next().await {
                None => return Err(DdpError::Closed),
                Some(Err(e)) => return Err(e.into()),
                Some(Ok(Message::Text(text))) => {
                    if let Some(pong) = ping_reply(&text) {
                        self.ws.send(Message::Text(pong.into())).await?;
                        continue;
                    }
                    return Ok(text.to_string());
                }
                Some(Ok(Message::Close(_))) => return Err(DdpError::Closed),
                Some(Ok(_)) => continue,
            }
        }
    }

    /// Reads frames until one matches; others are dropped (set-up only).
    async fn wait_for(
        &mut self,
        what: &'static str,
        wanted: impl Fn(&Value) -> bool,
    ) -> Result<Value, DdpError> {
        let timeout = self.timeout;
        let wait = async {
            loop {
                let text = self.next_text().await?;
                let frame: Value = serde_json::from_str(&text)
                    .map_err(|e| DdpError::Protocol(format!("frame is not JSON: {e}")))?;
                if wanted(&frame) {
                    return Ok(frame);
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| DdpError::Timeout(what))?
    }

    /// Calls a method and waits for its result.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, DdpError> {
        let id = self.id();
        self.send(&json!({"msg": "method", "method": method, "params": params, "id": id}))
            .await?;
        let answer = self
            .wait_for("a method result", |f| f["msg"] == "result" && f["id"] == id)
            .await?;
        if let Some(error) = answer.get("error") {
            return Err(DdpError::Refused {
                what: method.to_owned(),
                reason: error.to_string(),
            });
        }
        Ok(answer.get("result").cloned().unwrap_or(Value::Null))
    }

    /// `login` with a resume token; returns the user id.
    pub async fn login_resume(&mut self, token: &str) -> Result<String, DdpError> {
        let result = self.call("login", json!([{"resume": token}])).await?;
        result["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| DdpError::Protocol(format!("login result without id: {result}")))
    }

    /// Sends every subscription at once, then waits until each is `ready` (a `nosub` is an
    /// error).
    pub async fn subscribe_all(&mut self, subs: &[(&str, Value)]) -> Result<(), DdpError> {
        let mut waiting = Vec::with_capacity(subs.len());
        for (name, params) in subs {
            let id = self.id();
            self.send(&json!({"msg": "sub", "id": id, "name": name, "params": params}))
                .await?;
            waiting.push(id);
        }
        while !waiting.is_empty() {
            let frame = self
                .wait_for("subscriptions to be ready", |f| {
                    matches!(f["msg"].as_str(), Some("ready" | "nosub"))
                })
                .await?;
            if frame["msg"] == "nosub" {
                return Err(DdpError::Refused {
                    what: "sub".into(),
                    reason: frame.to_string(),
                });
            }
            if let Some(ids) = frame["subs"].as_array() {
                waiting.retain(|w| !ids.iter().any(|id| id.as_str() == Some(w.as_str())));
            }
        }
        Ok(())
    }

    /// A method call frame, for the `outgoing` queue of [`Ddp::run`] (its `result` frame
    /// reaches the handler).
    pub fn method_frame(method: &str, params: Value, id: &str) -> String {
        json!({"msg": "method", "method": method, "params": params, "id": id}).to_string()
    }

    /// Pumps the connection until `stop` turns true or the socket closes: answers pings,
    /// sends what arrives on `outgoing`, and hands every other text frame to `on_frame`.
    pub async fn run(
        mut self,
        mut on_frame: impl FnMut(&str),
        mut outgoing: Option<mpsc::Receiver<String>>,
        mut stop: watch::Receiver<bool>,
    ) -> Result<(), DdpError> {
        loop {
            if *stop.borrow() {
                let _ = self.ws.close(None).await;
                return Ok(());
            }
            tokio::select! {
                message = self.ws.next() => match message {
                    None => return Err(DdpError::Closed),
                    Some(Err(e)) => return Err(e.into()),
                    Some(Ok(Message::Text(text))) => {
                        if let Some(pong) = ping_reply(&text) {
                            self.ws.send(Message::Text(pong.into())).await?;
                        } else {
                            on_frame(&text);
                        }
                    }
                    Some(Ok(Message::Close(_))) => return Err(DdpError::Closed),
                    Some(Ok(_)) => {}
                },
                frame = async {
                    match outgoing.as_mut() {
                        Some(rx) => rx.recv().await,
                        None => std::future::pending().await,
                    }
                } => match frame {
                    Some(frame) => self.ws.send(Message::Text(frame.into())).await?,
                    None => outgoing = None,
                },
                changed = stop.changed() => {
                    if changed.is_err() {
                        let _ = self.ws.close(None).await;
                        return Ok(());
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_pings_with_their_id() {
        assert_eq!(
            ping_reply(r#"{"msg":"ping"}"#).unwrap(),
            r#"{"msg":"pong"}"#
        );
        let with_id: Value =
            serde_json::from_str(&ping_reply(r#"{"msg":"ping","id":"7"}"#).unwrap()).unwrap();
        assert_eq!(with_id, json!({"msg": "pong", "id": "7"}));
        assert!(ping_reply(r#"{"msg":"changed"}"#).is_none());
    }
}
