//! The realtime engine across nodes and under load, against the real binary.
//!
//! Cluster tests (PostgreSQL only: the nodes share one database, so they run once, not through
//! `both_stores!`): two `ferrochat serve` processes on one fresh PostgreSQL database and one
//! dedicated `redis-server` (see `common::redis_server`), with DDP clients on each node.
//! - a message posted over REST on one node reaches DDP subscribers on the other;
//! - typing (`stream-notify-room` `<rid>/user-activity`, sent as a method) crosses nodes;
//! - with Redis down a node keeps serving REST and local delivery, and cross-node delivery
//!   comes back once Redis is up again.
//!
//! Slow consumer (one node, SQLite): a client that stops reading is disconnected by the
//! server, while a client on the same room keeps receiving every message promptly.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::ddp::Ddp;
use common::redis_server::RedisServer;
use common::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// How long cross-node delivery may take to recover after Redis comes back.
const RECOVERY_DEADLINE: Duration = Duration::from_secs(15);

/// Two nodes and their Redis. Fields drop in order: node B, then node A (which drops the
/// database), then Redis.
struct Cluster {
    b: Server,
    a: Server,
    redis: RedisServer,
}

/// Starts Redis and two nodes sharing a fresh PostgreSQL database; `None` when the PostgreSQL
/// variants are switched off (FERROCHAT_SKIP_POSTGRES=1).
async fn cluster() -> Option<Cluster> {
    if postgres_skipped() {
        eprintln!("FERROCHAT_SKIP_POSTGRES=1: skipping this cluster test (it needs PostgreSQL)");
        return None;
    }
    let redis = RedisServer::start().await;
    let url = redis.url();
    let a = Server::start_with(Backend::Postgres, &[("REDIS_URL", url.as_str())]).await;
    let b = Server::start_sharing(&a, &[]).await;
    Some(Cluster { b, a, redis })
}

/// Users `kim` and `lee` in a fresh public channel; returns the channel id.
async fn room_with_two_users(server: &Server) -> String {
    let admin = server.admin().await;
    server.create_user(&admin, "kim").await;
    server.create_user(&admin, "lee").await;
    let body = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("cluster"), "members": ["kim", "lee"]}),
        )
        .await;
    body["channel"]["_id"].as_str().unwrap().to_owned()
}

/// A DDP connection to `server`, logged in as `user` (password `pass-<user>`).
async fn ddp_as(server: &Server, user: &str) -> Ddp {
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(user, &format!("pass-{user}")).await;
    ddp
}

async fn sub_room(ddp: &mut Ddp, rid: &str) {
    ddp.sub(
        "stream-room-messages",
        json!([rid, {"useCollection": false, "args": []}]),
    )
    .await
    .unwrap_or_else(|e| panic!("subscribing to stream-room-messages/{rid}: {e}"));
}

/// The next frame that matches `pred` within `within` (at most 10 s), or `None`.
/// Frames that don't match are dropped.
async fn frame_within(
    ddp: &mut Ddp,
    within: Duration,
    pred: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, ddp.next_frame()).await {
            Ok(Some(frame)) if pred(&frame) => return Some(frame),
            Ok(Some(_)) => continue,
            Ok(None) => panic!("the DDP connection closed while waiting"),
            Err(_) => return None,
        }
    }
}

/// The room message whose text starts with `prefix`, as streamed (`fields.args[0]`).
async fn room_message(ddp: &mut Ddp, rid: &str, prefix: &str, within: Duration) -> Option<Value> {
    frame_within(ddp, within, |f| {
        f["msg"] == "changed"
            && f["collection"] == "stream-room-messages"
            && f["fields"]["eventName"] == rid
            && f["fields"]["args"][0]["msg"]
                .as_str()
                .is_some_and(|m| m.starts_with(prefix))
    })
    .await
    .map(|f| f["fields"]["args"][0].clone())
}

async fn post(client: &Client, rid: &str, text: &str) -> Value {
    client
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": text}),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_posted_on_one_node_reach_subscribers_on_the_other() {
    let Some(c) = cluster().await else { return };
    let rid = room_with_two_users(&c.a).await;

    let mut on_b = ddp_as(&c.b, "kim").await;
    sub_room(&mut on_b, &rid).await;
    // The sdk's form: every room of the user, with the legacy useCollection flag.
    let mut all_on_b = ddp_as(&c.b, "kim").await;
    all_on_b
        .send(json!({"msg": "sub", "id": "mine", "name": "stream-room-messages", "params": ["__my_messages__", true]}))
        .await;
    all_on_b
        .wait_for(|f| f["msg"] == "ready" || f["msg"] == "nosub")
        .await;
    let mut on_a = ddp_as(&c.a, "lee").await;
    sub_room(&mut on_a, &rid).await;

    // REST on A → DDP on B.
    let lee_a = c.a.login("lee", "pass-lee").await;
    let posted = post(&lee_a, &rid, "from node A").await;
    let got = room_message(&mut on_b, &rid, "from node A", Duration::from_secs(5))
        .await
        .unwrap_or_else(|| {
            panic!(
                "a message posted on node A did not reach a subscriber on node B within 5 s\n\
                 --- node A log ---\n{}\n--- node B log ---\n{}",
                c.a.log_tail(),
                c.b.log_tail()
            )
        });
    assert_eq!(got["_id"], posted["message"]["_id"]);
    assert_eq!(got["u"]["username"], "lee");
    assert!(got["ts"]["$date"].is_i64(), "{got}");
    let mine = frame_within(&mut all_on_b, Duration::from_secs(5), |f| {
        f["msg"] == "changed" && f["fields"]["eventName"] == "__my_messages__"
    })
    .await
    .expect("__my_messages__ on node B hears a message posted on node A");
    assert_eq!(mine["fields"]["args"][0]["_id"], posted["message"]["_id"]);
    assert_eq!(mine["fields"]["args"][1]["roomParticipant"], true);
    // The local subscriber on A hears it exactly once.
    assert!(
        room_message(&mut on_a, &rid, "from node A", Duration::from_secs(5))
            .await
            .is_some()
    );
    assert!(
        room_message(&mut on_a, &rid, "from node A", Duration::from_millis(300))
            .await
            .is_none(),
        "node A delivered its own message twice (once locally, once back from Redis)"
    );

    // And the other way: REST on B → DDP on A.
    let kim_b = c.b.login("kim", "pass-kim").await;
    post(&kim_b, &rid, "from node B").await;
    assert!(
        room_message(&mut on_a, &rid, "from node B", Duration::from_secs(5))
            .await
            .is_some(),
        "a message posted on node B did not reach a subscriber on node A"
    );
    drop(c);
}

/// The members' `rooms-changed` and `subscriptions-changed` of a message go to the other
/// nodes as one event each (not one per member) and still reach each member's own stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_messages_room_and_membership_updates_reach_members_on_the_other_node() {
    let Some(c) = cluster().await else { return };
    let rid = room_with_two_users(&c.a).await;
    let kim_id =
        c.b.login("kim", "pass-kim")
            .await
            .user_id
            .expect("kim's id");
    let mut kim_b = ddp_as(&c.b, "kim").await;
    for event in ["rooms-changed", "subscriptions-changed"] {
        kim_b
            .sub(
                "stream-notify-user",
                json!([format!("{kim_id}/{event}"), {"useCollection": false, "args": []}]),
            )
            .await
            .unwrap_or_else(|e| panic!("subscribing to {event}: {e}"));
    }
    let lee_a = c.a.login("lee", "pass-lee").await;
    post(&lee_a, &rid, "for every member").await;
    let user_event = |event: &'static str| {
        let name = format!("{kim_id}/{event}");
        move |f: &Value| {
            f["msg"] == "changed"
                && f["collection"] == "stream-notify-user"
                && f["fields"]["eventName"] == name.as_str()
        }
    };
    let room = frame_within(
        &mut kim_b,
        Duration::from_secs(5),
        user_event("rooms-changed"),
    )
    .await
    .expect("rooms-changed reaches a member on the other node");
    assert_eq!(room["fields"]["args"][0], "updated");
    assert_eq!(room["fields"]["args"][1]["_id"], json!(rid));
    assert_eq!(
        room["fields"]["args"][1]["lastMessage"]["msg"],
        "for every member"
    );
    let sub = frame_within(
        &mut kim_b,
        Duration::from_secs(5),
        user_event("subscriptions-changed"),
    )
    .await
    .expect("subscriptions-changed reaches a member on the other node");
    assert_eq!(sub["fields"]["args"][1]["rid"], json!(rid));
    assert_eq!(sub["fields"]["args"][1]["u"]["_id"], json!(kim_id));
    assert_eq!(sub["fields"]["args"][1]["unread"], 1);
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_sent_on_one_node_reaches_the_other() {
    let Some(c) = cluster().await else { return };
    let rid = room_with_two_users(&c.a).await;
    let event = format!("{rid}/user-activity");

    let mut listener = ddp_as(&c.a, "kim").await;
    listener
        .sub("stream-notify-room", json!([event, false]))
        .await
        .unwrap_or_else(|e| panic!("subscribing to stream-notify-room/{event}: {e}"));

    let mut typist = ddp_as(&c.b, "lee").await;
    let result = typist
        .call(
            "stream-notify-room",
            json!([event, "lee", ["user-typing"], {}]),
        )
        .await;
    assert!(
        result.is_ok(),
        "the stream-notify-room method (typing) failed on node B: {result:?}"
    );
    let args = frame_within(&mut listener, Duration::from_secs(5), |f| {
        f["msg"] == "changed"
            && f["collection"] == "stream-notify-room"
            && f["fields"]["eventName"] == event.as_str()
    })
    .await
    .map(|f| f["fields"]["args"].clone())
    .unwrap_or_else(|| {
        panic!("typing sent on node B did not reach a subscriber on node A within 5 s")
    });
    assert_eq!(args[0], "lee", "{args}");
    assert_eq!(args[1], json!(["user-typing"]), "{args}");

    // Stopping: an empty activity list.
    typist
        .call("stream-notify-room", json!([event, "lee", [], {}]))
        .await
        .expect("stopping typing");
    let args = frame_within(&mut listener, Duration::from_secs(5), |f| {
        f["msg"] == "changed" && f["fields"]["eventName"] == event.as_str()
    })
    .await
    .map(|f| f["fields"]["args"].clone())
    .expect("the end of typing reaches node A");
    assert_eq!(args[1], json!([]), "{args}");
    drop(c);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_survive_a_redis_outage_and_recover() {
    let Some(mut c) = cluster().await else { return };
    let rid = room_with_two_users(&c.a).await;
    let lee_a = c.a.login("lee", "pass-lee").await;
    let kim_b = c.b.login("kim", "pass-kim").await;
    let mut on_a = ddp_as(&c.a, "kim").await;
    sub_room(&mut on_a, &rid).await;
    let mut on_b = ddp_as(&c.b, "kim").await;
    sub_room(&mut on_b, &rid).await;

    post(&lee_a, &rid, "before the outage").await;
    assert!(
        room_message(&mut on_b, &rid, "before the outage", Duration::from_secs(5))
            .await
            .is_some(),
        "the cluster does not deliver across nodes to begin with"
    );
    assert!(
        room_message(&mut on_a, &rid, "before the outage", Duration::from_secs(5))
            .await
            .is_some()
    );

    c.redis.stop();

    // Node A keeps serving REST and its own subscribers.
    for i in 0..3 {
        let started = Instant::now();
        post(&lee_a, &rid, &format!("during the outage {i}")).await;
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "chat.postMessage on node A took {:?} with Redis down",
            started.elapsed()
        );
        assert!(
            room_message(
                &mut on_a,
                &rid,
                &format!("during the outage {i}"),
                Duration::from_secs(3)
            )
            .await
            .is_some(),
            "with Redis down, node A no longer delivers to its own subscribers"
        );
    }
    lee_a
        .get_ok("/api/v1/channels.history", &[("roomId", rid.as_str())])
        .await;
    // New DDP sessions work on both nodes.
    let mut late = ddp_as(&c.a, "lee").await;
    sub_room(&mut late, &rid).await;
    post(&kim_b, &rid, "B during the outage").await;
    assert!(
        room_message(
            &mut on_b,
            &rid,
            "B during the outage",
            Duration::from_secs(3)
        )
        .await
        .is_some(),
        "with Redis down, node B no longer delivers to its own subscribers"
    );

    c.redis.start_again().await;
    let restarted = Instant::now();

    // Cross-node delivery recovers in both directions: keep posting until a message gets
    // through (the first ones after the restart may be lost while the nodes reconnect).
    for (from, to_ddp, label) in [(&lee_a, &mut on_b, "A→B"), (&kim_b, &mut on_a, "B→A")] {
        let mut n = 0;
        loop {
            assert!(
                restarted.elapsed() < RECOVERY_DEADLINE,
                "cross-node delivery {label} did not recover within {} s after Redis came back\n\
                 --- node A log ---\n{}\n--- node B log ---\n{}",
                RECOVERY_DEADLINE.as_secs(),
                c.a.log_tail(),
                c.b.log_tail()
            );
            n += 1;
            post(from, &rid, &format!("recovery {label} {n}")).await;
            if room_message(
                &mut *to_ddp,
                &rid,
                &format!("recovery {label}"),
                Duration::from_millis(500),
            )
            .await
            .is_some()
            {
                break;
            }
        }
        eprintln!(
            "{label} delivery recovered {:?} after Redis restarted ({n} posts)",
            restarted.elapsed()
        );
    }
    drop(late);
    drop(c);
}

// ---------------------------------------------------------------------------------------------
// Slow consumer

/// Messages of about this many bytes fill the slow client's buffers quickly.
const FLOOD_TEXT: usize = 4500;
/// Bounds of the flood.
const FLOOD_MAX_MESSAGES: usize = 1500;
const FLOOD_MAX_TIME: Duration = Duration::from_secs(25);
const FLOOD_CONCURRENCY: usize = 4;
/// Every message must reach the well-behaved client within this long after it was posted.
const PROMPT: Duration = Duration::from_secs(2);

type WsStream = tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>;

/// A raw WebSocket client with a tiny receive buffer, logged in and subscribed to the room;
/// it never reads again after that.
async fn slow_client(server: &Server, rid: &str) -> WsStream {
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", server.port()).parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let tcp = socket
        .connect(addr)
        .await
        .expect("connecting the slow client");
    let url = format!("ws://127.0.0.1:{}/websocket", server.port());
    let (mut ws, _) = tokio_tungstenite::client_async(url.as_str(), tcp)
        .await
        .expect("WebSocket handshake of the slow client");
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        TEST_ADMIN.as_bytes(),
    ));
    for frame in [
        json!({"msg": "connect", "version": "1", "support": ["1"]}),
        json!({"msg": "method", "id": "1", "method": "login", "params": [{"user": {"username": TEST_ADMIN}, "password": {"digest": digest, "algorithm": "sha-256"}}]}),
        json!({"msg": "sub", "id": "s1", "name": "stream-room-messages", "params": [rid, false]}),
    ] {
        ws.send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
    }
    // Read up to `ready` of the subscription, then stop reading for good.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the slow client's subscription did not become ready")
            .expect("the slow client's connection ended")
            .expect("reading the slow client's socket");
        if let Message::Text(text) = message {
            let frame: Value = serde_json::from_str(&text).unwrap();
            assert!(
                frame["msg"] != "nosub" && frame["error"].is_null(),
                "slow client: {frame}"
            );
            if frame["msg"] == "ready" {
                return ws;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_is_dropped_without_delaying_the_others() {
    let server = Server::start(Backend::Sqlite).await;
    let admin = server.admin().await;
    let body = admin
        .post_ok("/api/v1/channels.create", json!({"name": unique("busy")}))
        .await;
    let rid = body["channel"]["_id"].as_str().unwrap().to_owned();

    let mut fast = Ddp::connect(&server.url).await;
    fast.login(TEST_ADMIN, TEST_ADMIN).await;
    sub_room(&mut fast, &rid).await;
    let mut slow = slow_client(&server, &rid).await;

    // The well-behaved client records when each flood message arrives.
    let posted_at: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let (arrived_tx, mut arrived) = tokio::sync::mpsc::unbounded_channel::<(usize, Instant)>();
    let reader_rid = rid.clone();
    let reader = tokio::spawn(async move {
        while let Some(frame) = fast.next_frame().await {
            if frame["msg"] == "changed" && frame["fields"]["eventName"] == reader_rid.as_str() {
                let text = frame["fields"]["args"][0]["msg"]
                    .as_str()
                    .unwrap_or_default();
                if let Some(seq) = text
                    .strip_prefix("flood ")
                    .and_then(|t| t.split(' ').next())
                {
                    let _ = arrived_tx.send((seq.parse().unwrap(), Instant::now()));
                }
            }
        }
    });

    // Flood the room until the server has dropped the slow client (bounded in count and
    // time). The slow client only writes (DDP pings): once the server has closed the
    // connection, the kernel answers those with a reset and a write fails.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let padding = "x".repeat(FLOOD_TEXT);
    let mut posters = Vec::new();
    let flood_started = Instant::now();
    for _ in 0..FLOOD_CONCURRENCY {
        let (admin, rid, next, stop, posted_at, padding) = (
            admin.clone(),
            rid.clone(),
            next.clone(),
            stop.clone(),
            posted_at.clone(),
            padding.clone(),
        );
        posters.push(tokio::spawn(async move {
            let mut sent = 0usize;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let seq = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if seq >= FLOOD_MAX_MESSAGES {
                    break;
                }
                posted_at.lock().unwrap().insert(seq, Instant::now());
                post(&admin, &rid, &format!("flood {seq} {padding}")).await;
                sent += 1;
            }
            (sent, flood_started.elapsed())
        }));
    }
    let mut dropped_after = None;
    while flood_started.elapsed() < FLOOD_MAX_TIME {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let ping = slow
            .send(Message::Text(json!({"msg": "ping"}).to_string().into()))
            .await;
        if ping.is_err() {
            dropped_after = Some(flood_started.elapsed());
            break;
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut total, mut flood_took) = (0, Duration::ZERO);
    for poster in posters {
        let (sent, took) = poster.await.unwrap();
        total += sent;
        flood_took = flood_took.max(took);
    }
    eprintln!(
        "flood: {total} messages of {FLOOD_TEXT} bytes in {flood_took:?}; the server dropped \
         the slow client after {dropped_after:?}"
    );

    // Every message reached the well-behaved client, each promptly.
    let mut latencies: HashMap<usize, Duration> = HashMap::new();
    let deadline = tokio::time::Instant::now() + PROMPT + Duration::from_secs(3);
    while latencies.len() < total {
        match tokio::time::timeout_at(deadline, arrived.recv()).await {
            Ok(Some((seq, at))) => {
                let sent = posted_at.lock().unwrap()[&seq];
                latencies.insert(seq, at.saturating_duration_since(sent));
            }
            _ => break,
        }
    }
    reader.abort();
    let missing: Vec<usize> = (0..total).filter(|s| !latencies.contains_key(s)).collect();
    assert!(
        missing.is_empty(),
        "the well-behaved client missed {} of {total} messages (first: {:?})",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    let worst = latencies.values().max().copied().unwrap_or_default();
    eprintln!("well-behaved client: {total} messages, slowest after {worst:?}");
    assert!(
        worst <= PROMPT,
        "a message took {worst:?} to reach the well-behaved client (limit {PROMPT:?})"
    );

    // The slow client was disconnected by the server.
    let dropped_after = dropped_after.unwrap_or_else(|| {
        panic!(
            "the server did not drop a client that stopped reading within {} s of flooding \
             ({total} messages of {FLOOD_TEXT} bytes)\n--- server log ---\n{}",
            FLOOD_MAX_TIME.as_secs(),
            server.log_tail()
        )
    });
    // Reading now: whatever the kernel still held, then the end of the connection (a close
    // frame, when the server could still send one, carries 1013).
    let mut frames_left = 0usize;
    let end = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match slow.next().await {
                Some(Ok(Message::Close(frame))) => return format!("close {frame:?}"),
                Some(Ok(_)) => frames_left += 1,
                Some(Err(e)) => return format!("error {e}"),
                None => return "end of stream".to_string(),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the slow client's socket is still open after {dropped_after:?}"));
    eprintln!("slow client: {frames_left} frames were still buffered, then {end}");
    if end.starts_with("close Some") {
        assert!(
            end.contains("1013") || end.contains("Again"),
            "unexpected close: {end}"
        );
    }
    assert!(
        frames_left < total,
        "the slow client received every message: it was not cut off"
    );
}

/// Permission and setting edits made on one node rule on the other at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_and_setting_changes_reach_every_node() {
    let Some(cluster) = cluster().await else {
        return;
    };
    let admin_a = cluster.a.admin().await;
    let user_b = cluster.b.create_user(&admin_a, "mo").await;

    // Revoke create-c from `user` on node A: node B refuses at once.
    user_b
        .post_ok("/api/v1/channels.create", json!({"name": unique("before")}))
        .await;
    admin_a
        .post_ok(
            "/api/v1/permissions.update",
            json!({"permissions": [{"_id": "create-c", "roles": ["admin"]}]}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (status, _, _) = user_b
            .post("/api/v1/channels.create", json!({"name": unique("after")}))
            .await;
        if status == 403 {
            break;
        }
        assert!(Instant::now() < deadline, "node B still grants create-c");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A setting changed on node A is what node B applies and serves.
    admin_a
        .post_ok(
            "/api/v1/settings/Message_MaxAllowedSize",
            json!({"value": 10}),
        )
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let served = user_b
            .get_ok(
                "/api/v1/settings.public",
                &[("_id", "Message_MaxAllowedSize")],
            )
            .await;
        if served["settings"][0]["value"] == 10 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "node B still serves the old value"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, body, _) = user_b
        .post(
            "/api/v1/chat.postMessage",
            json!({"channel": "#general", "text": "longer than ten characters"}),
        )
        .await;
    assert_eq!(status, 400, "node B applies the new limit: {body}");
}
