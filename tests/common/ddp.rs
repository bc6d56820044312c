//! A small DDP client for the end-to-end tests: connect, call methods, subscribe, and wait
//! for stream events, with timeouts so a broken server fails a test instead of hanging it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(10);

pub struct Ddp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Frames received while waiting for something else, oldest first.
    pending: Vec<Value>,
}

impl Ddp {
    /// Opens `/websocket` and completes the DDP handshake.
    pub async fn connect(base_url: &str) -> Ddp {
        let mut ddp = Ddp::open(base_url).await;
        ddp.send(json!({"msg": "connect", "version": "1", "support": ["1", "pre2", "pre1"]}))
            .await;
        let connected = ddp
            .wait_for(|f| f["msg"] == "connected" || f["msg"] == "failed")
            .await;
        assert_eq!(connected["msg"], "connected", "DDP handshake: {connected}");
        ddp
    }

    /// Opens the socket and reads the `server_id` frame, without `connect`.
    pub async fn open(base_url: &str) -> Ddp {
        let url = format!("{}/websocket", base_url.replacen("http", "ws", 1));
        let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(&url))
            .await
            .unwrap_or_else(|_| panic!("connecting to {url} timed out"))
            .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
        let mut ddp = Ddp {
            ws,
            next_id: 0,
            pending: Vec::new(),
        };
        let first = ddp
            .next_frame()
            .await
            .expect("the server sends server_id first");
        assert_eq!(first, json!({"server_id": "0"}));
        ddp
    }

    pub async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("sending a DDP frame");
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.ws
            .send(Message::Text(text.to_owned().into()))
            .await
            .expect("sending a frame");
    }

    /// The next JSON frame, answering server pings; `None` when the socket closed.
    pub async fn next_frame(&mut self) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .ok()??
                .ok()?;
            match message {
                Message::Text(text) => {
                    let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                    if frame["msg"] == "ping" {
                        self.send(json!({"msg": "pong"})).await;
                        continue;
                    }
                    return Some(frame);
                }
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Keeps reading for `within`, answering the server's pings as a live client does;
    /// returns how many pings it answered. Other frames are kept for later.
    pub async fn idle(&mut self, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        let mut pings = 0;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                if frame["msg"] == "ping" {
                    pings += 1;
                    self.send(json!({"msg": "pong"})).await;
                } else {
                    self.pending.push(frame);
                }
            }
        }
        pings
    }

    /// The close code the server ends the connection with (waiting up to `within`).
    pub async fn close_code(&mut self, within: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()??;
            match message {
                Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
    }

    /// Waits for a frame matching `pred`, keeping the others for later.
    pub async fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(pos) = self.pending.iter().position(&pred) {
            return self.pending.remove(pos);
        }
        loop {
            let frame = self.next_frame().await.unwrap_or_else(|| {
                panic!(
                    "the connection ended while waiting; seen: {:?}",
                    self.pending
                )
            });
            if pred(&frame) {
                return frame;
            }
            self.pending.push(frame);
        }
    }

    /// Calls a method; returns `Ok(result)` or `Err(error object)`.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        self.next_id += 1;
        let id = self.next_id.to_string();
        self.send(json!({"msg": "method", "id": id, "method": method, "params": params}))
            .await;
        let reply = self
            .wait_for(|f| f["msg"] == "result" && f["id"] == id.as_str())
            .await;
        match reply.get("error") {
            Some(error) => Err(error.clone()),
            None => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
        }
    }

    /// Logs in with a password digest.
    pub async fn login(&mut self, username: &str, password: &str) -> Value {
        use sha2::Digest;
        let digest = hex::encode(sha2::Sha256::digest(password.as_bytes()));
        self.call(
            "login",
            json!([{"user": {"username": username}, "password": {"digest": digest, "algorithm": "sha-256"}}]),
        )
        .await
        .unwrap_or_else(|e| panic!("DDP login as {username}: {e}"))
    }

    /// Subscribes; returns `Ok(())` on `ready` or `Err(error)` on `nosub`.
    pub async fn sub(&mut self, name: &str, params: Value) -> Result<(), Value> {
        self.next_id += 1;
        let id = format!("s{}", self.next_id);
        self.send(json!({"msg": "sub", "id": id, "name": name, "params": params}))
            .await;
        let reply = self
            .wait_for(|f| {
                (f["msg"] == "ready" && f["subs"][0] == id.as_str())
                    || (f["msg"] == "nosub" && f["id"] == id.as_str())
            })
            .await;
        if reply["msg"] == "ready" {
            Ok(())
        } else {
            Err(reply.get("error").cloned().unwrap_or(Value::Null))
        }
    }

    /// Waits for a stream event on `stream` named `event`; returns its `args`.
    pub async fn event(&mut self, stream: &str, event: &str) -> Value {
        let frame = self
            .wait_for(|f| {
                f["msg"] == "changed"
                    && f["collection"] == stream
                    && f["fields"]["eventName"] == event
            })
            .await;
        frame["fields"]["args"].clone()
    }

    /// Forgets the frames kept while waiting for others (what arrived before a point the
    /// test now looks beyond).
    pub fn discard_pending(&mut self) {
        self.pending.clear();
    }

    /// Asserts that no event on `stream` named `event` arrives within `within`.
    pub async fn no_event(&mut self, stream: &str, event: &str, within: Duration) {
        let matches = |f: &Value| {
            f["msg"] == "changed" && f["collection"] == stream && f["fields"]["eventName"] == event
        };
        assert!(
            !self.pending.iter().any(matches),
            "unexpected {stream}/{event} event"
        );
        let deadline = tokio::time::Instant::now() + within;
        while let Ok(Some(Ok(message))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(text) = message {
                let frame: Value = serde_json::from_str(&text).expect("frames are JSON");
                assert!(!matches(&frame), "unexpected event {frame}");
                self.pending.push(frame);
            }
        }
    }
}
