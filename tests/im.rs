//! `im.*` / `dm.*` over HTTP: DM ids (pair, self, group), re-opening, listing, history,
//! members, counters, open/close, topic, deletion, and the access and input errors.

mod common;
use common::*;

async fn user(server: &Server, admin: &Client, prefix: &str) -> (Client, String, String) {
    let name = unique(prefix);
    let client = server.create_user(admin, &name).await;
    let id = client.user_id.clone().expect("user id");
    (client, id, name)
}

fn error_type(body: &Value) -> &str {
    body["errorType"].as_str().unwrap_or("")
}

fn is_meteor_id(id: &str) -> bool {
    id.len() == 17 && id.chars().all(|c| c.is_ascii_alphanumeric())
}

both_stores!(direct_message_rooms, |server| async move {
    let admin = server.admin().await;
    let (alice, alice_id, alice_name) = user(&server, &admin, "alice").await;
    let (bob, bob_id, bob_name) = user(&server, &admin, "bob").await;
    let (carol, carol_id, carol_name) = user(&server, &admin, "carol").await;

    // One-to-one: the sorted ids concatenated; rid = _id; both names and ids.
    let room = alice
        .post_ok("/api/v1/im.create", json!({"username": bob_name}))
        .await["room"]
        .clone();
    let mut pair = [alice_id.clone(), bob_id.clone()];
    pair.sort();
    let dm = pair.concat();
    assert_eq!(room["_id"], json!(dm), "{room}");
    assert_eq!(room["rid"], json!(dm));
    assert_eq!(room["t"], json!("d"));
    let mut usernames: Vec<String> = serde_json::from_value(room["usernames"].clone()).unwrap();
    usernames.sort();
    let mut expected = vec![alice_name.clone(), bob_name.clone()];
    expected.sort();
    assert_eq!(usernames, expected);
    assert_eq!(room["uids"], json!(pair));
    assert_eq!(room["usersCount"], json!(2));
    // Each side's subscription is named after the other; the other side's starts closed.
    let mine = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm)])
        .await["subscription"]
        .clone();
    assert_eq!(mine["name"], json!(bob_name));
    assert_eq!(mine["open"], json!(true));
    let theirs = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm)])
        .await["subscription"]
        .clone();
    assert_eq!(theirs["name"], json!(alice_name));
    assert_eq!(theirs["t"], json!("d"));

    // Creating it again (from either side, through dm.*) returns the same room.
    let again = bob
        .post_ok("/api/v1/dm.create", json!({"username": alice_name}))
        .await;
    assert_eq!(again["room"]["_id"], json!(dm));

    // With oneself: the user's own id.
    let own = alice
        .post_ok("/api/v1/im.create", json!({"username": alice_name}))
        .await;
    assert_eq!(own["room"]["_id"], json!(alice_id));
    assert_eq!(own["room"]["usernames"], json!([alice_name]));

    // A group DM: a random id, three members, found again whatever the order.
    let group = alice
        .post_ok(
            "/api/v1/im.create",
            json!({"usernames": format!("{bob_name}, {carol_name}")}),
        )
        .await["room"]
        .clone();
    let group_id = group["_id"].as_str().unwrap().to_owned();
    assert!(is_meteor_id(&group_id), "{group}");
    assert_eq!(group["usersCount"], json!(3));
    let mut uids = vec![alice_id.clone(), bob_id.clone(), carol_id.clone()];
    uids.sort();
    assert_eq!(group["uids"], json!(uids));
    let again = carol
        .post_ok(
            "/api/v1/im.create",
            json!({"usernames": format!("{alice_name},{bob_name}")}),
        )
        .await;
    assert_eq!(again["room"]["_id"], json!(group_id));
    let carol_sub = carol
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &group_id)])
        .await["subscription"]
        .clone();
    let name = carol_sub["name"].as_str().unwrap();
    assert!(name.contains(&alice_name) && name.contains(&bob_name) && !name.contains(&carol_name));

    // im.list: the caller's DMs only.
    let list = alice.get_ok("/api/v1/im.list", &[]).await;
    assert_eq!(list["total"], json!(3), "{list}");
    let ids: Vec<&str> = list["ims"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["_id"].as_str())
        .collect();
    assert!(ids.contains(&dm.as_str()) && ids.contains(&alice_id.as_str()));
    let paged = alice
        .get_ok("/api/v1/dm.list", &[("count", "1"), ("offset", "1")])
        .await;
    assert_eq!(
        (paged["count"].clone(), paged["offset"].clone()),
        (json!(1), json!(1))
    );
    let (status, body, _) = alice.get("/api/v1/im.list.everyone").await;
    assert_eq!(status, 403, "{body}");
    let everyone = admin.get_ok("/api/v1/im.list.everyone", &[]).await;
    assert!(everyone["total"].as_i64().unwrap() >= 3, "{everyone}");

    // Errors: unknown users, nothing given, wrong types.
    let (status, body, _) = alice
        .post("/api/v1/im.create", json!({"username": "no.such.user"}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-user"),
        "{body}"
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/im.create",
            json!({"usernames": format!("{bob_name},ghost-user")}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-user"),
        "{body}"
    );
    let (status, body, _) = alice.post("/api/v1/im.create", json!({})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post("/api/v1/im.create", json!({"username": {"$ne": null}}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let after = alice.get_ok("/api/v1/im.list", &[]).await;
    assert_eq!(after["total"], json!(3), "failed creates created nothing");
});

both_stores!(reading_a_direct_message, |server| async move {
    let admin = server.admin().await;
    let (alice, _alice_id, _) = user(&server, &admin, "alice").await;
    let (bob, bob_id, bob_name) = user(&server, &admin, "bob").await;
    let (carol, _, _) = user(&server, &admin, "carol").await;
    let dm = alice
        .post_ok("/api/v1/im.create", json!({"username": bob_name}))
        .await["room"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for text in ["one", "two", "three"] {
        alice
            .post_ok(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": dm, "msg": text}}),
            )
            .await;
    }

    // History, newest first, with count.
    let history = bob
        .get_ok("/api/v1/im.history", &[("roomId", &dm), ("count", "2")])
        .await;
    let texts: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["msg"].as_str())
        .collect();
    assert_eq!(texts, vec!["three", "two"], "{history}");
    // Messages by room id, or by the other user's name.
    let page = bob.get_ok("/api/v1/dm.messages", &[("roomId", &dm)]).await;
    assert_eq!(page["total"], json!(3), "{page}");
    let page = alice
        .get_ok(
            "/api/v1/im.messages",
            &[("username", &bob_name), ("sort", r#"{"ts":1}"#)],
        )
        .await;
    assert_eq!(page["messages"][0]["msg"], json!("one"), "{page}");
    // Members and counters.
    let members = alice.get_ok("/api/v1/im.members", &[("roomId", &dm)]).await;
    assert_eq!(members["total"], json!(2), "{members}");
    let counters = bob.get_ok("/api/v1/im.counters", &[("roomId", &dm)]).await;
    assert_eq!(counters["joined"], json!(true));
    assert_eq!(counters["unreads"], json!(3), "{counters}");
    assert_eq!(counters["msgs"], json!(3));
    assert_eq!(counters["members"], json!(2));
    assert!(counters["latest"].is_string());
    let (status, _, _) = alice
        .get_query(
            "/api/v1/im.counters",
            &[("roomId", &dm), ("userId", &bob_id)],
        )
        .await;
    assert_eq!(status, 403, "userId needs view-room-administration");
    let of_bob = admin
        .get_ok(
            "/api/v1/im.counters",
            &[("roomId", &dm), ("userId", &bob_id)],
        )
        .await;
    assert_eq!(of_bob["unreads"], json!(3));

    // An outsider sees nothing.
    for path in [
        "/api/v1/im.history",
        "/api/v1/im.messages",
        "/api/v1/im.members",
        "/api/v1/im.counters",
    ] {
        let (status, body, _) = carol.get_query(path, &[("roomId", &dm)]).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(
            body,
            json!({"success": false, "error": "unauthorized"}),
            "{path}"
        );
    }
    let (status, body, _) = alice
        .get_query("/api/v1/im.history", &[("roomId", "GENERAL")])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-channel"),
        "{body}"
    );
    let (status, body, _) = alice.get("/api/v1/im.history").await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice.get("/api/v1/im.messages").await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-room-param-not-provided"),
        "{body}"
    );
    let (status, body, _) = alice
        .get_query("/api/v1/im.messages", &[("roomId", "nonexistent-room-id")])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-channel"),
        "{body}"
    );

    // messages.others is off by default, and for administrators only.
    let (status, _, _) = alice
        .get_query("/api/v1/im.messages.others", &[("roomId", &dm)])
        .await;
    assert_eq!(status, 403);
    let (status, body, _) = admin
        .get_query("/api/v1/im.messages.others", &[("roomId", &dm)])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-endpoint-disabled"),
        "{body}"
    );

    // Close and open: the sidebar flag.
    bob.post_ok("/api/v1/im.close", json!({"roomId": dm})).await;
    let sub = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm)])
        .await;
    assert_eq!(sub["subscription"]["open"], json!(false));
    let (status, body, _) = bob.post("/api/v1/im.close", json!({"roomId": dm})).await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!("The direct message room, is already closed to the sender")
    );
    bob.post_ok("/api/v1/dm.open", json!({"roomId": dm})).await;
    let sub = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm)])
        .await;
    assert_eq!(sub["subscription"]["open"], json!(true));
    let (status, _, _) = carol.post("/api/v1/im.open", json!({"roomId": dm})).await;
    assert_eq!(status, 403);
    let (status, body, _) = bob.post("/api/v1/im.open", json!({"roomId": 7})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );

    // A message re-opens a closed DM for the other side.
    bob.post_ok("/api/v1/im.close", json!({"roomId": dm})).await;
    alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": dm, "text": "ping"}),
        )
        .await;
    let sub = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm)])
        .await;
    assert_eq!(sub["subscription"]["open"], json!(true));
    assert_eq!(sub["subscription"]["unread"], json!(4));

    // Topic and deletion: edit-room and delete-d (administrators).
    let (status, body, _) = alice
        .post(
            "/api/v1/im.setTopic",
            json!({"roomId": dm, "topic": "ours"}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-action-not-allowed"),
        "{body}"
    );
    let (status, body, _) = alice.post("/api/v1/im.delete", json!({"roomId": dm})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-not-allowed"),
        "{body}"
    );
    let admin_dm = admin
        .post_ok("/api/v1/im.create", json!({"username": bob_name}))
        .await["room"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let topic = admin
        .post_ok(
            "/api/v1/im.setTopic",
            json!({"roomId": admin_dm, "topic": "hello"}),
        )
        .await;
    assert_eq!(topic["topic"], json!("hello"));
    let info = admin
        .get_ok("/api/v1/rooms.info", &[("roomId", &admin_dm)])
        .await;
    assert_eq!(info["room"]["topic"], json!("hello"));
    admin
        .post_ok("/api/v1/dm.delete", json!({"username": bob_name}))
        .await;
    let (status, _, _) = admin
        .get_query("/api/v1/rooms.info", &[("roomId", &admin_dm)])
        .await;
    assert_eq!(status, 400, "the DM is gone");
    let sub = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &admin_dm)])
        .await;
    assert_eq!(sub["subscription"], Value::Null);
});

both_stores!(
    history_endpoint_for_administrators,
    envs = [(
        "OVERWRITE_SETTING_API_Enable_Direct_Message_History_EndPoint",
        "true"
    )],
    |server| async move {
        let admin = server.admin().await;
        let (alice, _, _) = user(&server, &admin, "alice").await;
        let (_, _, bob_name) = user(&server, &admin, "bob").await;
        let dm = alice
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"channel": format!("@{bob_name}"), "text": "private"}),
            )
            .await["message"]["rid"]
            .as_str()
            .unwrap()
            .to_owned();
        let page = admin
            .get_ok("/api/v1/im.messages.others", &[("roomId", &dm)])
            .await;
        assert_eq!(page["total"], json!(1), "{page}");
        assert_eq!(page["messages"][0]["msg"], json!("private"));
        let (status, body, _) = admin
            .get_query("/api/v1/dm.messages.others", &[("roomId", "GENERAL")])
            .await;
        assert_eq!(
            (status, error_type(&body)),
            (400, "error-room-not-found"),
            "{body}"
        );
        let (status, body, _) = admin.get("/api/v1/im.messages.others").await;
        assert_eq!(
            (status, error_type(&body)),
            (400, "error-roomid-param-not-provided"),
            "{body}"
        );
    }
);
