//! `subscriptions.*` over HTTP: unread counters moving with messages (and the room's
//! `msgs` / `lm` / `lastMessage` with them), read and unread, `getOne`, and the
//! `updatedSince` sync with removals.

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

async fn sub(client: &Client, rid: &str) -> Value {
    client
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", rid)])
        .await["subscription"]
        .clone()
}

both_stores!(unread_counters, |server| async move {
    let admin = server.admin().await;
    let (alice, _, alice_name) = user(&server, &admin, "alice").await;
    let (bob, _, bob_name) = user(&server, &admin, "bob").await;
    let name = unique("chan");
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": [alice_name, bob_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.post_ok("/api/v1/subscriptions.read", json!({"rid": rid}))
        .await;
    let before = sub(&bob, &rid).await;
    assert_eq!(
        (before["unread"].clone(), before["alert"].clone()),
        (json!(0), json!(false))
    );

    // A posts: B's membership is unread and alerted, A's own is not; the room moved too.
    let posted = alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "hi all"}),
        )
        .await;
    let mid = posted["message"]["_id"].as_str().unwrap().to_owned();
    let theirs = sub(&bob, &rid).await;
    assert_eq!(theirs["unread"], json!(1), "{theirs}");
    assert_eq!(theirs["alert"], json!(true));
    assert_eq!(theirs["open"], json!(true));
    let mine = sub(&alice, &rid).await;
    assert_eq!(mine["unread"], json!(0), "{mine}");
    let room = admin
        .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
        .await["room"]
        .clone();
    assert_eq!(room["lastMessage"]["_id"], json!(mid), "{room}");
    assert_eq!(room["lm"], posted["message"]["ts"]);
    // A mention counts separately.
    alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": format!("@{bob_name} look")}),
        )
        .await;
    let theirs = sub(&bob, &rid).await;
    assert_eq!(
        (theirs["unread"].clone(), theirs["userMentions"].clone()),
        (json!(2), json!(1))
    );

    // B reads: back to zero.
    bob.post_ok("/api/v1/subscriptions.read", json!({"rid": rid}))
        .await;
    let theirs = sub(&bob, &rid).await;
    assert_eq!(theirs["unread"], json!(0), "{theirs}");
    assert_eq!(theirs["alert"], json!(false));
    assert_eq!(theirs["userMentions"], json!(0));
    assert!(theirs["ls"].is_string());

    // Unread from a given message (someone else's), or from the room's last message.
    bob.post_ok(
        "/api/v1/subscriptions.unread",
        json!({"firstUnreadMessage": {"_id": mid}}),
    )
    .await;
    let theirs = sub(&bob, &rid).await;
    assert_eq!(theirs["alert"], json!(true));
    assert_eq!(theirs["unread"], json!(2), "{theirs}");
    bob.post_ok("/api/v1/subscriptions.read", json!({"roomId": rid}))
        .await;
    bob.post_ok("/api/v1/subscriptions.unread", json!({"roomId": rid}))
        .await;
    assert_eq!(sub(&bob, &rid).await["alert"], json!(true));
    let (status, body, _) = alice
        .post(
            "/api/v1/subscriptions.unread",
            json!({"firstUnreadMessage": {"_id": mid}}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-action-not-allowed"),
        "{body}"
    );

    // Errors.
    let (status, body, _) = bob.get("/api/v1/subscriptions.getOne").await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-params"),
        "{body}"
    );
    let none = bob
        .get_ok(
            "/api/v1/subscriptions.getOne",
            &[("roomId", "no-such-room")],
        )
        .await;
    assert_eq!(none["subscription"], Value::Null);
    let (status, body, _) = bob
        .post("/api/v1/subscriptions.read", json!({"rid": "no-such-room"}))
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("error-invalid-subscription"))
    );
    let (status, body, _) = bob
        .post("/api/v1/subscriptions.read", json!({"rid": {"$ne": null}}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = bob.post("/api/v1/subscriptions.read", json!({})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = bob.post("/api/v1/subscriptions.unread", json!({})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = bob
        .post(
            "/api/v1/subscriptions.unread",
            json!({"firstUnreadMessage": {"_id": "no-such-message"}}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-action-not-allowed"),
        "{body}"
    );
});

both_stores!(syncing_subscriptions, |server| async move {
    let admin = server.admin().await;
    let (alice, _, alice_name) = user(&server, &admin, "alice").await;
    let name = unique("chan");
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": [alice_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let all = alice.get_ok("/api/v1/subscriptions.get", &[]).await;
    let sub_id = all["update"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rid"] == json!(rid))
        .map(|s| s["_id"].as_str().unwrap().to_owned())
        .expect("the channel's subscription");
    assert_eq!(all["remove"], json!([]));

    let since = all["update"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["_updatedAt"].as_str())
        .max()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    alice
        .post_ok("/api/v1/rooms.leave", json!({"roomId": rid}))
        .await;
    let delta = alice
        .get_ok("/api/v1/subscriptions.get", &[("updatedSince", &since)])
        .await;
    assert_eq!(delta["remove"][0]["_id"], json!(sub_id), "{delta}");
    assert!(delta["remove"][0]["_deletedAt"].is_string());
    assert!(
        delta["update"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["rid"] != json!(rid)),
        "{delta}"
    );
    let (status, body, _) = alice
        .get_query("/api/v1/subscriptions.get", &[("updatedSince", "garbage")])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-roomId-param-invalid"),
        "{body}"
    );
});
