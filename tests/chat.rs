//! `chat.*` over HTTP: posting by room id, `#name` and `@username`; idempotent
//! `chat.sendMessage` with client ids; server-owned fields; editing and deleting with their
//! permission rules; reading single messages; and bad input that must leave state alone.

mod common;
use common::*;

/// A fresh user (logged in) with a unique name.
async fn user(server: &Server, admin: &Client, prefix: &str) -> (Client, String, String) {
    let name = unique(prefix);
    let client = server.create_user(admin, &name).await;
    let id = client.user_id.clone().expect("user id");
    (client, id, name)
}

fn error_type(body: &Value) -> &str {
    body["errorType"].as_str().unwrap_or("")
}

/// A fresh public channel owned by `owner` with `members` in it.
async fn channel(owner: &Client, members: &[&str]) -> (String, String) {
    let name = unique("chan");
    let body = owner
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": members}),
        )
        .await;
    let id = body["channel"]["_id"]
        .as_str()
        .expect("channel id")
        .to_owned();
    (id, name)
}

async fn room_msgs(client: &Client, rid: &str) -> i64 {
    let info = client
        .get_ok("/api/v1/rooms.info", &[("roomId", rid)])
        .await;
    info["room"]["msgs"].as_i64().unwrap_or(-1)
}

both_stores!(posting_and_sending, |server| async move {
    let admin = server.admin().await;
    let (alice, _alice_id, _) = user(&server, &admin, "alice").await;
    let (bob, bob_id, bob_name) = user(&server, &admin, "bob").await;
    let (rid, chan_name) = channel(&admin, &[]).await;

    // chat.postMessage by room id: joins the public channel, answers ts (epoch ms) and channel.
    let body = alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": format!("hello @{bob_name}")}),
        )
        .await;
    assert!(body["ts"].is_i64(), "ts must be epoch ms: {body}");
    assert_eq!(body["channel"], json!(rid));
    let message = &body["message"];
    assert_eq!(message["rid"], json!(rid));
    assert_eq!(message["msg"], json!(format!("hello @{bob_name}")));
    assert_eq!(message["u"]["_id"], alice.user_id.clone().unwrap().as_str());
    assert!(message["ts"].is_string(), "message ts is ISO: {message}");
    assert_eq!(message["mentions"][0]["username"], json!(bob_name));
    let joined = alice
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &rid)])
        .await;
    assert!(
        joined["subscription"].is_object(),
        "posting joins: {joined}"
    );

    // By #name.
    let body = alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"channel": format!("#{chan_name}"), "text": "by name"}),
        )
        .await;
    assert_eq!(body["channel"], json!(format!("#{chan_name}")));
    assert_eq!(body["message"]["rid"], json!(rid));

    // By @username: into the DM, created on the way.
    let body = alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"channel": format!("@{bob_name}"), "text": "psst", "emoji": ":smile:"}),
        )
        .await;
    let mut pair = [alice.user_id.clone().unwrap(), bob_id.clone()];
    pair.sort();
    let dm_id = pair.concat();
    assert_eq!(body["message"]["rid"], json!(dm_id), "{body}");
    assert_eq!(body["message"]["emoji"], json!(":smile:"));
    let sub = bob
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", &dm_id)])
        .await;
    assert_eq!(sub["subscription"]["unread"], json!(1), "{sub}");

    // chat.sendMessage with a client-chosen id: a retry returns the stored message.
    let client_id = format!("cid{}", random_hex(6));
    let send = json!({"message": {"_id": client_id, "rid": rid, "msg": "once"}});
    let first = alice
        .post_ok("/api/v1/chat.sendMessage", send.clone())
        .await;
    assert_eq!(first["message"]["_id"], json!(client_id));
    let msgs_before = room_msgs(&admin, &rid).await;
    let retry = alice
        .post_ok("/api/v1/chat.sendMessage", send.clone())
        .await;
    assert_eq!(retry["message"]["_id"], json!(client_id));
    assert_eq!(retry["message"]["ts"], first["message"]["ts"]);
    assert_eq!(
        room_msgs(&admin, &rid).await,
        msgs_before,
        "a retry stores nothing"
    );
    let query = json!({"_id": client_id}).to_string();
    let page = admin
        .get_ok(
            "/api/v1/channels.messages",
            &[("roomId", rid.as_str()), ("query", query.as_str())],
        )
        .await;
    assert_eq!(page["total"], json!(1), "exactly one stored copy: {page}");
    // The same id from someone else (or for another room) is refused.
    let (status, body, _) = bob.post("/api/v1/chat.sendMessage", send.clone()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_type(&body), "error-message-already-exists");

    // Fields the server owns are ignored.
    let forged = alice
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {
                "rid": rid, "msg": "honest",
                "u": {"_id": bob_id, "username": bob_name},
                "ts": "2001-01-01T00:00:00.000Z",
                "mentions": [{"_id": bob_id, "username": bob_name}],
                "editedBy": {"_id": bob_id, "username": bob_name},
                "editedAt": "2001-01-01T00:00:00.000Z",
                "pinned": true, "starred": [{"_id": bob_id}], "_updatedAt": "2001-01-01T00:00:00.000Z",
            }}),
        )
        .await;
    let mid = forged["message"]["_id"].as_str().unwrap().to_owned();
    let stored = alice
        .get_ok("/api/v1/chat.getMessage", &[("msgId", &mid)])
        .await["message"]
        .clone();
    assert_eq!(stored["u"]["_id"], alice.user_id.clone().unwrap().as_str());
    assert_ne!(stored["ts"], json!("2001-01-01T00:00:00.000Z"));
    assert_eq!(stored["mentions"], json!([]));
    for key in ["editedBy", "editedAt", "pinned", "starred"] {
        assert!(
            stored.get(key).is_none(),
            "{key} must not be stored: {stored}"
        );
    }
    // Threads: a reply to a reply goes to the root; tshow needs tmid.
    let root = first["message"]["_id"].as_str().unwrap().to_owned();
    let reply = alice
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "reply", "tmid": root}}),
        )
        .await["message"]
        .clone();
    assert_eq!(reply["tmid"], json!(root));
    let nested = alice
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "nested", "tmid": reply["_id"]}}),
        )
        .await;
    assert_eq!(nested["message"]["tmid"], json!(root), "{nested}");
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "x", "tshow": true}}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "x", "tmid": "no-such-parent"}}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-message"),
        "{body}"
    );

    // System messages cannot be sent.
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "x", "t": "uj"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        json!("Cannot send system messages using 'chat.sendMessage'")
    );
});

both_stores!(editing_and_deleting, |server| async move {
    let admin = server.admin().await;
    let (alice, alice_id, _) = user(&server, &admin, "alice").await;
    let (bob, _, _) = user(&server, &admin, "bob").await;
    let (_, _, carol_name) = user(&server, &admin, "carol").await;
    let (rid, _) = channel(&admin, &[]).await;
    let post = |client: Client, text: &'static str| {
        let rid = rid.clone();
        async move {
            client
                .post_ok(
                    "/api/v1/chat.postMessage",
                    json!({"roomId": rid, "text": text}),
                )
                .await["message"]["_id"]
                .as_str()
                .unwrap()
                .to_owned()
        }
    };
    let mid = post(alice.clone(), "first draft").await;

    // The author edits: text, editedAt/editedBy set, mentions re-resolved.
    let edited = alice
        .post_ok(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": mid, "text": format!("final @{carol_name}")}),
        )
        .await["message"]
        .clone();
    assert_eq!(edited["msg"], json!(format!("final @{carol_name}")));
    assert_eq!(edited["editedBy"]["_id"], json!(alice_id));
    assert!(edited["editedAt"].is_string(), "{edited}");
    assert_eq!(edited["mentions"][0]["username"], json!(carol_name));
    let info = admin
        .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
        .await;
    assert_eq!(info["room"]["lastMessage"]["_id"], json!(mid), "{info}");
    assert_eq!(
        info["room"]["lastMessage"]["msg"],
        json!(format!("final @{carol_name}")),
        "the room's lastMessage follows the edit: {info}"
    );

    // Someone else's message: a normal user may neither edit nor delete it.
    let (status, body, _) = bob
        .post(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": mid, "text": "hijacked"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_type(&body), "error-action-not-allowed");
    assert_eq!(
        body["error"],
        json!("Message editing not allowed [error-action-not-allowed]")
    );
    let (status, body, _) = bob
        .post("/api/v1/chat.delete", json!({"roomId": rid, "msgId": mid}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_type(&body), "error-action-not-allowed");
    let (status, body, _) = bob
        .post(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": mid, "asUser": true}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"],
        json!(
            "Unauthorized. You must have the permission \"force-delete-message\" to delete other's message as them."
        )
    );
    let still = alice
        .get_ok("/api/v1/chat.getMessage", &[("msgId", &mid)])
        .await;
    assert_eq!(
        still["message"]["msg"],
        json!(format!("final @{carol_name}"))
    );

    // An administrator (edit-message, force-delete-message) may.
    admin
        .post_ok(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": mid, "text": "moderated"}),
        )
        .await;

    // Bad input: nothing changes.
    let (status, body, _) = alice
        .post("/api/v1/chat.update", json!({"roomId": rid, "msgId": mid}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.update",
            json!({"roomId": "GENERAL", "msgId": mid, "text": "x"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!("The room id provided does not match where the message is from.")
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": {"$ne": null}, "text": "x"}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": "nope"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"],
        json!("No message found with the id of \"nope\".")
    );
    let still = alice
        .get_ok("/api/v1/chat.getMessage", &[("msgId", &mid)])
        .await;
    assert_eq!(still["message"]["msg"], json!("moderated"));

    // The author deletes: Rocket.Chat's reply shape, and the message is gone.
    let before = room_msgs(&admin, &rid).await;
    let body = alice
        .post_ok("/api/v1/chat.delete", json!({"roomId": rid, "msgId": mid}))
        .await;
    assert_eq!(body["_id"], json!(mid));
    assert!(body["ts"].is_string(), "{body}");
    assert_eq!(body["message"]["_id"], json!(mid));
    assert_eq!(body["message"]["rid"], json!(rid));
    assert_eq!(body["message"]["u"]["_id"], json!(alice_id));
    assert_eq!(room_msgs(&admin, &rid).await, before - 1);
    let (status, body, _) = alice
        .get_query("/api/v1/chat.getMessage", &[("msgId", &mid)])
        .await;
    assert_eq!((status, body), (400, json!({"success": false})));
    // A deleted message's id is not reused.
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"_id": mid, "rid": rid, "msg": "again"}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");

    // Admin deletes someone else's message.
    let bobs = post(bob.clone(), "bob again").await;
    admin
        .post_ok("/api/v1/chat.delete", json!({"roomId": rid, "msgId": bobs}))
        .await;
});

both_stores!(reading_and_bad_input, |server| async move {
    let admin = server.admin().await;
    let (alice, _, _) = user(&server, &admin, "alice").await;
    let (bob, _, bob_name) = user(&server, &admin, "bob").await;
    let (carol, _, _) = user(&server, &admin, "carol").await;
    let (rid, _) = channel(&admin, &[]).await;

    // A DM message is readable by its members only.
    let dm = alice
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"channel": format!("@{bob_name}"), "text": "between us"}),
        )
        .await;
    let dm_mid = dm["message"]["_id"].as_str().unwrap().to_owned();
    let dm_rid = dm["message"]["rid"].as_str().unwrap().to_owned();
    bob.get_ok("/api/v1/chat.getMessage", &[("msgId", &dm_mid)])
        .await;
    let (status, body, _) = carol
        .get_query("/api/v1/chat.getMessage", &[("msgId", &dm_mid)])
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-action-not-allowed"),
        "{body}"
    );
    let (status, body, _) = carol.get("/api/v1/chat.getMessage").await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-invalid-params"),
        "{body}"
    );
    // Nor can an outsider post into it.
    let (status, body, _) = carol
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": dm_rid, "msg": "let me in"}}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("error-not-allowed")),
        "{body}"
    );

    let msgs = room_msgs(&admin, &rid).await;
    let bad_bodies = [
        json!({"roomId": {"$ne": null}, "text": "x"}),
        json!({"text": "no room"}),
        json!({"roomId": rid, "text": 42}),
        json!({"roomId": rid, "text": "x", "attachments": "nope"}),
        json!({"roomId": rid, "text": "x", "customFields": ["a"]}),
    ];
    for bad in bad_bodies {
        let (status, body, _) = alice.post("/api/v1/chat.postMessage", bad.clone()).await;
        assert_eq!(status, 400, "{bad} -> {body}");
        assert_eq!(error_type(&body), "invalid-params", "{bad} -> {body}");
    }
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.postMessage",
            json!({"channel": "#no-such-channel-here", "text": "x"}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-channel"),
        "{body}"
    );
    assert_eq!(body["error"], json!("[invalid-channel]"));
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.postMessage",
            json!({"channel": "@nobody-by-that-name", "text": "x"}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-channel"),
        "{body}"
    );

    // Too long: postMessage answers the bare code, sendMessage the Meteor error.
    let long = "x".repeat(5001);
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": long}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("error-message-size-exceeded"))
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": long}}),
        )
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "error-message-size-exceeded"),
        "{body}"
    );
    assert_eq!(body["details"]["method"], json!("sendMessage"));

    // Links that would run script, impersonation without permission, unknown rooms.
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "x", "attachments": [{"title": "t", "title_link": "javascript:alert(1)"}]}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("Invalid href value provided"))
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "x", "alias": "The CEO"}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("Not enough permission"))
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": "no-such-room", "msg": "x"}}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("error-invalid-room"))
    );
    let (status, body, _) = alice
        .post("/api/v1/chat.sendMessage", json!({"message": {"msg": "x"}}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post("/api/v1/chat.sendMessage", json!({"message": "x"}))
        .await;
    assert_eq!(
        (status, error_type(&body)),
        (400, "invalid-params"),
        "{body}"
    );
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "x", "customFields": {"a": 1}}}),
        )
        .await;
    assert_eq!(
        (status, body["error"].clone()),
        (400, json!("Custom fields not enabled"))
    );
    assert_eq!(
        room_msgs(&admin, &rid).await,
        msgs,
        "bad input stored nothing"
    );

    // Without credentials.
    let (status, _, _) = server
        .anon()
        .post(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "x"}),
        )
        .await;
    assert_eq!(status, 401);
});

both_stores!(
    settings_govern_edits_and_deletes,
    envs = [
        ("OVERWRITE_SETTING_Message_AllowEditing", "false"),
        ("OVERWRITE_SETTING_Message_AllowDeleting", "false"),
        ("OVERWRITE_SETTING_Message_ShowDeletedStatus", "true"),
    ],
    |server| async move {
        let admin = server.admin().await;
        let (alice, _, _) = user(&server, &admin, "alice").await;
        let (rid, _) = channel(&admin, &[]).await;
        let mid = alice
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": rid, "text": "mine"}),
            )
            .await["message"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, body, _) = alice
            .post(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "changed"}),
            )
            .await;
        assert_eq!(
            (status, error_type(&body)),
            (400, "error-action-not-allowed"),
            "{body}"
        );
        let (status, body, _) = alice
            .post("/api/v1/chat.delete", json!({"roomId": rid, "msgId": mid}))
            .await;
        assert_eq!(
            (status, error_type(&body)),
            (400, "error-action-not-allowed"),
            "{body}"
        );
        // edit-message and force-delete-message still work.
        admin
            .post_ok(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "changed"}),
            )
            .await;
        admin
            .post_ok("/api/v1/chat.delete", json!({"roomId": rid, "msgId": mid}))
            .await;
        // With Message_ShowDeletedStatus the message stays as a `rm` tombstone.
        let tombstone = alice
            .get_ok("/api/v1/chat.getMessage", &[("msgId", &mid)])
            .await["message"]
            .clone();
        assert_eq!(tombstone["t"], json!("rm"), "{tombstone}");
        assert_eq!(tombstone["msg"], json!(""));
    }
);
