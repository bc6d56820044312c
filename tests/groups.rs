//! `groups.*` against the real binary, on SQLite and PostgreSQL: the private-room mirror of
//! `channels.*`, where everything a non-member asks about is "not found".

mod common;
use common::*;

const NOT_FOUND: &str =
    "The required \"roomId\" or \"roomName\" param provided does not match any group";

fn group_names(body: &Value) -> Vec<String> {
    body["groups"]
        .as_array()
        .expect("groups array")
        .iter()
        .filter_map(|g| g["name"].as_str().map(str::to_owned))
        .collect()
}

both_stores!(private_groups_hide_from_non_members, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let bob_name = unique("bob");
    let carol_name = unique("carol");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob = server.create_user(&admin, &bob_name).await;
    let carol = server.create_user(&admin, &carol_name).await;
    let name = unique("secret-");

    let created = alice
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": name, "members": [bob_name, TEST_ADMIN]}),
        )
        .await;
    let group = &created["group"];
    let rid = group["_id"].as_str().unwrap().to_owned();
    assert_eq!(group["t"], json!("p"));
    assert_eq!(group["name"], json!(name));
    assert_eq!(group["usersCount"], json!(3));
    assert_eq!(group["u"]["username"], json!(alice_name));
    assert!(created.get("channel").is_none());

    assert_failure(
        alice.post("/api/v1/groups.create", json!({})).await,
        400,
        "Body param \"name\" is required",
        None,
    );
    assert_meteor(
        alice
            .post("/api/v1/groups.create", json!({"name": "general"}))
            .await,
        "error-duplicate-channel-name",
        "A channel with name 'general' exists",
    );

    // A non-member learns nothing, whatever the route.
    for (path, query) in [
        ("/api/v1/groups.info", vec![("roomId", rid.as_str())]),
        ("/api/v1/groups.info", vec![("roomName", name.as_str())]),
        ("/api/v1/groups.history", vec![("roomId", rid.as_str())]),
        ("/api/v1/groups.messages", vec![("roomId", rid.as_str())]),
        ("/api/v1/groups.members", vec![("roomId", rid.as_str())]),
        ("/api/v1/groups.roles", vec![("roomId", rid.as_str())]),
        ("/api/v1/groups.counters", vec![("roomId", rid.as_str())]),
    ] {
        assert_meteor(
            carol.get_query(path, &query).await,
            "error-room-not-found",
            NOT_FOUND,
        );
    }
    for route in ["leave", "close", "setTopic", "archive", "delete", "rename"] {
        let (status, body, _) = carol
            .post(
                &format!("/api/v1/groups.{route}"),
                json!({"roomId": rid, "topic": "x", "name": "x"}),
            )
            .await;
        assert_eq!(status, 400, "{route}: {body}");
        assert_eq!(
            body["errorType"],
            json!("error-room-not-found"),
            "{route}: {body}"
        );
    }
    assert_meteor(
        carol
            .get_query("/api/v1/channels.info", &[("roomId", rid.as_str())])
            .await,
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    );

    // Lists: groups.list is the caller's groups; groups.listAll needs view-room-administration.
    let bobs = bob.get_ok("/api/v1/groups.list", &[]).await;
    assert!(group_names(&bobs).contains(&name), "{bobs}");
    let carols = carol.get_ok("/api/v1/groups.list", &[]).await;
    assert_eq!(carols["groups"], json!([]));
    assert_eq!(carols["total"], json!(0));
    let (status, body, _) = bob.get("/api/v1/groups.listAll").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, json!({"success": false, "error": FORBIDDEN}));
    let everything = admin
        .get_ok(
            "/api/v1/groups.listAll",
            &[("query", &json!({"name": name}).to_string())],
        )
        .await;
    assert_eq!(everything["total"], json!(1));
    let channels = alice.get_ok("/api/v1/channels.list", &[]).await;
    assert!(
        !channels["channels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["_id"] == json!(rid)),
        "a private group in channels.list: {channels}"
    );

    // Invitations: members with add-user-to-joined-room (owners, moderators) only.
    assert_meteor(
        bob.post(
            "/api/v1/groups.invite",
            json!({"roomId": rid, "username": carol_name}),
        )
        .await,
        "error-not-allowed",
        "Not allowed",
    );
    assert_meteor(
        carol
            .post(
                "/api/v1/groups.invite",
                json!({"roomId": rid, "userId": carol.user_id}),
            )
            .await,
        "error-room-not-found",
        NOT_FOUND,
    );
    assert_meteor(
        alice
            .post(
                "/api/v1/groups.invite",
                json!({"roomId": rid, "usernames": ["ghost-1", "ghost-2"]}),
            )
            .await,
        "error-empty-invite-list",
        "Cannot invite if no valid users are provided",
    );
    let invited = alice
        .post_ok(
            "/api/v1/groups.invite",
            json!({"roomName": name, "usernames": [carol_name]}),
        )
        .await;
    assert_eq!(invited["group"]["usersCount"], json!(4));
    let info = carol
        .get_ok("/api/v1/groups.info", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(info["group"]["_id"], json!(rid));

    // Kicks: refused for plain members; groups.kick and groups.leave answer {}.
    let (status, body, _) = bob
        .post(
            "/api/v1/groups.kick",
            json!({"roomId": rid, "userId": carol.user_id}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], json!("error-not-allowed"));
    let kicked = alice
        .post_ok(
            "/api/v1/groups.kick",
            json!({"roomId": rid, "username": carol_name}),
        )
        .await;
    assert_eq!(kicked, json!({"success": true}));
    assert_meteor(
        carol
            .get_query("/api/v1/groups.info", &[("roomId", rid.as_str())])
            .await,
        "error-room-not-found",
        NOT_FOUND,
    );
    let left = bob
        .post_ok("/api/v1/groups.leave", json!({"roomId": rid}))
        .await;
    assert_eq!(left, json!({"success": true}));
    assert_meteor(
        alice
            .post("/api/v1/groups.leave", json!({"roomId": rid}))
            .await,
        "error-you-are-last-owner",
        "You are the last owner. Please set new owner before leaving the room.",
    );

    let events = history(&alice, "groups", &rid).await;
    for (t, msg) in [
        ("au", carol_name.as_str()),
        ("ru", carol_name.as_str()),
        ("ul", bob_name.as_str()),
    ] {
        assert!(has_event(&events, t, msg), "no {t} {msg} in {events:?}");
    }
    let members = alice
        .get_ok("/api/v1/groups.members", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(members["total"], json!(2), "alice and the admin: {members}");
    let counters = alice
        .get_ok("/api/v1/groups.counters", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(counters["joined"], json!(true));
    assert_eq!(counters["members"], json!(2));
});

both_stores!(group_settings_archive_and_delete, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let bob_name = unique("bob");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob = server.create_user(&admin, &bob_name).await;
    let alice_id = alice.user_id.clone().unwrap();
    let bob_id = bob.user_id.clone().unwrap();
    let name = unique("grp-");
    let rid = alice
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": name, "members": [bob_name, TEST_ADMIN], "readOnly": true}),
        )
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = open_store(&server).await;

    // Settings by the owner; plain members may not.
    assert_meteor(
        bob.post(
            "/api/v1/groups.setTopic",
            json!({"roomId": rid, "topic": "bob's"}),
        )
        .await,
        "error-action-not-allowed",
        "Editing room is not allowed",
    );
    for (route, key, value) in [
        ("setTopic", "topic", "Quarterly"),
        ("setDescription", "description", "Numbers"),
        ("setAnnouncement", "announcement", "Due Friday"),
    ] {
        let reply = alice
            .post_ok(
                &format!("/api/v1/groups.{route}"),
                json!({"roomId": rid, key: value}),
            )
            .await;
        assert_eq!(reply, json!({key: value, "success": true}));
    }
    // groups.* has no "same value" check.
    alice
        .post_ok(
            "/api/v1/groups.setTopic",
            json!({"roomId": rid, "topic": "Quarterly"}),
        )
        .await;
    assert_failure(
        alice
            .post("/api/v1/groups.setReadOnly", json!({"roomId": rid}))
            .await,
        400,
        "The bodyParam \"readOnly\" is required",
        None,
    );
    assert_failure(
        alice
            .post(
                "/api/v1/groups.setReadOnly",
                json!({"roomId": rid, "readOnly": true}),
            )
            .await,
        400,
        "The private group read only setting is the same as what it would be changed to.",
        None,
    );
    let writable = alice
        .post_ok(
            "/api/v1/groups.setReadOnly",
            json!({"roomId": rid, "readOnly": false}),
        )
        .await;
    assert_eq!(writable["group"]["ro"], json!(false));

    // Encryption (groups only).
    assert_failure(
        alice
            .post(
                "/api/v1/groups.setEncrypted",
                json!({"roomId": rid, "encrypted": "yes"}),
            )
            .await,
        400,
        "The bodyParam \"encrypted\" is required",
        None,
    );
    assert_meteor(
        bob.post(
            "/api/v1/groups.setEncrypted",
            json!({"roomId": rid, "encrypted": true}),
        )
        .await,
        "error-action-not-allowed",
        "Editing room is not allowed",
    );
    let encrypted = alice
        .post_ok(
            "/api/v1/groups.setEncrypted",
            json!({"roomId": rid, "encrypted": true}),
        )
        .await;
    assert_eq!(encrypted["group"]["encrypted"], json!(true));

    // Close / open with the private-group wording.
    alice
        .post_ok("/api/v1/groups.close", json!({"roomId": rid}))
        .await;
    assert_failure(
        alice
            .post("/api/v1/groups.close", json!({"roomId": rid}))
            .await,
        400,
        &format!("The private group, {name}, is already closed to the sender"),
        None,
    );
    alice
        .post_ok("/api/v1/groups.open", json!({"roomId": rid}))
        .await;
    assert_failure(
        alice
            .post("/api/v1/groups.open", json!({"roomId": rid}))
            .await,
        400,
        &format!("The private group, {name}, is already open for the sender"),
        None,
    );

    // Rename, reflected in groups.list and the memberships.
    let new_name = unique("grp-renamed-");
    let renamed = alice
        .post_ok(
            "/api/v1/groups.rename",
            json!({"roomId": rid, "name": new_name}),
        )
        .await;
    assert_eq!(renamed["group"]["name"], json!(new_name));
    let bobs = bob.get_ok("/api/v1/groups.list", &[]).await;
    assert!(group_names(&bobs).contains(&new_name), "{bobs}");
    assert_eq!(
        store
            .subscription(&rid, &bob_id)
            .await
            .unwrap()
            .unwrap()
            .name,
        new_name
    );
    assert_meteor(
        alice
            .post(
                "/api/v1/groups.rename",
                json!({"roomId": rid, "name": "spaces are bad"}),
            )
            .await,
        "error-invalid-room-name",
        "spaces are bad is not a valid room name",
    );

    // Roles in groups.
    alice
        .post_ok(
            "/api/v1/groups.addModerator",
            json!({"roomId": rid, "userId": bob_id}),
        )
        .await;
    let moderators = bob
        .get_ok("/api/v1/groups.moderators", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(moderators["moderators"][0]["_id"], json!(bob_id));
    // Moderators hold edit-room in the room.
    bob.post_ok(
        "/api/v1/groups.setTopic",
        json!({"roomId": rid, "topic": "by the moderator"}),
    )
    .await;
    alice
        .post_ok(
            "/api/v1/groups.removeModerator",
            json!({"roomId": rid, "userId": bob_id}),
        )
        .await;

    // Archive: owners may archive; only administrators may unarchive.
    alice
        .post_ok("/api/v1/groups.archive", json!({"roomId": rid}))
        .await;
    assert!(
        store
            .subscription(&rid, &bob_id)
            .await
            .unwrap()
            .unwrap()
            .archived
    );
    let info = bob
        .get_ok("/api/v1/groups.info", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(info["group"]["archived"], json!(true));
    assert_meteor(
        bob.get_query("/api/v1/groups.members", &[("roomId", rid.as_str())])
            .await,
        "error-room-archived",
        &format!("The private group, {new_name}, is archived"),
    );
    assert_meteor(
        alice
            .post("/api/v1/groups.unarchive", json!({"roomId": rid}))
            .await,
        "error-not-authorized",
        "Not authorized",
    );
    admin
        .post_ok("/api/v1/groups.unarchive", json!({"roomId": rid}))
        .await;
    assert!(
        !store
            .subscription(&rid, &alice_id)
            .await
            .unwrap()
            .unwrap()
            .archived
    );

    let events = history(&bob, "groups", &rid).await;
    for (t, msg) in [
        ("room_changed_topic", "Quarterly"),
        ("room_changed_description", "Numbers"),
        ("room_changed_announcement", "Due Friday"),
        ("room-removed-read-only", ""),
        ("room_e2e_enabled", alice_name.as_str()),
        ("r", new_name.as_str()),
        ("subscription-role-added", bob_name.as_str()),
        ("subscription-role-removed", bob_name.as_str()),
        ("room-archived", ""),
        ("room-unarchived", ""),
    ] {
        assert!(has_event(&events, t, msg), "no {t} {msg:?} in {events:?}");
    }
    let topic_changes = bob
        .get_ok(
            "/api/v1/groups.messages",
            &[
                ("roomId", rid.as_str()),
                ("query", r#"{"t":"room_changed_topic"}"#),
            ],
        )
        .await;
    assert_eq!(topic_changes["total"], json!(2), "{topic_changes}");

    // Delete: delete-p (owners in their rooms); the group disappears for everyone.
    assert_meteor(
        bob.post("/api/v1/groups.delete", json!({"roomId": rid}))
            .await,
        "error-not-allowed",
        "Not allowed",
    );
    assert_eq!(
        alice
            .post_ok("/api/v1/groups.delete", json!({"roomId": rid}))
            .await,
        json!({"success": true})
    );
    assert!(store.room_by_id(&rid).await.unwrap().is_none());
    let bobs = bob.get_ok("/api/v1/groups.list", &[]).await;
    assert_eq!(bobs["total"], json!(0), "{bobs}");
    assert_meteor(
        bob.get_query("/api/v1/groups.info", &[("roomId", rid.as_str())])
            .await,
        "error-room-not-found",
        NOT_FOUND,
    );
});
