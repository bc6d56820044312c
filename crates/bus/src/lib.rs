//! Realtime events between nodes. A service publishes an [`Event`]; every node's realtime
//! hub receives it and pushes it to the WebSocket clients that subscribed to it.
//!
//! Without Redis the bus is a broadcast channel inside the process. With Redis, a node
//! delivers its own events locally at once and also publishes them on one Redis channel;
//! one subscriber connection per node receives the other nodes' events (its own are
//! recognised by the origin and skipped). When Redis is down, local delivery goes on and
//! cross-node delivery resumes when it is back; clients fill the gap with their
//! `loadMissedMessages` / `updatedSince` calls, as Rocket.Chat's do after a reconnect.

pub mod presence;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

/// The Redis channel every node publishes to and listens on, after the cluster's key
/// prefix (`REDIS_PREFIX`), so clusters sharing one Redis stay apart.
pub const CHANNEL_SUFFIX: &str = "events";

/// Who receives an event on each node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Audience {
    /// Every connection subscribed to the event's stream and name.
    Subscribers,
    /// A room's event. Subscribers to the stream and name receive it if they are among
    /// `users` (the room's members when it happened) or the room is `public`; these users'
    /// connections subscribed to the stream's catch-all name (`__my_messages__`) receive it
    /// with `member_args`.
    Members {
        users: Vec<String>,
        member_args: Value,
        #[serde(default)]
        public: bool,
    },
    /// A per-user event for many users at once (`stream-notify-user`): each of `users`
    /// receives it as `<user id>/<name>` with the event's args, which every node serialises
    /// once for all of them. One bus event instead of one per user.
    Users { users: Vec<String> },
    /// Like [`Audience::Users`], but each user with args of their own (their own
    /// membership, say); the event's own `args` are unused.
    EachUser { args: Vec<(String, Value)> },
}

/// One realtime event, as DDP sends it: `{"msg":"changed","collection":stream,"id":"id",
/// "fields":{"eventName":name,"args":args}}`. `args` carries EJSON dates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    pub stream: String,
    pub name: String,
    pub args: Value,
    pub audience: Audience,
    /// The node that published it.
    #[serde(default)]
    pub origin: String,
    /// When it was published (ms since the epoch, the publishing node's clock), so a node
    /// can tell how late another node's event reached it.
    #[serde(default)]
    pub published_at: i64,
}

impl Event {
    pub fn new(stream: &str, name: impl Into<String>, args: Value) -> Self {
        Self {
            stream: stream.to_owned(),
            name: name.into(),
            args,
            audience: Audience::Subscribers,
            origin: String::new(),
            published_at: 0,
        }
    }

    /// The event `<user id>/<name>` on `stream` for each of `users`, all with the same args.
    pub fn for_users(stream: &str, name: &str, users: Vec<String>, args: Value) -> Self {
        Self {
            audience: Audience::Users { users },
            ..Self::new(stream, name, args)
        }
    }

    /// The event `<user id>/<name>` on `stream` for each user, with that user's args.
    pub fn for_each_user(stream: &str, name: &str, args: Vec<(String, Value)>) -> Self {
        Self {
            audience: Audience::EachUser { args },
            ..Self::new(stream, name, Value::Null)
        }
    }

    /// Makes this a room's event: delivered to the room's subscribers who are `users` (or
    /// to all of them when the room is `public`), and to these users' catch-all
    /// subscriptions with other args.
    pub fn to_members(mut self, users: Vec<String>, member_args: Value, public: bool) -> Self {
        self.audience = Audience::Members {
            users,
            member_args,
            public,
        };
        self
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// The event bus of one node. Cheap to clone.
#[derive(Clone)]
pub struct Bus {
    node_id: Arc<str>,
    local: broadcast::Sender<Arc<Event>>,
    outbound: Option<mpsc::Sender<Arc<Event>>>,
}

/// How many events a slow local consumer may fall behind before it misses some.
const LOCAL_CAPACITY: usize = 16 * 1024;
/// Events waiting to go to Redis; beyond this, cross-node delivery drops the newest.
const OUTBOUND_CAPACITY: usize = 16 * 1024;

impl Bus {
    /// A bus that stays inside this process (the embedded mode).
    pub fn in_process(node_id: &str) -> Self {
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        Self {
            node_id: node_id.into(),
            local,
            outbound: None,
        }
    }

    /// A bus shared with other nodes through Redis. Fails only when the URL is malformed;
    /// an unreachable Redis is retried in the background.
    pub fn with_redis(node_id: &str, url: &str, prefix: &str) -> Result<Self, BusError> {
        let client = redis::Client::open(url)?;
        let channel = format!("{prefix}{CHANNEL_SUFFIX}");
        let (local, _) = broadcast::channel(LOCAL_CAPACITY);
        let (outbound, rx) = mpsc::channel(OUTBOUND_CAPACITY);
        tokio::spawn(publisher(client.clone(), channel.clone(), rx));
        tokio::spawn(subscriber(
            client,
            channel,
            node_id.to_owned(),
            local.clone(),
        ));
        Ok(Self {
            node_id: node_id.into(),
            local,
            outbound: Some(outbound),
        })
    }

    pub fn node_id(&self) -> &str {
        &self.node_id
    }

    /// Delivers an event on this node at once and to the other nodes through Redis.
    pub fn publish(&self, mut event: Event) {
        event.origin = self.node_id.to_string();
        event.published_at = now_ms();
        let event = Arc::new(event);
        // No receivers yet is fine: nobody is listening.
        let _ = self.local.send(event.clone());
        if let Some(outbound) = &self.outbound
            && outbound.try_send(event).is_err()
        {
            tracing::warn!(
                "the Redis publisher is falling behind; an event was not sent to other nodes"
            );
        }
    }

    /// Every event this node should deliver, its own and other nodes'.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe()
    }
}

/// Milliseconds since the epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// How late an event may be (queued for Redis here, or from publication on another node to
/// its arrival here) before a warning says so.
const LATE_MS: i64 = 200;

/// The most events sent to Redis in one pipelined round trip.
const PUBLISH_BATCH: usize = 256;

/// Sends the node's events to Redis in order. Whatever queued up while the previous round
/// trip was in flight goes in one pipeline, so throughput is not one PUBLISH per round trip
/// (a burst of events used to wait hundreds of milliseconds here, and every other node with
/// them).
async fn publisher(client: redis::Client, channel: String, mut rx: mpsc::Receiver<Arc<Event>>) {
    let mut connection: Option<redis::aio::MultiplexedConnection> = None;
    let mut batch: Vec<Arc<Event>> = Vec::with_capacity(PUBLISH_BATCH);
    while let Some(first) = rx.recv().await {
        batch.clear();
        batch.push(first);
        while batch.len() < PUBLISH_BATCH {
            match rx.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        let queued_ms = now_ms() - batch[0].published_at;
        if queued_ms > LATE_MS {
            tracing::warn!(
                queued_ms,
                batch = batch.len(),
                waiting = rx.len(),
                "events waited for the Redis publisher"
            );
        }
        let mut pipe = redis::pipe();
        for event in &batch {
            if let Ok(payload) = serde_json::to_string(&**event) {
                pipe.cmd("PUBLISH").arg(&channel).arg(payload).ignore();
            }
        }
        if connection.is_none() {
            match client.get_multiplexed_async_connection().await {
                Ok(c) => connection = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, events = batch.len(), "Redis is unreachable; events delivered on this node only");
                    continue;
                }
            }
        }
        if let Some(conn) = connection.as_mut() {
            let sent: Result<(), _> = pipe.query_async(conn).await;
            if let Err(e) = sent {
                tracing::warn!(error = %e, events = batch.len(), "publishing to Redis failed; events delivered on this node only");
                connection = None;
            }
        }
    }
}

async fn subscriber(
    client: redis::Client,
    channel: String,
    node_id: String,
    local: broadcast::Sender<Arc<Event>>,
) {
    let mut backoff = Duration::from_millis(200);
    loop {
        match client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(&channel).await {
                Ok(()) => {
                    tracing::info!("listening for other nodes' events on Redis");
                    backoff = Duration::from_millis(200);
                    let mut messages = pubsub.on_message();
                    while let Some(message) = messages.next().await {
                        let Ok(payload) = message.get_payload::<String>() else {
                            continue;
                        };
                        match serde_json::from_str::<Event>(&payload) {
                            Ok(event) if event.origin != node_id => {
                                let late_ms = now_ms() - event.published_at;
                                if event.published_at > 0 && late_ms > LATE_MS {
                                    tracing::warn!(
                                        late_ms,
                                        origin = %event.origin,
                                        "another node's event arrived late"
                                    );
                                }
                                let _ = local.send(Arc::new(event));
                            }
                            Ok(_) => {}
                            Err(e) => {
                                tracing::warn!(error = %e, "ignoring a malformed event from Redis")
                            }
                        }
                    }
                    tracing::warn!("lost the Redis subscription; reconnecting");
                }
                Err(e) => tracing::warn!(error = %e, "subscribing on Redis failed"),
            },
            Err(e) => tracing::warn!(error = %e, "Redis is unreachable; retrying"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(5));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn in_process_delivers_to_every_subscriber() {
        let bus = Bus::in_process("n1");
        let mut a = bus.subscribe();
        let mut b = bus.subscribe();
        bus.publish(Event::new(
            "stream-room-messages",
            "r1",
            json!([{"msg": "hi"}]),
        ));
        let got = a.recv().await.unwrap();
        assert_eq!(got.name, "r1");
        assert_eq!(got.origin, "n1");
        assert_eq!(b.recv().await.unwrap().args, json!([{"msg": "hi"}]));
    }

    #[test]
    fn per_user_audiences_survive_the_trip_through_redis() {
        for event in [
            Event::for_users(
                "stream-notify-user",
                "rooms-changed",
                vec!["u1".into(), "u2".into()],
                json!(["updated", {"_id": "r1"}]),
            ),
            Event::for_each_user(
                "stream-notify-user",
                "subscriptions-changed",
                vec![("u1".into(), json!(["updated", {"unread": 1}]))],
            ),
        ] {
            let text = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&text).unwrap(), event);
        }
    }
}
