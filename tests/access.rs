//! Permissions, roles and settings administration: edits take effect at once, are refused
//! to normal users, and are announced on the streams.

mod common;
use common::ddp::Ddp;
use common::*;

both_stores!(
    permission_edits_take_effect_immediately,
    |server| async move {
        let admin = server.admin().await;
        let gina = server.create_user(&admin, "gina").await;

        let all = gina.get_ok("/api/v1/permissions.listAll", &[]).await;
        let create_c = all["update"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["_id"] == "create-c")
            .unwrap()
            .clone();
        assert!(
            create_c["roles"]
                .as_array()
                .unwrap()
                .contains(&json!("user")),
            "{create_c}"
        );
        assert_eq!(all["remove"], json!([]));

        // A normal user may not edit permissions.
        let (status, body, _) = gina
            .post(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": "create-c", "roles": ["user"]}]}),
            )
            .await;
        assert_eq!((status, body["error"].as_str()), (403, Some(FORBIDDEN)));

        // Revoke create-c from `user`: gina is refused at once, over REST and DDP.
        let mut watcher = Ddp::connect(&server.url).await;
        watcher.login("gina", "pass-gina").await;
        watcher
            .sub(
                "stream-notify-logged",
                json!(["permissions-changed", false]),
            )
            .await
            .unwrap();
        let before = chrono_now();
        admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": "create-c", "roles": ["admin"]}]}),
            )
            .await;
        let args = watcher
            .event("stream-notify-logged", "permissions-changed")
            .await;
        assert_eq!(args[0], "updated");
        assert_eq!(args[1]["_id"], "create-c");
        assert_eq!(args[1]["roles"], json!(["admin"]));
        let (status, body, _) = gina
            .post("/api/v1/channels.create", json!({"name": unique("nope")}))
            .await;
        assert_eq!(status, 403, "{body}");

        // updatedSince returns just the change.
        let changed = gina
            .get_ok("/api/v1/permissions.listAll", &[("updatedSince", &before)])
            .await;
        assert_eq!(changed["update"].as_array().unwrap().len(), 1, "{changed}");

        // Grant it back through a custom role held by gina.
        let role = admin
        .post_ok("/api/v1/roles.create", json!({"name": "channel-makers", "scope": "Users", "description": "may create channels"}))
        .await;
        let role_id = role["role"]["_id"].as_str().unwrap().to_owned();
        admin
            .post_ok(
                "/api/v1/roles.addUserToRole",
                json!({"roleId": role_id, "username": "gina"}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": "create-c", "roles": ["admin", role_id]}]}),
            )
            .await;
        gina.post_ok("/api/v1/channels.create", json!({"name": unique("yes")}))
            .await;

        // Bad edits change nothing.
        for bad in [
            json!({"permissions": [{"_id": "no-such-permission", "roles": ["admin"]}]}),
            json!({"permissions": [{"_id": "create-c", "roles": ["no-such-role"]}]}),
            json!({"permissions": [{"_id": {"$ne": null}, "roles": []}]}),
            json!({"permissions": "create-c"}),
            json!({}),
        ] {
            let (status, body, _) = admin.post("/api/v1/permissions.update", bad.clone()).await;
            assert_eq!(status, 400, "{bad}: {body}");
        }
        let all = admin.get_ok("/api/v1/permissions.listAll", &[]).await;
        let create_c = all["update"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["_id"] == "create-c")
            .unwrap()
            .clone();
        assert_eq!(create_c["roles"], json!(["admin", role_id]));
    }
);

fn chrono_now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

both_stores!(roles_can_be_managed_and_granted, |server| async move {
    let admin = server.admin().await;
    let hank = server.create_user(&admin, "hank").await;
    let channel = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("roles"), "members": ["hank"]}),
        )
        .await;
    let rid = channel["channel"]["_id"].as_str().unwrap().to_owned();

    let roles = hank.get_ok("/api/v1/roles.list", &[]).await;
    let names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["_id"].as_str())
        .collect();
    for built_in in ["admin", "user", "bot", "owner", "moderator", "leader"] {
        assert!(names.contains(&built_in), "roles.list lacks {built_in}");
    }
    let moderator = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["_id"] == "moderator")
        .unwrap();
    assert_eq!(moderator["scope"], "Subscriptions");
    assert_eq!(moderator["protected"], true);

    // Normal users cannot manage roles.
    let (status, _, _) = hank
        .post("/api/v1/roles.create", json!({"name": "x"}))
        .await;
    assert_eq!(status, 403);
    let (status, body, _) = hank
        .post(
            "/api/v1/roles.addUserToRole",
            json!({"roleId": "admin", "username": "hank"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], "error-action-not-allowed");

    // A room role needs the room; then it shows in the room's roles.
    let (status, body, _) = admin
        .post(
            "/api/v1/roles.addUserToRole",
            json!({"roleId": "moderator", "username": "hank"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    admin
        .post_ok(
            "/api/v1/roles.addUserToRole",
            json!({"roleId": "moderator", "username": "hank", "roomId": rid}),
        )
        .await;
    let (status, body, _) = admin
        .post(
            "/api/v1/roles.addUserToRole",
            json!({"roleId": "moderator", "username": "hank", "roomId": rid}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-user-already-in-role"))
    );
    let in_role = admin
        .get_ok(
            "/api/v1/roles.getUsersInRole",
            &[("role", "moderator"), ("roomId", &rid)],
        )
        .await;
    assert_eq!(in_role["total"], 1);
    assert_eq!(in_role["users"][0]["username"], "hank");
    admin
        .post_ok(
            "/api/v1/roles.removeUserFromRole",
            json!({"roleId": "moderator", "username": "hank", "scope": rid}),
        )
        .await;
    let in_role = admin
        .get_ok(
            "/api/v1/roles.getUsersInRole",
            &[("role", "moderator"), ("roomId", &rid)],
        )
        .await;
    assert_eq!(in_role["total"], 0);

    // The last administrator stays one.
    let (status, body, _) = admin
        .post(
            "/api/v1/roles.removeUserFromRole",
            json!({"roleId": "admin", "username": TEST_ADMIN}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-admin-required")),
        "{body}"
    );

    // Custom roles: create, rename, refuse duplicates, delete when unused; built-ins stay.
    let created = admin
        .post_ok(
            "/api/v1/roles.create",
            json!({"name": "reviewers", "description": "Reviews code"}),
        )
        .await;
    let id = created["role"]["_id"].as_str().unwrap().to_owned();
    let (status, _, _) = admin
        .post("/api/v1/roles.create", json!({"name": "reviewers"}))
        .await;
    assert_eq!(status, 400);
    let (status, _, _) = admin
        .post(
            "/api/v1/roles.create",
            json!({"name": "x", "scope": "Galaxy"}),
        )
        .await;
    assert_eq!(status, 400);
    let updated = admin
        .post_ok(
            "/api/v1/roles.update",
            json!({"roleId": id, "name": "code-reviewers"}),
        )
        .await;
    assert_eq!(updated["role"]["name"], "code-reviewers");
    admin
        .post_ok(
            "/api/v1/roles.addUserToRole",
            json!({"roleName": "code-reviewers", "username": "hank"}),
        )
        .await;
    let public = hank
        .get_ok("/api/v1/roles.getUsersInPublicRoles", &[])
        .await;
    assert!(
        public["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "hank"),
        "{public}"
    );
    let (status, body, _) = admin
        .post("/api/v1/roles.delete", json!({"roleId": id}))
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-role-in-use"))
    );
    admin
        .post_ok(
            "/api/v1/roles.removeUserFromRole",
            json!({"roleId": id, "username": "hank"}),
        )
        .await;
    admin
        .post_ok("/api/v1/roles.delete", json!({"roleId": id}))
        .await;
    let synced = admin
        .get_ok(
            "/api/v1/roles.sync",
            &[("updatedSince", "2000-01-01T00:00:00.000Z")],
        )
        .await;
    assert!(
        synced["roles"]["remove"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["_id"] == id.as_str()),
        "{synced}"
    );
    let (status, body, _) = admin
        .post("/api/v1/roles.delete", json!({"roleId": "admin"}))
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-role-protected"))
    );
});

both_stores!(
    settings_are_validated_applied_and_announced,
    |server| async move {
        let admin = server.admin().await;
        let ivy = server.create_user(&admin, "ivy").await;

        let (status, _, _) = ivy.get("/api/v1/settings/Site_Name").await;
        assert_eq!(status, 403);
        let (status, _, _) = ivy
            .post("/api/v1/settings/Site_Name", json!({"value": "Nope"}))
            .await;
        assert_eq!(status, 403);

        let mut anon = Ddp::connect(&server.url).await;
        anon.sub(
            "stream-notify-all",
            json!(["public-settings-changed", false]),
        )
        .await
        .unwrap();
        admin
            .post_ok("/api/v1/settings/Site_Name", json!({"value": "Acme Chat"}))
            .await;
        let args = anon
            .event("stream-notify-all", "public-settings-changed")
            .await;
        assert_eq!(
            args,
            json!(["updated", {"_id": "Site_Name", "value": "Acme Chat"}])
        );
        let one = admin.get_ok("/api/v1/settings/Site_Name", &[]).await;
        assert_eq!(one["value"], "Acme Chat");
        let public = ivy
            .get_ok("/api/v1/settings.public", &[("_id", "Site_Name")])
            .await;
        assert_eq!(public["settings"][0]["value"], "Acme Chat");

        // Types are checked; unknown settings are 404.
        for (id, bad) in [
            ("Message_MaxAllowedSize", json!("big")),
            ("Accounts_AllowUsernameChange", json!("yes")),
            ("Site_Name", json!({"$ne": null})),
        ] {
            let (status, body, _) = admin
                .post(&format!("/api/v1/settings/{id}"), json!({"value": bad}))
                .await;
            assert_eq!(status, 400, "{id}: {body}");
        }
        let (status, _, _) = admin
            .post("/api/v1/settings/No_Such_Setting", json!({"value": 1}))
            .await;
        assert_eq!(status, 404);

        // A changed setting rules behaviour at once and survives a restart.
        admin
            .post_ok(
                "/api/v1/settings/Message_MaxAllowedSize",
                json!({"value": 10}),
            )
            .await;
        let (status, body, _) = ivy
            .post(
                "/api/v1/chat.postMessage",
                json!({"channel": "#general", "text": "this is far too long"}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        let unique_id = ivy
            .get_ok("/api/v1/settings.public", &[("_id", "uniqueID")])
            .await["settings"][0]["value"]
            .clone();
        assert!(
            unique_id.as_str().is_some_and(|id| id.len() == 17),
            "{unique_id}"
        );
        let mut server = server;
        server.restart().await;
        let again = server
            .anon()
            .get_ok("/api/v1/settings.public", &[("_id", "uniqueID")])
            .await;
        assert_eq!(
            again["settings"][0]["value"], unique_id,
            "the workspace id survives restarts"
        );
        let admin = server.admin().await;
        assert_eq!(
            admin
                .get_ok("/api/v1/settings/Message_MaxAllowedSize", &[])
                .await["value"],
            10
        );
        let listed = admin.get_ok("/api/v1/settings", &[("count", "0")]).await;
        assert!(listed["total"].as_i64().unwrap() > 100);
    }
);

both_stores!(
    rooms_roles_lists_room_roles_to_readers_only,
    |server| async move {
        let admin = server.admin().await;
        let outsider = server.create_user(&admin, "nell").await;
        let group = admin
            .post_ok("/api/v1/groups.create", json!({"name": unique("staff")}))
            .await;
        let gid = group["group"]["_id"].as_str().unwrap().to_owned();
        let roles = admin.get_ok("/api/v1/rooms.roles", &[("rid", &gid)]).await;
        let owners: Vec<&Value> = roles["roles"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["roles"].as_array().unwrap().contains(&json!("owner")))
            .collect();
        assert_eq!(owners.len(), 1, "{roles}");
        assert_eq!(owners[0]["u"]["username"], TEST_ADMIN);
        assert_eq!(owners[0]["rid"], gid.as_str());

        let (status, body, _) = outsider
            .get_query("/api/v1/rooms.roles", &[("rid", &gid)])
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-not-allowed")),
            "{body}"
        );
        let (status, _, _) = outsider.get("/api/v1/rooms.roles").await;
        assert_eq!(status, 400);
    }
);

both_stores!(muted_members_may_read_but_not_post, |server| async move {
    let admin = server.admin().await;
    let carl = server.create_user(&admin, "carl").await;
    let dina = server.create_user(&admin, "dina").await;
    let channel = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("quiet"), "members": ["carl", "dina"]}),
        )
        .await;
    let rid = channel["channel"]["_id"].as_str().unwrap().to_owned();

    // Members without mute-user may not mute.
    let (status, body, _) = dina
        .post(
            "/api/v1/rooms.muteUser",
            json!({"roomId": rid, "username": "carl"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-not-allowed")),
        "{body}"
    );

    admin
        .post_ok(
            "/api/v1/rooms.muteUser",
            json!({"roomId": rid, "username": "carl"}),
        )
        .await;
    let info = admin
        .get_ok("/api/v1/channels.info", &[("roomId", &rid)])
        .await;
    assert_eq!(info["channel"]["muted"], json!(["carl"]), "{info}");
    let (status, body, _) = carl
        .post(
            "/api/v1/chat.postMessage",
            json!({"roomId": rid, "text": "can I speak?"}),
        )
        .await;
    assert_eq!(status, 400, "a muted member may not post: {body}");
    carl.get_ok("/api/v1/channels.history", &[("roomId", &rid)])
        .await;

    // Unmuting over DDP, as the web client does.
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(TEST_ADMIN, TEST_ADMIN).await;
    let done = ddp
        .call(
            "unmuteUserInRoom",
            json!([{"rid": rid, "username": "carl"}]),
        )
        .await
        .unwrap();
    assert_eq!(done, json!(true));
    carl.post_ok(
        "/api/v1/chat.postMessage",
        json!({"roomId": rid, "text": "thanks"}),
    )
    .await;
    let history = admin
        .get_ok("/api/v1/channels.history", &[("roomId", &rid)])
        .await;
    let kinds: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["t"].as_str())
        .collect();
    assert!(
        kinds.contains(&"user-muted") && kinds.contains(&"user-unmuted"),
        "{kinds:?}"
    );

    // Bad input.
    let err = ddp
        .call(
            "muteUserInRoom",
            json!([{"rid": {"$ne": null}, "username": "carl"}]),
        )
        .await
        .unwrap_err();
    assert_eq!(err["error"], 400, "{err}");
    let (status, _, _) = admin
        .post(
            "/api/v1/rooms.muteUser",
            json!({"roomId": rid, "username": "nobody-here"}),
        )
        .await;
    assert_eq!(status, 400);
});

both_stores!(
    selected_settings_are_managed_through_their_own_permission,
    |server| async move {
        let admin = server.admin().await;
        let ivy = server.create_user(&admin, "ivy").await;

        // Every setting has its own permission, held by nobody until granted.
        let all = ivy.get_ok("/api/v1/permissions.listAll", &[]).await;
        let site_name = all["update"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["_id"] == "change-setting-Site_Name")
            .cloned()
            .unwrap_or_else(|| panic!("no change-setting-Site_Name in {all}"));
        assert_eq!(site_name["level"], "settings");
        assert_eq!(site_name["settingId"], "Site_Name");
        assert_eq!(site_name["group"], "General");
        assert_eq!(site_name["roles"], json!([]));

        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login("ivy", "pass-ivy").await;
        assert_eq!(
            ddp.call("private-settings/get", json!([])).await.unwrap(),
            json!([])
        );
        let (status, _, _) = ivy
            .post("/api/v1/settings/Site_Name", json!({"value": "Ivy's"}))
            .await;
        assert_eq!(status, 403);

        // A role holding manage-selected-settings and change-setting-Site_Name.
        admin
            .post_ok(
                "/api/v1/roles.create",
                json!({"name": "site-editor", "scope": "Users"}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [
                    {"_id": "manage-selected-settings", "roles": ["admin", "site-editor"]},
                    {"_id": "change-setting-Site_Name", "roles": ["site-editor"]},
                ]}),
            )
            .await;
        admin
            .post_ok(
                "/api/v1/roles.addUserToRole",
                json!({"roleId": "site-editor", "username": "ivy"}),
            )
            .await;

        ivy.post_ok("/api/v1/settings/Site_Name", json!({"value": "Ivy's"}))
            .await;
        assert_eq!(
            ivy.get_ok("/api/v1/settings/Site_Name", &[]).await["value"],
            "Ivy's"
        );
        for (id, value) in [
            ("Site_Url", json!("http://evil.test")),
            ("Message_MaxAllowedSize", json!(1)),
        ] {
            let (status, _, _) = ivy
                .post(&format!("/api/v1/settings/{id}"), json!({"value": value}))
                .await;
            assert_eq!(status, 403, "{id}");
        }
        let (status, _, _) = ivy.get("/api/v1/settings/Message_MaxAllowedSize").await;
        assert_eq!(status, 403);

        // Over DDP: only the managed setting is listed, and a batch with one refused entry
        // changes nothing.
        let listed = ddp.call("private-settings/get", json!([])).await.unwrap();
        let ids: Vec<&str> = listed
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["Site_Name"], "{listed}");
        assert_eq!(listed[0]["type"], "string");
        let refused = ddp
            .call(
                "saveSettings",
                json!([[{"_id": "Site_Name", "value": "Batch"}, {"_id": "Site_Url", "value": "x"}]]),
            )
            .await
            .unwrap_err();
        assert_eq!(refused["error"], "error-action-not-allowed", "{refused}");
        assert_eq!(
            admin.get_ok("/api/v1/settings/Site_Name", &[]).await["value"],
            "Ivy's"
        );
        ddp.call("saveSetting", json!(["Site_Name", "Via DDP"]))
            .await
            .unwrap();
        ddp.call(
            "saveSettings",
            json!([[{"_id": "Site_Name", "value": "Batch"}]]),
        )
        .await
        .unwrap();
        assert_eq!(
            admin.get_ok("/api/v1/settings/Site_Name", &[]).await["value"],
            "Batch"
        );
        let bad = ddp
            .call("saveSettings", json!([[{"_id": "Site_Name", "value": 5}]]))
            .await
            .unwrap_err();
        assert_eq!(bad["error"], "error-invalid-setting-value", "{bad}");

        // Taking the role away ends it at once.
        admin
            .post_ok(
                "/api/v1/roles.removeUserFromRole",
                json!({"roleId": "site-editor", "username": "ivy"}),
            )
            .await;
        let (status, _, _) = ivy
            .post("/api/v1/settings/Site_Name", json!({"value": "Again"}))
            .await;
        assert_eq!(status, 403);
    }
);

both_stores!(
    login_services_follow_the_oauth_settings,
    |server| async move {
        let admin = server.admin().await;
        let anon = server.anon();
        assert_eq!(
            anon.get_ok("/api/v1/settings.oauth", &[]).await["services"],
            json!([])
        );
        assert_eq!(
            anon.get_ok("/api/v1/service.configurations", &[]).await["configurations"],
            json!([])
        );

        for (id, value) in [
            ("Accounts_OAuth_Google_id", json!("1234.apps.example")),
            (
                "Accounts_OAuth_Google_secret",
                json!("google-client-secret"),
            ),
            ("Accounts_OAuth_Google", json!(true)),
            ("Accounts_OAuth_Nextcloud_id", json!("nc-client")),
            (
                "Accounts_OAuth_Nextcloud_secret",
                json!("nextcloud-client-secret"),
            ),
            ("Accounts_OAuth_Nextcloud", json!(true)),
            // An option in the OAuth group, not a provider.
            ("Accounts_OAuth_Gitlab_merge_users", json!(true)),
        ] {
            admin
                .post_ok(&format!("/api/v1/settings/{id}"), json!({"value": value}))
                .await;
        }

        let (status, oauth, text) = anon.get("/api/v1/settings.oauth").await;
        assert_eq!(status, 200);
        assert_eq!(
            oauth["services"],
            json!([
                {"_id": "google", "name": "google", "clientId": "1234.apps.example",
                 "buttonLabelText": "", "buttonColor": "", "buttonLabelColor": "", "custom": false},
                {"_id": "nextcloud", "name": "nextcloud", "clientId": "nc-client",
                 "buttonLabelText": "Nextcloud", "buttonColor": "#0082c9",
                 "buttonLabelColor": "#ffffff", "custom": false},
            ])
        );
        let (_, configurations, config_text) = anon.get("/api/v1/service.configurations").await;
        assert_eq!(
            configurations["configurations"][0],
            json!({"_id": "google", "service": "google", "clientId": "1234.apps.example"})
        );
        for body in [&text, &config_text] {
            assert!(!body.contains("client-secret"), "a secret leaked: {body}");
        }

        // The publication the Rocket.Chat clients subscribe to before login.
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.sub("meteor.loginServiceConfiguration", json!([]))
            .await
            .unwrap();
        let added = ddp
            .wait_for(|f| f["msg"] == "added" && f["id"] == "google")
            .await;
        assert_eq!(
            added["collection"],
            "meteor_accounts_loginServiceConfiguration"
        );
        assert_eq!(
            added["fields"],
            json!({"service": "google", "clientId": "1234.apps.example"})
        );

        // Disabling a provider removes it; callback URLs are read-only.
        admin
            .post_ok(
                "/api/v1/settings/Accounts_OAuth_Google",
                json!({"value": false}),
            )
            .await;
        let services = anon.get_ok("/api/v1/settings.oauth", &[]).await["services"].clone();
        assert_eq!(services.as_array().unwrap().len(), 1, "{services}");
        assert_eq!(services[0]["name"], "nextcloud");
        let (status, body, _) = admin
            .post(
                "/api/v1/settings/Accounts_OAuth_Google_callback_url",
                json!({"value": "elsewhere"}),
            )
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-setting-readonly")),
            "{body}"
        );

        // Secrets are audited without their values.
        let audit = admin
            .get_ok("/api/v1/audit.list", &[("count", "100")])
            .await;
        let text = audit.to_string();
        assert!(text.contains("Accounts_OAuth_Google_secret"), "{text}");
        assert!(!text.contains("google-client-secret"), "{text}");
    }
);
