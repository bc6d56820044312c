//! Catching up with a room: `chat.syncMessages`, `chat.getDeletedMessages`, the thread sync
//! endpoints, and `rooms.cleanHistory` with its permission, filters and room repair.

mod common;
use common::ddp::Ddp;
use common::*;

async fn send(client: &Client, message: Value) -> Value {
    client
        .post_ok("/api/v1/chat.sendMessage", json!({"message": message}))
        .await["message"]
        .clone()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|m| m["_id"].as_str().unwrap())
        .collect()
}

both_stores!(sync_reports_changes_and_deletions, |server| async move {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let rid = admin
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": unique("sync"), "members": [bob_name]}),
        )
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = send(&admin, json!({"rid": rid, "msg": "kept"})).await;
    let doomed = send(&admin, json!({"rid": rid, "msg": "doomed"})).await;
    let root = send(&admin, json!({"rid": rid, "msg": "root"})).await;
    let root_id = root["_id"].as_str().unwrap();
    let reply = send(&bob, json!({"rid": rid, "msg": "reply", "tmid": root_id})).await;
    let checkpoint = reply["_updatedAt"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    bob.post_ok(
        "/api/v1/chat.react",
        json!({"messageId": kept["_id"], "emoji": "ok_hand"}),
    )
    .await;
    admin
        .post_ok(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": doomed["_id"]}),
        )
        .await;
    admin
        .post_ok(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": reply["_id"]}),
        )
        .await;

    let sync = bob
        .get_ok(
            "/api/v1/chat.syncMessages",
            &[("roomId", &rid), ("lastUpdate", &checkpoint)],
        )
        .await;
    let updated = ids(&sync["result"]["updated"]);
    assert!(updated.contains(&kept["_id"].as_str().unwrap()), "{sync}");
    assert!(
        updated.contains(&root_id),
        "the parent's count changed: {sync}"
    );
    let deleted = ids(&sync["result"]["deleted"]);
    assert_eq!(deleted.len(), 2, "{sync}");
    assert!(sync["result"]["deleted"][0]["_deletedAt"].is_string());

    let gone = bob
        .get_ok(
            "/api/v1/chat.getDeletedMessages",
            &[("roomId", &rid), ("since", &checkpoint)],
        )
        .await;
    assert_eq!(gone["total"], 2);
    assert_eq!(
        ids(&gone["messages"]),
        [
            doomed["_id"].as_str().unwrap(),
            reply["_id"].as_str().unwrap()
        ]
    );

    let threads = bob
        .get_ok(
            "/api/v1/chat.syncThreadsList",
            &[("rid", &rid), ("updatedSince", &checkpoint)],
        )
        .await;
    assert_eq!(ids(&threads["threads"]["update"]), [root_id]);
    let replies = bob
        .get_ok(
            "/api/v1/chat.syncThreadMessages",
            &[
                ("tmid", root_id),
                ("updatedSince", "2000-01-01T00:00:00.000Z"),
            ],
        )
        .await;
    assert_eq!(replies["messages"]["update"], json!([]));
    assert_eq!(
        ids(&replies["messages"]["remove"]),
        [reply["_id"].as_str().unwrap()]
    );

    // Bad dates and outsiders.
    let (status, body, _) = bob
        .get_query(
            "/api/v1/chat.syncMessages",
            &[("roomId", &rid), ("lastUpdate", "yesterday")],
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-lastUpdate-param-invalid"))
    );
    let carol = server.create_user(&admin, &unique("carol")).await;
    let (status, _, _) = carol
        .get_query(
            "/api/v1/chat.syncMessages",
            &[("roomId", &rid), ("lastUpdate", &checkpoint)],
        )
        .await;
    assert_eq!(status, 400);
});

both_stores!(clean_history_deletes_a_range, |server| async move {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("clean"), "members": [bob_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut sent = Vec::new();
    for (i, who) in ["admin", "bob", "admin", "bob", "admin"].iter().enumerate() {
        let client = if *who == "bob" { &bob } else { &admin };
        sent.push(send(client, json!({"rid": rid, "msg": format!("m{i}")})).await);
    }
    admin
        .post_ok(
            "/api/v1/chat.pinMessage",
            json!({"messageId": sent[0]["_id"]}),
        )
        .await;
    let oldest = sent[0]["ts"].as_str().unwrap().to_owned();
    let latest = sent[4]["ts"].as_str().unwrap().to_owned();

    // Members need clean-channel-history.
    let (status, _, _) = bob
        .post(
            "/api/v1/rooms.cleanHistory",
            json!({"roomId": rid, "oldest": oldest, "latest": latest}),
        )
        .await;
    assert_eq!(status, 403);

    let mut watcher = Ddp::connect(&server.url).await;
    watcher.login(&bob_name, &format!("pass-{bob_name}")).await;
    watcher
        .sub(
            "stream-notify-room",
            json!([format!("{rid}/deleteMessageBulk"), false]),
        )
        .await
        .unwrap();

    // Only bob's messages, inclusive of the ends.
    let done = admin
        .post_ok(
            "/api/v1/rooms.cleanHistory",
            json!({"roomId": rid, "oldest": oldest, "latest": latest, "inclusive": true, "users": [bob_name]}),
        )
        .await;
    assert_eq!(done["count"], 2);
    assert_eq!(done["_id"], json!(rid));
    let event = watcher
        .event("stream-notify-room", &format!("{rid}/deleteMessageBulk"))
        .await;
    assert_eq!(event[0]["rid"], json!(rid));
    assert_eq!(event[0]["ids"].as_array().unwrap().len(), 2);

    // Everything else except the pinned message; the room's count and last message follow.
    let done = admin
        .post_ok(
            "/api/v1/rooms.cleanHistory",
            json!({"roomId": rid, "oldest": "2000-01-01T00:00:00.000Z", "latest": "2100-01-01T00:00:00.000Z", "excludePinned": true}),
        )
        .await;
    assert!(done["count"].as_i64().unwrap() >= 2, "{done}");
    let left = history(&admin, "channels", &rid).await;
    assert_eq!(left, [(String::new(), "m0".to_owned())], "{left:?}");
    let info = admin
        .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
        .await;
    assert_eq!(info["room"]["msgs"], 1);
    assert_eq!(info["room"]["lastMessage"]["msg"], "m0");

    let (status, body, _) = admin
        .post(
            "/api/v1/rooms.cleanHistory",
            json!({"roomId": rid, "oldest": latest, "latest": oldest}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-date"))
    );
    let (status, _, _) = admin
        .post(
            "/api/v1/rooms.cleanHistory",
            json!({"roomId": rid, "oldest": "x", "latest": latest}),
        )
        .await;
    assert_eq!(status, 400);
});
