//! The DDP methods clients call (API.md b.2), over WebSocket against the real binary: each as
//! a member (result shapes, EJSON dates), anonymously (refused), as a non-member of a private
//! group (refused or `false`, never its data), with operator objects where strings belong
//! (`Match failed`), and interleaved with the REST twins they share their services with.

mod common;
use common::ddp::Ddp;
use common::*;
use std::time::Duration;

/// A DDP connection logged in as a user made by `Server::create_user`.
async fn ddp_as(server: &Server, username: &str) -> Ddp {
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(username, &format!("pass-{username}")).await;
    ddp
}

fn assert_match_failed(err: &Value) {
    assert_eq!(err["error"], 400, "{err}");
    assert_eq!(err["reason"], "Match failed", "{err}");
}

fn assert_ejson_date(value: &Value, what: &str) {
    assert!(
        value["$date"].is_i64(),
        "{what} should be an EJSON date: {value}"
    );
}

/// Calls a method that must succeed.
async fn ok(ddp: &mut Ddp, method: &str, params: Value) -> Value {
    ddp.call(method, params)
        .await
        .unwrap_or_else(|e| panic!("{method} failed: {e}"))
}

/// Calls a method that must fail; returns the error.
async fn fails(ddp: &mut Ddp, method: &str, params: Value) -> Value {
    match ddp.call(method, params).await {
        Ok(result) => panic!("{method} should fail, got {result}"),
        Err(e) => e,
    }
}

fn ids_of(messages: &Value) -> Vec<String> {
    messages
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {messages}"))
        .iter()
        .map(|m| m["_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates a room over REST as `client`; returns its id.
async fn create_room(client: &Client, kind: &str, name: &str, members: &[&str]) -> String {
    let body = client
        .post_ok(
            &format!("/api/v1/{kind}.create"),
            json!({"name": name, "members": members}),
        )
        .await;
    let key = if kind == "channels" {
        "channel"
    } else {
        "group"
    };
    body[key]["_id"].as_str().unwrap().to_owned()
}

/// The messages of `channels.history` (REST, ISO dates), newest first.
async fn rest_history(client: &Client, rid: &str) -> Vec<Value> {
    client
        .get_ok(
            "/api/v1/channels.history",
            &[("roomId", rid), ("count", "100")],
        )
        .await["messages"]
        .as_array()
        .unwrap()
        .clone()
}

/// A DDP method over `POST /api/v1/method.call/<name>`; returns the decoded result frame.
async fn method_call(client: &Client, name: &str, params: Value) -> Value {
    let frame = json!({"msg": "method", "id": "7", "method": name, "params": params});
    let body = client
        .post_ok(
            &format!("/api/v1/method.call/{name}"),
            json!({"message": frame.to_string()}),
        )
        .await;
    serde_json::from_str(body["message"].as_str().unwrap()).unwrap()
}

both_stores!(
    messages_round_trip_between_ddp_and_rest,
    |server| async move {
        let admin = server.admin().await;
        server.create_user(&admin, "alice").await;
        server.create_user(&admin, "bob").await;
        let channel = create_room(&admin, "channels", &unique("talk"), &["alice"]).await;
        let group = create_room(&admin, "groups", &unique("secret"), &["alice"]).await;
        let mut alice = ddp_as(&server, "alice").await;
        let mut bob = ddp_as(&server, "bob").await;

        // sendMessage with a client-chosen id: the stored message, EJSON dates.
        let sent = ok(
            &mut alice,
            "sendMessage",
            json!([{"_id": "client-msg-1", "rid": channel, "msg": "hello from ddp"}]),
        )
        .await;
        assert_eq!(sent["_id"], "client-msg-1");
        assert_eq!(sent["rid"], channel);
        assert_eq!(sent["msg"], "hello from ddp");
        assert_eq!(sent["u"]["username"], "alice");
        assert_ejson_date(&sent["ts"], "ts");
        assert_ejson_date(&sent["_updatedAt"], "_updatedAt");
        // A retry with the same id is the same message, not a second one.
        let again = ok(
            &mut alice,
            "sendMessage",
            json!([{"_id": "client-msg-1", "rid": channel, "msg": "hello from ddp"}]),
        )
        .await;
        assert_eq!(again["_id"], "client-msg-1");
        assert_eq!(again["ts"], sent["ts"]);
        let history = rest_history(&admin, &channel).await;
        assert_eq!(
            history
                .iter()
                .filter(|m| m["msg"] == "hello from ddp")
                .count(),
            1,
            "a retried send is stored once"
        );
        // REST shows the DDP message with ISO dates.
        let over_rest = history.iter().find(|m| m["_id"] == "client-msg-1").unwrap();
        assert!(over_rest["ts"].is_string(), "{over_rest}");
        // Someone else cannot take over the id.
        let err = fails(
            &mut bob,
            "sendMessage",
            json!([{"_id": "client-msg-1", "rid": channel, "msg": "mine now"}]),
        )
        .await;
        assert_eq!(err["error"], "error-message-already-exists", "{err}");

        // The @rocket.chat/sdk bot form: no _id, a `bot` marker, and previewUrls.
        let bot = ok(
            &mut alice,
            "sendMessage",
            json!([{"msg": "bot says hi", "rid": channel, "bot": {"i": "js.SDK"}}, []]),
        )
        .await;
        assert_eq!(bot["bot"]["i"], "js.SDK");
        assert!(bot["_id"].as_str().is_some_and(|id| !id.is_empty()));

        // A REST message shows up over DDP.
        let posted = admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": channel, "text": "hello from rest"}),
            )
            .await;
        let rest_id = posted["message"]["_id"].as_str().unwrap().to_owned();
        let single = ok(&mut alice, "getSingleMessage", json!([rest_id])).await;
        assert_eq!(single["msg"], "hello from rest");
        assert_ejson_date(&single["ts"], "ts");
        let loaded = ok(&mut alice, "loadHistory", json!([channel, null, 10])).await;
        let ids = ids_of(&loaded["messages"]);
        assert_eq!(ids[0], rest_id, "newest first: {ids:?}");
        assert!(ids.contains(&"client-msg-1".to_owned()));
        assert_eq!(
            ok(&mut alice, "getSingleMessage", json!(["no-such-message"])).await,
            Value::Null
        );

        // Threads.
        let reply = ok(
            &mut alice,
            "sendMessage",
            json!([{"rid": channel, "msg": "in a thread", "tmid": rest_id, "tshow": true}]),
        )
        .await;
        assert_eq!(reply["tmid"], rest_id);

        // updateMessage: the edit is stored and marked.
        assert_eq!(
            ok(
                &mut alice,
                "updateMessage",
                json!([{"_id": "client-msg-1", "rid": channel, "msg": "edited over ddp"}]),
            )
            .await,
            Value::Null
        );
        let edited = ok(&mut alice, "getSingleMessage", json!(["client-msg-1"])).await;
        assert_eq!(edited["msg"], "edited over ddp");
        assert_ejson_date(&edited["editedAt"], "editedAt");
        assert_eq!(edited["editedBy"]["username"], "alice");
        // Without rid: the message's own room.
        ok(
            &mut alice,
            "updateMessage",
            json!([{"_id": "client-msg-1", "msg": "edited again"}]),
        )
        .await;
        let history = rest_history(&admin, &channel).await;
        assert!(history.iter().any(|m| m["msg"] == "edited again"));
        // Someone else's message is not editable by a plain user.
        let err = fails(
            &mut alice,
            "updateMessage",
            json!([{"_id": rest_id, "rid": channel, "msg": "hijack"}]),
        )
        .await;
        assert_eq!(err["error"], "error-action-not-allowed", "{err}");

        // readMessages clears the unread counter.
        admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": channel, "text": "unread one"}),
            )
            .await;
        let subs = ok(&mut alice, "subscriptions/get", json!([])).await;
        let sub = subs
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["rid"] == channel)
            .unwrap()
            .clone();
        assert!(sub["unread"].as_i64().unwrap() >= 1, "{sub}");
        assert_eq!(
            ok(&mut alice, "readMessages", json!([channel, true])).await,
            Value::Null
        );
        let subs = ok(&mut alice, "subscriptions/get", json!([])).await;
        let sub = subs
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["rid"] == channel)
            .unwrap()
            .clone();
        assert_eq!(sub["unread"], 0, "{sub}");

        // deleteMessage: gone over both transports.
        assert_eq!(
            ok(
                &mut alice,
                "deleteMessage",
                json!([{"_id": "client-msg-1"}])
            )
            .await,
            Value::Null
        );
        assert_eq!(
            ok(&mut alice, "getSingleMessage", json!(["client-msg-1"])).await,
            Value::Null
        );
        let history = rest_history(&admin, &channel).await;
        assert!(!history.iter().any(|m| m["_id"] == "client-msg-1"));
        let err = fails(&mut alice, "deleteMessage", json!([{"_id": rest_id}])).await;
        assert_eq!(err["error"], "error-action-not-allowed", "{err}");

        // A private group's messages stay out of a non-member's reach.
        let secret = ok(
            &mut alice,
            "sendMessage",
            json!([{"rid": group, "msg": "group secret"}]),
        )
        .await;
        let secret_id = secret["_id"].as_str().unwrap().to_owned();
        let err = fails(
            &mut bob,
            "sendMessage",
            json!([{"rid": group, "msg": "let me in"}]),
        )
        .await;
        assert_eq!(err["error"], "error-not-allowed", "{err}");
        let err = fails(&mut bob, "getSingleMessage", json!([secret_id])).await;
        assert!(err.get("details").is_none_or(|d| d.get("msg").is_none()));
        assert!(!err.to_string().contains("group secret"), "{err}");
        let err = fails(
            &mut bob,
            "updateMessage",
            json!([{"_id": secret_id, "rid": group, "msg": "defaced"}]),
        )
        .await;
        assert_eq!(err["error"], "error-action-not-allowed", "{err}");
        fails(&mut bob, "deleteMessage", json!([{"_id": secret_id}])).await;
        let err = fails(&mut bob, "readMessages", json!([group])).await;
        assert_eq!(err["error"], "error-invalid-subscription", "{err}");
        let still = ok(&mut alice, "getSingleMessage", json!([secret_id])).await;
        assert_eq!(still["msg"], "group secret");
        let err = fails(
            &mut alice,
            "sendMessage",
            json!([{"rid": "no-such-room", "msg": "x"}]),
        )
        .await;
        assert_eq!(err["error"], "error-invalid-room", "{err}");

        // Wrong types never reach a service.
        for (method, params) in [
            (
                "sendMessage",
                json!([{"rid": {"$ne": null}, "msg": "injected"}]),
            ),
            ("sendMessage", json!([{"rid": channel, "msg": {"$gt": ""}}])),
            (
                "sendMessage",
                json!([{"rid": channel, "msg": "x", "bot": "yes"}]),
            ),
            (
                "sendMessage",
                json!([{"rid": channel, "msg": "x"}, "not-a-list"]),
            ),
            ("sendMessage", json!(["just text"])),
            ("updateMessage", json!([{"_id": {"$ne": null}, "msg": "x"}])),
            ("updateMessage", json!([{"_id": secret_id, "msg": 5}])),
            ("deleteMessage", json!([{"_id": {"$ne": null}}])),
            ("deleteMessage", json!([])),
            ("getSingleMessage", json!([{"$ne": null}])),
            ("readMessages", json!([{"$ne": null}])),
            ("readMessages", json!([channel, "yes"])),
        ] {
            let err = fails(&mut alice, method, params.clone()).await;
            assert_match_failed(&err);
        }
        // System messages cannot be sent.
        let err = fails(
            &mut alice,
            "sendMessage",
            json!([{"rid": channel, "msg": "alice", "t": "uj"}]),
        )
        .await;
        assert!(err["reason"].as_str().unwrap().contains("system"), "{err}");
    }
);

both_stores!(history_windows, |server| async move {
    let admin = server.admin().await;
    server.create_user(&admin, "alice").await;
    server.create_user(&admin, "bob").await;
    let channel = create_room(&admin, "channels", &unique("hist"), &["alice"]).await;
    let group = create_room(&admin, "groups", &unique("hidden"), &["alice"]).await;
    let mut alice = ddp_as(&server, "alice").await;
    let mut bob = ddp_as(&server, "bob").await;

    // Six messages with distinct timestamps, oldest first.
    let mut ids = Vec::new();
    let mut ts = Vec::new();
    for n in 1..=6 {
        let sent = ok(
            &mut alice,
            "sendMessage",
            json!([{"rid": channel, "msg": format!("m{n}")}]),
        )
        .await;
        ids.push(sent["_id"].as_str().unwrap().to_owned());
        ts.push(sent["ts"]["$date"].as_i64().unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let group_msg = ok(
        &mut alice,
        "sendMessage",
        json!([{"rid": group, "msg": "hidden"}]),
    )
    .await;
    let id = |n: usize| ids[n - 1].clone();
    let date = |n: usize| json!({"$date": ts[n - 1]});

    // loadHistory: newest first, before `end`, `limit` of them.
    let loaded = ok(&mut alice, "loadHistory", json!([channel, null, 3])).await;
    assert_eq!(ids_of(&loaded["messages"]), vec![id(6), id(5), id(4)]);
    assert_ejson_date(&loaded["messages"][0]["ts"], "ts");
    assert_eq!(loaded["unreadNotLoaded"], 0);
    assert!(loaded.get("firstUnread").is_none());
    let loaded = ok(&mut alice, "loadHistory", json!([channel, date(4), 2])).await;
    assert_eq!(ids_of(&loaded["messages"]), vec![id(3), id(2)]);
    // The default limit is 20.
    let loaded = ok(&mut alice, "loadHistory", json!([channel])).await;
    assert!(loaded["messages"].as_array().unwrap().len() >= 6);
    // With `ls`: the oldest unread message the window does not hold, and how many.
    let loaded = ok(
        &mut alice,
        "loadHistory",
        json!([channel, null, 3, date(2), true]),
    )
    .await;
    assert_eq!(loaded["firstUnread"]["_id"], id(3), "{loaded}");
    assert_ejson_date(&loaded["firstUnread"]["ts"], "firstUnread.ts");
    assert_eq!(loaded["unreadNotLoaded"], 1);
    // `ls` as an ISO string works as well.
    let iso = admin
        .get_ok("/api/v1/chat.getMessage", &[("msgId", &id(2))])
        .await["message"]["ts"]
        .as_str()
        .unwrap()
        .to_owned();
    let loaded = ok(&mut alice, "loadHistory", json!([channel, null, 3, iso])).await;
    assert_eq!(loaded["unreadNotLoaded"], 1);

    // loadNextMessages: after `end`, oldest first.
    let next = ok(&mut alice, "loadNextMessages", json!([channel, date(2), 2])).await;
    assert_eq!(ids_of(&next["messages"]), vec![id(3), id(4)]);
    assert_ejson_date(&next["messages"][0]["ts"], "ts");

    // loadSurroundingMessages: half before (newest first), the message, half after.
    let around = ok(
        &mut alice,
        "loadSurroundingMessages",
        json!([{"_id": id(4), "rid": channel, "ts": date(4)}, 5]),
    )
    .await;
    assert_eq!(
        ids_of(&around["messages"]),
        vec![id(3), id(2), id(4), id(5), id(6)]
    );
    assert_eq!(around["moreBefore"], true);
    assert!(around["moreAfter"].is_boolean());
    let around = ok(
        &mut alice,
        "loadSurroundingMessages",
        json!([{"_id": id(6)}, 3]),
    )
    .await;
    assert_eq!(ids_of(&around["messages"]), vec![id(5), id(6)]);
    assert_eq!(around["moreAfter"], false);
    assert_eq!(
        ok(
            &mut alice,
            "loadSurroundingMessages",
            json!([{"_id": "no-such-message"}])
        )
        .await,
        false
    );

    // loadMissedMessages: everything after `start`, newest first.
    let missed = ok(&mut alice, "loadMissedMessages", json!([channel, date(4)])).await;
    assert_eq!(ids_of(&missed), vec![id(6), id(5)]);

    // A public channel is readable by a non-member; a private group is not: `false`.
    let loaded = ok(&mut bob, "loadHistory", json!([channel, null, 2])).await;
    assert_eq!(ids_of(&loaded["messages"]), vec![id(6), id(5)]);
    for (method, params) in [
        ("loadHistory", json!([group, null, 10])),
        ("loadNextMessages", json!([group, null, 10])),
        (
            "loadSurroundingMessages",
            json!([{"_id": group_msg["_id"], "rid": group}, 10]),
        ),
        ("loadMissedMessages", json!([group, {"$date": 0}])),
        ("loadHistory", json!(["no-such-room", null, 10])),
    ] {
        let result = ok(&mut bob, method, params).await;
        assert_eq!(result, false, "{method} leaked: {result}");
    }

    // Wrong types.
    for (method, params) in [
        ("loadHistory", json!([{"$ne": null}])),
        ("loadHistory", json!([channel, "not a date"])),
        ("loadHistory", json!([channel, null, "20"])),
        ("loadHistory", json!([channel, null, 20, null, "yes"])),
        ("loadNextMessages", json!([{"$ne": null}, null, 5])),
        ("loadNextMessages", json!([channel, {"$gt": 0}, 5])),
        ("loadSurroundingMessages", json!(["not an object"])),
        ("loadSurroundingMessages", json!([{"_id": {"$ne": null}}])),
        ("loadMissedMessages", json!([channel])),
        ("loadMissedMessages", json!([{"$ne": null}, {"$date": 0}])),
    ] {
        let err = fails(&mut alice, method, params.clone()).await;
        assert_match_failed(&err);
    }

    // Anonymous callers are refused.
    let mut anon = Ddp::connect(&server.url).await;
    for method in [
        "loadHistory",
        "loadNextMessages",
        "loadSurroundingMessages",
        "loadMissedMessages",
    ] {
        let err = fails(&mut anon, method, json!([channel, null, 5])).await;
        assert_eq!(err["error"], "error-invalid-user", "{method}: {err}");
    }
});

both_stores!(sync_and_room_lookups, |server| async move {
    let admin = server.admin().await;
    server.create_user(&admin, "alice").await;
    server.create_user(&admin, "bob").await;
    let channel_name = unique("lobby");
    let group_name = unique("vault");
    let channel = create_room(&admin, "channels", &channel_name, &["alice"]).await;
    let group = create_room(&admin, "groups", &group_name, &["alice"]).await;
    let mut alice = ddp_as(&server, "alice").await;
    let mut bob = ddp_as(&server, "bob").await;

    // rooms/get: every room of the caller, then {update, remove} since a date.
    let before = ok(&mut alice, "rooms/get", json!([])).await;
    let rooms = before.as_array().unwrap();
    let found = rooms.iter().find(|r| r["_id"] == group).unwrap();
    assert_eq!(found["t"], "p");
    assert_eq!(found["name"], group_name.as_str());
    assert_ejson_date(&found["_updatedAt"], "_updatedAt");
    assert_ejson_date(&found["ts"], "ts");
    assert!(rooms.iter().any(|r| r["_id"] == channel));
    assert!(
        !ok(&mut bob, "rooms/get", json!([]))
            .await
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["_id"] == group),
        "a non-member's rooms/get leaks the group"
    );
    let since = json!({"$date": ferrochat_now() - 1});
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        ok(&mut alice, "leaveRoom", json!([channel])).await,
        Value::Null
    );
    let delta = ok(&mut alice, "rooms/get", json!([since])).await;
    let removed = delta["remove"].as_array().unwrap();
    let gone = removed.iter().find(|r| r["_id"] == channel).unwrap();
    assert_ejson_date(&gone["_deletedAt"], "_deletedAt");
    assert!(delta["update"].is_array());
    let far = json!({"$date": ferrochat_now() + 3_600_000});
    let delta = ok(&mut alice, "rooms/get", json!([far])).await;
    assert_eq!(delta, json!({"update": [], "remove": []}));

    // subscriptions/get likewise.
    let subs = ok(&mut alice, "subscriptions/get", json!([])).await;
    let sub = subs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == group)
        .unwrap();
    assert_eq!(sub["u"]["username"], "alice");
    assert_ejson_date(&sub["ts"], "ts");
    assert_ejson_date(&sub["_updatedAt"], "_updatedAt");
    assert!(!subs.as_array().unwrap().iter().any(|s| s["rid"] == channel));
    let delta = ok(&mut alice, "subscriptions/get", json!([since])).await;
    let gone = delta["remove"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == channel)
        .unwrap();
    assert_ejson_date(&gone["_deletedAt"], "_deletedAt");

    // permissions/get.
    let perms = ok(&mut alice, "permissions/get", json!([])).await;
    let create_c = perms
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["_id"] == "create-c")
        .unwrap();
    assert!(
        create_c["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("user"))
    );
    assert_ejson_date(&create_c["_updatedAt"], "_updatedAt");
    let delta = ok(&mut alice, "permissions/get", json!([far])).await;
    assert_eq!(delta, json!({"update": [], "remove": []}));

    // getUserRoles: holders of public roles (admin); ordinary users are not listed.
    let holders = ok(&mut alice, "getUserRoles", json!([])).await;
    let holders = holders.as_array().unwrap();
    let test_admin = holders
        .iter()
        .find(|u| u["username"] == TEST_ADMIN)
        .unwrap();
    assert!(
        test_admin["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("admin"))
    );
    assert!(test_admin["_id"].is_string());
    assert!(!holders.iter().any(|u| u["username"] == "alice"));

    // getRoomRoles.
    let roles = ok(&mut alice, "getRoomRoles", json!([group])).await;
    let owner = roles
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["u"]["username"] == TEST_ADMIN)
        .unwrap();
    assert_eq!(owner["rid"], group);
    assert_eq!(owner["roles"], json!(["owner"]));
    let err = fails(&mut bob, "getRoomRoles", json!([group])).await;
    assert_eq!(err["error"], "error-invalid-room", "{err}");
    assert!(!err.to_string().contains(TEST_ADMIN));

    // getRoomIdByNameOrId / getRoomNameById.
    assert_eq!(
        ok(&mut alice, "getRoomIdByNameOrId", json!([group_name])).await,
        group
    );
    assert_eq!(
        ok(&mut alice, "getRoomIdByNameOrId", json!([group])).await,
        group
    );
    assert_eq!(
        ok(&mut bob, "getRoomIdByNameOrId", json!([channel_name])).await,
        channel
    );
    assert_eq!(
        ok(&mut alice, "getRoomNameById", json!([group])).await,
        group_name.as_str()
    );
    for (method, key) in [
        ("getRoomIdByNameOrId", group_name.as_str()),
        ("getRoomIdByNameOrId", group.as_str()),
        ("getRoomIdByNameOrId", "no-such-room"),
        ("getRoomNameById", group.as_str()),
        ("getRoomNameById", "no-such-room"),
    ] {
        let err = fails(&mut bob, method, json!([key])).await;
        assert_eq!(err["error"], "error-not-allowed", "{method}: {err}");
        assert!(!err.to_string().contains(&group), "{err}");
    }

    // Wrong types.
    for (method, params) in [
        ("rooms/get", json!([{"$ne": null}])),
        ("subscriptions/get", json!(["yesterday-ish"])),
        ("permissions/get", json!([{"$gt": 0}])),
        ("getRoomRoles", json!([{"$ne": null}])),
        ("getRoomIdByNameOrId", json!([{"$regex": ".*"}])),
        ("getRoomNameById", json!([["a"]])),
    ] {
        let err = fails(&mut alice, method, params.clone()).await;
        assert_match_failed(&err);
    }
});

/// Now, in epoch milliseconds.
fn ferrochat_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

both_stores!(creating_and_membership, |server| async move {
    let admin = server.admin().await;
    server.create_user(&admin, "alice").await;
    server.create_user(&admin, "bob").await;
    server.create_user(&admin, "carol").await;
    let mut alice = ddp_as(&server, "alice").await;
    let mut carol = ddp_as(&server, "carol").await;

    // createChannel: {rid, name, ...room}, members added, extraData applied.
    let name = unique("made");
    let created = ok(
        &mut alice,
        "createChannel",
        json!([name, ["bob"], false, {}, {"topic": "hello topic"}]),
    )
    .await;
    let channel = created["rid"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], name.as_str());
    assert_eq!(created["t"], "c");
    assert_eq!(created["topic"], "hello topic");
    assert_ejson_date(&created["ts"], "ts");
    let members = admin
        .get_ok("/api/v1/channels.members", &[("roomId", &channel)])
        .await;
    let usernames: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect();
    assert!(usernames.contains(&"alice") && usernames.contains(&"bob"));
    let err = fails(&mut alice, "createChannel", json!([name, []])).await;
    assert_eq!(err["error"], "error-duplicate-channel-name", "{err}");

    // createPrivateGroup, read-only.
    let group_name = unique("closed");
    let created = ok(
        &mut alice,
        "createPrivateGroup",
        json!([group_name, [], true]),
    )
    .await;
    let group = created["rid"].as_str().unwrap().to_owned();
    assert_eq!(created["t"], "p");
    assert_eq!(created["ro"], true);
    let alice_rest = server.login("alice", "pass-alice").await;
    let info = alice_rest
        .get_ok("/api/v1/groups.info", &[("roomId", &group)])
        .await;
    assert_eq!(info["group"]["name"], group_name.as_str());

    // createDirectMessage: {rid, t: 'd', usernames}; the same room the second time.
    let dm = ok(&mut alice, "createDirectMessage", json!(["bob"])).await;
    assert_eq!(dm["t"], "d");
    let dm_rid = dm["rid"].as_str().unwrap().to_owned();
    let mut names: Vec<&str> = dm["usernames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, vec!["alice", "bob"]);
    let again = ok(&mut alice, "createDirectMessage", json!(["bob"])).await;
    assert_eq!(again["rid"], dm_rid.as_str());
    let err = fails(&mut alice, "createDirectMessage", json!(["nobody-here"])).await;
    assert_eq!(err["error"], "error-invalid-user", "{err}");

    // joinRoom / leaveRoom.
    assert_eq!(ok(&mut carol, "joinRoom", json!([channel])).await, true);
    let members = admin
        .get_ok("/api/v1/channels.members", &[("roomId", &channel)])
        .await;
    assert!(
        members["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["username"] == "carol")
    );
    let err = fails(&mut carol, "joinRoom", json!([group])).await;
    assert_eq!(err["error"], "error-not-allowed", "{err}");
    let err = fails(&mut carol, "joinRoom", json!(["no-such-room"])).await;
    assert_eq!(err["error"], "error-invalid-room", "{err}");
    assert_eq!(
        ok(&mut carol, "leaveRoom", json!([channel])).await,
        Value::Null
    );
    let err = fails(&mut carol, "leaveRoom", json!([channel])).await;
    assert_eq!(err["error"], "error-user-not-in-room", "{err}");
    let err = fails(&mut carol, "leaveRoom", json!([group])).await;
    assert_eq!(err["error"], "error-user-not-in-room", "{err}");
    let err = fails(&mut alice, "leaveRoom", json!([group])).await;
    assert_eq!(err["error"], "error-you-are-last-owner", "{err}");

    // hideRoom / openRoom: how many subscriptions changed.
    assert_eq!(ok(&mut alice, "hideRoom", json!([channel])).await, 1);
    assert_eq!(ok(&mut alice, "hideRoom", json!([channel])).await, 0);
    let subs = ok(&mut alice, "subscriptions/get", json!([])).await;
    let sub = subs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == channel)
        .unwrap();
    assert_eq!(sub["open"], false);
    assert_eq!(ok(&mut alice, "openRoom", json!([channel])).await, 1);
    assert_eq!(ok(&mut alice, "openRoom", json!([channel])).await, 0);
    let err = fails(&mut carol, "hideRoom", json!([group])).await;
    assert!(err["error"].is_string(), "{err}");
    assert_eq!(ok(&mut carol, "openRoom", json!([group])).await, 0);

    // toggleFavorite.
    assert_eq!(
        ok(&mut alice, "toggleFavorite", json!([channel, true])).await,
        1
    );
    let subs = ok(&mut alice, "subscriptions/get", json!([])).await;
    let sub = subs
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == channel)
        .unwrap();
    assert_eq!(sub["f"], true);
    ok(&mut alice, "toggleFavorite", json!([channel, false])).await;
    let err = fails(&mut carol, "toggleFavorite", json!([group, true])).await;
    assert_eq!(err["error"], "error-invalid-subscription", "{err}");

    // Wrong types.
    for (method, params) in [
        ("createChannel", json!([{"$ne": null}, []])),
        ("createChannel", json!([unique("x"), "bob"])),
        ("createChannel", json!([unique("x"), [{"$ne": null}]])),
        ("createPrivateGroup", json!([unique("x"), [], "yes"])),
        (
            "createPrivateGroup",
            json!([unique("x"), [], false, "fields"]),
        ),
        ("createDirectMessage", json!([{"$ne": null}])),
        ("joinRoom", json!([{"$ne": null}])),
        ("joinRoom", json!([channel, {"$ne": null}])),
        ("leaveRoom", json!([{"$ne": null}])),
        ("openRoom", json!([{"$ne": null}])),
        ("hideRoom", json!([{"$ne": null}])),
        ("toggleFavorite", json!([channel, "yes"])),
        ("toggleFavorite", json!([{"$ne": null}, true])),
    ] {
        let err = fails(&mut alice, method, params.clone()).await;
        assert_match_failed(&err);
    }
});

both_stores!(
    register_spotlight_method_call_and_anonymous,
    |server| async move {
        let admin = server.admin().await;
        server.create_user(&admin, "alice").await;
        server.create_user(&admin, "zed1").await;
        server.create_user(&admin, "zed2").await;
        let open = create_room(&admin, "channels", &unique("zedopen"), &[]).await;
        let theirs = create_room(&admin, "groups", &unique("zedsecret"), &[]).await;
        let mine = create_room(&admin, "groups", &unique("zedmine"), &["alice"]).await;

        // registerUser, anonymously: the new id; the account logs in.
        let mut anon = Ddp::connect(&server.url).await;
        let id = ok(
            &mut anon,
            "registerUser",
            json!([{"email": "newbie@example.com", "pass": "pass-newbie", "name": "New Bie", "username": "newbie"}]),
        )
        .await;
        assert!(id.as_str().is_some_and(|id| !id.is_empty()), "{id}");
        let mut newbie = Ddp::connect(&server.url).await;
        let login = newbie.login("newbie", "pass-newbie").await;
        assert_eq!(login["id"], id);
        // Without a username one is suggested.
        let id = ok(
            &mut anon,
            "registerUser",
            json!([{"email": "nameless@example.com", "pass": "pass-nameless", "name": "No Name"}]),
        )
        .await;
        let info = admin
            .get_ok("/api/v1/users.info", &[("userId", id.as_str().unwrap())])
            .await;
        assert_eq!(info["user"]["username"], "no.name");
        let err = fails(
            &mut anon,
            "registerUser",
            json!([{"email": "newbie@example.com", "pass": "pass-x", "name": "Again", "username": "newbie2"}]),
        )
        .await;
        assert!(
            err["error"].is_string() || err["error"].is_number(),
            "{err}"
        );
        for params in [
            json!([{"email": {"$ne": null}, "pass": "x", "name": "x"}]),
            json!([{"email": "a@example.com", "pass": "x"}]),
            json!([{"email": "a@example.com", "pass": "x", "name": "x", "username": 5}]),
            json!(["form"]),
        ] {
            let err = fails(&mut anon, "registerUser", params).await;
            assert_match_failed(&err);
        }
        // Logged-in callers cannot register again.
        let err = fails(
            &mut newbie,
            "registerUser",
            json!([{"email": "third@example.com", "pass": "pass-third", "name": "Third", "username": "third"}]),
        )
        .await;
        assert!(
            err["reason"].as_str().unwrap().contains("register"),
            "{err}"
        );

        // Every other method refuses anonymous callers.
        for method in [
            "sendMessage",
            "updateMessage",
            "deleteMessage",
            "getSingleMessage",
            "readMessages",
            "getRoomRoles",
            "rooms/get",
            "subscriptions/get",
            "permissions/get",
            "getUserRoles",
            "getRoomIdByNameOrId",
            "getRoomNameById",
            "createChannel",
            "createPrivateGroup",
            "createDirectMessage",
            "joinRoom",
            "leaveRoom",
            "openRoom",
            "hideRoom",
            "toggleFavorite",
            "spotlight",
        ] {
            let err = fails(&mut anon, method, json!([open])).await;
            assert_eq!(err["error"], "error-invalid-user", "{method}: {err}");
        }

        // spotlight: users and rooms the caller may see.
        let mut alice = ddp_as(&server, "alice").await;
        let found = ok(
            &mut alice,
            "spotlight",
            json!(["zed", [], {"users": true, "rooms": true}]),
        )
        .await;
        let users: Vec<&str> = found["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap())
            .collect();
        assert!(
            users.contains(&"zed1") && users.contains(&"zed2"),
            "{found}"
        );
        let zed1 = found["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["username"] == "zed1")
            .unwrap();
        assert!(zed1["_id"].is_string() && zed1["name"].is_string() && zed1["status"].is_string());
        assert!(zed1.get("emails").is_none(), "{zed1}");
        let rooms: Vec<&str> = found["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["_id"].as_str().unwrap())
            .collect();
        assert!(rooms.contains(&open.as_str()), "{found}");
        assert!(rooms.contains(&mine.as_str()), "{found}");
        assert!(
            !rooms.contains(&theirs.as_str()),
            "spotlight leaked a group: {found}"
        );
        let room = found["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["_id"] == open)
            .unwrap();
        assert_eq!(room["t"], "c");
        // Excluded usernames, and the # / @ prefixes.
        let found = ok(&mut alice, "spotlight", json!(["zed", ["zed1"]])).await;
        assert!(
            !found["users"]
                .as_array()
                .unwrap()
                .iter()
                .any(|u| u["username"] == "zed1")
        );
        let found = ok(
            &mut alice,
            "spotlight",
            json!(["#zed", [], {"users": true, "rooms": true}]),
        )
        .await;
        assert_eq!(found["users"], json!([]));
        assert!(!found["rooms"].as_array().unwrap().is_empty());
        let found = ok(
            &mut alice,
            "spotlight",
            json!(["@zed", [], {"users": true, "rooms": true}]),
        )
        .await;
        assert_eq!(found["rooms"], json!([]));
        assert!(!found["users"].as_array().unwrap().is_empty());
        for params in [
            json!([{"$ne": null}, []]),
            json!(["zed", "zed1"]),
            json!(["zed", [], {"users": "yes"}]),
        ] {
            let err = fails(&mut alice, "spotlight", params).await;
            assert_match_failed(&err);
        }

        // The same methods over REST's method.call.
        let alice_rest = server.login("alice", "pass-alice").await;
        let reply = method_call(
            &alice_rest,
            "sendMessage",
            json!([{"_id": "via-method-call", "rid": open, "msg": "over method.call"}]),
        )
        .await;
        assert_eq!(reply["id"], "7");
        assert_eq!(reply["result"]["_id"], "via-method-call");
        assert_ejson_date(&reply["result"]["ts"], "ts");
        let history = rest_history(&admin, &open).await;
        assert!(history.iter().any(|m| m["_id"] == "via-method-call"));
        let reply = method_call(&alice_rest, "loadHistory", json!([open, null, 5])).await;
        assert_eq!(reply["result"]["messages"][0]["_id"], "via-method-call");
        let reply = method_call(&alice_rest, "getRoomIdByNameOrId", json!([theirs])).await;
        assert_eq!(reply["error"]["error"], "error-not-allowed", "{reply}");
        let reply = method_call(&alice_rest, "getRoomRoles", json!([{"$ne": null}])).await;
        assert_eq!(reply["error"]["error"], 400, "{reply}");
        let frame = json!({"msg": "method", "id": "1", "method": "registerUser",
            "params": [{"email": "rest@example.com", "pass": "pass-rest", "name": "Rest User", "username": "restuser"}]});
        let body = server
            .anon()
            .post_ok(
                "/api/v1/method.callAnon/registerUser",
                json!({"message": frame.to_string()}),
            )
            .await;
        let reply: Value = serde_json::from_str(body["message"].as_str().unwrap()).unwrap();
        assert!(reply["result"].is_string(), "{reply}");
    }
);
