//! `channels.*` against the real binary, on SQLite and PostgreSQL: creation, lists, reading,
//! membership, settings, roles, archive and delete, with Rocket.Chat's error bodies, and the
//! side effects on rooms, memberships and system messages.

mod common;
use common::*;

async fn info(client: &Client, rid: &str) -> Value {
    client
        .get_ok("/api/v1/channels.info", &[("roomId", rid)])
        .await["channel"]
        .clone()
}

fn joined_names(body: &Value) -> Vec<String> {
    body["channels"]
        .as_array()
        .expect("channels array")
        .iter()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

both_stores!(create_validation_and_lookup, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let alice = server.create_user(&admin, &alice_name).await;
    let name = unique("chan-");

    let created = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({
                "name": name,
                "members": [alice_name, "nobody-by-this-name"],
                "readOnly": false,
                "customFields": {"team": "core"},
                "extraData": {"topic": "hello", "description": "about"},
            }),
        )
        .await;
    let channel = &created["channel"];
    let rid = channel["_id"].as_str().expect("channel id").to_owned();
    assert_eq!(channel["name"], json!(name));
    assert_eq!(channel["fname"], json!(name));
    assert_eq!(channel["t"], json!("c"));
    assert_eq!(
        channel["usersCount"],
        json!(2),
        "creator and alice: {channel}"
    );
    assert_eq!(channel["msgs"], json!(0));
    assert_eq!(channel["ro"], json!(false));
    assert_eq!(channel["u"]["username"], json!(TEST_ADMIN));
    assert_eq!(channel["topic"], json!("hello"));
    assert_eq!(channel["description"], json!("about"));
    assert_eq!(channel["customFields"], json!({"team": "core"}));
    assert!(channel.get("joinCode").is_none(), "{channel}");
    assert!(
        channel["ts"].as_str().is_some_and(|ts| ts.ends_with('Z')),
        "ISO date: {channel}"
    );

    let store = open_store(&server).await;
    let owner_sub = store
        .subscription(&rid, TEST_ADMIN)
        .await
        .unwrap()
        .expect("creator's subscription");
    assert_eq!(owner_sub.roles, vec!["owner".to_owned()]);
    let alice_sub = store
        .subscription(&rid, alice.user_id.as_deref().unwrap())
        .await
        .unwrap()
        .expect("alice's subscription");
    assert!(alice_sub.roles.is_empty());
    assert_eq!(alice_sub.name, name);

    let total_before = admin.get_ok("/api/v1/channels.list", &[]).await["total"].clone();

    // Failures leave no room behind.
    let dup = admin
        .post(
            "/api/v1/channels.create",
            json!({"name": name.to_uppercase()}),
        )
        .await;
    assert_meteor(
        dup,
        "error-duplicate-channel-name",
        &format!("A channel with name '{}' exists", name.to_uppercase()),
    );
    assert_meteor(
        admin
            .post("/api/v1/channels.create", json!({"name": "has space"}))
            .await,
        "error-invalid-room-name",
        "has space is not a valid room name",
    );
    assert_failure(
        admin.post("/api/v1/channels.create", json!({})).await,
        400,
        "Param \"name\" is required",
        None,
    );
    assert_failure(
        admin
            .post(
                "/api/v1/channels.create",
                json!({"name": unique("x"), "members": "alice"}),
            )
            .await,
        400,
        "Param \"members\" must be an array if provided",
        None,
    );
    assert_failure(
        admin
            .post(
                "/api/v1/channels.create",
                json!({"name": unique("x"), "customFields": "nope"}),
            )
            .await,
        400,
        "Param \"customFields\" must be an object if provided",
        None,
    );
    let (status, body, _) = admin
        .post("/api/v1/channels.create", json!({"name": {"$ne": null}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], json!("invalid-params"), "{body}");
    let total_after = admin.get_ok("/api/v1/channels.list", &[]).await["total"].clone();
    assert_eq!(
        total_before, total_after,
        "a failed create left a room behind"
    );

    // Lookup by id and by name, with Rocket.Chat's errors.
    let by_name = alice
        .get_ok("/api/v1/channels.info", &[("roomName", name.as_str())])
        .await;
    assert_eq!(by_name["channel"]["_id"], json!(rid));
    assert_eq!(info(&alice, &rid).await["name"], json!(name));
    assert_meteor(
        alice
            .get_query("/api/v1/channels.info", &[("roomId", "no-such-room")])
            .await,
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    );
    assert_meteor(
        alice.get("/api/v1/channels.info").await,
        "error-roomid-param-not-provided",
        "The parameter \"roomId\" or \"roomName\" is required",
    );

    // Lists: all public channels, filtered, sorted, projected and paged.
    let list = alice
        .get_ok(
            "/api/v1/channels.list",
            &[("query", &json!({"name": name}).to_string())],
        )
        .await;
    assert_eq!(list["total"], json!(1), "{list}");
    assert_eq!(list["channels"][0]["_id"], json!(rid));
    let all = alice.get_ok("/api/v1/channels.list", &[]).await;
    let names = joined_names(&all);
    assert!(
        names.contains(&"general".to_owned()) && names.contains(&name),
        "{all}"
    );
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name by default");
    let desc = alice
        .get_ok(
            "/api/v1/channels.list",
            &[
                ("sort", r#"{"name":-1}"#),
                ("count", "1"),
                ("fields", r#"{"name":1}"#),
            ],
        )
        .await;
    assert_eq!(desc["count"], json!(1));
    assert_eq!(desc["offset"], json!(0));
    assert_eq!(desc["total"], all["total"]);
    assert_eq!(desc["channels"][0]["name"], json!(sorted.last().unwrap()));
    let keys: Vec<&String> = desc["channels"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2, "projection keeps _id and name: {desc}");
    assert_meteor(
        alice
            .get_query("/api/v1/channels.list", &[("query", r#"{"$where":"1"}"#)])
            .await,
        "error-invalid-query",
        "Invalid query parameter provided: operator $where is not allowed",
    );
    let joined = alice.get_ok("/api/v1/channels.list.joined", &[]).await;
    assert!(joined_names(&joined).contains(&name), "{joined}");

    let online = alice
        .get_ok("/api/v1/channels.online", &[("_id", rid.as_str())])
        .await;
    assert!(online["online"].is_array(), "{online}");
    let by_query = alice
        .get_ok(
            "/api/v1/channels.online",
            &[("query", &json!({"_id": rid}).to_string())],
        )
        .await;
    assert_eq!(by_query["online"], online["online"]);
    assert_failure(
        alice.get("/api/v1/channels.online").await,
        400,
        "Invalid query",
        None,
    );
    assert_failure(
        alice
            .get_query("/api/v1/channels.online", &[("_id", "nope")])
            .await,
        400,
        "Channel does not exists",
        None,
    );
});

both_stores!(membership_roles_and_history, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let bob_name = unique("bob");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob = server.create_user(&admin, &bob_name).await;
    let alice_id = alice.user_id.clone().unwrap();
    let bob_id = bob.user_id.clone().unwrap();
    let name = unique("team-");
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": [alice_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = open_store(&server).await;

    // Join (public rooms): idempotent, counted, announced.
    let joined = bob
        .post_ok("/api/v1/channels.join", json!({"roomId": rid}))
        .await;
    assert_eq!(joined["channel"]["usersCount"], json!(3));
    let again = bob
        .post_ok("/api/v1/channels.join", json!({"roomId": rid}))
        .await;
    assert_eq!(again["channel"]["usersCount"], json!(3));
    let bob_rooms = bob.get_ok("/api/v1/channels.list.joined", &[]).await;
    assert!(joined_names(&bob_rooms).contains(&name), "{bob_rooms}");

    // A normal member may not kick (Rocket.Chat's removeUserFromRoom error).
    let (status, body, _) = alice
        .post(
            "/api/v1/channels.kick",
            json!({"roomId": rid, "userId": bob_id}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], json!("Not allowed [error-not-allowed]"));
    assert_eq!(body["errorType"], json!("error-not-allowed"));
    assert_eq!(info(&admin, &rid).await["usersCount"], json!(3));

    let kicked = admin
        .post_ok(
            "/api/v1/channels.kick",
            json!({"roomId": rid, "username": bob_name}),
        )
        .await;
    assert_eq!(kicked["channel"]["usersCount"], json!(2));
    assert!(store.subscription(&rid, &bob_id).await.unwrap().is_none());
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.kick",
                json!({"roomId": rid, "userId": bob_id}),
            )
            .await,
        "error-user-not-in-room",
        "User is not in this room",
    );
    assert_meteor(
        admin
            .post("/api/v1/channels.kick", json!({"roomId": rid}))
            .await,
        "error-user-param-not-provided",
        "The required \"userId\" or \"username\" param was not provided",
    );

    // Invitations: by id list; unknown ids only; nobody named; no right to invite.
    let invited = admin
        .post_ok(
            "/api/v1/channels.invite",
            json!({"roomId": rid, "userIds": [bob_id, alice_id]}),
        )
        .await;
    assert_eq!(invited["channel"]["usersCount"], json!(3));
    assert_failure(
        admin
            .post(
                "/api/v1/channels.invite",
                json!({"roomId": rid, "userId": "no-such-user"}),
            )
            .await,
        400,
        "invalid-user-invite-list",
        Some("Cannot invite if no users are provided"),
    );
    assert_meteor(
        admin
            .post("/api/v1/channels.invite", json!({"roomId": rid}))
            .await,
        "error-users-params-not-provided",
        "Please provide \"userId\" or \"username\" or \"userIds\" or \"usernames\" as param",
    );
    let carol_name = unique("carol");
    let carol = server.create_user(&admin, &carol_name).await;
    assert_meteor(
        bob.post(
            "/api/v1/channels.invite",
            json!({"roomId": rid, "username": carol_name}),
        )
        .await,
        "error-not-allowed",
        "Not allowed",
    );
    assert!(
        store
            .subscription(&rid, carol.user_id.as_deref().unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // Leaving; the last owner cannot leave.
    let left = bob
        .post_ok("/api/v1/channels.leave", json!({"roomId": rid}))
        .await;
    assert_eq!(left["channel"]["usersCount"], json!(2));
    assert_meteor(
        admin
            .post("/api/v1/channels.leave", json!({"roomId": rid}))
            .await,
        "error-you-are-last-owner",
        "You are the last owner. Please set new owner before leaving the room.",
    );
    assert_meteor(
        bob.post("/api/v1/channels.leave", json!({"roomId": rid}))
            .await,
        "error-user-not-in-room",
        "You are not in this room",
    );

    // Room roles.
    admin
        .post_ok(
            "/api/v1/channels.addOwner",
            json!({"roomId": rid, "userId": alice_id}),
        )
        .await;
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.addOwner",
                json!({"roomId": rid, "userId": alice_id}),
            )
            .await,
        "error-user-already-owner",
        "User is already an owner",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.addModerator",
                json!({"roomId": rid, "userId": bob_id}),
            )
            .await,
        "error-user-not-in-room",
        "User is not in this room",
    );
    admin
        .post_ok(
            "/api/v1/channels.addModerator",
            json!({"roomId": rid, "username": alice_name}),
        )
        .await;
    let roles = alice
        .get_ok("/api/v1/channels.roles", &[("roomId", rid.as_str())])
        .await;
    let alice_roles = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["u"]["_id"] == json!(alice_id))
        .expect("alice in roles")["roles"]
        .clone();
    assert_eq!(alice_roles, json!(["owner", "moderator"]), "{roles}");
    let moderators = alice
        .get_ok("/api/v1/channels.moderators", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(moderators["moderators"][0]["username"], json!(alice_name));
    admin
        .post_ok(
            "/api/v1/channels.removeModerator",
            json!({"roomId": rid, "userId": alice_id}),
        )
        .await;
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.removeModerator",
                json!({"roomId": rid, "userId": alice_id}),
            )
            .await,
        "error-user-not-moderator",
        "User is not a moderator",
    );
    admin
        .post_ok(
            "/api/v1/channels.addLeader",
            json!({"roomId": rid, "userId": alice_id}),
        )
        .await;
    admin
        .post_ok(
            "/api/v1/channels.removeLeader",
            json!({"roomId": rid, "userId": alice_id}),
        )
        .await;

    // With two owners the admin may leave; then alice is the last owner.
    admin
        .post_ok("/api/v1/channels.leave", json!({"roomId": rid}))
        .await;
    admin
        .post_ok("/api/v1/channels.join", json!({"roomId": rid}))
        .await;
    assert_meteor(
        alice
            .post("/api/v1/channels.leave", json!({"roomId": rid}))
            .await,
        "error-you-are-last-owner",
        "You are the last owner. Please set new owner before leaving the room.",
    );
    assert_meteor(
        alice
            .post(
                "/api/v1/channels.removeOwner",
                json!({"roomId": rid, "userId": alice_id}),
            )
            .await,
        "error-remove-last-owner",
        "This is the last owner. Please set a new owner before removing this one.",
    );
    assert_meteor(
        bob.post(
            "/api/v1/channels.addOwner",
            json!({"roomId": rid, "userId": bob_id}),
        )
        .await,
        "error-not-allowed",
        "Not allowed",
    );
    // The room owner may make others owners (set-owner is granted to owners in their rooms).
    alice
        .post_ok(
            "/api/v1/channels.addOwner",
            json!({"roomId": rid, "userId": TEST_ADMIN}),
        )
        .await;

    // Everything above is in the history, as Rocket.Chat's system messages.
    let events = history(&alice, "channels", &rid).await;
    for (t, msg) in [
        ("uj", bob_name.as_str()),
        ("ru", bob_name.as_str()),
        ("au", bob_name.as_str()),
        ("ul", bob_name.as_str()),
        ("ul", TEST_ADMIN),
        ("uj", TEST_ADMIN),
        ("subscription-role-added", alice_name.as_str()),
        ("subscription-role-removed", alice_name.as_str()),
        ("subscription-role-added", TEST_ADMIN),
    ] {
        assert!(has_event(&events, t, msg), "no {t} {msg} in {events:?}");
    }
    let raw = alice
        .get_ok(
            "/api/v1/channels.history",
            &[("roomId", rid.as_str()), ("count", "1")],
        )
        .await;
    assert_eq!(raw["messages"].as_array().unwrap().len(), 1);
    assert_eq!(raw["messages"][0]["t"], json!("subscription-role-added"));
    assert_eq!(raw["messages"][0]["role"], json!("owner"));
    assert_eq!(raw["messages"][0]["u"]["username"], json!(alice_name));

    // channels.messages: filtered by the deprecated query, paged, counted.
    let joins = alice
        .get_ok(
            "/api/v1/channels.messages",
            &[("roomId", rid.as_str()), ("query", r#"{"t":"uj"}"#)],
        )
        .await;
    assert_eq!(joins["total"], json!(2), "{joins}");
    assert_eq!(joins["count"], json!(2));
    let page = alice
        .get_ok(
            "/api/v1/channels.messages",
            &[("roomId", rid.as_str()), ("count", "3"), ("offset", "1")],
        )
        .await;
    assert_eq!(page["count"], json!(3));
    assert_eq!(page["offset"], json!(1));
    assert!(page["total"].as_i64().unwrap() >= 10, "{page}");
    assert_failure(
        alice
            .get_query("/api/v1/channels.messages", &[("roomName", name.as_str())])
            .await,
        400,
        "must have required property 'roomId'",
        Some("error-invalid-params"),
    );

    // channels.members with a filter.
    let members = alice
        .get_ok("/api/v1/channels.members", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(members["total"], json!(2), "{members}");
    let filtered = alice
        .get_ok(
            "/api/v1/channels.members",
            &[("roomId", rid.as_str()), ("filter", alice_name.as_str())],
        )
        .await;
    assert_eq!(filtered["total"], json!(1));
    assert_eq!(filtered["members"][0]["username"], json!(alice_name));

    // Counters: one's own; somebody else's only with view-room-administration.
    let counters = alice
        .get_ok("/api/v1/channels.counters", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(counters["joined"], json!(true), "{counters}");
    assert_eq!(counters["members"], json!(2));
    assert!(counters["msgs"].as_i64().unwrap() >= 10);
    let (status, body, _) = alice
        .get_query(
            "/api/v1/channels.counters",
            &[("roomId", rid.as_str()), ("userId", TEST_ADMIN)],
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body, json!({"success": false, "error": "unauthorized"}));
    let of_bob = admin
        .get_ok(
            "/api/v1/channels.counters",
            &[("roomId", rid.as_str()), ("userId", bob_id.as_str())],
        )
        .await;
    assert_eq!(of_bob["joined"], json!(false));
    assert_eq!(of_bob["unreads"], Value::Null);
    assert_eq!(
        of_bob["members"],
        json!(2),
        "admins see the figures: {of_bob}"
    );
});

both_stores!(settings_archive_type_and_delete, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let bob_name = unique("bob");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob = server.create_user(&admin, &bob_name).await;
    let alice_id = alice.user_id.clone().unwrap();
    let name = unique("set-");
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": name, "members": [alice_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let store = open_store(&server).await;

    // Text settings: edit-room is needed; replies echo the value; "the same" is refused.
    assert_meteor(
        alice
            .post(
                "/api/v1/channels.setTopic",
                json!({"roomId": rid, "topic": "mine"}),
            )
            .await,
        "error-action-not-allowed",
        "Editing room is not allowed",
    );
    let topic = admin
        .post_ok(
            "/api/v1/channels.setTopic",
            json!({"roomId": rid, "topic": "Release 2.0"}),
        )
        .await;
    assert_eq!(topic, json!({"topic": "Release 2.0", "success": true}));
    assert_failure(
        admin
            .post(
                "/api/v1/channels.setTopic",
                json!({"roomId": rid, "topic": "Release 2.0"}),
            )
            .await,
        400,
        "The channel topic is the same as what it would be changed to.",
        None,
    );
    assert_failure(
        admin
            .post("/api/v1/channels.setTopic", json!({"roomId": rid}))
            .await,
        400,
        "The bodyParam \"topic\" is required",
        None,
    );
    let description = admin
        .post_ok(
            "/api/v1/channels.setDescription",
            json!({"roomId": rid, "description": "What we do"}),
        )
        .await;
    assert_eq!(description["description"], json!("What we do"));
    let purpose = admin
        .post_ok(
            "/api/v1/channels.setPurpose",
            json!({"roomId": rid, "purpose": "Why we do it"}),
        )
        .await;
    assert_eq!(purpose["purpose"], json!("Why we do it"));
    let announcement = admin
        .post_ok(
            "/api/v1/channels.setAnnouncement",
            json!({"roomId": rid, "announcement": "Ship it"}),
        )
        .await;
    assert_eq!(announcement["announcement"], json!("Ship it"));
    let room = info(&alice, &rid).await;
    assert_eq!(room["topic"], json!("Release 2.0"));
    assert_eq!(
        room["description"],
        json!("Why we do it"),
        "setPurpose writes the description"
    );
    assert_eq!(room["announcement"], json!("Ship it"));

    // Read-only.
    let ro = admin
        .post_ok(
            "/api/v1/channels.setReadOnly",
            json!({"roomId": rid, "readOnly": true}),
        )
        .await;
    assert_eq!(ro["channel"]["ro"], json!(true));
    assert_failure(
        admin
            .post(
                "/api/v1/channels.setReadOnly",
                json!({"roomId": rid, "readOnly": true}),
            )
            .await,
        400,
        "The channel read only setting is the same as what it would be changed to.",
        None,
    );
    admin
        .post_ok(
            "/api/v1/channels.setReadOnly",
            json!({"roomId": rid, "readOnly": false}),
        )
        .await;

    // Rename: validated, unique, reflected in memberships and lists.
    let new_name = unique("renamed-");
    let renamed = admin
        .post_ok(
            "/api/v1/channels.rename",
            json!({"roomId": rid, "name": new_name}),
        )
        .await;
    assert_eq!(renamed["channel"]["name"], json!(new_name));
    assert_eq!(renamed["channel"]["fname"], json!(new_name));
    let alice_rooms = joined_names(&alice.get_ok("/api/v1/channels.list.joined", &[]).await);
    assert!(
        alice_rooms.contains(&new_name) && !alice_rooms.contains(&name),
        "{alice_rooms:?}"
    );
    let sub = store.subscription(&rid, &alice_id).await.unwrap().unwrap();
    assert_eq!(sub.name, new_name);
    assert_meteor(
        alice
            .get_query("/api/v1/channels.info", &[("roomName", name.as_str())])
            .await,
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.rename",
                json!({"roomId": rid, "name": "no spaces allowed"}),
            )
            .await,
        "error-invalid-room-name",
        "no spaces allowed is not a valid room name",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.rename",
                json!({"roomId": rid, "name": "general"}),
            )
            .await,
        "error-duplicate-channel-name",
        "A channel with name 'general' exists",
    );
    assert_failure(
        admin
            .post(
                "/api/v1/channels.rename",
                json!({"roomId": rid, "name": new_name}),
            )
            .await,
        400,
        "The channel name is the same as what it would be renamed to.",
        None,
    );
    assert_eq!(info(&alice, &rid).await["name"], json!(new_name));

    // Close / open the caller's subscription.
    alice
        .post_ok("/api/v1/channels.close", json!({"roomId": rid}))
        .await;
    assert!(
        !store
            .subscription(&rid, &alice_id)
            .await
            .unwrap()
            .unwrap()
            .open
    );
    assert_failure(
        alice
            .post("/api/v1/channels.close", json!({"roomId": rid}))
            .await,
        400,
        &format!("The channel, {new_name}, is already closed to the sender"),
        None,
    );
    alice
        .post_ok("/api/v1/channels.open", json!({"roomId": rid}))
        .await;
    assert_failure(
        alice
            .post("/api/v1/channels.open", json!({"roomId": rid}))
            .await,
        400,
        &format!("The channel, {new_name}, is already open to the sender"),
        None,
    );
    assert_failure(
        bob.post("/api/v1/channels.open", json!({"roomId": rid}))
            .await,
        400,
        &format!("The user/callee is not in the channel \"{new_name}\"."),
        None,
    );

    // Archive: room and memberships; archived rooms refuse joins and settings.
    assert_meteor(
        bob.post("/api/v1/channels.archive", json!({"roomId": rid}))
            .await,
        "error-not-authorized",
        "Not authorized",
    );
    let archived = admin
        .post_ok("/api/v1/channels.archive", json!({"roomId": rid}))
        .await;
    assert_eq!(archived, json!({"success": true}));
    assert_eq!(info(&alice, &rid).await["archived"], json!(true));
    assert!(
        store
            .subscription(&rid, &alice_id)
            .await
            .unwrap()
            .unwrap()
            .archived
    );
    let archived_msg = format!("The channel, {new_name}, is archived");
    assert_meteor(
        bob.post("/api/v1/channels.join", json!({"roomId": rid}))
            .await,
        "error-room-archived",
        &archived_msg,
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/channels.setTopic",
                json!({"roomId": rid, "topic": "x"}),
            )
            .await,
        "error-room-archived",
        &archived_msg,
    );
    assert_meteor(
        admin
            .post("/api/v1/channels.archive", json!({"roomId": rid}))
            .await,
        "error-room-archived",
        &archived_msg,
    );
    admin
        .post_ok("/api/v1/channels.unarchive", json!({"roomId": rid}))
        .await;
    assert_ne!(info(&alice, &rid).await["archived"], json!(true));
    assert!(
        !store
            .subscription(&rid, &alice_id)
            .await
            .unwrap()
            .unwrap()
            .archived
    );
    assert_failure(
        admin
            .post("/api/v1/channels.unarchive", json!({"roomId": rid}))
            .await,
        400,
        &format!("The channel, {new_name}, is not archived"),
        None,
    );

    let events = history(&alice, "channels", &rid).await;
    for (t, msg) in [
        ("room_changed_topic", "Release 2.0"),
        ("room_changed_description", "What we do"),
        ("room_changed_description", "Why we do it"),
        ("room_changed_announcement", "Ship it"),
        ("room-set-read-only", ""),
        ("room-removed-read-only", ""),
        ("r", new_name.as_str()),
        ("room-archived", ""),
        ("room-unarchived", ""),
    ] {
        assert!(has_event(&events, t, msg), "no {t} {msg:?} in {events:?}");
    }

    // Type: the channel becomes a private group and back.
    let private = admin
        .post_ok(
            "/api/v1/channels.setType",
            json!({"roomId": rid, "type": "p"}),
        )
        .await;
    assert_eq!(private["channel"]["t"], json!("p"));
    assert_eq!(
        store
            .subscription(&rid, &alice_id)
            .await
            .unwrap()
            .unwrap()
            .t
            .code(),
        "p"
    );
    assert_meteor(
        alice
            .get_query("/api/v1/channels.info", &[("roomId", rid.as_str())])
            .await,
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    );
    let group = alice
        .get_ok("/api/v1/groups.info", &[("roomId", rid.as_str())])
        .await;
    assert_eq!(group["group"]["t"], json!("p"));
    assert!(has_event(
        &history(&alice, "groups", &rid).await,
        "room_changed_privacy",
        "private"
    ));
    let public = admin
        .post_ok(
            "/api/v1/groups.setType",
            json!({"roomId": rid, "type": "c"}),
        )
        .await;
    assert_eq!(public["group"]["t"], json!("c"));
    assert_failure(
        admin
            .post(
                "/api/v1/channels.setType",
                json!({"roomId": rid, "type": "c"}),
            )
            .await,
        400,
        "The channel type is the same as what it would be changed to.",
        None,
    );

    // Delete: only with delete-c; the room, its memberships and messages go.
    assert_meteor(
        bob.post("/api/v1/channels.delete", json!({"roomId": rid}))
            .await,
        "error-not-allowed",
        "Not allowed",
    );
    assert_eq!(
        admin
            .post_ok("/api/v1/channels.delete", json!({"roomName": new_name}))
            .await,
        json!({"success": true})
    );
    assert!(store.room_by_id(&rid).await.unwrap().is_none());
    assert!(store.subscription(&rid, &alice_id).await.unwrap().is_none());
    assert_meteor(
        alice
            .get_query("/api/v1/channels.info", &[("roomId", rid.as_str())])
            .await,
        "error-room-not-found",
        "The required \"roomId\" or \"roomName\" param provided does not match any channel",
    );
    let alice_rooms = joined_names(&alice.get_ok("/api/v1/channels.list.joined", &[]).await);
    assert!(!alice_rooms.contains(&new_name), "{alice_rooms:?}");
});

both_stores!(
    join_codes_defaults_custom_fields_add_all,
    |server| async move {
        let admin = server.admin().await;
        let alice_name = unique("alice");
        let alice = server.create_user(&admin, &alice_name).await;
        let bob = server.create_user(&admin, &unique("bob")).await;
        let carol = server.create_user(&admin, &unique("carol")).await;
        let name = unique("code-");
        let rid = admin
            .post_ok("/api/v1/channels.create", json!({"name": name}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let store = open_store(&server).await;

        let coded = admin
            .post_ok(
                "/api/v1/channels.setJoinCode",
                json!({"roomId": rid, "joinCode": "s3cret"}),
            )
            .await;
        assert_eq!(coded["channel"]["joinCodeRequired"], json!(true));
        assert!(coded["channel"].get("joinCode").is_none(), "{coded}");
        assert_failure(
            admin
                .post(
                    "/api/v1/channels.setJoinCode",
                    json!({"roomId": rid, "joinCode": "  "}),
                )
                .await,
            400,
            "The bodyParam \"joinCode\" is required",
            None,
        );
        for body in [
            json!({"roomId": rid}),
            json!({"roomId": rid, "joinCode": "wrong"}),
        ] {
            assert_meteor(
                bob.post("/api/v1/channels.join", body).await,
                "error-code-invalid",
                "Invalid Room Password",
            );
        }
        let joined = bob
            .post_ok(
                "/api/v1/channels.join",
                json!({"roomId": rid, "joinCode": "s3cret"}),
            )
            .await;
        assert_eq!(joined["channel"]["usersCount"], json!(2));

        // Default channels: edit-room and view-room-administration.
        assert_meteor(
            alice
                .post(
                    "/api/v1/channels.setDefault",
                    json!({"roomId": rid, "default": true}),
                )
                .await,
            "error-action-not-allowed",
            "Editing room is not allowed",
        );
        let made_default = admin
            .post_ok(
                "/api/v1/channels.setDefault",
                json!({"roomId": rid, "default": true}),
            )
            .await;
        assert_eq!(made_default["channel"]["default"], json!(true));
        assert_failure(
            admin
                .post(
                    "/api/v1/channels.setDefault",
                    json!({"roomId": rid, "default": true}),
                )
                .await,
            400,
            "The channel default setting is the same as what it would be changed to.",
            Some("error-channels-setdefault-missing-default-param"),
        );
        assert_failure(
            admin
                .post("/api/v1/channels.setDefault", json!({"roomId": rid}))
                .await,
            400,
            "The bodyParam \"default\" is required",
            Some("error-channels-setdefault-is-same"),
        );
        let undone = admin
            .post_ok(
                "/api/v1/channels.setDefault",
                json!({"roomId": rid, "default": "false"}),
            )
            .await;
        assert_eq!(undone["channel"]["default"], json!(false));

        let custom = admin
            .post_ok(
                "/api/v1/channels.setCustomFields",
                json!({"roomId": rid, "customFields": {"tier": 2}}),
            )
            .await;
        assert_eq!(custom["channel"]["customFields"], json!({"tier": 2}));
        assert_failure(
            admin
                .post(
                    "/api/v1/channels.setCustomFields",
                    json!({"roomId": rid, "customFields": "tier"}),
                )
                .await,
            400,
            "The bodyParam \"customFields\" is required with a type like object.",
            None,
        );

        // addAll needs add-all-to-room; then everybody is a member.
        assert_meteor(
            bob.post("/api/v1/channels.addAll", json!({"roomId": rid}))
                .await,
            "403",
            "Access to Method Forbidden",
        );
        let all = admin
            .post_ok(
                "/api/v1/channels.addAll",
                json!({"roomId": rid, "activeUsersOnly": true}),
            )
            .await;
        assert!(all["channel"]["usersCount"].as_i64().unwrap() >= 4, "{all}");
        for client in [&alice, &carol] {
            assert!(
                store
                    .subscription(&rid, client.user_id.as_deref().unwrap())
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        let members = admin
            .get_ok(
                "/api/v1/channels.members",
                &[("roomId", rid.as_str()), ("count", "0")],
            )
            .await;
        assert_eq!(members["total"], all["channel"]["usersCount"]);
        assert!(has_event(
            &history(&admin, "channels", &rid).await,
            "uj",
            &alice_name
        ));
    }
);

both_stores!(history_windows, |server| async move {
    let admin = server.admin().await;
    let alice = server.create_user(&admin, &unique("alice")).await;
    let rid = admin
        .post_ok("/api/v1/channels.create", json!({"name": unique("hist-")}))
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    alice
        .post_ok("/api/v1/channels.join", json!({"roomId": rid}))
        .await;
    for i in 0..5 {
        admin
            .post_ok(
                "/api/v1/channels.setTopic",
                json!({"roomId": rid, "topic": format!("topic {i}")}),
            )
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let all = alice
        .get_ok("/api/v1/channels.history", &[("roomId", rid.as_str())])
        .await;
    let messages = all["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 6, "uj + 5 topics: {all}");
    assert_eq!(messages[0]["msg"], json!("topic 4"), "newest first");
    let two = alice
        .get_ok(
            "/api/v1/channels.history",
            &[("roomId", rid.as_str()), ("count", "2"), ("offset", "1")],
        )
        .await;
    let two: Vec<Value> = two["messages"].as_array().unwrap().clone();
    assert_eq!(two.len(), 2);
    assert_eq!(two[0]["msg"], json!("topic 3"));
    let latest = messages[1]["ts"].as_str().unwrap();
    let oldest = messages[3]["ts"].as_str().unwrap();
    let window = alice
        .get_ok(
            "/api/v1/channels.history",
            &[
                ("roomId", rid.as_str()),
                ("latest", latest),
                ("oldest", oldest),
            ],
        )
        .await;
    assert_eq!(window["messages"].as_array().unwrap().len(), 1, "{window}");
    assert_eq!(window["messages"][0]["msg"], json!("topic 2"));
    let inclusive = alice
        .get_ok(
            "/api/v1/channels.history",
            &[
                ("roomId", rid.as_str()),
                ("latest", latest),
                ("oldest", oldest),
                ("inclusive", "true"),
            ],
        )
        .await;
    assert_eq!(inclusive["messages"].as_array().unwrap().len(), 3);
    let unreads = alice
        .get_ok(
            "/api/v1/channels.history",
            &[
                ("roomId", rid.as_str()),
                ("count", "2"),
                ("unreads", "true"),
            ],
        )
        .await;
    assert!(unreads.get("unreadNotLoaded").is_some(), "{unreads}");
    let (status, body, _) = alice
        .get_query(
            "/api/v1/channels.history",
            &[("roomId", rid.as_str()), ("latest", "yesterday-ish")],
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], json!("error-invalid-params"));
    assert_failure(
        alice.get("/api/v1/channels.history").await,
        400,
        "must have required property 'roomId'",
        Some("error-invalid-params"),
    );
});

both_stores!(
    malformed_input_is_refused_without_side_effects,
    |server| async move {
        let admin = server.admin().await;
        let name = unique("solid-");
        let created = admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": name, "extraData": {"topic": "t"}}),
            )
            .await;
        let rid = created["channel"]["_id"].as_str().unwrap().to_owned();
        let before = info(&admin, &rid).await;

        let operator = json!({"$ne": null});
        let mut calls: Vec<(&str, Value)> = Vec::new();
        for route in [
            "join",
            "leave",
            "invite",
            "kick",
            "addAll",
            "archive",
            "unarchive",
            "close",
            "open",
            "delete",
            "rename",
            "setTopic",
            "setDescription",
            "setPurpose",
            "setAnnouncement",
            "setReadOnly",
            "setType",
            "setJoinCode",
            "setDefault",
            "setCustomFields",
            "addOwner",
            "removeOwner",
            "addModerator",
            "removeModerator",
            "addLeader",
            "removeLeader",
        ] {
            calls.push((route, json!({"roomId": operator})));
            calls.push((route, json!({"roomId": 12345})));
            calls.push((route, json!({"roomName": ["a", "b"]})));
        }
        calls.extend([
            ("kick", json!({"roomId": rid, "userId": operator})),
            ("invite", json!({"roomId": rid, "userIds": "not-a-list"})),
            ("invite", json!({"roomId": rid, "userIds": [operator]})),
            ("rename", json!({"roomId": rid, "name": operator})),
            ("rename", json!({"roomId": rid, "name": "bad/name"})),
            ("setTopic", json!({"roomId": rid, "topic": operator})),
            ("setTopic", json!({"roomId": rid, "topic": 42})),
            (
                "setReadOnly",
                json!({"roomId": rid, "readOnly": "sometimes"}),
            ),
            ("setType", json!({"roomId": rid, "type": "x"})),
            ("setType", json!({"roomId": rid, "type": operator})),
            ("setJoinCode", json!({"roomId": rid, "joinCode": operator})),
            ("setDefault", json!({"roomId": rid, "default": operator})),
            (
                "setCustomFields",
                json!({"roomId": rid, "customFields": [1, 2]}),
            ),
            ("addOwner", json!({"roomId": rid, "userId": operator})),
            ("addOwner", json!({"roomId": rid, "userId": "nobody"})),
            ("join", json!({"roomId": rid, "joinCode": operator})),
            (
                "addAll",
                json!({"roomId": rid, "activeUsersOnly": operator}),
            ),
            (
                "create",
                json!({"name": unique("x"), "members": [operator]}),
            ),
            ("create", json!({"name": unique("x"), "readOnly": "maybe"})),
            ("create", json!({"name": unique("x"), "extraData": "nope"})),
        ]);
        for (route, body) in calls {
            let path = format!("/api/v1/channels.{route}");
            let (status, reply, _) = admin.post(&path, body.clone()).await;
            assert!(
                (400..500).contains(&status) && reply["success"] == json!(false),
                "POST {path} {body}: HTTP {status} {reply}"
            );
            assert!(reply["error"].is_string(), "POST {path} {body}: {reply}");
        }

        // Bodies that are not JSON objects.
        for raw in ["[1, 2]", "not json", "\"a string\""] {
            let req = admin
                .request(reqwest::Method::POST, "/api/v1/channels.setTopic")
                .header("content-type", "application/json")
                .body(raw);
            let (status, reply, _) = admin.send(req).await;
            assert_eq!(status, 400, "{raw}: {reply}");
            assert_eq!(reply["success"], json!(false));
        }

        // Query strings: bad JSON, unknown fields and operators, bad sort, bad dates.
        for query in [
            vec![("query", "{not json")],
            vec![("query", r#"{"secret":1}"#)],
            vec![("query", r#"{"name":{"$where":"1"}}"#)],
            vec![("sort", r#"{"name":5}"#)],
            vec![("fields", "[1]")],
            vec![("count", "many")],
        ] {
            let (status, reply, _) = admin.get_query("/api/v1/channels.list", &query).await;
            assert_eq!(status, 400, "{query:?}: {reply}");
            assert_eq!(reply["success"], json!(false));
        }
        let (status, reply, _) = admin
            .get_query(
                "/api/v1/channels.messages",
                &[
                    ("roomId", rid.as_str()),
                    ("query", r#"{"msg":{"$regex":"(a+)+"}}"#),
                ],
            )
            .await;
        assert_eq!(status, 400, "{reply}");

        // Without credentials.
        let (status, reply, _) = server
            .anon()
            .post("/api/v1/channels.create", json!({"name": unique("anon")}))
            .await;
        assert_eq!(status, 401, "{reply}");

        let after = info(&admin, &rid).await;
        for key in [
            "name",
            "t",
            "topic",
            "ro",
            "default",
            "usersCount",
            "msgs",
            "customFields",
        ] {
            assert_eq!(
                before.get(key),
                after.get(key),
                "{key} changed: {before} -> {after}"
            );
        }
        assert!(after.get("archived").is_none() && after.get("joinCodeRequired").is_none());
    }
);
