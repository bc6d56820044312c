//! Presence over DDP against the real binary: a user with several connections, the status a
//! user chooses (busy, away, invisible), idle-to-away, typing indicators sent as a
//! `stream-notify-room` method, REST agreeing with what DDP announces, and, in cluster mode,
//! a node killed with SIGKILL taking its users offline on the other nodes.

mod common;
use common::ddp::Ddp;
use common::*;
use std::time::{Duration, Instant};

/// A DDP connection logged in as `user` (password `pass-<user>`, as `create_user` sets).
async fn ddp_as(url: &str, user: &str) -> Ddp {
    let mut ddp = Ddp::connect(url).await;
    ddp.login(user, &format!("pass-{user}")).await;
    ddp
}

/// A DDP connection logged in as `user`, listening to `user-status` for everyone.
async fn watcher(url: &str, user: &str) -> Ddp {
    let mut ddp = ddp_as(url, user).await;
    ddp.sub(
        "stream-notify-logged",
        json!(["user-status", {"useCollection": false, "args": []}]),
    )
    .await
    .expect("subscribing to user-status");
    ddp
}

/// Waits for a `user-status` event about `uid` with `code` (0 offline, 1 online, 2 away,
/// 3 busy); returns the event's entry `[uid, username, code, statusText, name, roles]`.
async fn status_event(ddp: &mut Ddp, uid: &str, code: i64) -> Value {
    let frame = ddp
        .wait_for(|f| {
            f["msg"] == "changed"
                && f["collection"] == "stream-notify-logged"
                && f["fields"]["eventName"] == "user-status"
                && f["fields"]["args"][0][0] == uid
                && f["fields"]["args"][0][2] == code
        })
        .await;
    frame["fields"]["args"][0].clone()
}

/// Asserts that no `user-status` event about `uid` arrives within `within`.
async fn no_status_event(ddp: &mut Ddp, uid: &str, within: Duration) {
    // Anything else that arrives meanwhile is kept for later waits.
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        let probe = tokio::time::timeout(
            deadline - Instant::now(),
            ddp.wait_for(|f| {
                f["fields"]["eventName"] == "user-status" && f["fields"]["args"][0][0] == uid
            }),
        )
        .await;
        if let Ok(frame) = probe {
            panic!("unexpected status change: {frame}");
        }
    }
}

/// Polls REST `users.getPresence` for `uid` until it reads `want` (or fails after 10 s).
async fn presence_becomes(client: &Client, uid: &str, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let body = client
            .get_ok("/api/v1/users.getPresence", &[("userId", uid)])
            .await;
        if body["presence"] == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "users.getPresence of {uid} stayed {body}, expected {want}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn uid_of(client: &Client) -> String {
    client.user_id.clone().expect("a logged-in client")
}

both_stores!(
    a_user_is_online_while_any_connection_is,
    |server| async move {
        let admin = server.admin().await;
        let ann_name = unique("ann");
        let ann = server.create_user(&admin, &ann_name).await;
        let ann_id = uid_of(&ann);
        let bob_name = unique("bob");
        let bob = server.create_user(&admin, &bob_name).await;
        let mut watching = watcher(&server.url, &bob_name).await;
        let mut presence_stream = ddp_as(&server.url, &bob_name).await;
        presence_stream
            .sub("stream-user-presence", json!([ann_id, false]))
            .await
            .expect("subscribing to stream-user-presence");

        // Logged in over REST only: not online.
        presence_becomes(&bob, &ann_id, "offline").await;

        let first = ddp_as(&server.url, &ann_name).await;
        let entry = status_event(&mut watching, &ann_id, 1).await;
        assert_eq!(entry[1], json!(ann_name));
        assert_eq!(entry[4], json!(format!("User {ann_name}")));
        assert!(entry[5].is_array(), "{entry}");
        let args = presence_stream.event("stream-user-presence", &ann_id).await;
        assert_eq!(args, json!([[ann_name, 1, ""]]));
        presence_becomes(&bob, &ann_id, "online").await;
        let own = ann.get_ok("/api/v1/users.getStatus", &[]).await;
        assert_eq!(own["connectionStatus"], "online", "{own}");

        // A second connection, then the first one closes: still online.
        let second = ddp_as(&server.url, &ann_name).await;
        drop(first);
        no_status_event(&mut watching, &ann_id, Duration::from_millis(800)).await;
        presence_becomes(&bob, &ann_id, "online").await;

        // The last one closes: offline, for the stream and for REST.
        drop(second);
        status_event(&mut watching, &ann_id, 0).await;
        presence_becomes(&bob, &ann_id, "offline").await;
        let own = ann.get_ok("/api/v1/users.getStatus", &[]).await;
        assert_eq!(own["connectionStatus"], "offline", "{own}");

        // Logging out of a connection counts as closing it.
        let mut third = ddp_as(&server.url, &ann_name).await;
        status_event(&mut watching, &ann_id, 1).await;
        third.call("logout", json!([])).await.expect("logout");
        status_event(&mut watching, &ann_id, 0).await;
        presence_becomes(&bob, &ann_id, "offline").await;
    }
);

both_stores!(chosen_status_idle_and_rest_agree, |server| async move {
    let admin = server.admin().await;
    let ann_name = unique("ann");
    let ann = server.create_user(&admin, &ann_name).await;
    let ann_id = uid_of(&ann);
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let mut watching = watcher(&server.url, &bob_name).await;
    let mut ddp = ddp_as(&server.url, &ann_name).await;
    status_event(&mut watching, &ann_id, 1).await;

    // Busy, then away, then invisible (offline to others, connected for herself).
    let changed = ddp
        .call("UserPresence:setDefaultStatus", json!(["busy"]))
        .await
        .unwrap();
    assert_eq!(changed, json!(true));
    status_event(&mut watching, &ann_id, 3).await;
    presence_becomes(&bob, &ann_id, "busy").await;
    let again = ddp
        .call("UserPresence:setDefaultStatus", json!(["busy"]))
        .await
        .unwrap();
    assert_eq!(again, json!(false), "nothing changed");

    ddp.call("UserPresence:setDefaultStatus", json!(["away"]))
        .await
        .unwrap();
    status_event(&mut watching, &ann_id, 2).await;
    presence_becomes(&bob, &ann_id, "away").await;

    ddp.call("UserPresence:setDefaultStatus", json!(["offline"]))
        .await
        .unwrap();
    status_event(&mut watching, &ann_id, 0).await;
    presence_becomes(&bob, &ann_id, "offline").await;
    let own = ann.get_ok("/api/v1/users.getStatus", &[]).await;
    assert_eq!(own["status"], "offline", "{own}");
    assert_eq!(own["connectionStatus"], "online", "{own}");

    ddp.call("UserPresence:setDefaultStatus", json!(["online"]))
        .await
        .unwrap();
    status_event(&mut watching, &ann_id, 1).await;

    let err = ddp
        .call("UserPresence:setDefaultStatus", json!(["dancing"]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], "error-invalid-status", "{err}");
    let err = ddp
        .call("UserPresence:setDefaultStatus", json!([{"$ne": 1}]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], 400, "{err}");

    // The client's idle timer: away, then back.
    let went = ddp.call("UserPresence:away", json!([])).await.unwrap();
    assert_eq!(went, json!(true));
    status_event(&mut watching, &ann_id, 2).await;
    presence_becomes(&bob, &ann_id, "away").await;
    let own = ann.get_ok("/api/v1/users.getStatus", &[]).await;
    assert_eq!(own["connectionStatus"], "away", "{own}");
    // Another connection that is active makes her online again.
    let other = ddp_as(&server.url, &ann_name).await;
    status_event(&mut watching, &ann_id, 1).await;
    drop(other);
    status_event(&mut watching, &ann_id, 2).await;
    let back = ddp.call("UserPresence:online", json!([])).await.unwrap();
    assert_eq!(back, json!(true));
    status_event(&mut watching, &ann_id, 1).await;
    presence_becomes(&bob, &ann_id, "online").await;

    // setUserStatus: status and text together.
    ddp.call("setUserStatus", json!(["busy", "  at lunch "]))
        .await
        .unwrap();
    let entry = status_event(&mut watching, &ann_id, 3).await;
    assert_eq!(entry[3], json!("at lunch"));
    let info = bob
        .get_ok("/api/v1/users.info", &[("userId", &ann_id)])
        .await;
    assert_eq!(info["user"]["statusText"], "at lunch");
    // The text alone is announced too.
    ddp.call("setUserStatus", json!([null, "back soon"]))
        .await
        .unwrap();
    let entry = status_event(&mut watching, &ann_id, 3).await;
    assert_eq!(entry[3], json!("back soon"));

    // REST users.setStatus goes through the same presence: with a connection, `online`
    // again and `away` are announced.
    ann.post_ok("/api/v1/users.setStatus", json!({"status": "online"}))
        .await;
    status_event(&mut watching, &ann_id, 1).await;
    ann.post_ok("/api/v1/users.setStatus", json!({"status": "away"}))
        .await;
    status_event(&mut watching, &ann_id, 2).await;
    presence_becomes(&bob, &ann_id, "away").await;

    // Leaving with a chosen status still goes offline.
    drop(ddp);
    status_event(&mut watching, &ann_id, 0).await;
    presence_becomes(&bob, &ann_id, "offline").await;
    // And the next login comes back with the chosen status.
    let _back = ddp_as(&server.url, &ann_name).await;
    status_event(&mut watching, &ann_id, 2).await;
});

both_stores!(
    invisible_needs_the_setting,
    envs = [(
        "OVERWRITE_SETTING_Accounts_AllowInvisibleStatusOption",
        "false"
    )],
    |server| async move {
        let admin = server.admin().await;
        let name = unique("ivy");
        server.create_user(&admin, &name).await;
        let mut ddp = ddp_as(&server.url, &name).await;
        let err = ddp
            .call("UserPresence:setDefaultStatus", json!(["offline"]))
            .await
            .unwrap_err();
        assert_eq!(err["error"], "error-status-not-allowed", "{err}");
        let err = ddp
            .call("setUserStatus", json!(["offline", ""]))
            .await
            .unwrap_err();
        assert_eq!(err["error"], "error-status-not-allowed", "{err}");
    }
);

both_stores!(
    typing_goes_to_members_only_as_oneself,
    |server| async move {
        let admin = server.admin().await;
        let ann_name = unique("ann");
        server.create_user(&admin, &ann_name).await;
        let bob_name = unique("bob");
        server.create_user(&admin, &bob_name).await;
        let eve_name = unique("eve");
        server.create_user(&admin, &eve_name).await;
        let body = admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": unique("typing"), "members": [ann_name, bob_name]}),
            )
            .await;
        let rid = body["channel"]["_id"].as_str().unwrap().to_owned();

        let mut bob = ddp_as(&server.url, &bob_name).await;
        bob.sub(
            "stream-notify-room",
            json!([format!("{rid}/user-activity"), false]),
        )
        .await
        .unwrap();
        bob.sub(
            "stream-notify-room",
            json!([format!("{rid}/typing"), false]),
        )
        .await
        .unwrap();
        let mut ann = ddp_as(&server.url, &ann_name).await;

        let result = ann
            .call(
                "stream-notify-room",
                json!([format!("{rid}/user-activity"), ann_name, ["user-typing"], {"tmid": "t1"}]),
            )
            .await
            .unwrap();
        assert_eq!(result, Value::Null);
        let args = bob
            .event("stream-notify-room", &format!("{rid}/user-activity"))
            .await;
        assert_eq!(args, json!([ann_name, ["user-typing"], {"tmid": "t1"}]));
        // Stopping (an empty list) and no extras.
        ann.call(
            "stream-notify-room",
            json!([format!("{rid}/user-activity"), ann_name, []]),
        )
        .await
        .unwrap();
        let args = bob
            .event("stream-notify-room", &format!("{rid}/user-activity"))
            .await;
        assert_eq!(args, json!([ann_name, [], {}]));
        // The legacy form.
        ann.call(
            "stream-notify-room",
            json!([format!("{rid}/typing"), ann_name, true]),
        )
        .await
        .unwrap();
        let args = bob
            .event("stream-notify-room", &format!("{rid}/typing"))
            .await;
        assert_eq!(args, json!([ann_name, true]));

        // Not as someone else.
        let err = ann
            .call(
                "stream-notify-room",
                json!(
                    [format!("{rid}/user-activity"), bob_name, ["user-typing"], {
                    }]
                ),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "not-allowed", "{err}");
        // Not by a non-member.
        let mut eve = ddp_as(&server.url, &eve_name).await;
        let err = eve
            .call(
                "stream-notify-room",
                json!(
                    [format!("{rid}/user-activity"), eve_name, ["user-typing"], {
                    }]
                ),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "not-allowed", "{err}");
        // Not other events, nor unknown activities.
        let err = ann
            .call(
                "stream-notify-room",
                json!([format!("{rid}/deleteMessage"), ann_name, {"_id": "x"}]),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "not-allowed", "{err}");
        let err = ann
            .call(
                "stream-notify-room",
                json!([
                    format!("{rid}/user-activity"),
                    ann_name,
                    ["user-hacking"],
                    {}
                ]),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "not-allowed", "{err}");
        // Not logged in.
        let mut anon = Ddp::connect(&server.url).await;
        let err = anon
            .call(
                "stream-notify-room",
                json!([format!("{rid}/typing"), ann_name, true]),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "error-invalid-user", "{err}");
        bob.no_event(
            "stream-notify-room",
            &format!("{rid}/user-activity"),
            Duration::from_millis(500),
        )
        .await;
        bob.no_event(
            "stream-notify-room",
            &format!("{rid}/deleteMessage"),
            Duration::from_millis(10),
        )
        .await;
    }
);

/// The heartbeat TTL of the cluster test's nodes.
const TEST_PRESENCE_TTL_MS: u64 = 1500;
/// The documented bound for that TTL: 4/3 × TTL plus the time to sync the users, with
/// generous slack for a loaded test machine.
const OFFLINE_BOUND: Duration = Duration::from_secs(10);

/// A prefix of Redis keys no other test uses.
fn unique_prefix() -> &'static str {
    Box::leak(format!("ferrochat-test-{}:", random_hex(6)).into_boxed_str())
}

both_stores!(
    a_killed_node_takes_its_users_offline,
    envs = [
        ("REDIS_URL", "redis://127.0.0.1:6379/"),
        ("REDIS_PREFIX", unique_prefix()),
        ("PRESENCE_TTL_MS", "1500"),
    ],
    |node_a| async move {
        // Node B: same database, same Redis and prefix.
        let mut node_b = Server::start_sharing(&node_a, &[]).await;
        let admin = node_a.admin().await;
        let ann_name = unique("ann");
        let ann = node_a.create_user(&admin, &ann_name).await;
        let ann_id = uid_of(&ann);
        let bob_name = unique("bob");
        let bob = node_a.create_user(&admin, &bob_name).await;
        let cy_name = unique("cy");
        let cy = node_a.create_user(&admin, &cy_name).await;
        let cy_id = uid_of(&cy);
        let mut watching = watcher(&node_a.url, &bob_name).await;

        // Ann is connected to node B only; node A hears of it through Redis.
        let _ann_on_b = ddp_as(&node_b.url, &ann_name).await;
        status_event(&mut watching, &ann_id, 1).await;
        presence_becomes(&bob, &ann_id, "online").await;
        // Cy is connected to both nodes.
        let _cy_on_a = ddp_as(&node_a.url, &cy_name).await;
        let _cy_on_b = ddp_as(&node_b.url, &cy_name).await;
        status_event(&mut watching, &cy_id, 1).await;
        // A connection closing on node B with another one on node A keeps her online.
        let extra = ddp_as(&node_b.url, &cy_name).await;
        drop(extra);

        let killed = Instant::now();
        node_b.kill();
        status_event(&mut watching, &ann_id, 0).await;
        let took = killed.elapsed();
        assert!(
            took <= OFFLINE_BOUND,
            "ann went offline {took:?} after node B died (bound {OFFLINE_BOUND:?}, TTL {TEST_PRESENCE_TTL_MS} ms)"
        );
        presence_becomes(&bob, &ann_id, "offline").await;
        // Cy is still connected to node A: she stays online.
        presence_becomes(&bob, &cy_id, "online").await;
        no_status_event(&mut watching, &cy_id, Duration::from_millis(300)).await;
        eprintln!("node B's users were offline on node A {took:?} after SIGKILL");
    }
);

both_stores!(presence_survives_redis_going_away, |server| async move {
    // Nodes of our own, on a Redis this test may stop.
    let backend = server.backend;
    drop(server);
    let mut redis = common::redis_server::RedisServer::start().await;
    let url = redis.url();
    let mut node_a = Server::start_with(
        backend,
        &[("REDIS_URL", url.as_str()), ("PRESENCE_TTL_MS", "1500")],
    )
    .await;
    let admin = node_a.admin().await;
    let ann_name = unique("ann");
    let ann = node_a.create_user(&admin, &ann_name).await;
    let ann_id = uid_of(&ann);
    let bob_name = unique("bob");
    let bob = node_a.create_user(&admin, &bob_name).await;
    let mut watching = watcher(&node_a.url, &bob_name).await;

    // Redis is down: logging in and presence on this node go on.
    redis.stop();
    let _ann_on_a = ddp_as(&node_a.url, &ann_name).await;
    status_event(&mut watching, &ann_id, 1).await;
    presence_becomes(&bob, &ann_id, "online").await;

    // Redis is back (empty): node A writes its state again, so a node that starts now
    // finds ann connected (its start-up reconciliation leaves her online)...
    redis.start_again().await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let node_b = Server::start_sharing(&node_a, &[]).await;
    let bob_b = node_b.login(&bob_name, &format!("pass-{bob_name}")).await;
    let mut watching_b = watcher(&node_b.url, &bob_name).await;
    no_status_event(&mut watching_b, &ann_id, Duration::from_millis(2000)).await;
    presence_becomes(&bob_b, &ann_id, "online").await;

    // ...and when node A dies, node B takes her offline.
    node_a.kill();
    status_event(&mut watching_b, &ann_id, 0).await;
    presence_becomes(&bob_b, &ann_id, "offline").await;
    drop(node_b);
});
