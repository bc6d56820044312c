//! What one message post costs the store: seeds users and rooms of 2–10 members (as the
//! posts benchmark does), then stores `POSTS` messages through `Store::insert_message`,
//! one in ten with a mention, from `CONCURRENCY` tasks at once, and prints the rate.
//!
//! ```sh
//! cargo run --release -p ferrochat-store --example post_cost -- sqlite:///tmp/pc/db.sqlite 5000 64
//! cargo run --release -p ferrochat-store --example post_cost -- postgres://postgres@127.0.0.1/pc 5000 64
//! ```
//!
//! Deterministic (fixed seeds and ids) so that `valgrind --tool=callgrind` or `strace -c -f`
//! runs of two builds compare the same work.

use std::sync::Arc;
use std::time::Instant;

use ferrochat_model::{Message, Room, RoomType, Subscription, User, UserRef};
use ferrochat_store::messages::Delivery;
use ferrochat_store::{Store, StoreOptions};
use serde_json::{Map, Value, json};

const USERS: usize = 400;
const ROOMS: usize = 1000;

fn user(i: usize) -> User {
    User {
        id: format!("user{i}"),
        username: format!("user{i}"),
        name: format!("User {i}"),
        email: Some(format!("user{i}@example.com")),
        email_verified: false,
        user_type: "user".into(),
        active: true,
        roles: vec!["user".into()],
        status: "offline".into(),
        status_default: "online".into(),
        status_connection: "offline".into(),
        status_text: String::new(),
        utc_offset: 0.0,
        created_at: 1000,
        updated_at: 1000,
        last_login: None,
        password_hash: None,
        require_password_change: false,
        avatar_etag: None,
        bio: None,
        nickname: None,
        language: None,
        preferences: Map::new(),
        custom_fields: None,
    }
}

/// A small deterministic generator (xorshift), so every run posts the same messages.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn members_of(room: usize) -> Vec<usize> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (room as u64 + 1));
    let n = 2 + rng.below(9);
    let mut members = Vec::with_capacity(n);
    while members.len() < n {
        let u = rng.below(USERS);
        if !members.contains(&u) {
            members.push(u);
        }
    }
    members
}

async fn seed(store: &Store) {
    let users: Vec<User> = (0..USERS).map(user).collect();
    for u in &users {
        store.insert_user(u).await.expect("insert user");
    }
    for r in 0..ROOMS {
        let rid = format!("room{r}");
        let room = Room {
            name: Some(rid.clone()),
            fname: Some(rid.clone()),
            ..Room::new(rid.clone(), RoomType::Channel, 1000)
        };
        let subs: Vec<Subscription> = members_of(r)
            .into_iter()
            .map(|u| Subscription {
                id: format!("sub{r}-{u}"),
                rid: rid.clone(),
                user: UserRef {
                    id: users[u].id.clone(),
                    username: users[u].username.clone(),
                    name: Some(users[u].name.clone()),
                },
                t: RoomType::Channel,
                name: rid.clone(),
                fname: Some(rid.clone()),
                ts: 1000,
                ls: Some(1000),
                lr: None,
                updated_at: 1000,
                open: true,
                alert: false,
                unread: 0,
                user_mentions: 0,
                group_mentions: 0,
                roles: vec![],
                favorite: false,
                archived: false,
                extra: Map::new(),
            })
            .collect();
        store.create_room(&room, &subs).await.expect("create room");
    }
}

/// Post `i`: a 200-byte text into a room by one of its members, every tenth mentioning a
/// room mate.
fn post(i: usize) -> (Message, Delivery) {
    let r = (i * 7919) % ROOMS;
    let members = members_of(r);
    let from = user(members[i % members.len()]);
    let mate = user(members[(i + 1) % members.len()]);
    let mut text = if i.is_multiple_of(10) {
        format!("@{} post {i} ", mate.username)
    } else {
        format!("post {i} ")
    };
    let words = [
        "lorem",
        "ipsum",
        "dolor",
        "sit",
        "amet",
        "consectetur",
        "adipiscing",
    ];
    let mut w = i;
    while text.len() < 200 {
        text.push_str(words[w % words.len()]);
        text.push(' ');
        w = w.wrapping_mul(31).wrapping_add(7);
    }
    text.truncate(200);
    let mut extra = Map::new();
    let mentions: Vec<Value> = if i.is_multiple_of(10) {
        vec![json!({"_id": mate.id, "username": mate.username, "name": mate.name, "type": "user"})]
    } else {
        vec![]
    };
    extra.insert("mentions".into(), Value::Array(mentions));
    extra.insert("channels".into(), Value::Array(vec![]));
    extra.insert("groupable".into(), Value::Bool(true));
    let ts = 1_000_000 + i as i64;
    let message = Message {
        id: format!("msg{i:08}"),
        rid: format!("room{r}"),
        msg: text,
        ts,
        user: UserRef {
            id: from.id.clone(),
            username: from.username.clone(),
            name: Some(from.name.clone()),
        },
        updated_at: ts,
        t: None,
        tmid: None,
        edited_at: None,
        edited_by: None,
        extra,
    };
    let delivery = Delivery {
        mentioned_user_ids: if i.is_multiple_of(10) {
            vec![mate.id]
        } else {
            vec![]
        },
        ..Delivery::default()
    };
    (message, delivery)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "sqlite:///tmp/post-cost/db.sqlite".into());
    let posts: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let concurrency: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(64);
    let store = Store::connect(&StoreOptions {
        url,
        max_connections: 10,
    })
    .await
    .expect("connect");
    store.migrate().await.expect("migrate");
    let started = Instant::now();
    seed(&store).await;
    eprintln!("seeded in {:.2?}", started.elapsed());

    let store = Arc::new(store);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (store, next) = (store.clone(), next.clone());
            tokio::spawn(async move {
                let mut worst = std::time::Duration::ZERO;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= posts {
                        return worst;
                    }
                    let (message, delivery) = post(i);
                    let t = Instant::now();
                    store
                        .insert_message(&message, &delivery)
                        .await
                        .expect("insert message");
                    worst = worst.max(t.elapsed());
                }
            })
        })
        .collect();
    let mut worst = std::time::Duration::ZERO;
    for w in workers {
        worst = worst.max(w.await.expect("worker"));
    }
    let took = started.elapsed();
    println!(
        "{posts} posts, {concurrency} at a time: {:.2?} = {:.0} posts/s, {:.1} µs each, slowest {:.2?}",
        took,
        posts as f64 / took.as_secs_f64(),
        took.as_secs_f64() * 1e6 / posts as f64,
        worst
    );
    store.close().await;
}
