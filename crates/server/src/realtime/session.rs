//! One DDP connection: a small state machine (waiting for `connect`, then connected) driven
//! by one select loop over the socket, the connection's outgoing queue, the heartbeat and
//! the hub's overflow signal.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use ferrochat_model::User;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};

use super::frames::{self, ClientMsg};
use super::hub::{ConnId, Outbox, Route};
use super::methods::{self, MethodCtx, SessionChange};
use super::{presence, streams};
use crate::services::login_services;
use crate::state::AppState;

/// Frames a connection may have queued before it counts as a slow consumer.
const QUEUE_FRAMES: usize = 1024;

/// Close codes, as Rocket.Chat's ddp-streamer uses them.
const CLOSE_PROTOCOL: u16 = 1002;
const CLOSE_TRY_AGAIN: u16 = 1013;
const CLOSE_TIMEOUT: u16 = 4000;

struct Subscription {
    route: Option<Route>,
    /// Needs a logged-in user; dropped on logout.
    needs_user: bool,
}

/// A connection's subscriptions by id. A vector searched in order rather than a hash map:
/// a client has a few tens of subscriptions at most, and this table is paid for by every
/// idle connection (scenario 5: eight of them took 1.6 KiB in a `HashMap`, here 0.6 KiB).
#[derive(Default)]
struct Subs(Vec<(Box<str>, Subscription)>);

impl Subs {
    fn contains(&self, id: &str) -> bool {
        self.0.iter().any(|(key, _)| **key == *id)
    }

    /// Adds a subscription, replacing one with the same id.
    fn insert(&mut self, id: &str, sub: Subscription) {
        match self.0.iter_mut().find(|(key, _)| **key == *id) {
            Some((_, old)) => *old = sub,
            None => self.0.push((id.into(), sub)),
        }
    }

    fn remove(&mut self, id: &str) -> Option<Subscription> {
        let at = self.0.iter().position(|(key, _)| **key == *id)?;
        Some(self.0.swap_remove(at).1)
    }

    fn values(&self) -> impl Iterator<Item = &Subscription> {
        self.0.iter().map(|(_, sub)| sub)
    }
}

struct Session {
    state: AppState,
    conn: ConnId,
    client_ip: IpAddr,
    connected: bool,
    user: Option<User>,
    /// When `user` was last read from the store.
    user_read_at: Option<Instant>,
    hashed_token: Option<String>,
    subs: Subs,
}

/// How old the session's copy of its user may be when a `sub` is authorized. Methods always
/// re-read the user; a client that reconnects sends its login and dozens of `sub`s at once,
/// and one read serves the whole burst. Revoked logins and deactivations do not wait for
/// this: they reach the session as a session signal at once.
const SUB_USER_MAX_AGE: Duration = Duration::from_secs(1);

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

/// How long one write may wait for the client to read. A client that does not read for this
/// long is gone or stuck; its connection is dropped.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

async fn send(sink: &mut Sink, frame: Utf8Bytes) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Text(frame))).await,
        Ok(Ok(()))
    )
}

async fn close(sink: &mut Sink, code: u16, reason: &'static str) {
    let frame = Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    }));
    let _ = tokio::time::timeout(Duration::from_secs(1), sink.send(frame)).await;
}

type Stream = futures_util::stream::SplitStream<WebSocket>;

/// The connection's task. It lives as long as the connection, idle or not, so its future
/// is kept small (scenario 5: 100k idle connections). The socket is split before the
/// future is made: an async fn keeps its arguments for as long as it runs, and the socket
/// (about 400 bytes) lives on in the halves. The handling of a client message or a session
/// signal, whose futures nest every DDP method's and run to several KiB, is boxed and
/// allocated only while it runs.
pub fn run(
    state: AppState,
    socket: WebSocket,
    client_ip: IpAddr,
) -> impl Future<Output = ()> + Send + 'static {
    let (sink, stream) = socket.split();
    connection(state, sink, stream, client_ip)
}

async fn connection(state: AppState, mut sink: Sink, mut stream: Stream, client_ip: IpAddr) {
    let outbox = Outbox::new(QUEUE_FRAMES);
    let conn = state.hub.connect(outbox.clone());
    let heartbeat = state.config.ddp_heartbeat;
    let mut session = Session {
        state,
        conn,
        client_ip,
        connected: false,
        user: None,
        user_read_at: None,
        hashed_token: None,
        subs: Subs::default(),
    };
    let mut tick = tokio::time::interval(heartbeat / 2);
    let mut last_heard = Instant::now();
    let mut ping_sent: Option<Instant> = None;

    if send(&mut sink, Utf8Bytes::from_static(r#"{"server_id":"0"}"#)).await {
        loop {
            tokio::select! {
                incoming = stream.next() => {
                    let Some(Ok(message)) = incoming else { break };
                    last_heard = Instant::now();
                    ping_sent = None;
                    let text = match message {
                        Message::Text(text) => text,
                        Message::Close(_) => break,
                        _ => continue,
                    };
                    if !Box::pin(session.handle(&mut sink, text.as_str())).await {
                        break;
                    }
                }
                frame = outbox.next() => {
                    if presence::is_session_signal(frame.as_str()) {
                        Box::pin(session.check_login(&mut sink)).await;
                        continue;
                    }
                    // A write to a client that stopped reading waits; the hub's overflow
                    // signal must still end it at once rather than after SEND_TIMEOUT.
                    let sent = tokio::select! {
                        sent = send(&mut sink, frame) => sent,
                        () = outbox.overflowed() => {
                            tracing::info!(conn, "closing a connection that fell behind");
                            close(&mut sink, CLOSE_TRY_AGAIN, "too slow").await;
                            false
                        }
                    };
                    if !sent {
                        break;
                    }
                }
                () = outbox.overflowed() => {
                    tracing::info!(conn, "closing a connection that fell behind");
                    close(&mut sink, CLOSE_TRY_AGAIN, "too slow").await;
                    break;
                }
                _ = tick.tick() => {
                    let idle = last_heard.elapsed();
                    match ping_sent {
                        Some(sent) if sent.elapsed() >= heartbeat => {
                            close(&mut sink, CLOSE_TIMEOUT, "timeout").await;
                            break;
                        }
                        None if idle >= heartbeat => {
                            if !send(&mut sink, frames::ping()).await {
                                break;
                            }
                            ping_sent = Some(Instant::now());
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    session.finish();
}

impl Session {
    /// Handles one client message; false ends the connection.
    async fn handle(&mut self, sink: &mut Sink, text: &str) -> bool {
        let message: ClientMsg = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(_) => {
                // Not a message we know: Meteor ignores unknown `msg`s but answers garbage
                // with an error frame.
                let known = serde_json::from_str::<Value>(text)
                    .ok()
                    .and_then(|v| v.get("msg").and_then(Value::as_str).map(str::to_owned));
                if known.is_none() {
                    return send(
                        sink,
                        frames::frame(&json!({"msg": "error", "reason": "Bad request"})),
                    )
                    .await;
                }
                return true;
            }
        };
        if !self.connected {
            return match message {
                ClientMsg::Connect {
                    version, support, ..
                } => match frames::negotiate(version.as_deref(), &support) {
                    Some(_) => {
                        self.connected = true;
                        send(sink, frames::connected(&ferrochat_model::ids::random_id())).await
                    }
                    None => {
                        let _ = send(sink, frames::failed(frames::VERSIONS[0])).await;
                        close(sink, CLOSE_PROTOCOL, "unsupported version").await;
                        false
                    }
                },
                _ => {
                    let _ = send(sink, frames::failed(frames::VERSIONS[0])).await;
                    close(sink, CLOSE_PROTOCOL, "connect first").await;
                    false
                }
            };
        }
        match message {
            ClientMsg::Connect { .. } => true,
            ClientMsg::Ping { id } => send(sink, frames::pong(id.as_deref())).await,
            ClientMsg::Pong { .. } => true,
            ClientMsg::Method { method, params, id } => {
                self.refresh_user(sink).await;
                if let Err(limited) = self.state.ddp_limits.check(
                    &self.state.authz,
                    self.client_ip,
                    self.user.as_ref(),
                    self.conn,
                    &method,
                ) {
                    return send(sink, frames::result(&id, &Err(limited))).await;
                }
                let ctx = MethodCtx {
                    state: &self.state,
                    user: self.user.clone(),
                    hashed_token: self.hashed_token.clone(),
                    client_ip: Some(self.client_ip),
                    conn: Some(self.conn),
                };
                let outcome = methods::call(&ctx, &method, &params).await;
                if let Some(change) = outcome.change {
                    self.apply(sink, change).await;
                }
                send(sink, frames::result(&id, &outcome.result)).await
                    && send(sink, frames::updated(&id)).await
            }
            ClientMsg::Sub { id, name, params } => {
                if self
                    .user_read_at
                    .is_none_or(|at| at.elapsed() >= SUB_USER_MAX_AGE)
                {
                    self.refresh_user(sink).await;
                }
                self.subscribe(sink, id, name, params).await
            }
            ClientMsg::Unsub { id } => {
                if let Some(sub) = self.subs.remove(&id)
                    && let Some(route) = &sub.route
                {
                    self.state.hub.remove(self.conn, route);
                }
                send(sink, frames::nosub(&id, None)).await
            }
        }
    }

    async fn apply(&mut self, sink: &mut Sink, change: SessionChange) {
        match change {
            SessionChange::LoggedIn { user, hashed_token } => {
                if self.user.as_ref().is_some_and(|u| u.id != user.id) {
                    self.presence_logout();
                }
                if self.user.is_none() || self.user.as_ref().is_some_and(|u| u.id != user.id) {
                    self.presence_login(&user.id);
                }
                self.user = Some(*user);
                self.user_read_at = Some(Instant::now());
                self.hashed_token = Some(hashed_token);
            }
            SessionChange::LoggedOut => {
                self.presence_logout();
                self.user = None;
                self.user_read_at = None;
                self.hashed_token = None;
                let ended: Vec<Box<str>> = self
                    .subs
                    .0
                    .iter()
                    .filter(|(_, s)| s.needs_user)
                    .map(|(id, _)| id.clone())
                    .collect();
                for id in ended {
                    if let Some(sub) = self.subs.remove(&id)
                        && let Some(route) = &sub.route
                    {
                        self.state.hub.remove(self.conn, route);
                    }
                    let _ = send(sink, frames::nosub(&id, None)).await;
                }
            }
        }
    }

    async fn subscribe(
        &mut self,
        sink: &mut Sink,
        id: String,
        name: String,
        params: Vec<Value>,
    ) -> bool {
        if self.subs.contains(&id) {
            return send(sink, frames::ready(&id)).await;
        }
        match name.as_str() {
            streams::AUTOUPDATE => {
                self.subs.insert(
                    &id,
                    Subscription {
                        route: None,
                        needs_user: false,
                    },
                );
                return send(sink, frames::ready(&id)).await;
            }
            streams::LOGIN_SERVICES => {
                self.subs.insert(
                    &id,
                    Subscription {
                        route: None,
                        needs_user: false,
                    },
                );
                // The enabled providers as documents of the collection, then `ready`.
                for mut doc in login_services::configurations(&self.state.settings) {
                    let doc_id = doc["_id"].as_str().unwrap_or_default().to_owned();
                    if let Some(fields) = doc.as_object_mut() {
                        fields.remove("_id");
                    }
                    if !send(
                        sink,
                        frames::added(login_services::COLLECTION, &doc_id, doc),
                    )
                    .await
                    {
                        return false;
                    }
                }
                return send(sink, frames::ready(&id)).await;
            }
            _ => {}
        }
        let event = match params.first() {
            Some(Value::String(event)) => event.clone(),
            _ => {
                let error = crate::error::Error::failure(
                    "error-invalid-params",
                    "The event name must be a string",
                );
                return send(sink, frames::nosub(&id, Some(&error))).await;
            }
        };
        // `[event, true]` is the legacy "useCollection" form: the client wants an `added`
        // document before `ready`, or it drops every later `changed` frame.
        let use_collection = match params.get(1) {
            Some(Value::Bool(flag)) => *flag,
            Some(Value::Object(options)) => options
                .get("useCollection")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            _ => false,
        };
        match streams::authorize(&self.state, self.user.as_ref(), &name, &event).await {
            Ok(route) => {
                self.state.hub.add(self.conn, &route);
                let needs_user = name != streams::NOTIFY_ALL;
                self.subs.insert(
                    &id,
                    Subscription {
                        route: Some(route),
                        needs_user,
                    },
                );
                if use_collection
                    && !send(
                        sink,
                        frames::added(&name, "id", json!({"eventName": event})),
                    )
                    .await
                {
                    return false;
                }
                send(sink, frames::ready(&id)).await
            }
            Err(error) => send(sink, frames::nosub(&id, Some(&error))).await,
        }
    }

    fn finish(&mut self) {
        self.presence_logout();
        let routes: Vec<Route> = std::mem::take(&mut self.subs.0)
            .into_iter()
            .filter_map(|(_, s)| s.route)
            .collect();
        self.state.hub.disconnect(self.conn, &routes);
    }

    /// The route of this user's session signals (see [`presence`]).
    fn signal_route(user_id: &str) -> Route {
        Route::Event {
            stream: presence::SESSION_STREAM,
            name: user_id.into(),
        }
    }

    /// The connection now counts for the user's presence and hears their session signals.
    fn presence_login(&mut self, user_id: &str) {
        self.state.hub.add(self.conn, &Self::signal_route(user_id));
        self.state.presence.connection_opened(user_id, self.conn);
    }

    /// The connection no longer counts for its user (logout, another login, close).
    fn presence_logout(&mut self) {
        if let Some(user) = &self.user {
            self.state
                .hub
                .remove(self.conn, &Self::signal_route(&user.id));
            self.state.presence.connection_closed(&user.id, self.conn);
        }
    }

    /// After a session signal: keeps the login only while its token exists and the user is
    /// active; otherwise drops it as `logout` would (without deleting anything).
    /// Re-reads the logged-in user, so that role and profile changes apply to the next call
    /// at once, as on REST (which reads the user on every request). A user who is gone or
    /// deactivated is logged out.
    async fn refresh_user(&mut self, sink: &mut Sink) {
        let Some(id) = self.user.as_ref().map(|u| u.id.clone()) else {
            return;
        };
        match self.state.store.user_by_id(&id).await {
            Ok(Some(user)) if user.active => {
                self.user = Some(user);
                self.user_read_at = Some(Instant::now());
            }
            Ok(_) => self.check_login(sink).await,
            // Cannot tell: keep what the session has rather than drop it on a hiccup.
            Err(_) => {}
        }
    }

    async fn check_login(&mut self, sink: &mut Sink) {
        let (Some(user), Some(hashed)) = (&self.user, &self.hashed_token) else {
            return;
        };
        let store = &self.state.store;
        let valid = match store.token(hashed).await {
            Ok(Some(token)) if token.user_id == user.id => {
                let unexpired = token
                    .expires_at
                    .is_none_or(|at| at > ferrochat_model::time::now_ms());
                unexpired && matches!(store.user_by_id(&user.id).await, Ok(Some(u)) if u.active)
            }
            Ok(_) => false,
            // Cannot tell: keep the login rather than drop it on a database hiccup.
            Err(_) => true,
        };
        if !valid {
            tracing::info!(conn = self.conn, "dropping a login whose token was revoked");
            let event = format!("{}/force_logout", user.id);
            let listening = self.subs.values().any(|s| {
                matches!(&s.route, Some(Route::Event { stream, name })
                    if *stream == streams::NOTIFY_USER && **name == *event)
            });
            if listening {
                let _ = send(sink, frames::changed(streams::NOTIFY_USER, &event, "[]")).await;
            }
            self.apply(sink, SessionChange::LoggedOut).await;
        }
    }
}

/// The heartbeat interval used when none is configured.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(30);
