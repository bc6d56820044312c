//! The audit log of administrative actions: what is recorded (actor, target, snapshots,
//! address), who may read it, that it outlives the acting account, its filters, and that
//! it never holds secrets.

mod common;
use common::*;

/// Every entry of the log (newest first), optionally filtered.
async fn entries(admin: &Client, query: &[(&str, &str)]) -> Vec<Value> {
    let mut query = query.to_vec();
    query.push(("count", "100"));
    let body = admin.get_ok("/api/v1/audit.list", &query).await;
    body["entries"].as_array().unwrap().clone()
}

/// The newest entry with this action and target id.
async fn entry(admin: &Client, action: &str, target: &str) -> Value {
    let found = entries(admin, &[("action", action), ("targetId", target)]).await;
    found
        .first()
        .unwrap_or_else(|| panic!("no {action} entry for {target}"))
        .clone()
}

fn user_id(client: &Client) -> String {
    client.user_id.clone().unwrap()
}

both_stores!(admin_actions_are_audited, |server| async move {
    let admin = server.admin().await;
    let admin_id = user_id(&admin);
    let alice = server.create_user(&admin, "alice").await;
    let alice_id = user_id(&alice);

    let created = entry(&admin, "user.create", &alice_id).await;
    assert_eq!(created["actor"]["_id"], admin_id);
    assert_eq!(created["actor"]["username"], TEST_ADMIN);
    assert_eq!(created["target"], json!({"type": "user", "id": alice_id}));
    assert_eq!(created["ip"], "127.0.0.1");
    assert_eq!(created["before"], Value::Null);
    assert_eq!(created["after"]["username"], "alice");
    assert_eq!(created["after"]["active"], true);
    assert!(created["ts"].as_str().unwrap().ends_with('Z'), "{created}");
    assert!(created["_id"].is_string());

    // users.update of another user, with a new password.
    admin
        .post_ok(
            "/api/v1/users.update",
            json!({"userId": alice_id, "data": {"name": "Alice A.", "password": "new-pass-alice"}}),
        )
        .await;
    let updated = entry(&admin, "user.update", &alice_id).await;
    assert_eq!(updated["before"]["name"], "User alice");
    assert_eq!(updated["after"]["name"], "Alice A.");
    assert_eq!(updated["after"]["passwordChanged"], true);
    assert_eq!(updated["ip"], "127.0.0.1");

    // A user editing themselves is not an administrative action.
    let alice = server.login("alice", "new-pass-alice").await;
    alice
        .post_ok(
            "/api/v1/users.update",
            json!({"userId": alice_id, "data": {"name": "Alice B."}}),
        )
        .await;
    assert_eq!(entries(&admin, &[("action", "user.update")]).await.len(), 1);

    // Deactivation, activation, logout.
    admin
        .post_ok(
            "/api/v1/users.setActiveStatus",
            json!({"userId": alice_id, "activeStatus": false}),
        )
        .await;
    let off = entry(&admin, "user.deactivate", &alice_id).await;
    assert_eq!(off["before"]["active"], true);
    assert_eq!(off["after"]["active"], false);
    admin
        .post_ok(
            "/api/v1/users.setActiveStatus",
            json!({"userId": alice_id, "activeStatus": true}),
        )
        .await;
    let on = entry(&admin, "user.activate", &alice_id).await;
    assert_eq!(
        (&on["before"]["active"], &on["after"]["active"]),
        (&json!(false), &json!(true))
    );
    admin
        .post_ok("/api/v1/users.logout", json!({"userId": alice_id}))
        .await;
    let out = entry(&admin, "user.logout", &alice_id).await;
    assert_eq!(out["before"]["username"], "alice");

    // Roles: create, update, grant, revoke, delete.
    let role = admin
        .post_ok(
            "/api/v1/roles.create",
            json!({"name": "auditors", "description": "reads logs"}),
        )
        .await["role"]
        .clone();
    let role_id = role["_id"].as_str().unwrap().to_owned();
    let created = entry(&admin, "role.create", &role_id).await;
    assert_eq!(created["target"], json!({"type": "role", "id": role_id}));
    assert_eq!(created["after"]["name"], "auditors");
    admin
        .post_ok(
            "/api/v1/roles.update",
            json!({"roleId": role_id, "name": "auditors", "description": "reads all logs"}),
        )
        .await;
    let changed = entry(&admin, "role.update", &role_id).await;
    assert_eq!(changed["before"]["description"], "reads logs");
    assert_eq!(changed["after"]["description"], "reads all logs");
    admin
        .post_ok(
            "/api/v1/roles.addUserToRole",
            json!({"roleId": role_id, "username": "alice"}),
        )
        .await;
    let granted = entry(&admin, "role.grant", &alice_id).await;
    assert_eq!(granted["after"]["role"], role_id);
    assert!(
        !granted["before"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!(role_id))
    );
    assert!(
        granted["after"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!(role_id))
    );
    admin
        .post_ok(
            "/api/v1/roles.removeUserFromRole",
            json!({"roleId": role_id, "username": "alice"}),
        )
        .await;
    let revoked = entry(&admin, "role.revoke", &alice_id).await;
    assert_eq!(revoked["before"], granted["after"]);
    assert_eq!(revoked["after"], granted["before"]);
    admin
        .post_ok("/api/v1/roles.delete", json!({"roleId": role_id}))
        .await;
    let deleted = entry(&admin, "role.delete", &role_id).await;
    assert_eq!(deleted["before"]["name"], "auditors");
    assert_eq!(deleted["after"], Value::Null);

    // Permissions and settings.
    admin
        .post_ok(
            "/api/v1/permissions.update",
            json!({"permissions": [{"_id": "create-c", "roles": ["admin"]}]}),
        )
        .await;
    let perm = entry(&admin, "permissions.update", "create-c").await;
    assert_eq!(perm["target"]["type"], "permission");
    assert!(
        perm["before"]["roles"]
            .as_array()
            .unwrap()
            .contains(&json!("user"))
    );
    assert_eq!(perm["after"], json!({"roles": ["admin"]}));
    admin
        .post_ok("/api/v1/settings/Site_Name", json!({"value": "Audited"}))
        .await;
    let setting = entry(&admin, "setting.change", "Site_Name").await;
    assert_eq!(setting["after"], json!({"value": "Audited"}));
    assert!(setting["before"]["value"].is_string());

    // A refused action leaves no entry.
    let alice = server.login("alice", "new-pass-alice").await;
    let (status, _, _) = alice
        .post("/api/v1/settings/Site_Name", json!({"value": "Nope"}))
        .await;
    assert_eq!(status, 403);
    assert_eq!(
        entries(&admin, &[("action", "setting.change")]).await.len(),
        1
    );

    // Every entry has the admin as actor and the loopback address.
    for e in entries(&admin, &[]).await {
        assert_eq!(e["actor"]["_id"], admin_id, "{e}");
        assert_eq!(e["ip"], "127.0.0.1", "{e}");
    }
});

both_stores!(normal_users_may_not_read_the_log, |server| async move {
    let admin = server.admin().await;
    let bob = server.create_user(&admin, "bob").await;
    let (status, body, _) = bob.get("/api/v1/audit.list").await;
    assert_eq!((status, body["error"].as_str()), (403, Some(FORBIDDEN)));
    let (status, _, _) = server.anon().get("/api/v1/audit.list").await;
    assert_eq!(status, 401);
});

both_stores!(entries_outlive_the_acting_admin, |server| async move {
    let admin = server.admin().await;
    admin
        .post_ok(
            "/api/v1/users.create",
            json!({
                "email": "root2@example.com", "name": "Root Two", "password": "pass-root2",
                "username": "root2", "roles": ["admin", "user"], "verified": true,
            }),
        )
        .await;
    let root2 = server.login("root2", "pass-root2").await;
    let root2_id = user_id(&root2);
    let carl = server.create_user(&root2, "carl").await;
    let carl_id = user_id(&carl);

    admin
        .post_ok("/api/v1/users.delete", json!({"userId": root2_id}))
        .await;
    let deleted = entry(&admin, "user.delete", &root2_id).await;
    assert_eq!(deleted["before"]["username"], "root2");
    assert_eq!(deleted["after"], Value::Null);

    // By username and by id, the deleted admin's entry is still there.
    for actor in ["root2", root2_id.as_str()] {
        let by_root2 = entries(&admin, &[("actor", actor)]).await;
        assert_eq!(by_root2.len(), 1, "{by_root2:?}");
        assert_eq!(by_root2[0]["action"], "user.create");
        assert_eq!(
            by_root2[0]["actor"],
            json!({"_id": root2_id, "username": "root2"})
        );
        assert_eq!(by_root2[0]["target"]["id"], carl_id);
    }
});

both_stores!(filters_and_paging, |server| async move {
    let admin = server.admin().await;
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    for name in ["dora", "ed", "fay"] {
        server.create_user(&admin, name).await;
    }
    admin
        .post_ok("/api/v1/settings/Site_Name", json!({"value": "Filtered"}))
        .await;

    let all = entries(&admin, &[]).await;
    assert!(all.len() >= 4, "{all:?}");
    let creates = entries(&admin, &[("action", "user.create")]).await;
    let names: Vec<&str> = creates
        .iter()
        .map(|e| e["after"]["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fay", "ed", "dora"], "newest first");

    let by_actor = entries(&admin, &[("actor", TEST_ADMIN)]).await;
    assert_eq!(by_actor.len(), all.len());
    assert!(entries(&admin, &[("actor", "nobody")]).await.is_empty());

    let ed_id = creates[1]["target"]["id"].as_str().unwrap().to_owned();
    let ed = entries(&admin, &[("targetId", &ed_id)]).await;
    assert_eq!(ed.len(), 1);

    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(
        entries(&admin, &[("since", &since), ("action", "user.create")])
            .await
            .len(),
        3
    );
    let past = "2001-01-01T00:00:00.000Z";
    assert!(entries(&admin, &[("until", past)]).await.is_empty());
    let future = "2999-01-01T00:00:00.000Z";
    assert!(entries(&admin, &[("since", future)]).await.is_empty());
    let (status, _, _) = admin
        .get_query("/api/v1/audit.list", &[("since", "yesterday")])
        .await;
    assert_eq!(status, 400);

    let page = admin
        .get_ok(
            "/api/v1/audit.list",
            &[("action", "user.create"), ("count", "1"), ("offset", "1")],
        )
        .await;
    assert_eq!(page["count"], 1);
    assert_eq!(page["offset"], 1);
    assert_eq!(page["total"], 3);
    assert_eq!(page["entries"][0]["after"]["username"], "ed");
});

both_stores!(entries_hold_no_secrets, |server| async move {
    let admin = server.admin().await;
    let gus = server.create_user(&admin, "gus").await;
    let gus_id = user_id(&gus);
    admin
        .post_ok(
            "/api/v1/users.update",
            json!({"userId": gus_id, "data": {"password": "another-secret-9"}}),
        )
        .await;
    admin
        .post_ok("/api/v1/users.logout", json!({"userId": gus_id}))
        .await;
    let body = admin.get_ok("/api/v1/audit.list", &[]).await;
    let text = body.to_string();
    for secret in [
        "$argon2",
        "$2b$",
        "pass-gus",
        "another-secret-9",
        "password_hash",
        "passwordHash",
        "services",
        gus.token.as_deref().unwrap(),
        admin.token.as_deref().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(body["total"].as_i64().unwrap() >= 3);
});

both_stores!(
    room_deletion_by_a_non_owner_is_audited,
    |server| async move {
        let admin = server.admin().await;
        let hal = server.create_user(&admin, "hal").await;
        let own = hal
            .post_ok("/api/v1/channels.create", json!({"name": "hal-own"}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let other = hal
            .post_ok("/api/v1/channels.create", json!({"name": "hal-other"}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();

        // The owner deleting their own room is not audited.
        hal.post_ok("/api/v1/channels.delete", json!({"roomId": own}))
            .await;
        assert!(entries(&admin, &[("targetId", &own)]).await.is_empty());

        admin
            .post_ok("/api/v1/channels.delete", json!({"roomId": other}))
            .await;
        let deleted = entry(&admin, "room.delete", &other).await;
        assert_eq!(deleted["target"], json!({"type": "room", "id": other}));
        assert_eq!(deleted["before"]["name"], "hal-other");
        assert_eq!(deleted["before"]["t"], "c");
        assert_eq!(deleted["ip"], "127.0.0.1");
    }
);
