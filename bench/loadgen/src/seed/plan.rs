//! The seeded data set, computed rather than stored: every row is a pure function of its
//! index, so rooms can carry their last message and counters before any message is
//! written, and rows can be produced on one thread while another writes them.
//!
//! Layout: room 0 is the big room (its members are the first 100 users), rooms 1..=F the
//! fan-out rooms (members: the first N users), the rest ordinary channels (one in ten a
//! private group) of 2 to 10 consecutive users each, sharing the remaining messages.

use ferrochat_model::ids::hash_login_token;
use ferrochat_model::{Message, UserRef};
use serde_json::{Map, Value};

/// Meteor's `Random.id()` alphabet; in ASCII order, so counter-based ids sort like their
/// counters and land at the end of the primary-key B-tree.
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";

/// Messages are spread over this span, ending a day before seeding.
const SPAN_MS: i64 = 20 * 24 * 3600 * 1000;
const BIG_ROOM_MEMBERS: u64 = 100;

#[rustfmt::skip]
pub const VOCABULARY: &[&str] = &[
    "the", "and", "meeting", "release", "deploy", "server", "client", "build",
    "test", "review", "merge", "branch", "ticket", "customer", "report", "budget", "design",
    "sprint", "backlog", "standup", "lunch", "coffee", "weekend", "holiday", "invoice",
    "contract", "launch", "roadmap", "feature", "bug", "crash", "latency", "database", "cache",
    "queue", "cluster", "node", "docker", "kubernetes", "metrics", "dashboard", "alert",
    "pager", "incident", "postmortem", "rollback", "hotfix", "patch", "version", "upgrade",
    "migration", "schema", "index", "query", "search", "message", "channel", "thread",
    "reaction", "emoji", "mention", "notification", "mobile", "desktop", "browser", "login",
    "password", "token", "session", "permission", "role", "admin", "settings", "config",
    "logs", "trace", "profile", "memory", "cpu", "disk", "network", "firewall", "proxy",
    "certificate", "domain", "email", "calendar", "agenda", "minutes", "decision", "question",
    "answer", "idea", "proposal", "draft", "document", "wiki", "spreadsheet", "slides", "demo",
    "video", "call", "tomorrow", "today", "yesterday", "monday", "friday", "morning",
    "afternoon", "evening", "please", "thanks", "sorry", "great", "done", "blocked", "waiting",
    "urgent", "soon", "later", "maybe", "agreed", "sure", "checking", "looking", "fixed",
    "broken", "works", "slow", "fast", "quartz", "zephyr", "nebula", "walrus", "saffron",
    "obsidian", "marmalade", "tundra",
];

#[derive(Debug, Clone)]
pub struct SeedConfig {
    pub users: u64,
    /// Rooms in all, the big and fan-out rooms included.
    pub rooms: u64,
    pub big_room_messages: u64,
    /// Messages in all, the big room's included.
    pub messages: u64,
    /// Member counts of the fan-out rooms (capped at the number of users).
    pub fanout_sizes: Vec<u64>,
    pub password: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("need at least 2 users")]
    TooFewUsers,
    #[error("{rooms} rooms leave none for ordinary rooms after {special} special ones")]
    TooFewRooms { rooms: u64, special: u64 },
    #[error("the big room's {big} messages exceed the {total} messages in all")]
    TooFewMessages { big: u64, total: u64 },
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// A SplitMix64 stream: fast, and the same on every run for the same seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: String,
}

pub struct RoomRow {
    pub id: String,
    /// `c` or `p`.
    pub t: &'static str,
    pub name: String,
    pub creator_id: String,
    pub creator_username: String,
    pub ts: i64,
    pub updated_at: i64,
    pub msgs: i64,
    pub users_count: i64,
    pub lm: Option<i64>,
    pub last_message: Option<String>,
}

pub struct SubscriptionRow {
    pub id: String,
    pub rid: String,
    pub user_id: String,
    pub username: String,
    pub user_name: String,
    pub t: &'static str,
    pub name: String,
    pub ts: i64,
    pub ls: i64,
    pub roles: &'static str,
}

pub struct MessageRow {
    pub id: String,
    pub rid: String,
    pub msg: String,
    pub ts: i64,
    pub user_id: String,
    pub username: String,
    pub user_name: String,
    pub extra: String,
    /// The ids of the mentioned users (a column the store derives from `extra`).
    pub mentioned_ids: String,
}

pub struct TokenRow {
    pub hashed_token: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
}

pub struct Plan {
    pub cfg: SeedConfig,
    salt: [u8; 5],
    pub now: i64,
    base_ts: i64,
    fanout: Vec<u64>,
    ordinary: u64,
    per_room: u64,
    remainder: u64,
    pub password_hash: String,
}

fn hash_password(password: &str) -> Result<String, PlanError> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    use argon2::{Algorithm, Argon2, Params, Version};
    // The server's parameters (argon2id, 19 MiB, t=2, p=1) over the client digest.
    let params = Params::new(19 * 1024, 2, 1, None).map_err(|e| PlanError::Hash(e.to_string()))?;
    let digest = ferrochat_model::password::client_digest(password);
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(digest.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PlanError::Hash(e.to_string()))
}

impl Plan {
    pub fn new(cfg: SeedConfig) -> Result<Self, PlanError> {
        if cfg.users < 2 {
            return Err(PlanError::TooFewUsers);
        }
        let fanout: Vec<u64> = cfg
            .fanout_sizes
            .iter()
            .map(|n| (*n).min(cfg.users))
            .collect();
        let special = 1 + fanout.len() as u64;
        if cfg.rooms <= special {
            return Err(PlanError::TooFewRooms {
                rooms: cfg.rooms,
                special,
            });
        }
        if cfg.big_room_messages > cfg.messages {
            return Err(PlanError::TooFewMessages {
                big: cfg.big_room_messages,
                total: cfg.messages,
            });
        }
        let ordinary = cfg.rooms - special;
        let rest = cfg.messages - cfg.big_room_messages;
        let now = chrono::Utc::now().timestamp_millis();
        let mut salt = [0u8; 5];
        let mut rng = Rng::new(now as u64);
        for b in &mut salt {
            *b = ALPHABET[rng.below(ALPHABET.len() as u64) as usize];
        }
        Ok(Plan {
            password_hash: hash_password(&cfg.password)?,
            salt,
            now,
            base_ts: now - SPAN_MS - 24 * 3600 * 1000,
            fanout,
            ordinary,
            per_room: rest / ordinary,
            remainder: rest % ordinary,
            cfg,
        })
    }

    /// A 17-character Meteor-style id: kind letter, this seed's salt, an 11-digit counter.
    pub fn id(&self, kind: u8, mut n: u64) -> String {
        let mut out = [0u8; 17];
        out[0] = kind;
        out[1..6].copy_from_slice(&self.salt);
        for slot in out[6..].iter_mut().rev() {
            *slot = ALPHABET[(n % ALPHABET.len() as u64) as usize];
            n /= ALPHABET.len() as u64;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    pub fn user_count(&self) -> u64 {
        self.cfg.users
    }

    pub fn room_count(&self) -> u64 {
        self.cfg.rooms
    }

    pub fn user(&self, i: u64) -> UserRow {
        UserRow {
            id: self.id(b'u', i),
            username: format!("bench{i}"),
            name: format!("Bench User {i}"),
            email: format!("bench{i}@bench.invalid"),
        }
    }

    fn special(&self) -> u64 {
        1 + self.fanout.len() as u64
    }

    /// The members of room `r`, as user indexes.
    pub fn members(&self, r: u64) -> Vec<u64> {
        let users = self.cfg.users;
        if r == 0 {
            return (0..BIG_ROOM_MEMBERS.min(users)).collect();
        }
        if r < self.special() {
            return (0..self.fanout[(r - 1) as usize]).collect();
        }
        let o = r - self.special();
        let k = (2 + (o.wrapping_mul(7919) % 9)).min(users);
        let base = o.wrapping_mul(7919) % users;
        (0..k).map(|j| (base + j) % users).collect()
    }

    /// How many messages room `r` holds, and the global index of its first one.
    pub fn messages_of(&self, r: u64) -> (u64, u64) {
        if r == 0 {
            return (self.cfg.big_room_messages, 0);
        }
        if r < self.special() {
            return (0, 0);
        }
        let o = r - self.special();
        let count = self.per_room + u64::from(o < self.remainder);
        let first = self.cfg.big_room_messages + o * self.per_room + o.min(self.remainder);
        (count, first)
    }

    fn room_name(&self, r: u64) -> (String, &'static str) {
        if r == 0 {
            return ("bench-big".into(), "c");
        }
        if r < self.special() {
            return (format!("bench-fan-{}", self.fanout[(r - 1) as usize]), "c");
        }
        let o = r - self.special();
        if o % 10 == 9 {
            (format!("bench-group-{o}"), "p")
        } else {
            (format!("bench-room-{o}"), "c")
        }
    }

    fn room_ts(&self, r: u64) -> i64 {
        self.base_ts - 3_600_000 + (r % 1000) as i64
    }

    fn message_ts(&self, r: u64, k: u64, count: u64) -> i64 {
        let spacing = (SPAN_MS / count.max(1) as i64).max(1);
        self.base_ts + k as i64 * spacing + (r % 997) as i64
    }

    /// Message `k` of room `r`.
    pub fn message(&self, r: u64, k: u64) -> MessageRow {
        let (count, first) = self.messages_of(r);
        let members = self.members(r);
        let mut rng = Rng::new((r << 32) ^ k);
        let sender = members[(rng.below(members.len() as u64)) as usize];
        let sender = self.user(sender);
        let mut msg = String::with_capacity(128);
        let mut extra = String::from("{\"mentions\":[");
        let mut mentioned_ids = String::from("[]");
        if members.len() > 1 && rng.below(10) == 0 {
            let mate = self.user(members[rng.below(members.len() as u64) as usize]);
            msg.push('@');
            msg.push_str(&mate.username);
            msg.push(' ');
            extra.push_str(&format!(
                "{{\"_id\":\"{}\",\"username\":\"{}\",\"name\":\"{}\",\"type\":\"user\"}}",
                mate.id, mate.username, mate.name
            ));
            mentioned_ids = format!("[\"{}\"]", mate.id);
        }
        extra.push_str("],\"channels\":[],\"groupable\":true}");
        let words = 4 + rng.below(20);
        let v = VOCABULARY.len() as u64;
        for w in 0..words {
            if w > 0 {
                msg.push(' ');
            }
            // Products of two uniform draws: common words are common, the last ones rare.
            let index = rng.below(v) * rng.below(v) / v;
            msg.push_str(VOCABULARY[index as usize]);
        }
        MessageRow {
            id: self.id(b'm', first + k),
            rid: self.id(b'r', r),
            msg,
            ts: self.message_ts(r, k, count),
            user_id: sender.id,
            username: sender.username,
            user_name: sender.name,
            extra,
            mentioned_ids,
        }
    }

    pub fn room(&self, r: u64) -> RoomRow {
        let (name, t) = self.room_name(r);
        let members = self.members(r);
        let creator = self.user(members[0]);
        let (count, _) = self.messages_of(r);
        let ts = self.room_ts(r);
        let last = (count > 0).then(|| self.message(r, count - 1));
        let lm = last.as_ref().map(|m| m.ts);
        let last_message = last.map(|m| last_message_json(&m));
        RoomRow {
            id: self.id(b'r', r),
            t,
            name,
            creator_id: creator.id,
            creator_username: creator.username,
            ts,
            updated_at: lm.unwrap_or(ts),
            msgs: count as i64,
            users_count: members.len() as i64,
            lm,
            last_message,
        }
    }

    /// The memberships of room `r`; `first_id` numbers them.
    pub fn subscriptions(&self, r: u64, room: &RoomRow, first_id: u64) -> Vec<SubscriptionRow> {
        self.members(r)
            .into_iter()
            .enumerate()
            .map(|(j, u)| {
                let user = self.user(u);
                SubscriptionRow {
                    id: self.id(b's', first_id + j as u64),
                    rid: room.id.clone(),
                    user_id: user.id,
                    username: user.username,
                    user_name: user.name,
                    t: room.t,
                    name: room.name.clone(),
                    ts: room.ts,
                    // Everything seeded counts as read.
                    ls: room.lm.unwrap_or(room.ts),
                    roles: if j == 0 { "[\"owner\"]" } else { "[]" },
                }
            })
            .collect()
    }

    pub fn token(&self, user_id: &str, token: &str) -> TokenRow {
        TokenRow {
            hashed_token: hash_login_token(token),
            user_id: user_id.to_owned(),
            created_at: self.now,
            expires_at: self.now + 365 * 24 * 3600 * 1000,
        }
    }

    pub fn big_room_span(&self) -> (i64, i64) {
        let count = self.cfg.big_room_messages;
        (
            self.message_ts(0, 0, count),
            self.message_ts(0, count.saturating_sub(1), count),
        )
    }

    pub fn fanout_rooms(&self) -> Vec<(u64, u64)> {
        self.fanout
            .iter()
            .enumerate()
            .map(|(i, n)| (i as u64 + 1, *n))
            .collect()
    }

    /// Whether room `r` is a private group.
    pub fn is_private(&self, r: u64) -> bool {
        self.room_name(r).1 == "p"
    }

    pub fn first_ordinary_room(&self) -> u64 {
        self.special()
    }

    pub fn ordinary_rooms(&self) -> u64 {
        self.ordinary
    }
}

/// The room's copy of its last message, as the store serialises [`Message`].
fn last_message_json(m: &MessageRow) -> String {
    let extra: Map<String, Value> = serde_json::from_str(&m.extra).unwrap_or_default();
    let message = Message {
        id: m.id.clone(),
        rid: m.rid.clone(),
        msg: m.msg.clone(),
        ts: m.ts,
        user: UserRef {
            id: m.user_id.clone(),
            username: m.username.clone(),
            name: Some(m.user_name.clone()),
        },
        updated_at: m.ts,
        t: None,
        tmid: None,
        edited_at: None,
        edited_by: None,
        extra,
    };
    serde_json::to_string(&message).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        Plan::new(SeedConfig {
            users: 50,
            rooms: 20,
            big_room_messages: 100,
            messages: 1000,
            fanout_sizes: vec![10, 100],
            password: "pw".into(),
        })
        .unwrap()
    }

    #[test]
    fn ids_are_meteor_shaped_and_ordered() {
        let p = plan();
        let a = p.id(b'm', 54);
        let b = p.id(b'm', 55);
        assert_eq!(a.len(), 17);
        assert!(a < b, "{a} {b}");
        assert!(a.bytes().all(|c| ALPHABET.contains(&c)));
    }

    #[test]
    fn messages_add_up_and_rooms_know_their_last_one() {
        let p = plan();
        let total: u64 = (0..p.room_count()).map(|r| p.messages_of(r).0).sum();
        assert_eq!(total, 1000);
        assert_eq!(p.members(2).len(), 50, "fan-out capped at the users");
        let r = p.first_ordinary_room();
        let room = p.room(r);
        let (count, _) = p.messages_of(r);
        let last = p.message(r, count - 1);
        assert_eq!(room.lm, Some(last.ts));
        let stored: Message = serde_json::from_str(room.last_message.as_deref().unwrap()).unwrap();
        assert_eq!(stored.id, last.id);
        assert!(p.message(r, 0).ts < last.ts);
    }
}
