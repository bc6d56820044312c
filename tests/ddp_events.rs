//! Realtime events of what the services change, as API.md b.3 lists them, against the real
//! binary: a member's `rooms-changed` / `subscriptions-changed` on join, leave, invite, kick,
//! archive, rename, read, favourite, hide / open, role changes and deletion, `messagesRead`,
//! `roles-change`, `userData` and `Users:NameChanged` / `Users:Deleted`, and `force_logout`
//! (with the session dropping its login) when tokens are revoked.

mod common;
use common::ddp::Ddp;
use common::*;
use std::time::Duration;

async fn ddp_as(url: &str, user: &str) -> Ddp {
    let mut ddp = Ddp::connect(url).await;
    ddp.login(user, &format!("pass-{user}")).await;
    ddp
}

async fn sub(ddp: &mut Ddp, stream: &str, event: &str) {
    ddp.sub(stream, json!([event, {"useCollection": false, "args": []}]))
        .await
        .unwrap_or_else(|e| panic!("subscribing to {stream} {event}: {e}"));
}

/// Waits for `<uid>/<event>` on stream-notify-user with `action` (`inserted`, `updated`,
/// `removed`) whose document satisfies `pred`; returns the document.
async fn user_event(
    ddp: &mut Ddp,
    uid: &str,
    event: &str,
    action: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    let name = format!("{uid}/{event}");
    let frame = ddp
        .wait_for(|f| {
            f["msg"] == "changed"
                && f["collection"] == "stream-notify-user"
                && f["fields"]["eventName"] == name.as_str()
                && f["fields"]["args"][0] == action
                && pred(&f["fields"]["args"][1])
        })
        .await;
    frame["fields"]["args"][1].clone()
}

fn uid_of(client: &Client) -> String {
    client.user_id.clone().expect("a logged-in client")
}

fn sha256_hex(text: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(text.as_bytes()))
}

both_stores!(membership_events_reach_the_member, |server| async move {
    let admin = server.admin().await;
    let ann_name = unique("ann");
    let ann = server.create_user(&admin, &ann_name).await;
    let ann_id = uid_of(&ann);
    let mut ddp = ddp_as(&server.url, &ann_name).await;
    sub(
        &mut ddp,
        "stream-notify-user",
        &format!("{ann_id}/rooms-changed"),
    )
    .await;
    sub(
        &mut ddp,
        "stream-notify-user",
        &format!("{ann_id}/subscriptions-changed"),
    )
    .await;
    sub(&mut ddp, "stream-notify-logged", "roles-change").await;

    let name = unique("events");
    let body = admin
        .post_ok("/api/v1/channels.create", json!({"name": name}))
        .await;
    let rid = body["channel"]["_id"].as_str().unwrap().to_owned();
    let is_room = |doc: &Value| doc["_id"] == rid.as_str();
    let in_room = |doc: &Value| doc["rid"] == rid.as_str();

    // Join.
    ann.post_ok("/api/v1/channels.join", json!({"roomId": rid}))
        .await;
    let joined = user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "inserted",
        in_room,
    )
    .await;
    assert_eq!(joined["u"]["_id"], json!(ann_id));
    assert_eq!(joined["name"], json!(name));
    let room = user_event(&mut ddp, &ann_id, "rooms-changed", "inserted", is_room).await;
    assert_eq!(room["t"], "c");

    // Favourite, hide and open.
    ann.post_ok(
        "/api/v1/rooms.favorite",
        json!({"roomId": rid, "favorite": true}),
    )
    .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["f"] == true
    })
    .await;
    ann.post_ok("/api/v1/rooms.hide", json!({"roomId": rid}))
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["open"] == false
    })
    .await;
    ann.post_ok("/api/v1/rooms.open", json!({"roomId": rid}))
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["open"] == true
    })
    .await;

    // A message makes it unread; reading is announced to her and to the room.
    let mut admin_ddp = ddp_as_admin(&server.url).await;
    sub(
        &mut admin_ddp,
        "stream-notify-room",
        &format!("{rid}/messagesRead"),
    )
    .await;
    admin
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "hello"}),
        )
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["unread"] == 1
    })
    .await;
    ann.post_ok("/api/v1/subscriptions.read", json!({"rid": rid}))
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["unread"] == 0
    })
    .await;
    let read = admin_ddp
        .event("stream-notify-room", &format!("{rid}/messagesRead"))
        .await;
    assert!(read[0]["until"]["$date"].is_number(), "{read}");

    // Rename and archive reach the room and the membership.
    let renamed = unique("renamed");
    admin
        .post_ok(
            "/api/v1/channels.rename",
            json!({"roomId": rid, "name": renamed}),
        )
        .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "updated", |d| {
        is_room(d) && d["name"] == renamed.as_str()
    })
    .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["name"] == renamed.as_str()
    })
    .await;
    admin
        .post_ok("/api/v1/channels.archive", json!({"roomId": rid}))
        .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "updated", |d| {
        is_room(d) && d["archived"] == true
    })
    .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["archived"] == true
    })
    .await;
    admin
        .post_ok("/api/v1/channels.unarchive", json!({"roomId": rid}))
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d) && d["archived"] != true
    })
    .await;
    // Settings.
    admin
        .post_ok(
            "/api/v1/channels.setTopic",
            json!({"roomId": rid, "topic": "news"}),
        )
        .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "updated", |d| {
        is_room(d) && d["topic"] == "news"
    })
    .await;

    // Room roles.
    admin
        .post_ok(
            "/api/v1/channels.addModerator",
            json!({"roomId": rid, "userId": ann_id}),
        )
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "updated", |d| {
        in_room(d)
            && d["roles"]
                .as_array()
                .is_some_and(|r| r.contains(&json!("moderator")))
    })
    .await;
    let change = ddp.event("stream-notify-logged", "roles-change").await;
    assert_eq!(
        change,
        json!([{"type": "added", "_id": "moderator", "u": {"_id": ann_id, "username": ann_name, "name": format!("User {ann_name}")}, "scope": rid}])
    );
    admin
        .post_ok(
            "/api/v1/channels.removeModerator",
            json!({"roomId": rid, "userId": ann_id}),
        )
        .await;
    let change = ddp.event("stream-notify-logged", "roles-change").await;
    assert_eq!(change[0]["type"], "removed", "{change}");

    // Leave, invite, kick.
    ann.post_ok("/api/v1/channels.leave", json!({"roomId": rid}))
        .await;
    let left = user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "removed",
        in_room,
    )
    .await;
    assert!(left["_id"].is_string(), "{left}");
    user_event(&mut ddp, &ann_id, "rooms-changed", "removed", is_room).await;
    admin
        .post_ok(
            "/api/v1/channels.invite",
            json!({"roomId": rid, "userId": ann_id}),
        )
        .await;
    user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "inserted",
        in_room,
    )
    .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "inserted", is_room).await;
    admin
        .post_ok(
            "/api/v1/channels.kick",
            json!({"roomId": rid, "userId": ann_id}),
        )
        .await;
    user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "removed",
        in_room,
    )
    .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "removed", is_room).await;

    // A room created with her in it, then deleted.
    let body = admin
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": unique("grp"), "members": [ann_name]}),
        )
        .await;
    let gid = body["group"]["_id"].as_str().unwrap().to_owned();
    user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "inserted",
        |d| d["rid"] == gid.as_str() && d["t"] == "p",
    )
    .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "inserted", |d| {
        d["_id"] == gid.as_str()
    })
    .await;
    admin
        .post_ok("/api/v1/groups.delete", json!({"roomId": gid}))
        .await;
    user_event(&mut ddp, &ann_id, "subscriptions-changed", "removed", |d| {
        d["rid"] == gid.as_str()
    })
    .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "removed", |d| {
        d["_id"] == gid.as_str()
    })
    .await;

    // A direct message someone opens with her.
    let body = admin
        .post_ok("/api/v1/im.create", json!({"username": ann_name}))
        .await;
    let dm = body["room"]["_id"].as_str().unwrap().to_owned();
    user_event(
        &mut ddp,
        &ann_id,
        "subscriptions-changed",
        "inserted",
        |d| d["rid"] == dm.as_str() && d["t"] == "d",
    )
    .await;
    user_event(&mut ddp, &ann_id, "rooms-changed", "inserted", |d| {
        d["_id"] == dm.as_str()
    })
    .await;
});

async fn ddp_as_admin(url: &str) -> Ddp {
    let mut ddp = Ddp::connect(url).await;
    ddp.login(TEST_ADMIN, TEST_ADMIN).await;
    ddp
}

/// Waits until the session has dropped its login: a method that needs one fails.
async fn logged_out(ddp: &mut Ddp) {
    let err = ddp
        .call("UserPresence:online", json!([]))
        .await
        .expect_err("the session is no longer logged in");
    assert_eq!(err["error"], "error-invalid-user", "{err}");
}

both_stores!(deactivation_forces_a_logout, |server| async move {
    let admin = server.admin().await;
    let ann_name = unique("ann");
    let ann = server.create_user(&admin, &ann_name).await;
    let ann_id = uid_of(&ann);
    let bob_name = unique("bob");
    server.create_user(&admin, &bob_name).await;
    let mut watcher = ddp_as(&server.url, &bob_name).await;
    sub(&mut watcher, "stream-notify-logged", "user-status").await;

    let mut ddp = ddp_as(&server.url, &ann_name).await;
    sub(
        &mut ddp,
        "stream-notify-user",
        &format!("{ann_id}/force_logout"),
    )
    .await;
    sub(&mut ddp, "stream-notify-logged", "user-status").await;
    // Online first.
    watcher
        .wait_for(|f| {
            f["fields"]["eventName"] == "user-status"
                && f["fields"]["args"][0][0] == ann_id.as_str()
                && f["fields"]["args"][0][2] == 1
        })
        .await;

    admin
        .post_ok(
            "/api/v1/users.setActiveStatus",
            json!({"userId": ann_id, "activeStatus": false}),
        )
        .await;
    let args = ddp
        .event("stream-notify-user", &format!("{ann_id}/force_logout"))
        .await;
    assert_eq!(args, json!([]));
    // Her user streams end, the login is gone, and she is offline.
    ddp.wait_for(|f| f["msg"] == "nosub").await;
    ddp.wait_for(|f| f["msg"] == "nosub").await;
    logged_out(&mut ddp).await;
    watcher
        .wait_for(|f| {
            f["fields"]["eventName"] == "user-status"
                && f["fields"]["args"][0][0] == ann_id.as_str()
                && f["fields"]["args"][0][2] == 0
        })
        .await;
    // The open socket no longer hears what logged-in users hear (what it heard before the
    // logout may still sit in the client's buffer).
    ddp.discard_pending();
    admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("after"), "members": [bob_name]}),
        )
        .await;
    ddp.no_event(
        "stream-notify-logged",
        "user-status",
        Duration::from_millis(300),
    )
    .await;
    // Resuming with her old token fails.
    let token = ann.token.clone().unwrap();
    let err = ddp
        .call("login", json!([{"resume": token}]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], 403, "{err}");
});

both_stores!(
    revoked_tokens_end_exactly_their_sessions,
    |server| async move {
        let admin = server.admin().await;
        let ann_name = unique("ann");
        let ann = server.create_user(&admin, &ann_name).await;
        let ann_id = uid_of(&ann);
        // One session resumes the REST token, another has its own token.
        let mut same_token = Ddp::connect(&server.url).await;
        same_token
            .call("login", json!([{"resume": ann.token.clone().unwrap()}]))
            .await
            .expect("resume");
        sub(
            &mut same_token,
            "stream-notify-user",
            &format!("{ann_id}/force_logout"),
        )
        .await;
        let mut own_token = ddp_as(&server.url, &ann_name).await;
        sub(
            &mut own_token,
            "stream-notify-user",
            &format!("{ann_id}/force_logout"),
        )
        .await;

        // A password change logs the other sessions out, not the one that changed it.
        ann.post_ok(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {
                "currentPassword": sha256_hex(&format!("pass-{ann_name}")),
                "newPassword": "a-new-Passw0rd!"
            }}),
        )
        .await;
        own_token
            .event("stream-notify-user", &format!("{ann_id}/force_logout"))
            .await;
        logged_out(&mut own_token).await;
        let still = same_token.call("UserPresence:online", json!([])).await;
        assert!(
            still.is_ok(),
            "the session with the kept token stays: {still:?}"
        );
        same_token
            .no_event(
                "stream-notify-user",
                &format!("{ann_id}/force_logout"),
                Duration::from_millis(300),
            )
            .await;

        // users.logout ends everything.
        admin
            .post_ok("/api/v1/users.logout", json!({"userId": ann_id}))
            .await;
        let args = same_token
            .event("stream-notify-user", &format!("{ann_id}/force_logout"))
            .await;
        assert_eq!(args, json!([]));
        logged_out(&mut same_token).await;
    }
);

both_stores!(profile_changes_are_announced, |server| async move {
    let admin = server.admin().await;
    let ann_name = unique("ann");
    let ann = server.create_user(&admin, &ann_name).await;
    let ann_id = uid_of(&ann);
    let bob_name = unique("bob");
    server.create_user(&admin, &bob_name).await;
    let carl_name = unique("carl");
    let carl = server.create_user(&admin, &carl_name).await;
    let carl_id = uid_of(&carl);

    let mut ann_ddp = ddp_as(&server.url, &ann_name).await;
    sub(
        &mut ann_ddp,
        "stream-notify-user",
        &format!("{ann_id}/userData"),
    )
    .await;
    let mut bob = ddp_as(&server.url, &bob_name).await;
    sub(&mut bob, "stream-notify-logged", "Users:NameChanged").await;
    sub(&mut bob, "stream-notify-logged", "Users:Deleted").await;

    ann.post_ok(
        "/api/v1/users.updateOwnBasicInfo",
        json!({"data": {"name": "Ann Other"}}),
    )
    .await;
    let data = ann_ddp
        .event("stream-notify-user", &format!("{ann_id}/userData"))
        .await;
    assert_eq!(data[0]["type"], "updated", "{data}");
    assert_eq!(data[0]["id"], json!(ann_id));
    assert_eq!(data[0]["diff"]["name"], "Ann Other", "{data}");
    assert!(data[0]["diff"].get("username").is_none(), "{data}");
    let renamed = bob.event("stream-notify-logged", "Users:NameChanged").await;
    assert_eq!(
        renamed,
        json!([{"_id": ann_id, "name": "Ann Other", "username": ann_name}])
    );

    admin
        .post_ok("/api/v1/users.delete", json!({"userId": carl_id}))
        .await;
    let deleted = bob.event("stream-notify-logged", "Users:Deleted").await;
    assert_eq!(deleted[0]["userId"], json!(carl_id), "{deleted}");
});

both_stores!(
    a_message_reaches_every_listening_members_room_and_membership,
    |server| async move {
        let admin = server.admin().await;
        let (ann_name, bob_name, cy_name) = (unique("ann"), unique("bob"), unique("cy"));
        let ann = server.create_user(&admin, &ann_name).await;
        let bob = server.create_user(&admin, &bob_name).await;
        let cy = server.create_user(&admin, &cy_name).await;
        let (ann_id, bob_id) = (uid_of(&ann), uid_of(&bob));
        let name = unique("fan");
        let body = admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": name, "members": [ann_name, bob_name, cy_name]}),
            )
            .await;
        let rid = body["channel"]["_id"].as_str().unwrap().to_owned();
        // Ann and Bob listen to their rooms and memberships; Cy is a member who does not.
        let mut listeners = Vec::new();
        for (user, id) in [(&ann_name, &ann_id), (&bob_name, &bob_id)] {
            let mut ddp = ddp_as(&server.url, user).await;
            for event in ["rooms-changed", "subscriptions-changed"] {
                sub(&mut ddp, "stream-notify-user", &format!("{id}/{event}")).await;
            }
            listeners.push((ddp, id.clone()));
        }
        cy.post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "fan-out check"}),
        )
        .await;
        for (ddp, id) in &mut listeners {
            let room = user_event(ddp, id, "rooms-changed", "updated", |d| {
                d["_id"] == rid.as_str() && d["lastMessage"]["msg"] == "fan-out check"
            })
            .await;
            assert_eq!(room["t"], "c", "{room}");
            let sub = user_event(ddp, id, "subscriptions-changed", "updated", |d| {
                d["rid"] == rid.as_str() && d["unread"] == 1
            })
            .await;
            assert_eq!(
                sub["u"]["_id"],
                json!(id),
                "each member gets their own membership"
            );
            assert_eq!(sub["alert"], true, "{sub}");
        }
        // The sender's own membership is not announced as unread.
        let mut cy_ddp = ddp_as(&server.url, &cy_name).await;
        let cy_id = uid_of(&cy);
        sub(
            &mut cy_ddp,
            "stream-notify-user",
            &format!("{cy_id}/subscriptions-changed"),
        )
        .await;
        cy.post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "second"}),
        )
        .await;
        user_event(
            &mut listeners[0].0,
            &ann_id,
            "subscriptions-changed",
            "updated",
            |d| d["rid"] == rid.as_str() && d["unread"] == 2,
        )
        .await;
        let quiet = tokio::time::timeout(
            Duration::from_millis(300),
            cy_ddp.wait_for(|f| {
                f["fields"]["eventName"] == format!("{cy_id}/subscriptions-changed").as_str()
            }),
        )
        .await;
        assert!(
            quiet.is_err(),
            "the sender hears nothing of their own membership"
        );
    }
);
