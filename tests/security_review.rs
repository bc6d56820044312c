//! Access-control and data-leak regressions found in a security review, against the real
//! binary: each test shows a hole (a logged-in user reading what they may not) and stays as
//! its regression test.

mod common;
use common::ddp::Ddp;
use common::*;

/// The usernames of a `users.autocomplete` answer (empty when it failed).
async fn autocomplete(client: &Client, conditions: Value) -> (u16, Vec<String>) {
    let selector = json!({"term": "", "conditions": conditions}).to_string();
    let (status, body, _) = client
        .get_query("/api/v1/users.autocomplete", &[("selector", &selector)])
        .await;
    let names = body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["username"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (status, names)
}

// `users.autocomplete` compiled its `conditions` against every user field, so anyone could
// filter on other users' e-mail addresses, roles or last login and learn them by probing
// (`users.list` already restricts callers without `view-full-other-user-info` to the
// public profile).
both_stores!(
    autocomplete_conditions_cannot_probe_private_fields,
    |server| async move {
        let admin = server.admin().await;
        let alice = unique("alice");
        let bob = server.create_user(&admin, &unique("bob")).await;
        server.create_user(&admin, &alice).await;

        for (right, wrong) in [
            (
                json!({"emails.address": format!("{alice}@example.com")}),
                json!({"emails.address": "nobody@example.com"}),
            ),
            (
                json!({"username": alice, "roles": "user"}),
                json!({"username": alice, "roles": "admin"}),
            ),
        ] {
            let (status_right, with_right) = autocomplete(&bob, right.clone()).await;
            let (status_wrong, with_wrong) = autocomplete(&bob, wrong.clone()).await;
            assert_eq!(
                (status_right, with_right.contains(&alice)),
                (status_wrong, with_wrong.contains(&alice)),
                "users.autocomplete tells {right} from {wrong}: a private field can be probed"
            );
        }
        // The public profile can still be queried.
        let (status, names) = autocomplete(&bob, json!({"username": alice})).await;
        assert_eq!(status, 200);
        assert_eq!(names, vec![alice.clone()]);
        // Administrators (view-full-other-user-info) may query private fields.
        let (status, names) = autocomplete(
            &admin,
            json!({"emails.address": format!("{alice}@example.com")}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(names, vec![alice]);
    }
);

// `chat.update` with the message's current text returned the stored message before any
// check, so a non-member holding a message id of a private group could read the message
// (and confirm its text).
both_stores!(
    chat_update_noop_does_not_leak_private_messages,
    |server| async move {
        let admin = server.admin().await;
        let dave = server.create_user(&admin, &unique("dave")).await;
        let group = admin
            .post_ok("/api/v1/groups.create", json!({"name": unique("g-")}))
            .await;
        let rid = group["group"]["_id"].as_str().unwrap().to_owned();
        let sent = admin
            .post_ok(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": rid, "msg": "top secret"}}),
            )
            .await;
        let mid = sent["message"]["_id"].as_str().unwrap().to_owned();

        let (status, body, _) = dave
            .post(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "top secret"}),
            )
            .await;
        assert!(
            status != 200 && body["message"].is_null(),
            "a non-member read a private message through chat.update: HTTP {status}: {body}"
        );
        // The author's own no-op edit still succeeds, as in Rocket.Chat.
        let same = admin
            .post_ok(
                "/api/v1/chat.update",
                json!({"roomId": rid, "msgId": mid, "text": "top secret"}),
            )
            .await;
        assert_eq!(same["message"]["msg"], "top secret");
    }
);

// A `stream-room-messages` subscription to a private group was authorised once, at
// subscribe time: a member removed from the group kept receiving its new messages live.
both_stores!(
    removed_member_stops_hearing_group_messages,
    |server| async move {
        let admin = server.admin().await;
        let carol_name = unique("carol");
        server.create_user(&admin, &carol_name).await;
        let group = admin
            .post_ok(
                "/api/v1/groups.create",
                json!({"name": unique("g-"), "members": [carol_name]}),
            )
            .await;
        let rid = group["group"]["_id"].as_str().unwrap().to_owned();
        let channel = admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": unique("c-"), "members": [carol_name]}),
            )
            .await;
        let cid = channel["channel"]["_id"].as_str().unwrap().to_owned();

        let mut carol = Ddp::connect(&server.url).await;
        carol
            .login(&carol_name, &format!("pass-{carol_name}"))
            .await;
        for room in [&rid, &cid] {
            carol
                .sub("stream-room-messages", json!([room, false]))
                .await
                .expect("a member may listen to the room");
        }
        // While a member, carol hears the group.
        admin
            .post_ok(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": rid, "msg": "before"}}),
            )
            .await;
        let heard = carol
            .wait_for(|f| {
                f["collection"] == "stream-room-messages"
                    && f["fields"]["args"][0]["msg"] == "before"
            })
            .await;
        assert_eq!(heard["fields"]["eventName"], rid.as_str());

        admin
            .post_ok(
                "/api/v1/groups.kick",
                json!({"roomId": rid, "username": carol_name}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": rid, "msg": "after the kick"}}),
            )
            .await;
        // A later message in a room carol still belongs to: events arrive in order, so if the
        // group's message were delivered it would come first.
        admin
            .post_ok(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": cid, "msg": "marker"}}),
            )
            .await;
        let next = carol
            .wait_for(|f| {
                f["collection"] == "stream-room-messages"
                    && (f["fields"]["args"][0]["msg"] == "after the kick"
                        || f["fields"]["args"][0]["msg"] == "marker")
            })
            .await;
        assert_eq!(
            next["fields"]["args"][0]["msg"], "marker",
            "a removed member still hears the private group: {next}"
        );
    }
);

both_stores!(
    a_channel_made_private_stops_reaching_non_members,
    |server| async move {
        let admin = server.admin().await;
        let dana = unique("dana");
        server.create_user(&admin, &dana).await;
        let channel = admin
            .post_ok("/api/v1/channels.create", json!({"name": unique("open-")}))
            .await;
        let cid = channel["channel"]["_id"].as_str().unwrap().to_owned();

        // Dana is not a member but may read the public channel, and listens to it.
        let mut watcher = Ddp::connect(&server.url).await;
        watcher.login(&dana, &format!("pass-{dana}")).await;
        watcher
            .sub("stream-room-messages", json!([cid, false]))
            .await
            .expect("anyone may listen to a public channel");
        admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": cid, "text": "public news"}),
            )
            .await;
        assert_eq!(
            watcher.event("stream-room-messages", &cid).await[0]["msg"],
            "public news"
        );

        // Once the channel is private, its messages no longer reach her.
        admin
            .post_ok(
                "/api/v1/channels.setType",
                json!({"roomId": cid, "type": "p"}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/groups.setTopic",
                json!({"roomId": cid, "topic": "quiet"}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": cid, "text": "private news"}),
            )
            .await;
        watcher
            .no_event(
                "stream-room-messages",
                &cid,
                std::time::Duration::from_millis(700),
            )
            .await;
    }
);
