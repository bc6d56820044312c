//! Acting on sent messages, over REST and DDP on both stores: reactions, stars, pins, threads
//! (counters, unread threads, following) and the lists of pinned, starred and mentioned
//! messages; refusals for outsiders and disabled features.

mod common;
use common::ddp::Ddp;
use common::*;

/// A fresh user (logged in) with a unique name: (client, id, username).
async fn user(server: &Server, admin: &Client, prefix: &str) -> (Client, String, String) {
    let name = unique(prefix);
    let client = server.create_user(admin, &name).await;
    let id = client.user_id.clone().expect("user id");
    (client, id, name)
}

async fn room(owner: &Client, kind: &str, members: &[&str]) -> String {
    let body = owner
        .post_ok(
            &format!("/api/v1/{kind}.create"),
            json!({"name": unique("room"), "members": members}),
        )
        .await;
    let key = if kind == "channels" {
        "channel"
    } else {
        "group"
    };
    body[key]["_id"].as_str().expect("room id").to_owned()
}

async fn send(client: &Client, rid: &str, text: &str) -> String {
    send_with(client, json!({"rid": rid, "msg": text})).await
}

async fn send_with(client: &Client, message: Value) -> String {
    let body = client
        .post_ok("/api/v1/chat.sendMessage", json!({"message": message}))
        .await;
    body["message"]["_id"]
        .as_str()
        .expect("message id")
        .to_owned()
}

async fn message(client: &Client, id: &str) -> Value {
    client
        .get_ok("/api/v1/chat.getMessage", &[("msgId", id)])
        .await["message"]
        .clone()
}

async fn subscription(client: &Client, rid: &str) -> Value {
    client
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", rid)])
        .await["subscription"]
        .clone()
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|m| m["_id"].as_str().unwrap().to_owned())
        .collect()
}

both_stores!(reactions_toggle_and_are_validated, |server| async move {
    let admin = server.admin().await;
    let (alice, _, alice_name) = user(&server, &admin, "alice").await;
    let (bob, _, bob_name) = user(&server, &admin, "bob").await;
    let (outsider, _, _) = user(&server, &admin, "out").await;
    let rid = room(&alice, "groups", &[&bob_name]).await;
    let mid = send(&alice, &rid, "react to me").await;

    let mut watcher = Ddp::connect(&server.url).await;
    watcher.login(&bob_name, &format!("pass-{bob_name}")).await;
    watcher
        .sub("stream-room-messages", json!([rid, false]))
        .await
        .unwrap();

    alice
        .post_ok(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": ":thumbsup:"}),
        )
        .await;
    let changed = watcher.event("stream-room-messages", &rid).await;
    assert_eq!(
        changed[0]["reactions"],
        json!({":thumbsup:": {"usernames": [alice_name]}})
    );
    // Without colons, as `reaction`; and by DDP `setReaction`.
    bob.post_ok(
        "/api/v1/chat.react",
        json!({"messageId": mid, "reaction": "thumbsup"}),
    )
    .await;
    watcher
        .call("setReaction", json!([":tada:", mid]))
        .await
        .unwrap();
    let stored = message(&alice, &mid).await;
    assert_eq!(
        stored["reactions"],
        json!({":thumbsup:": {"usernames": [alice_name, bob_name]}, ":tada:": {"usernames": [bob_name]}})
    );

    // Toggling off, and shouldReact making it idempotent.
    alice
        .post_ok(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": "thumbsup"}),
        )
        .await;
    bob.post_ok(
        "/api/v1/chat.react",
        json!({"messageId": mid, "emoji": "tada", "shouldReact": true}),
    )
    .await;
    for _ in 0..2 {
        bob.post_ok(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": "thumbsup", "shouldReact": false}),
        )
        .await;
    }
    let stored = message(&alice, &mid).await;
    assert_eq!(
        stored["reactions"],
        json!({":tada:": {"usernames": [bob_name]}})
    );

    // Unknown emoji, outsiders and unknown messages are refused and change nothing.
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": ":no_such_emoji_here:"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-not-allowed")),
        "{body}"
    );
    let (status, _, _) = outsider
        .post(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": "smile"}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body, _) = alice
        .post(
            "/api/v1/chat.react",
            json!({"messageId": "nope", "emoji": "smile"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-message"))
    );
    let (status, _, _) = alice
        .post("/api/v1/chat.react", json!({"messageId": mid}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        message(&alice, &mid).await["reactions"],
        json!({":tada:": {"usernames": [bob_name]}})
    );
    bob.post_ok(
        "/api/v1/chat.react",
        json!({"messageId": mid, "emoji": "tada"}),
    )
    .await;
    assert!(message(&alice, &mid).await.get("reactions").is_none());
});

both_stores!(stars_are_private_bookmarks, |server| async move {
    let admin = server.admin().await;
    let (alice, alice_id, _) = user(&server, &admin, "alice").await;
    let (bob, _, bob_name) = user(&server, &admin, "bob").await;
    let (outsider, _, _) = user(&server, &admin, "out").await;
    let rid = room(&alice, "groups", &[&bob_name]).await;
    let first = send(&alice, &rid, "first").await;
    let second = send(&bob, &rid, "second").await;

    alice
        .post_ok("/api/v1/chat.starMessage", json!({"messageId": first}))
        .await;
    alice
        .post_ok("/api/v1/chat.starMessage", json!({"messageId": second}))
        .await;
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(&bob_name, &format!("pass-{bob_name}")).await;
    ddp.call(
        "starMessage",
        json!([{"_id": second, "rid": rid, "starred": true}]),
    )
    .await
    .unwrap();
    alice
        .post_ok("/api/v1/chat.unStarMessage", json!({"messageId": first}))
        .await;

    let mine = alice
        .get_ok("/api/v1/chat.getStarredMessages", &[("roomId", &rid)])
        .await;
    assert_eq!(ids(&mine["messages"]), [second.as_str()]);
    assert_eq!(mine["total"], 1);
    let bobs = bob
        .get_ok("/api/v1/chat.getStarredMessages", &[("roomId", &rid)])
        .await;
    assert_eq!(ids(&bobs["messages"]), [second.as_str()]);
    let stored = message(&alice, &second).await;
    assert_eq!(stored["starred"].as_array().unwrap().len(), 2, "{stored}");
    assert!(
        stored["starred"]
            .as_array()
            .unwrap()
            .contains(&json!({"_id": alice_id}))
    );

    let (status, _, _) = outsider
        .post("/api/v1/chat.starMessage", json!({"messageId": first}))
        .await;
    assert_eq!(status, 400);
    let (status, body, _) = outsider
        .get_query("/api/v1/chat.getStarredMessages", &[("roomId", &rid)])
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-not-allowed"))
    );

    admin
        .post_ok(
            "/api/v1/settings/Message_AllowStarring",
            json!({"value": false}),
        )
        .await;
    let (status, body, _) = alice
        .post("/api/v1/chat.starMessage", json!({"messageId": first}))
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
});

both_stores!(
    pins_post_a_notice_and_need_permission,
    |server| async move {
        let admin = server.admin().await;
        let (alice, _, alice_name) = user(&server, &admin, "alice").await;
        let (bob, _, bob_name) = user(&server, &admin, "bob").await;
        let rid = room(&alice, "channels", &[&bob_name]).await;
        let mid = send_with(
            &bob,
            json!({"rid": rid, "msg": "pin me", "attachments": [{"title": "doc"}]}),
        )
        .await;

        // Bob is a plain member: pin-message belongs to owners, moderators and admins.
        let (status, body, _) = bob
            .post("/api/v1/chat.pinMessage", json!({"messageId": mid}))
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-action-not-allowed")),
            "{body}"
        );

        let notice = alice
            .post_ok("/api/v1/chat.pinMessage", json!({"messageId": mid}))
            .await["message"]
            .clone();
        assert_eq!(notice["t"], "message_pinned");
        assert_eq!(notice["u"]["username"], json!(alice_name));
        assert_eq!(notice["attachments"][0]["text"], "pin me");
        assert_eq!(notice["attachments"][0]["author_name"], json!(bob_name));
        assert_eq!(
            notice["attachments"][0]["attachments"],
            json!([{"title": "doc"}])
        );
        let pinned = message(&alice, &mid).await;
        assert_eq!(pinned["pinned"], true);
        assert!(
            pinned["pinnedAt"].is_string(),
            "REST dates are ISO: {pinned}"
        );
        assert_eq!(pinned["pinnedBy"]["username"], json!(alice_name));

        // Pinning again posts nothing new.
        alice
            .post_ok("/api/v1/chat.pinMessage", json!({"messageId": mid}))
            .await;
        let listed = bob
            .get_ok("/api/v1/chat.getPinnedMessages", &[("roomId", &rid)])
            .await;
        assert_eq!(ids(&listed["messages"]), [mid.as_str()]);
        let history = history(&alice, "channels", &rid).await;
        assert_eq!(
            history
                .iter()
                .filter(|(t, _)| t == "message_pinned")
                .count(),
            1,
            "{history:?}"
        );

        // Over DDP, with the date as EJSON.
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login(&alice_name, &format!("pass-{alice_name}")).await;
        ddp.call("unpinMessage", json!([{"_id": mid, "rid": rid}]))
            .await
            .unwrap();
        assert_eq!(message(&alice, &mid).await["pinned"], false);
        let notice = ddp
            .call("pinMessage", json!([{"_id": mid, "rid": rid}]))
            .await
            .unwrap();
        assert!(notice["ts"]["$date"].is_i64(), "{notice}");

        admin
            .post_ok(
                "/api/v1/settings/Message_AllowPinning",
                json!({"value": false}),
            )
            .await;
        let (status, body, _) = alice
            .post("/api/v1/chat.unPinMessage", json!({"messageId": mid}))
            .await;
        assert_eq!(
            (
                status,
                body["error"].as_str().map(|e| e.contains("pinning"))
            ),
            (400, Some(true)),
            "{body}"
        );
    }
);

both_stores!(
    threads_count_replies_and_track_unread,
    |server| async move {
        let admin = server.admin().await;
        let (alice, alice_id, _) = user(&server, &admin, "alice").await;
        let (bob, bob_id, bob_name) = user(&server, &admin, "bob").await;
        let (carol, carol_id, carol_name) = user(&server, &admin, "carol").await;
        let rid = room(&alice, "channels", &[&bob_name, &carol_name]).await;
        let root = send(&alice, &rid, "a thread starts").await;
        let other = send(&alice, &rid, "no thread here").await;
        alice
            .post_ok("/api/v1/subscriptions.read", json!({"rid": rid}))
            .await;
        carol
            .post_ok("/api/v1/subscriptions.read", json!({"rid": rid}))
            .await;

        let reply = send_with(
            &bob,
            json!({"rid": rid, "msg": "first reply", "tmid": root}),
        )
        .await;
        let parent = message(&alice, &root).await;
        assert_eq!(parent["tcount"], 1);
        assert!(parent["tlm"].is_string(), "{parent}");
        let followers: Vec<&str> = parent["replies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(followers, [alice_id.as_str(), bob_id.as_str()]);
        // A reply only in the thread makes the thread unread for its followers, not the room.
        let alice_sub = subscription(&alice, &rid).await;
        assert_eq!(alice_sub["unread"], 0, "{alice_sub}");
        assert_eq!(alice_sub["tunread"], json!([root]));
        let carol_sub = subscription(&carol, &rid).await;
        assert!(
            carol_sub.get("tunread").is_none() || carol_sub["tunread"] == json!([]),
            "{carol_sub}"
        );

        // A mention in a reply makes the mentioned member follow, with tunreadUser.
        send_with(
            &bob,
            json!({"rid": rid, "msg": format!("@{carol_name} look"), "tmid": reply}),
        )
        .await;
        let parent = message(&alice, &root).await;
        assert_eq!(parent["tcount"], 2);
        assert!(
            parent["replies"]
                .as_array()
                .unwrap()
                .contains(&json!(carol_id))
        );
        let carol_sub = subscription(&carol, &rid).await;
        assert_eq!(carol_sub["tunread"], json!([root]));
        assert_eq!(carol_sub["tunreadUser"], json!([root]));

        // Listing threads and replies.
        let all = carol
            .get_ok("/api/v1/chat.getThreadsList", &[("rid", &rid)])
            .await;
        assert_eq!(ids(&all["threads"]), [root.as_str()]);
        assert_eq!(all["total"], 1);
        for (text, found) in [("STARTS", 1), ("100%_sure", 0), ("nothing like it", 0)] {
            let listed = carol
                .get_ok(
                    "/api/v1/chat.getThreadsList",
                    &[("rid", &rid), ("text", text)],
                )
                .await;
            assert_eq!(listed["total"], found, "{text}: {listed}");
        }
        let unread = carol
            .get_ok(
                "/api/v1/chat.getThreadsList",
                &[("rid", &rid), ("type", "unread")],
            )
            .await;
        assert_eq!(ids(&unread["threads"]), [root.as_str()]);
        let replies = carol
            .get_ok("/api/v1/chat.getThreadMessages", &[("tmid", &root)])
            .await;
        assert_eq!(replies["total"], 2);
        assert_eq!(replies["messages"][0]["msg"], "first reply");
        let (status, _, _) = carol
            .get_query(
                "/api/v1/chat.getThreadsList",
                &[("rid", &rid), ("type", "sideways")],
            )
            .await;
        assert_eq!(status, 400);

        // Opening the thread over DDP reads it.
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login(&carol_name, &format!("pass-{carol_name}")).await;
        let listed = ddp
            .call("getThreadMessages", json!([{"tmid": root}]))
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 2);
        let carol_sub = subscription(&carol, &rid).await;
        assert_eq!(carol_sub["tunread"], json!([]));
        assert_eq!(carol_sub["tunreadUser"], json!([]));

        // Following and unfollowing.
        carol
            .post_ok("/api/v1/chat.unfollowMessage", json!({"mid": reply}))
            .await;
        let following = carol
            .get_ok(
                "/api/v1/chat.getThreadsList",
                &[("rid", &rid), ("type", "following")],
            )
            .await;
        assert_eq!(following["total"], 0);
        ddp.call("followMessage", json!([{"mid": root}]))
            .await
            .unwrap();
        let following = carol
            .get_ok(
                "/api/v1/chat.getThreadsList",
                &[("rid", &rid), ("type", "following")],
            )
            .await;
        assert_eq!(ids(&following["threads"]), [root.as_str()]);
        let (status, _, _) = carol
            .post("/api/v1/chat.followMessage", json!({"mid": "missing"}))
            .await;
        assert_eq!(status, 400);

        // A reply shown in the room counts as a room message too.
        send_with(
            &bob,
            json!({"rid": rid, "msg": "also in the room", "tmid": root, "tshow": true}),
        )
        .await;
        assert_eq!(subscription(&alice, &rid).await["unread"], 1);
        assert_eq!(message(&alice, &other).await.get("tcount"), None);

        // Reading the room with readThreads clears the rest.
        send_with(&bob, json!({"rid": rid, "msg": "more", "tmid": root})).await;
        assert_eq!(subscription(&alice, &rid).await["tunread"], json!([root]));
        alice
            .post_ok(
                "/api/v1/subscriptions.read",
                json!({"rid": rid, "readThreads": true}),
            )
            .await;
        assert_eq!(subscription(&alice, &rid).await["tunread"], json!([]));

        // Threads can be switched off.
        admin
            .post_ok("/api/v1/settings/Threads_enabled", json!({"value": false}))
            .await;
        let (status, body, _) = carol
            .get_query("/api/v1/chat.getThreadsList", &[("rid", &rid)])
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-not-allowed"))
        );
    }
);

both_stores!(
    mentioned_messages_are_listed_per_user,
    |server| async move {
        let admin = server.admin().await;
        let (alice, _, _) = user(&server, &admin, "alice").await;
        let (bob, _, bob_name) = user(&server, &admin, "bob").await;
        let rid = room(&alice, "channels", &[&bob_name]).await;
        let mention = send(&alice, &rid, &format!("hi @{bob_name}")).await;
        send(&alice, &rid, "no mention").await;
        let listed = bob
            .get_ok("/api/v1/chat.getMentionedMessages", &[("roomId", &rid)])
            .await;
        assert_eq!(ids(&listed["messages"]), [mention.as_str()]);
        let listed = alice
            .get_ok("/api/v1/chat.getMentionedMessages", &[("roomId", &rid)])
            .await;
        assert_eq!(listed["total"], 0);
    }
);

both_stores!(
    edits_keep_reactions_and_optional_history,
    |server| async move {
        let admin = server.admin().await;
        let (alice, alice_id, _) = user(&server, &admin, "alice").await;
        let rid = room(&alice, "channels", &[]).await;
        let mid = send(&alice, &rid, "first draft").await;
        alice
            .post_ok(
                "/api/v1/chat.react",
                json!({"messageId": mid, "emoji": "eyes"}),
            )
            .await;
        alice
            .post_ok(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "second draft"}),
            )
            .await;
        let edited = message(&alice, &mid).await;
        assert_eq!(edited["msg"], "second draft");
        assert_eq!(
            edited["reactions"],
            json!({":eyes:": {"usernames": [edited["u"]["username"]]}})
        );
        let store = open_store(&server).await;
        assert!(store.message_versions(&mid).await.unwrap().is_empty());

        admin
            .post_ok(
                "/api/v1/settings/Message_KeepHistory",
                json!({"value": true}),
            )
            .await;
        alice
            .post_ok(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "final"}),
            )
            .await;
        alice
            .post_ok("/api/v1/chat.delete", json!({"roomId": rid, "msgId": mid}))
            .await;
        let versions = store.message_versions(&mid).await.unwrap();
        let texts: Vec<&str> = versions.iter().map(|(_, _, m)| m.msg.as_str()).collect();
        assert_eq!(texts, ["second draft", "final"]);
        assert!(versions.iter().all(|(by, _, _)| by == &alice_id));

        // Deleting a thread reply uncounts it from the parent.
        let root = send(&alice, &rid, "root").await;
        let reply = send_with(&alice, json!({"rid": rid, "msg": "reply", "tmid": root})).await;
        assert_eq!(message(&alice, &root).await["tcount"], 1);
        alice
            .post_ok(
                "/api/v1/chat.delete",
                json!({"roomId": rid, "msgId": reply}),
            )
            .await;
        assert_eq!(message(&alice, &root).await["tcount"], 0);
    }
);

both_stores!(
    mentioning_an_outsider_tells_only_the_sender,
    |server| async move {
        let admin = server.admin().await;
        let (alice, alice_id, alice_name) = user(&server, &admin, "alice").await;
        let (_carol, _, carol_name) = user(&server, &admin, "carol").await;
        let rid = room(&alice, "groups", &[]).await;
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login(&alice_name, &format!("pass-{alice_name}")).await;
        ddp.sub(
            "stream-notify-user",
            json!([format!("{alice_id}/message"), false]),
        )
        .await
        .unwrap();
        let mid = send(
            &alice,
            &rid,
            &format!("hey @{carol_name}, and @nobody_at_all"),
        )
        .await;
        let notice = ddp
            .event("stream-notify-user", &format!("{alice_id}/message"))
            .await;
        assert_eq!(notice[0]["rid"], json!(rid));
        assert_eq!(
            notice[0]["msg"],
            json!(format!("The user @{carol_name} is not in this room."))
        );
        assert_eq!(notice[0]["private"], true);
        ddp.no_event(
            "stream-notify-user",
            &format!("{alice_id}/message"),
            std::time::Duration::from_millis(300),
        )
        .await;
        // The mention is still recorded on the message.
        let stored = message(&alice, &mid).await;
        assert_eq!(stored["mentions"][0]["username"], json!(carol_name));
    }
);

both_stores!(
    a_reply_announces_its_thread_root_with_the_new_counters,
    |server| async move {
        let admin = server.admin().await;
        let (alice, _, alice_name) = user(&server, &admin, "alice").await;
        let (bob, _, bob_name) = user(&server, &admin, "bob").await;
        let rid = room(&alice, "channels", &[&bob_name]).await;
        let root = send(&alice, &rid, "a thread starts").await;

        // Alice's open client learns of the reply's effect on the root without asking.
        let mut watcher = Ddp::connect(&server.url).await;
        watcher
            .login(&alice_name, &format!("pass-{alice_name}"))
            .await;
        watcher
            .sub("stream-room-messages", json!([rid, false]))
            .await
            .unwrap();
        let reply = send_with(&bob, json!({"rid": rid, "msg": "a reply", "tmid": root})).await;

        let mut saw_reply = false;
        let mut announced_root = None;
        for _ in 0..2 {
            let args = watcher.event("stream-room-messages", &rid).await;
            let message = &args[0];
            if message["_id"] == reply.as_str() {
                saw_reply = true;
            } else if message["_id"] == root.as_str() {
                announced_root = Some(message.clone());
            }
        }
        assert!(saw_reply, "the reply itself is streamed");
        let announced = announced_root.expect("the thread root is streamed again");
        assert_eq!(announced["tcount"], 1, "{announced}");
        assert!(
            announced["tlm"].is_object(),
            "tlm as an EJSON date: {announced}"
        );
        assert_eq!(announced["msg"], "a thread starts");
    }
);
