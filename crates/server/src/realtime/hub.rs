//! The node's realtime hub: which connection listens to which stream event, and the fan-out
//! of bus events to them. Each event is serialised once per node; every recipient's queue
//! gets a clone of the same bytes. A connection whose queue is full (a client that stopped
//! reading) is told to close with 1013; it never delays anyone else.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::ws::Utf8Bytes;
use ferrochat_bus::{Audience, Bus, Event};
use tokio::sync::Notify;

use super::frames;

pub type ConnId = u64;

/// How long after its publication an event may reach the hub before a warning says so.
const LATE_MS: i64 = 200;

/// The stream event name that means "every room I am in" (`__my_messages__`).
pub const MY_MESSAGES: &str = "__my_messages__";

/// What the hub holds of a connection: its queue of frames and how to ask it to close.
///
/// A deque under a lock rather than a tokio channel: a bounded channel allocates its
/// state and a first block of 32 slots (about 1.5 KiB) for every connection up front,
/// and keeps them while the connection idles. This allocates only while frames wait, and
/// gives the memory back once they are sent (scenario 5: many idle connections).
#[derive(Clone)]
pub struct Outbox(Arc<OutboxShared>);

struct OutboxShared {
    frames: Mutex<VecDeque<Utf8Bytes>>,
    /// Frames a connection may have queued before it counts as a slow consumer.
    capacity: usize,
    /// Woken when a frame is queued.
    ready: Notify,
    /// Woken when the connection must close because it fell behind.
    overflow: Notify,
}

/// A drained queue keeps at most this many slots; a burst's larger buffer is freed.
const OUTBOX_KEEP: usize = 8;

impl Outbox {
    /// An empty queue for at most `capacity` frames.
    pub fn new(capacity: usize) -> Self {
        Self(Arc::new(OutboxShared {
            frames: Mutex::new(VecDeque::new()),
            capacity,
            ready: Notify::new(),
            overflow: Notify::new(),
        }))
    }

    /// Queues a frame; a full queue marks the connection for closing.
    pub fn push(&self, frame: Utf8Bytes) {
        let queued = match self.0.frames.lock() {
            Ok(mut frames) if frames.len() < self.0.capacity => {
                frames.push_back(frame);
                true
            }
            Ok(_) => false,
            // A panic while holding the lock: nothing sensible to queue to.
            Err(_) => return,
        };
        if queued {
            self.0.ready.notify_one();
        } else {
            self.0.overflow.notify_one();
        }
    }

    /// The next frame, once there is one. Cancel-safe: a frame is taken off the queue only
    /// when it is returned, and the queue is looked at before every wait, so a wake-up lost
    /// with a cancelled wait loses no frame.
    pub async fn next(&self) -> Utf8Bytes {
        loop {
            if let Some(frame) = self.try_next() {
                return frame;
            }
            self.0.ready.notified().await;
        }
    }

    /// The next frame if one is queued.
    pub fn try_next(&self) -> Option<Utf8Bytes> {
        let mut frames = self.0.frames.lock().ok()?;
        let frame = frames.pop_front();
        if frames.is_empty() && frames.capacity() > OUTBOX_KEEP {
            *frames = VecDeque::new();
        }
        frame
    }

    /// Resolves when the connection fell behind and must close.
    pub async fn overflowed(&self) {
        self.0.overflow.notified().await;
    }
}

type Key = (String, String);

fn key(stream: &str, name: &str) -> Key {
    (stream.to_owned(), name.to_owned())
}

#[derive(Default)]
struct Registry {
    outboxes: HashMap<ConnId, Outbox>,
    /// (stream, event name) → connections (with how many of their subscriptions match).
    by_event: HashMap<Key, HashMap<ConnId, u32>>,
    /// (stream, user id) → that user's connections subscribed to the stream's catch-all.
    by_member: HashMap<Key, HashMap<ConnId, u32>>,
    /// (stream, event name) → (connection, user id) of members-only subscriptions.
    by_participant: HashMap<Key, HashMap<(ConnId, String), u32>>,
}

fn bump<K: std::hash::Hash + Eq>(map: &mut HashMap<Key, HashMap<K, u32>>, key: Key, conn: K) {
    *map.entry(key).or_default().entry(conn).or_default() += 1;
}

fn drop_one<K: std::hash::Hash + Eq>(map: &mut HashMap<Key, HashMap<K, u32>>, key: &Key, conn: K) {
    if let Some(conns) = map.get_mut(key) {
        if let Some(count) = conns.get_mut(&conn) {
            *count -= 1;
            if *count == 0 {
                conns.remove(&conn);
            }
        }
        if conns.is_empty() {
            map.remove(key);
        }
    }
}

pub struct Hub {
    registry: RwLock<Registry>,
    next_id: AtomicU64,
}

/// A subscription as the hub files it. Each connection keeps its routes for as long as it
/// is subscribed, so they are compact: the stream is one of the known names (see
/// [`streams`](super::streams)), the rest boxed strings without spare capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Event {
        stream: &'static str,
        name: Box<str>,
    },
    Member {
        stream: &'static str,
        user_id: Box<str>,
    },
    /// Like `Event`, but delivered only while `user_id` is among the event's members
    /// (a private room: someone removed from it stops hearing it at once).
    Participant {
        stream: &'static str,
        name: Box<str>,
        user_id: Box<str>,
    },
}

impl Hub {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            registry: RwLock::new(Registry::default()),
            next_id: AtomicU64::new(1),
        })
    }

    /// Registers a connection; returns its id.
    pub fn connect(&self, outbox: Outbox) -> ConnId {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut reg) = self.registry.write() {
            reg.outboxes.insert(id, outbox);
        }
        id
    }

    /// Forgets a connection and its routes.
    pub fn disconnect(&self, conn: ConnId, routes: &[Route]) {
        if let Ok(mut reg) = self.registry.write() {
            reg.outboxes.remove(&conn);
            for route in routes {
                remove_route(&mut reg, conn, route);
            }
        }
    }

    pub fn add(&self, conn: ConnId, route: &Route) {
        if let Ok(mut reg) = self.registry.write() {
            match route {
                Route::Event { stream, name } => bump(&mut reg.by_event, key(stream, name), conn),
                Route::Member { stream, user_id } => {
                    bump(&mut reg.by_member, key(stream, user_id), conn)
                }
                Route::Participant {
                    stream,
                    name,
                    user_id,
                } => bump(
                    &mut reg.by_participant,
                    key(stream, name),
                    (conn, user_id.to_string()),
                ),
            }
        }
    }

    pub fn remove(&self, conn: ConnId, route: &Route) {
        if let Ok(mut reg) = self.registry.write() {
            remove_route(&mut reg, conn, route);
        }
    }

    /// Connections on this node.
    pub fn connection_count(&self) -> usize {
        self.registry.read().map(|r| r.outboxes.len()).unwrap_or(0)
    }

    /// The users among `users` with a connection on this node subscribed to
    /// `<user id>/<name>` on `stream`.
    pub fn user_event_listeners<'u>(
        &self,
        stream: &str,
        name: &str,
        users: impl IntoIterator<Item = &'u String>,
    ) -> Vec<String> {
        let Ok(reg) = self.registry.read() else {
            return Vec::new();
        };
        let mut key = Key::default();
        users
            .into_iter()
            .filter(|user| user_conns(&reg, &mut key, stream, name, user).is_some())
            .cloned()
            .collect()
    }

    /// Delivers one event to this node's subscribers.
    pub fn deliver(&self, event: &Event) {
        let Ok(reg) = self.registry.read() else {
            return;
        };
        match &event.audience {
            Audience::Users { users } => {
                // The args are the same for every user: serialised once, on first use.
                let mut args_json: Option<String> = None;
                let mut key = Key::default();
                for user in users {
                    let Some(conns) = user_conns(&reg, &mut key, &event.stream, &event.name, user)
                    else {
                        continue;
                    };
                    let args = args_json.get_or_insert_with(|| event.args.to_string());
                    let frame = frames::changed(&event.stream, &key.1, args);
                    push_all(&reg, conns, &frame);
                }
                return;
            }
            Audience::EachUser { args } => {
                let mut key = Key::default();
                for (user, args) in args {
                    let Some(conns) = user_conns(&reg, &mut key, &event.stream, &event.name, user)
                    else {
                        continue;
                    };
                    let frame = frames::changed(&event.stream, &key.1, &args.to_string());
                    push_all(&reg, conns, &frame);
                }
                return;
            }
            Audience::Subscribers | Audience::Members { .. } => {}
        }
        let key = (event.stream.clone(), event.name.clone());
        let mut frame: Option<Utf8Bytes> = None;
        let mut frame_for = || {
            frame
                .get_or_insert_with(|| {
                    frames::changed(&event.stream, &event.name, &event.args.to_string())
                })
                .clone()
        };
        if let Some(conns) = reg.by_event.get(&key) {
            for conn in conns.keys() {
                if let Some(outbox) = reg.outboxes.get(conn) {
                    outbox.push(frame_for());
                }
            }
        }
        let Audience::Members {
            users,
            member_args,
            public,
        } = &event.audience
        else {
            return;
        };
        let mut reached: HashSet<ConnId> = HashSet::new();
        if let Some(conns) = reg.by_participant.get(&key) {
            // A set, so a room with thousands of members costs one pass, not a pass per
            // member; not needed at all when anyone who may read the room hears it.
            let members: Option<HashSet<&str>> =
                (!*public).then(|| users.iter().map(String::as_str).collect());
            for (conn, user) in conns.keys() {
                if let Some(members) = &members
                    && !members.contains(user.as_str())
                {
                    continue;
                }
                if let Some(outbox) = reg.outboxes.get(conn)
                    && reached.insert(*conn)
                {
                    outbox.push(frame_for());
                }
            }
        }
        let mut member_frame: Option<Utf8Bytes> = None;
        let mut member_key: Key = (event.stream.clone(), String::new());
        for user in users {
            member_key.1.clear();
            member_key.1.push_str(user);
            let Some(conns) = reg.by_member.get(&member_key) else {
                continue;
            };
            let frame = member_frame.get_or_insert_with(|| {
                frames::changed(&event.stream, MY_MESSAGES, &member_args.to_string())
            });
            for conn in conns.keys() {
                // A connection subscribed to both the room and __my_messages__ hears it once.
                if reached.contains(conn) {
                    continue;
                }
                if let Some(outbox) = reg.outboxes.get(conn) {
                    outbox.push(frame.clone());
                }
            }
        }
    }

    /// Feeds the bus into this hub until the bus closes.
    pub fn spawn_fanout(self: &Arc<Self>, bus: &Bus) {
        let hub = self.clone();
        let mut events = bus.subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => {
                        let late_ms = ferrochat_model::time::now_ms() - event.published_at;
                        if event.published_at > 0 && late_ms > LATE_MS {
                            tracing::warn!(
                                late_ms,
                                origin = %event.origin,
                                stream = %event.stream,
                                "the hub got an event late"
                            );
                        }
                        hub.deliver(&event);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "the realtime hub fell behind the bus; events were dropped"
                        );
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
    }
}

/// The connections subscribed to `<user>/<event name>` on the event's stream. `key` is a
/// scratch key reused across users, so looking up thousands of users allocates nothing.
fn user_conns<'r>(
    reg: &'r Registry,
    key: &mut Key,
    stream: &str,
    name: &str,
    user: &str,
) -> Option<&'r HashMap<ConnId, u32>> {
    if key.0 != stream {
        key.0 = stream.to_owned();
    }
    key.1.clear();
    key.1.push_str(user);
    key.1.push('/');
    key.1.push_str(name);
    reg.by_event.get(key)
}

/// Queues one frame (shared bytes) on each of these connections.
fn push_all(reg: &Registry, conns: &HashMap<ConnId, u32>, frame: &Utf8Bytes) {
    for conn in conns.keys() {
        if let Some(outbox) = reg.outboxes.get(conn) {
            outbox.push(frame.clone());
        }
    }
}

fn remove_route(reg: &mut Registry, conn: ConnId, route: &Route) {
    match route {
        Route::Event { stream, name } => drop_one(&mut reg.by_event, &key(stream, name), conn),
        Route::Member { stream, user_id } => {
            drop_one(&mut reg.by_member, &key(stream, user_id), conn)
        }
        Route::Participant {
            stream,
            name,
            user_id,
        } => drop_one(
            &mut reg.by_participant,
            &key(stream, name),
            (conn, user_id.to_string()),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn routes_events_to_subscribers_once() {
        let hub = Hub::new();
        let a = Outbox::new(8);
        let b = Outbox::new(8);
        let ca = hub.connect(a.clone());
        let cb = hub.connect(b.clone());
        let room = Route::Participant {
            stream: "stream-room-messages",
            name: "r1".into(),
            user_id: "u1".into(),
        };
        hub.add(ca, &room);
        hub.add(
            ca,
            &Route::Member {
                stream: "stream-room-messages",
                user_id: "u1".into(),
            },
        );
        hub.add(
            cb,
            &Route::Member {
                stream: "stream-room-messages",
                user_id: "u2".into(),
            },
        );
        let event = Event::new("stream-room-messages", "r1", json!([{"msg": "hi"}])).to_members(
            vec!["u1".into(), "u2".into()],
            json!([{"msg": "hi"}, {"roomParticipant": true}]),
            false,
        );
        hub.deliver(&event);
        let got: serde_json::Value = serde_json::from_str(a.next().await.as_str()).unwrap();
        assert_eq!(got["fields"]["eventName"], "r1");
        assert!(
            a.try_next().is_none(),
            "the room subscriber hears the message once"
        );
        let got: serde_json::Value = serde_json::from_str(b.next().await.as_str()).unwrap();
        assert_eq!(got["fields"]["eventName"], MY_MESSAGES);
        assert_eq!(got["fields"]["args"][1]["roomParticipant"], true);

        hub.disconnect(ca, &[room]);
        hub.deliver(&event);
        assert!(a.try_next().is_none());
    }

    #[tokio::test]
    async fn room_events_reach_non_members_only_in_public_rooms() {
        let hub = Hub::new();
        let reader = Outbox::new(8);
        let conn = hub.connect(reader.clone());
        hub.add(
            conn,
            &Route::Participant {
                stream: "stream-room-messages",
                name: "r1".into(),
                user_id: "outsider".into(),
            },
        );
        let private = Event::new("stream-room-messages", "r1", json!([1])).to_members(
            vec!["u1".into()],
            json!([1, {}]),
            false,
        );
        hub.deliver(&private);
        assert!(
            reader.try_next().is_none(),
            "a non-member hears nothing of a private room"
        );
        let public = Event::new("stream-room-messages", "r1", json!([2])).to_members(
            vec!["u1".into()],
            json!([2, {}]),
            true,
        );
        hub.deliver(&public);
        assert!(
            reader.try_next().is_some(),
            "anyone who may read a channel hears it"
        );
    }

    #[tokio::test]
    async fn a_full_queue_asks_the_connection_to_close() {
        let hub = Hub::new();
        let slow = Outbox::new(1);
        let conn = hub.connect(slow.clone());
        hub.add(
            conn,
            &Route::Event {
                stream: "s",
                name: "e".into(),
            },
        );
        let waiter = slow.overflowed();
        hub.deliver(&Event::new("s", "e", json!([1])));
        hub.deliver(&Event::new("s", "e", json!([2])));
        tokio::time::timeout(std::time::Duration::from_secs(1), waiter)
            .await
            .unwrap();
    }
}
