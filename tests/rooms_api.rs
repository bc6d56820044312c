//! `rooms.*` over HTTP: `rooms.get` with and without `updatedSince` (removals after
//! leaving), `rooms.info` with projections, favourite, hide/open, leave and their errors.

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

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn create(owner: &Client, kind: &str, members: &[&str]) -> (String, String) {
    let name = unique("room");
    let body = owner
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
    (body[key]["_id"].as_str().expect("room id").to_owned(), name)
}

both_stores!(syncing_rooms, |server| async move {
    let admin = server.admin().await;
    let (alice, _, alice_name) = user(&server, &admin, "alice").await;
    let (chan, _) = create(&admin, "channels", &[&alice_name]).await;
    let (group, _) = create(&admin, "groups", &[&alice_name]).await;
    let (_, _, bob_name) = user(&server, &admin, "bob").await;
    let dm = alice
        .post_ok("/api/v1/im.create", json!({"username": bob_name}))
        .await["room"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Everything without updatedSince.
    let all = alice.get_ok("/api/v1/rooms.get", &[]).await;
    let update = ids(&all["update"]);
    for rid in [&chan, &group, &dm] {
        assert!(update.contains(rid), "{rid} missing from {all}");
    }
    assert_eq!(all["remove"], json!([]));

    // Leave the channel: a sync from before reports it removed, not updated.
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let since = chrono_like_now(&alice).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    alice
        .post_ok("/api/v1/rooms.leave", json!({"roomId": chan}))
        .await;
    let delta = alice
        .get_ok("/api/v1/rooms.get", &[("updatedSince", &since)])
        .await;
    assert!(ids(&delta["remove"]).contains(&chan), "{delta}");
    assert!(!ids(&delta["update"]).contains(&chan), "{delta}");
    assert!(delta["remove"][0]["_deletedAt"].is_string(), "{delta}");
    // A room that changed since (a new message) is in update.
    admin
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": group, "text": "news"}),
        )
        .await;
    let delta = alice
        .get_ok("/api/v1/rooms.get", &[("updatedSince", &since)])
        .await;
    assert!(ids(&delta["update"]).contains(&group), "{delta}");
    assert_eq!(
        delta["update"][0]["lastMessage"]["msg"],
        json!("news"),
        "{delta}"
    );
    let (status, body, _) = alice
        .get_query("/api/v1/rooms.get", &[("updatedSince", "not a date")])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-updatedSince-param-invalid"),
        "{body}"
    );

    // Leaving again, leaving a DM, the last owner leaving.
    let (status, body, _) = alice
        .post("/api/v1/rooms.leave", json!({"roomId": chan}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-user-not-in-room"),
        "{body}"
    );
    let (status, body, _) = alice
        .post("/api/v1/rooms.leave", json!({"roomId": dm}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-not-allowed"),
        "{body}"
    );
    let (status, body, _) = admin
        .post("/api/v1/rooms.leave", json!({"roomId": group}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-you-are-last-owner"),
        "{body}"
    );
    let (status, body, _) = alice.post("/api/v1/rooms.leave", json!({})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-roomid-param-not-provided"),
        "{body}"
    );
    let (status, body, _) = alice
        .post("/api/v1/rooms.leave", json!({"roomId": {"$ne": null}}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
});

/// The server's clock, as an ISO string (from a message's `ts`, so test and server agree).
async fn chrono_like_now(client: &Client) -> String {
    let dm = client
        .post_ok(
            "/api/v1/im.create",
            json!({"username": client_username(client).await}),
        )
        .await["room"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    client
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": dm, "text": "tick"}),
        )
        .await["message"]["ts"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn client_username(client: &Client) -> String {
    client.get_ok("/api/v1/me", &[]).await["username"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_stores!(room_info_and_flags, |server| async move {
    let admin = server.admin().await;
    let (alice, _, alice_name) = user(&server, &admin, "alice").await;
    let (bob, _, _) = user(&server, &admin, "bob").await;
    let (chan, chan_name) = create(&admin, "channels", &[&alice_name]).await;
    let (group, _) = create(&admin, "groups", &[]).await;

    // Info by id and by name, with a projection.
    let info = alice
        .get_ok("/api/v1/rooms.info", &[("roomId", &chan)])
        .await;
    assert_eq!(info["room"]["_id"], json!(chan));
    assert_eq!(info["room"]["t"], json!("c"));
    let info = alice
        .get_ok(
            "/api/v1/rooms.info",
            &[
                ("roomName", chan_name.as_str()),
                ("fields", r#"{"name":1}"#),
            ],
        )
        .await;
    assert_eq!(info["room"], json!({"_id": chan, "name": chan_name}));
    // A private group the caller is not in.
    let (status, body, _) = alice
        .get_query("/api/v1/rooms.info", &[("roomId", &group)])
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], json!("not-allowed"));
    assert_eq!(body["errorType"], json!("Not Allowed"));
    let (status, body, _) = alice
        .get_query("/api/v1/rooms.info", &[("roomId", "no-such-room")])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-room-not-found"),
        "{body}"
    );
    let (status, body, _) = alice.get("/api/v1/rooms.info").await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-roomid-param-not-provided"),
        "{body}"
    );

    // Favourite.
    alice
        .post_ok(
            "/api/v1/rooms.favorite",
            json!({"roomId": chan, "favorite": true}),
        )
        .await;
    let sub = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &chan)])
        .await;
    assert_eq!(sub["subscription"]["f"], json!(true));
    alice
        .post_ok(
            "/api/v1/rooms.favorite",
            json!({"roomName": chan_name, "favorite": false}),
        )
        .await;
    let sub = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &chan)])
        .await;
    assert_eq!(sub["subscription"]["f"], json!(false));
    let (status, body, _) = alice
        .post("/api/v1/rooms.favorite", json!({"roomId": chan}))
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("The 'favorite' param is required"))
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/rooms.favorite",
            json!({"roomId": chan, "favorite": "yes"}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = bob
        .post(
            "/api/v1/rooms.favorite",
            json!({"roomId": chan, "favorite": true}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-subscription"),
        "{body}"
    );

    // Hide and open.
    alice
        .post_ok("/api/v1/rooms.hide", json!({"roomId": chan}))
        .await;
    let sub = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &chan)])
        .await;
    assert_eq!(sub["subscription"]["open"], json!(false));
    let (status, body, _) = alice
        .post("/api/v1/rooms.hide", json!({"roomId": chan}))
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("error-room-already-hidden"))
    );
    alice
        .post_ok("/api/v1/rooms.open", json!({"roomId": chan}))
        .await;
    let sub = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &chan)])
        .await;
    assert_eq!(sub["subscription"]["open"], json!(true));
    let (status, body, _) = alice
        .post("/api/v1/rooms.hide", json!({"roomId": group}))
        .await;
    assert_eq!(
        (status, body),
        (401, json!({"success": false, "error": "unauthorized"}))
    );
    let (status, body, _) = alice
        .post("/api/v1/rooms.open", json!({"roomId": "nope"}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-room"),
        "{body}"
    );
    let (status, body, _) = alice.post("/api/v1/rooms.hide", json!({})).await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
});
