//! `users.*` against the real binary, on SQLite and PostgreSQL: creation and registration,
//! reading and listing, profile edits (and renames reaching messages and memberships),
//! deletion with the hand-over of rooms, deactivation, status and presence, preferences,
//! username helpers, sessions and personal access tokens, with Rocket.Chat's error bodies;
//! failing requests change nothing.

mod common;
use common::*;

use sha2::{Digest, Sha256};

/// Asserts a request-shape failure: 400 with `errorType` `invalid-params` (body) or
/// `error-invalid-params` (query).
fn assert_invalid((status, body, _): Response, error_type: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["success"], json!(false), "{body}");
    assert_eq!(body["errorType"], json!(error_type), "{body}");
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn uid(client: &Client) -> String {
    client.user_id.clone().expect("logged-in client")
}

/// POST /api/v1/login, returning the raw answer (for logins expected to fail).
async fn try_login(server: &Server, user: &str, password: &str) -> Response {
    server
        .anon()
        .post("/api/v1/login", json!({"user": user, "password": password}))
        .await
}

async fn users_total(admin: &Client) -> i64 {
    admin.get_ok("/api/v1/users.list", &[("count", "1")]).await["total"]
        .as_i64()
        .expect("total")
}

// ---------------------------------------------------------------------------------------------

both_stores!(create_register_and_info, |server| async move {
    let admin = server.admin().await;
    let anon = server.anon();
    let name = unique("carol");

    // users.create: the full record comes back, the account works.
    let created = admin
        .post_ok(
            "/api/v1/users.create",
            json!({
                "email": format!("{name}@Example.com"),
                "name": "Carol C",
                "password": "pass-carol",
                "username": name,
                "verified": true,
                "roles": ["user"],
                "requirePasswordChange": false,
                "sendWelcomeEmail": false,
                "bio": "hello",
            }),
        )
        .await;
    let user = &created["user"];
    let carol_id = user["_id"].as_str().expect("id").to_owned();
    assert_eq!(user["username"], json!(name));
    assert_eq!(user["name"], json!("Carol C"));
    assert_eq!(user["active"], json!(true));
    assert_eq!(user["roles"], json!(["user"]));
    assert_eq!(user["bio"], json!("hello"));
    assert_eq!(
        user["emails"],
        json!([{"address": format!("{name}@example.com"), "verified": true}])
    );
    assert!(
        user.get("services").is_none() && user.get("password").is_none(),
        "{user}"
    );
    let carol = server.login(&name, "pass-carol").await;
    // joinDefaultChannels defaults to true: carol is in #general.
    let sub = carol
        .get_ok("/api/v1/subscriptions.getOne", &[("roomId", "GENERAL")])
        .await;
    assert_eq!(sub["subscription"]["rid"], json!("GENERAL"), "{sub}");

    let before = users_total(&admin).await;
    let base = |over: Value| {
        let mut body = json!({
            "email": format!("{}@example.com", unique("x")),
            "name": "X",
            "password": "pw",
            "username": unique("x"),
        });
        for (k, v) in over.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    assert_meteor(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"username": name.to_uppercase()})),
            )
            .await,
        "error-field-unavailable",
        &format!("{} is already in use :(", name.to_uppercase()),
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"email": format!("{name}@example.com")})),
            )
            .await,
        "error-field-unavailable",
        &format!("{name}@example.com is already in use :("),
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"username": "bad name!"})),
            )
            .await,
        "error-input-is-not-a-valid-field",
        "bad name! is not a valid username",
    );
    assert_meteor(
        admin
            .post("/api/v1/users.create", base(json!({"username": "admin"})))
            .await,
        "error-blocked-username",
        "admin is blocked and can't be used!",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"email": "not-an-email"})),
            )
            .await,
        "error-invalid-email",
        "Invalid email not-an-email",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"roles": ["no-such-role"]})),
            )
            .await,
        "error-action-not-allowed",
        "The field Roles consist invalid role id",
    );
    assert_failure(
        admin
            .post("/api/v1/users.create", base(json!({"name": "</\\name>"})))
            .await,
        400,
        "Name contains invalid characters",
        None,
    );
    assert_invalid(
        admin
            .post(
                "/api/v1/users.create",
                base(json!({"username": {"$ne": null}})),
            )
            .await,
        "invalid-params",
    );
    assert_invalid(
        admin
            .post("/api/v1/users.create", base(json!({"roles": "admin"})))
            .await,
        "invalid-params",
    );
    assert_invalid(
        admin
            .post("/api/v1/users.create", base(json!({"unexpected": 1})))
            .await,
        "invalid-params",
    );
    assert_failure(
        admin
            .post(
                "/api/v1/users.create",
                json!({"email": "a@b.co", "name": "A", "username": "abc"}),
            )
            .await,
        400,
        "must have required property 'password' [invalid-params]",
        Some("invalid-params"),
    );
    // A normal user may not create accounts.
    assert_meteor(
        carol.post("/api/v1/users.create", base(json!({}))).await,
        "error-action-not-allowed",
        "Adding user is not allowed",
    );
    assert_eq!(
        users_total(&admin).await,
        before,
        "failed creations stored nothing"
    );

    // users.register: anonymous, default roles, joins #general, not an admin here.
    let reg_name = unique("reg");
    let registered = anon
        .post_ok(
            "/api/v1/users.register",
            json!({"username": reg_name, "email": format!("{reg_name}@example.com"), "pass": "pw-reg", "name": "Reg Istered"}),
        )
        .await;
    assert_eq!(registered["user"]["username"], json!(reg_name));
    assert_eq!(registered["user"]["name"], json!("Reg Istered"));
    assert_eq!(registered["user"]["active"], json!(true));
    assert_eq!(registered["user"]["roles"], json!(["user"]));
    assert_eq!(registered["user"]["emails"][0]["verified"], json!(false));
    let reg = server.login(&reg_name, "pw-reg").await;
    let reg_body = |over: Value| {
        let n = unique("r");
        let mut body =
            json!({"username": n, "email": format!("{n}@example.com"), "pass": "pw", "name": "R"});
        for (k, v) in over.as_object().unwrap() {
            body[k] = v.clone();
        }
        body
    };
    assert_failure(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"username": reg_name})),
        )
        .await,
        400,
        "Username is already in use",
        None,
    );
    assert_failure(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"username": "test$username<>"})),
        )
        .await,
        400,
        "The username provided is not valid",
        None,
    );
    assert_failure(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"name": "</\\name>"})),
        )
        .await,
        400,
        "Name contains invalid characters",
        None,
    );
    assert_failure(
        reg.post("/api/v1/users.register", reg_body(json!({})))
            .await,
        400,
        "Logged in users can not register again.",
        None,
    );
    assert_meteor(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"username": "user"})),
        )
        .await,
        "error-blocked-username",
        "user is blocked and can't be used!",
    );
    assert_failure(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"email": format!("{reg_name}@example.com")})),
        )
        .await,
        400,
        "Email already exists. [403]",
        Some("403"),
    );
    assert_invalid(
        anon.post(
            "/api/v1/users.register",
            reg_body(json!({"pass": {"$ne": null}})),
        )
        .await,
        "invalid-params",
    );
    assert_failure(
        anon.post(
            "/api/v1/users.register",
            json!({"username": unique("r"), "email": "r@example.com"}),
        )
        .await,
        400,
        "must have required property 'pass' [invalid-params]",
        Some("invalid-params"),
    );

    // users.info: public fields for others, private ones for oneself and admins.
    let seen_by_reg = reg
        .get_ok("/api/v1/users.info", &[("userId", &carol_id)])
        .await["user"]
        .clone();
    assert_eq!(seen_by_reg["username"], json!(name));
    assert_eq!(seen_by_reg["bio"], json!("hello"));
    assert_eq!(seen_by_reg["canViewAllInfo"], json!(false));
    for private in ["emails", "roles", "lastLogin", "services", "createdAt"] {
        assert!(
            seen_by_reg.get(private).is_none(),
            "{private} leaked: {seen_by_reg}"
        );
    }
    let seen_by_admin = admin
        .get_ok("/api/v1/users.info", &[("username", &name)])
        .await["user"]
        .clone();
    assert_eq!(
        seen_by_admin["emails"][0]["address"],
        json!(format!("{name}@example.com"))
    );
    assert_eq!(seen_by_admin["roles"], json!(["user"]));
    assert!(seen_by_admin.get("services").is_none(), "{seen_by_admin}");
    let myself = carol
        .get_ok(
            "/api/v1/users.info",
            &[("userId", &carol_id), ("includeUserRooms", "true")],
        )
        .await["user"]
        .clone();
    assert_eq!(myself["canViewAllInfo"], json!(true));
    assert_eq!(myself["services"]["password"], json!(true), "{myself}");
    assert!(
        myself["services"]["resume"]["loginTokens"]
            .as_array()
            .is_some_and(|t| !t.is_empty())
    );
    let rooms = myself["rooms"].as_array().expect("rooms");
    assert!(
        rooms
            .iter()
            .any(|r| r["rid"] == json!("GENERAL") && r.get("unread").is_some()),
        "{myself}"
    );
    // Another user's rooms need view-other-user-channels.
    let other_rooms = reg
        .get_ok(
            "/api/v1/users.info",
            &[("userId", &carol_id), ("includeUserRooms", "true")],
        )
        .await;
    assert!(other_rooms["user"].get("rooms").is_none(), "{other_rooms}");
    let admin_view = admin
        .get_ok(
            "/api/v1/users.info",
            &[("userId", &carol_id), ("fields", r#"{"userRooms":1}"#)],
        )
        .await;
    assert!(admin_view["user"]["rooms"].is_array(), "{admin_view}");
    assert_failure(
        admin
            .get_query("/api/v1/users.info", &[("username", "invalid-username")])
            .await,
        400,
        "User not found.",
        None,
    );
    assert_invalid(
        admin.get("/api/v1/users.info").await,
        "error-invalid-params",
    );

    // deleteOwnAccount is off by default.
    assert_meteor(
        reg.post(
            "/api/v1/users.deleteOwnAccount",
            json!({"password": sha256_hex("pw-reg")}),
        )
        .await,
        "error-not-allowed",
        "Not allowed",
    );
    assert_failure(
        reg.post("/api/v1/users.deleteOwnAccount", json!({})).await,
        400,
        "Body parameter \"password\" is required.",
        None,
    );
});

both_stores!(list_and_queries, |server| async move {
    let admin = server.admin().await;
    let name = unique("lister");
    let lister = server.create_user(&admin, &name).await;
    let other = unique("other");
    server.create_user(&admin, &other).await;

    let page = admin.get_ok("/api/v1/users.list", &[]).await;
    let users = page["users"].as_array().expect("users");
    assert_eq!(page["count"], json!(users.len()));
    assert_eq!(page["offset"], json!(0));
    assert!(page["total"].as_i64().unwrap() >= 4, "{page}");
    let mine = users
        .iter()
        .find(|u| u["username"] == json!(name))
        .expect("listed");
    for key in [
        "_id", "name", "username", "emails", "roles", "status", "active", "type",
    ] {
        assert!(
            mine.get(key).is_some(),
            "{key} missing for the admin: {mine}"
        );
    }
    assert!(
        mine.get("services").is_none() && mine.get("statusDefault").is_none(),
        "{mine}"
    );

    // Queries and projections.
    let query = format!(r#"{{"username": "{name}"}}"#);
    let found = admin
        .get_ok(
            "/api/v1/users.list",
            &[("query", &query), ("fields", r#"{"createdAt": 1}"#)],
        )
        .await;
    assert_eq!(found["total"], json!(1), "{found}");
    assert!(found["users"][0]["createdAt"].is_string(), "{found}");
    let by_regex = admin
        .get_ok(
            "/api/v1/users.list",
            &[
                ("query", &format!(r#"{{"$or": [{{"username": {{"$regex": "^{name}$"}}}}, {{"username": "{other}"}}]}}"#)),
                ("sort", r#"{"username": -1}"#),
            ],
        )
        .await;
    let names: Vec<&str> = by_regex["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    let mut expected = vec![name.as_str(), other.as_str()];
    expected.sort();
    expected.reverse();
    assert_eq!(names, expected);
    let paged = admin
        .get_ok("/api/v1/users.list", &[("count", "1"), ("offset", "1")])
        .await;
    assert_eq!(paged["count"], json!(1));
    assert_eq!(paged["offset"], json!(1));

    // A normal user gets public shapes and may not query private fields.
    let seen = lister
        .get_ok("/api/v1/users.list", &[("query", &query)])
        .await;
    let me = &seen["users"][0];
    assert_eq!(me["username"], json!(name));
    for private in ["emails", "roles", "lastLogin"] {
        assert!(me.get(private).is_none(), "{private} leaked: {me}");
    }
    let email_probe = format!(r#"{{"emails.address": "{name}@example.com"}}"#);
    let resp = lister
        .get_query("/api/v1/users.list", &[("query", &email_probe)])
        .await;
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert_eq!(resp.1["errorType"], json!("error-invalid-query"));
    let resp = admin
        .get_query("/api/v1/users.list", &[("query", r#"{"$where": "1"}"#)])
        .await;
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert_eq!(resp.1["errorType"], json!("error-invalid-query"));
    let resp = admin
        .get_query(
            "/api/v1/users.list",
            &[("query", r#"{"password": {"$ne": null}}"#)],
        )
        .await;
    assert_eq!(
        resp.1["errorType"],
        json!("error-invalid-query"),
        "{}",
        resp.1
    );
    let resp = admin
        .get_query("/api/v1/users.list", &[("query", "{not json")])
        .await;
    assert_eq!(resp.0, 400, "{}", resp.1);

    // Without view-d-room (the anonymous role lacks it): 403.
    let anon_name = unique("anon");
    admin
        .post_ok(
            "/api/v1/users.create",
            json!({"email": format!("{anon_name}@example.com"), "name": "A", "password": "pw-anon", "username": anon_name, "roles": ["anonymous"], "joinDefaultChannels": false}),
        )
        .await;
    let restricted = server.login(&anon_name, "pw-anon").await;
    assert_failure(
        restricted.get("/api/v1/users.list").await,
        403,
        FORBIDDEN,
        None,
    );
});

both_stores!(update_and_rename, |server| async move {
    let admin = server.admin().await;
    let store = open_store(&server).await;
    let name = unique("dave");
    let dave = server.create_user(&admin, &name).await;
    let dave_id = uid(&dave);
    let eve_name = unique("eve");
    let eve = server.create_user(&admin, &eve_name).await;

    // Dave posts in #general, then gets renamed: his messages and membership follow.
    let posted = dave
        .post_ok(
            "/api/v1/chat.postMessage",
            json!({"roomId": "GENERAL", "text": "before the rename"}),
        )
        .await;
    let msg_id = posted["message"]["_id"]
        .as_str()
        .expect("message id")
        .to_owned();
    let dm = dave
        .post_ok("/api/v1/im.create", json!({"username": eve_name}))
        .await;
    let dm_rid = dm["room"]["_id"].as_str().expect("dm id").to_owned();
    let new_name = unique("david");
    let updated = admin
        .post_ok(
            "/api/v1/users.update",
            json!({"userId": dave_id, "data": {
                "username": new_name,
                "name": "David D",
                "email": format!("{new_name}@example.com"),
                "bio": "bio text",
                "nickname": "dd",
                "statusText": "  hi there  ",
                "requirePasswordChange": true,
            }}),
        )
        .await;
    let user = &updated["user"];
    assert_eq!(user["username"], json!(new_name));
    assert_eq!(user["name"], json!("David D"));
    assert_eq!(
        user["emails"],
        json!([{"address": format!("{new_name}@example.com"), "verified": false}])
    );
    assert_eq!(user["bio"], json!("bio text"));
    assert_eq!(user["nickname"], json!("dd"));
    assert_eq!(user["statusText"], json!("hi there"));
    assert_eq!(user["requirePasswordChange"], json!(true));
    let message = store
        .message_by_id(&msg_id)
        .await
        .unwrap()
        .expect("message kept");
    assert_eq!(
        message.user.username, new_name,
        "the message follows the rename"
    );
    assert_eq!(message.user.name.as_deref(), Some("David D"));
    let sub = store
        .subscription("GENERAL", &dave_id)
        .await
        .unwrap()
        .expect("membership");
    assert_eq!(
        sub.user.username, new_name,
        "the membership follows the rename"
    );
    let general = store.room_by_id("GENERAL").await.unwrap().unwrap();
    let last = general.last_message.expect("last message");
    assert_eq!(last.id, msg_id);
    assert_eq!(
        last.user.username, new_name,
        "the room's last message follows"
    );
    let dm_room = store.room_by_id(&dm_rid).await.unwrap().unwrap();
    assert!(
        dm_room.usernames.contains(&new_name) && !dm_room.usernames.contains(&name),
        "{:?}",
        dm_room.usernames
    );
    let eve_side = store
        .subscription(&dm_rid, &uid(&eve))
        .await
        .unwrap()
        .expect("eve's side of the DM");
    assert_eq!(
        eve_side.name, new_name,
        "the DM is named after the new username"
    );
    let via_api = admin
        .get_ok("/api/v1/chat.getMessage", &[("msgId", &msg_id)])
        .await;
    assert_eq!(
        via_api["message"]["u"]["username"],
        json!(new_name),
        "{via_api}"
    );
    // The same email again keeps it; verified can be set on its own.
    let verified = admin
        .post_ok("/api/v1/users.update", json!({"userId": dave_id, "data": {"email": format!("{new_name}@example.com"), "verified": true}}))
        .await;
    assert_eq!(verified["user"]["emails"][0]["verified"], json!(true));
    // A new password set by an admin works; the old one does not.
    admin
        .post_ok(
            "/api/v1/users.update",
            json!({"userId": dave_id, "data": {"password": "new-pass-1"}}),
        )
        .await;
    server.login(&new_name, "new-pass-1").await;
    assert_eq!(
        try_login(&server, &new_name, &format!("pass-{name}"))
            .await
            .0,
        401
    );

    // Failures, none of which changes anything.
    let snapshot = store.user_by_id(&dave_id).await.unwrap().unwrap();
    let upd = |data: Value| json!({"userId": dave_id, "data": data});
    assert_meteor(
        eve.post("/api/v1/users.update", upd(json!({"name": "Hacked"})))
            .await,
        "error-action-not-allowed",
        "Editing user is not allowed",
    );
    assert_meteor(
        admin
            .post("/api/v1/users.update", upd(json!({"username": "admin"})))
            .await,
        "error-could-not-save-identity",
        "Could not save user identity",
    );
    assert_meteor(
        admin
            .post("/api/v1/users.update", upd(json!({"username": eve_name})))
            .await,
        "error-could-not-save-identity",
        "Could not save user identity",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                upd(json!({"username": "no spaces"})),
            )
            .await,
        "error-input-is-not-a-valid-field",
        "no spaces is not a valid username",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                upd(json!({"email": format!("{eve_name}@example.com")})),
            )
            .await,
        "error-field-unavailable",
        &format!("{eve_name}@example.com is already in use :("),
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                upd(json!({"nickname": "n".repeat(121)})),
            )
            .await,
        "error-nickname-size-exceeded",
        "Nickname size exceeds 120 characters",
    );
    assert_meteor(
        admin
            .post("/api/v1/users.update", upd(json!({"bio": "b".repeat(261)})))
            .await,
        "error-bio-size-exceeded",
        "Bio size exceeds 260 characters",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                upd(json!({"roles": ["user", "bogus"]})),
            )
            .await,
        "error-action-not-allowed",
        "The field Roles consist invalid role id",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                json!({"userId": "no-such-user", "data": {"name": "X"}}),
            )
            .await,
        "error-invalid-user",
        "Invalid user",
    );
    assert_failure(
        admin
            .post(
                "/api/v1/users.update",
                upd(json!({"joinDefaultChannels": true})),
            )
            .await,
        400,
        "must NOT have additional properties [invalid-params]",
        Some("invalid-params"),
    );
    assert_failure(
        admin
            .post("/api/v1/users.update", json!({"userId": "", "data": {}}))
            .await,
        400,
        "must NOT have fewer than 1 characters [invalid-params]",
        Some("invalid-params"),
    );
    assert_invalid(
        admin
            .post("/api/v1/users.update", upd(json!({"name": {"$ne": null}})))
            .await,
        "invalid-params",
    );
    assert_invalid(
        admin
            .post("/api/v1/users.update", json!({"userId": dave_id}))
            .await,
        "invalid-params",
    );
    assert_invalid(
        admin
            .post(
                "/api/v1/users.update",
                json!({"userId": dave_id, "data": "x"}),
            )
            .await,
        "invalid-params",
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.update",
                json!({"userId": TEST_ADMIN, "data": {"verified": true}}),
            )
            .await,
        "error-action-not-allowed",
        "Editing email verification is not allowed",
    );
    assert_eq!(
        store.user_by_id(&dave_id).await.unwrap().unwrap(),
        snapshot,
        "failed updates changed nothing"
    );

    // updateOwnBasicInfo: names freely, e-mail and password only with the current password.
    let eve_id = uid(&eve);
    let eve_new = unique("evelyn");
    let own = eve
        .post_ok(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"name": "Evelyn", "username": eve_new, "bio": "mine"}}),
        )
        .await;
    assert_eq!(own["user"]["username"], json!(eve_new));
    assert_eq!(own["user"]["name"], json!("Evelyn"));
    assert_eq!(own["user"]["bio"], json!("mine"));
    let new_email = format!("{eve_new}@example.org");
    let resp = eve
        .post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"email": new_email}}),
        )
        .await;
    assert_eq!(resp.0, 400, "{}", resp.1);
    assert_eq!(resp.1["errorType"], json!("totp-required"), "{}", resp.1);
    assert_eq!(resp.1["error"], json!("TOTP Required [totp-required]"));
    assert_eq!(resp.1["details"]["method"], json!("password"));
    let resp = eve
        .post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"email": new_email, "currentPassword": sha256_hex("wrong")}}),
        )
        .await;
    assert_eq!(resp.1["errorType"], json!("totp-invalid"), "{}", resp.1);
    let current = sha256_hex(&format!("pass-{eve_name}"));
    let own = eve
        .post_ok(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"email": new_email, "currentPassword": current}}),
        )
        .await;
    assert_eq!(
        own["user"]["emails"],
        json!([{"address": new_email, "verified": false}])
    );
    assert_meteor(
        eve.post("/api/v1/users.updateOwnBasicInfo", json!({"data": {"newPassword": format!("pass-{eve_name}"), "currentPassword": current}})).await,
        "error-password-same-as-current",
        "Entered password same as current password",
    );
    // A second session of eve's ends when she changes her password.
    let other_session = server.login(&eve_new, &format!("pass-{eve_name}")).await;
    eve.post_ok(
        "/api/v1/users.updateOwnBasicInfo",
        json!({"data": {"newPassword": "eve-new-pass", "currentPassword": current}}),
    )
    .await;
    assert_eq!(
        other_session.get("/api/v1/me").await.0,
        401,
        "other sessions are logged out"
    );
    eve.get_ok("/api/v1/me", &[]).await;
    server.login(&eve_new, "eve-new-pass").await;
    assert_meteor(
        eve.post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"username": "system"}}),
        )
        .await,
        "error-could-not-save-identity",
        "Could not save user identity",
    );
    assert_meteor(
        eve.post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"name": "   "}}),
        )
        .await,
        "error-could-not-save-identity",
        "Could not save user identity",
    );
    assert_failure(
        eve.post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"name": "a<b"}}),
        )
        .await,
        400,
        "Name contains invalid characters",
        None,
    );
    assert_invalid(
        eve.post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"roles": ["admin"]}}),
        )
        .await,
        "invalid-params",
    );
    assert_invalid(
        eve.post(
            "/api/v1/users.updateOwnBasicInfo",
            json!({"data": {"username": ["x"]}}),
        )
        .await,
        "invalid-params",
    );
    let eve_now = store.user_by_id(&eve_id).await.unwrap().unwrap();
    assert_eq!(eve_now.username, eve_new);
    assert_eq!(eve_now.roles, vec!["user".to_owned()]);
});

both_stores!(
    delete_and_relinquish,
    envs = [("OVERWRITE_SETTING_Accounts_AllowDeleteOwnAccount", "true")],
    |server| async move {
        let admin = server.admin().await;
        let store = open_store(&server).await;
        let name = unique("fred");
        let fred = server.create_user(&admin, &name).await;
        let fred_id = uid(&fred);

        // Fred owns a channel the admin is in, and one where he is alone.
        let shared = unique("shared-");
        let shared_rid = fred
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": shared, "members": [TEST_ADMIN]}),
            )
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let lonely = unique("lonely-");
        let lonely_rid = fred
            .post_ok("/api/v1/channels.create", json!({"name": lonely}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let posted = fred
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": "GENERAL", "text": "soon gone"}),
            )
            .await;
        let msg_id = posted["message"]["_id"].as_str().unwrap().to_owned();

        // Permission, parameters, unknown users.
        assert_failure(
            fred.post("/api/v1/users.delete", json!({"userId": TEST_ADMIN}))
                .await,
            403,
            FORBIDDEN,
            None,
        );
        assert_meteor(
            admin.post("/api/v1/users.delete", json!({})).await,
            "error-user-param-not-provided",
            "The required \"userId\" or \"username\" param was not provided",
        );
        assert_meteor(
            admin
                .post("/api/v1/users.delete", json!({"userId": "nobody"}))
                .await,
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
        );
        assert_invalid(
            admin
                .post("/api/v1/users.delete", json!({"userId": {"$ne": null}}))
                .await,
            "invalid-params",
        );
        assert_meteor(
            admin
                .post("/api/v1/users.delete", json!({"userId": "rocket.cat"}))
                .await,
            "error-action-not-allowed",
            "Deleting the rocket.cat user is not allowed",
        );
        assert_meteor(
            admin
                .post("/api/v1/users.delete", json!({"userId": TEST_ADMIN}))
                .await,
            "error-action-not-allowed",
            "Leaving the app without admins is not allowed",
        );

        // The last owner: refused without confirmRelinquish, with the rooms named.
        let (status, body, _) = admin
            .post("/api/v1/users.delete", json!({"username": name}))
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], json!("[user-last-owner]"));
        assert_eq!(body["errorType"], json!("user-last-owner"));
        assert_eq!(
            body["details"]["shouldChangeOwner"],
            json!([shared]),
            "{body}"
        );
        assert_eq!(
            body["details"]["shouldBeRemoved"],
            json!([lonely]),
            "{body}"
        );
        assert!(
            store.user_by_id(&fred_id).await.unwrap().is_some(),
            "nothing happened"
        );
        assert!(store.room_by_id(&lonely_rid).await.unwrap().is_some());

        admin
            .post_ok(
                "/api/v1/users.delete",
                json!({"userId": fred_id, "confirmRelinquish": true}),
            )
            .await;
        assert!(store.user_by_id(&fred_id).await.unwrap().is_none());
        assert_eq!(
            fred.get("/api/v1/me").await.0,
            401,
            "the deleted user's tokens are gone"
        );
        let roles = admin
            .get_ok("/api/v1/channels.roles", &[("roomId", &shared_rid)])
            .await;
        let roles = roles["roles"].as_array().unwrap();
        assert_eq!(roles.len(), 1, "{roles:?}");
        assert_eq!(roles[0]["u"]["_id"], json!(TEST_ADMIN));
        assert_eq!(roles[0]["roles"], json!(["owner"]));
        assert!(
            store.room_by_id(&lonely_rid).await.unwrap().is_none(),
            "the orphaned room is removed"
        );
        assert!(
            store.message_by_id(&msg_id).await.unwrap().is_none(),
            "Message_ErasureType Delete"
        );
        assert!(
            store
                .subscription("GENERAL", &fred_id)
                .await
                .unwrap()
                .is_none()
        );

        // deleteOwnAccount: the password digest (any case), and the same ownership rules.
        let gina_name = unique("gina");
        let gina = server.create_user(&admin, &gina_name).await;
        let gina_id = uid(&gina);
        let own_room = unique("own-");
        gina.post_ok(
            "/api/v1/channels.create",
            json!({"name": own_room, "members": [TEST_ADMIN]}),
        )
        .await;
        assert_meteor(
            gina.post(
                "/api/v1/users.deleteOwnAccount",
                json!({"password": sha256_hex("wrong")}),
            )
            .await,
            "error-invalid-password",
            "Invalid password",
        );
        assert_invalid(
            gina.post("/api/v1/users.deleteOwnAccount", json!({"password": ["x"]}))
                .await,
            "invalid-params",
        );
        let digest = sha256_hex(&format!("pass-{gina_name}")).to_uppercase();
        let (status, body, _) = gina
            .post(
                "/api/v1/users.deleteOwnAccount",
                json!({"password": digest}),
            )
            .await;
        assert_eq!(
            (status, body["errorType"].clone()),
            (400, json!("user-last-owner")),
            "{body}"
        );
        gina.post_ok(
            "/api/v1/users.deleteOwnAccount",
            json!({"password": digest, "confirmRelinquish": true}),
        )
        .await;
        assert!(store.user_by_id(&gina_id).await.unwrap().is_none());
        assert_failure(
            try_login(&server, &gina_name, &format!("pass-{gina_name}")).await,
            401,
            "Unauthorized",
            None,
        );
    }
);

both_stores!(active_status_and_sessions, |server| async move {
    let admin = server.admin().await;
    let name = unique("hank");
    let hank = server.create_user(&admin, &name).await;
    let hank_id = uid(&hank);
    let pat = hank
        .post_ok(
            "/api/v1/users.generatePersonalAccessToken",
            json!({"tokenName": "bot"}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let hank_pat = hank.with_auth(&hank_id, &pat);

    // Permissions and shapes first.
    assert_failure(
        hank.post(
            "/api/v1/users.setActiveStatus",
            json!({"userId": TEST_ADMIN, "activeStatus": false}),
        )
        .await,
        403,
        FORBIDDEN,
        None,
    );
    assert_invalid(
        admin
            .post(
                "/api/v1/users.setActiveStatus",
                json!({"userId": hank_id, "activeStatus": "nope"}),
            )
            .await,
        "invalid-params",
    );
    assert_invalid(
        admin
            .post("/api/v1/users.setActiveStatus", json!({"userId": hank_id}))
            .await,
        "invalid-params",
    );
    assert_failure(
        admin
            .post(
                "/api/v1/users.setActiveStatus",
                json!({"userId": "ghost", "activeStatus": false}),
            )
            .await,
        400,
        "User not found",
        None,
    );
    assert_meteor(
        admin
            .post(
                "/api/v1/users.setActiveStatus",
                json!({"userId": TEST_ADMIN, "activeStatus": false}),
            )
            .await,
        "error-action-not-allowed",
        "Leaving the app without an active admin is not allowed",
    );

    // Hank owns a room: deactivating him needs confirmRelinquish, and hands it over.
    let room = unique("hanks-");
    let rid = hank
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": room, "members": [TEST_ADMIN]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body, _) = admin
        .post(
            "/api/v1/users.setActiveStatus",
            json!({"userId": hank_id, "activeStatus": false}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], json!("[user-last-owner]"));
    assert_eq!(
        body["details"]["shouldChangeOwner"],
        json!([room]),
        "{body}"
    );
    hank.get_ok("/api/v1/me", &[]).await;

    // Deactivation logs the user out everywhere, personal access tokens included.
    let body = admin
        .post_ok(
            "/api/v1/users.setActiveStatus",
            json!({"userId": hank_id, "activeStatus": false, "confirmRelinquish": true}),
        )
        .await;
    assert_eq!(body["user"], json!({"_id": hank_id, "active": false}));
    let roles = admin
        .get_ok("/api/v1/channels.roles", &[("roomId", &rid)])
        .await;
    let owners: Vec<&Value> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["roles"].as_array().unwrap().contains(&json!("owner")))
        .collect();
    assert_eq!(owners.len(), 2, "the admin became an owner too: {roles}");
    assert_eq!(hank.get("/api/v1/me").await.0, 401);
    assert_eq!(hank_pat.get("/api/v1/me").await.0, 401);
    let (status, body, _) = try_login(&server, &name, &format!("pass-{name}")).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["error"],
        json!("error-user-is-not-activated"),
        "{body}"
    );
    let info = admin
        .get_ok("/api/v1/users.info", &[("userId", &hank_id)])
        .await;
    assert_eq!(info["user"]["active"], json!(false));
    let body = admin
        .post_ok(
            "/api/v1/users.setActiveStatus",
            json!({"userId": hank_id, "activeStatus": true}),
        )
        .await;
    assert_eq!(body["user"]["active"], json!(true));
    let hank = server.login(&name, &format!("pass-{name}")).await;

    // users.logout: oneself, or others with logout-other-user.
    let ida_name = unique("ida");
    let ida = server.create_user(&admin, &ida_name).await;
    let ida_id = uid(&ida);
    assert_failure(
        hank.post("/api/v1/users.logout", json!({"userId": ida_id}))
            .await,
        403,
        "unauthorized",
        None,
    );
    assert_eq!(
        ida.get("/api/v1/me").await.0,
        200,
        "a refused logout changes nothing"
    );
    let body = admin
        .post_ok("/api/v1/users.logout", json!({"userId": ida_id}))
        .await;
    assert_eq!(
        body["message"],
        json!(format!("User {ida_id} has been logged out!"))
    );
    assert_eq!(ida.get("/api/v1/me").await.0, 401);
    assert_meteor(
        admin
            .post("/api/v1/users.logout", json!({"userId": "ghost"}))
            .await,
        "error-invalid-user-id",
        "Invalid user id",
    );
    let body = hank.post_ok("/api/v1/users.logout", json!({})).await;
    assert_eq!(
        body["message"],
        json!(format!("User {hank_id} has been logged out!"))
    );
    assert_eq!(hank.get("/api/v1/me").await.0, 401);

    // logoutOtherClients keeps the calling session only.
    let first = server.login(&name, &format!("pass-{name}")).await;
    let second = server.login(&name, &format!("pass-{name}")).await;
    let body = second
        .post_ok("/api/v1/users.logoutOtherClients", json!({}))
        .await;
    assert_eq!(body["token"], json!(second.token.clone().unwrap()));
    assert!(
        body["tokenExpires"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
    assert_eq!(first.get("/api/v1/me").await.0, 401);
    assert_eq!(second.get("/api/v1/me").await.0, 200);
});

both_stores!(
    status_presence_preferences_and_lookup,
    |server| async move {
        let admin = server.admin().await;
        let name = unique("jill");
        let jill = server.create_user(&admin, &name).await;
        let jill_id = uid(&jill);
        let kate_name = unique("kate");
        let kate = server.create_user(&admin, &kate_name).await;
        let kate_id = uid(&kate);

        // Status.
        jill.post_ok(
            "/api/v1/users.setStatus",
            json!({"status": "busy", "message": "  in a meeting "}),
        )
        .await;
        let own = jill.get_ok("/api/v1/users.getStatus", &[]).await;
        assert_eq!(own["_id"], json!(jill_id));
        assert_eq!(own["status"], json!("busy"));
        assert_eq!(own["connectionStatus"], json!("offline"));
        let seen = kate
            .get_ok("/api/v1/users.getStatus", &[("username", &name)])
            .await;
        assert_eq!(seen["status"], json!("busy"));
        assert!(seen.get("connectionStatus").is_none(), "{seen}");
        let presence = kate
            .get_ok("/api/v1/users.getPresence", &[("userId", &jill_id)])
            .await;
        assert_eq!(presence["presence"], json!("busy"));
        let own_presence = jill.get_ok("/api/v1/users.getPresence", &[]).await;
        assert_eq!(own_presence["presence"], json!("busy"));
        assert!(own_presence["lastLogin"].is_string(), "{own_presence}");
        let info = kate
            .get_ok("/api/v1/users.info", &[("userId", &jill_id)])
            .await;
        assert_eq!(info["user"]["statusText"], json!("in a meeting"));
        let all = kate.get_ok("/api/v1/users.presence", &[]).await;
        assert_eq!(all["full"], json!(true));
        let listed = all["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["_id"] == json!(jill_id))
            .expect("jill is not offline");
        assert_eq!(listed["status"], json!("busy"));
        assert_eq!(listed["statusText"], json!("in a meeting"));
        assert!(listed.get("emails").is_none());
        let by_ids = kate
            .get_ok(
                "/api/v1/users.presence",
                &[("ids[]", &jill_id), ("ids[]", &kate_id)],
            )
            .await;
        assert_eq!(by_ids["full"], json!(false));
        assert_eq!(
            by_ids["users"].as_array().unwrap().len(),
            1,
            "kate is offline: {by_ids}"
        );
        let recent = kate
            .get_ok(
                "/api/v1/users.presence",
                &[("from", "2000-01-01T00:00:00.000Z")],
            )
            .await;
        assert_eq!(recent["full"], json!(true));
        let now = chrono_now_iso();
        let since_now = kate
            .get_ok("/api/v1/users.presence", &[("from", &now)])
            .await;
        assert_eq!(since_now["full"], json!(false));

        assert_meteor(
            jill.post("/api/v1/users.setStatus", json!({"status": "invalid"}))
                .await,
            "error-invalid-status",
            "Valid status types include online, away, offline, and busy.",
        );
        assert_failure(
            jill.post("/api/v1/users.setStatus", json!({})).await,
            400,
            "Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation",
            None,
        );
        assert_failure(
            jill.post("/api/v1/users.setStatus", json!({"status": {"$ne": null}}))
                .await,
            400,
            "Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation",
            None,
        );
        assert_failure(
            jill.post(
                "/api/v1/users.setStatus",
                json!({"status": "away", "userId": kate_id}),
            )
            .await,
            403,
            "unauthorized",
            None,
        );
        admin
            .post_ok(
                "/api/v1/users.setStatus",
                json!({"status": "away", "message": "", "userId": kate_id}),
            )
            .await;
        assert_eq!(
            kate.get_ok("/api/v1/users.getStatus", &[]).await["status"],
            json!("away")
        );
        assert_meteor(
            kate.get_query("/api/v1/users.getStatus", &[("userId", "ghost")])
                .await,
            "error-invalid-user",
            "The required \"userId\" or \"username\" param provided does not match any users",
        );
        assert_eq!(
            jill.get_ok("/api/v1/users.getStatus", &[]).await["status"],
            json!("busy"),
            "failed calls changed nothing"
        );

        // Preferences: known keys with the right types only.
        let set = jill
        .post_ok(
            "/api/v1/users.setPreferences",
            json!({"data": {"useEmojis": false, "idleTimeLimit": 600, "sidebarViewMode": "condensed", "highlights": ["deploy"], "language": "de", "emailNotificationMode": "all"}}),
        )
        .await;
        assert_eq!(set["user"]["_id"], json!(jill_id));
        let prefs = &set["user"]["settings"]["preferences"];
        assert_eq!(prefs["useEmojis"], json!(false));
        assert_eq!(prefs["language"], json!("de"));
        assert_eq!(prefs["emailNotificationMode"], json!("mentions"));
        let got = jill.get_ok("/api/v1/users.getPreferences", &[]).await;
        assert_eq!(
            got["preferences"],
            json!({"useEmojis": false, "idleTimeLimit": 600, "sidebarViewMode": "condensed", "highlights": ["deploy"], "emailNotificationMode": "mentions", "language": "de"})
        );
        let me = jill.get_ok("/api/v1/me", &[]).await;
        assert_eq!(me["settings"]["preferences"]["useEmojis"], json!(false));
        assert_eq!(
            me["settings"]["preferences"]["convertAsciiEmoji"],
            json!(true),
            "defaults fill in /me"
        );
        assert_failure(
            jill.post(
                "/api/v1/users.setPreferences",
                json!({"data": {"notAPreference": true}}),
            )
            .await,
            400,
            "must NOT have additional properties [invalid-params]",
            Some("invalid-params"),
        );
        assert_invalid(
            jill.post(
                "/api/v1/users.setPreferences",
                json!({"data": {"useEmojis": "yes"}}),
            )
            .await,
            "invalid-params",
        );
        assert_invalid(
            jill.post(
                "/api/v1/users.setPreferences",
                json!({"data": {"idleTimeLimit": {"$gt": 1}}}),
            )
            .await,
            "invalid-params",
        );
        assert_invalid(
            jill.post("/api/v1/users.setPreferences", json!({})).await,
            "invalid-params",
        );
        assert_meteor(
            jill.post(
                "/api/v1/users.setPreferences",
                json!({"userId": kate_id, "data": {"useEmojis": false}}),
            )
            .await,
            "error-action-not-allowed",
            "Editing user is not allowed",
        );
        assert_meteor(
            admin
                .post(
                    "/api/v1/users.setPreferences",
                    json!({"userId": "ghost", "data": {"useEmojis": false}}),
                )
                .await,
            "error-invalid-user",
            "The optional \"userId\" param provided does not match any users",
        );
        let other = admin
            .post_ok(
                "/api/v1/users.setPreferences",
                json!({"userId": kate_id, "data": {"hideRoles": true}}),
            )
            .await;
        assert_eq!(
            other["user"]["settings"]["preferences"],
            json!({"hideRoles": true})
        );
        assert_eq!(
            jill.get_ok("/api/v1/users.getPreferences", &[]).await,
            got,
            "failed calls changed nothing"
        );

        // Usernames.
        let own_name = jill
            .get_ok(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", &name)],
            )
            .await;
        assert_eq!(own_name["result"], json!(true));
        let taken = jill
            .get_ok(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", &kate_name)],
            )
            .await;
        assert_eq!(taken["result"], json!(false));
        let free = jill
            .get_ok(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", &unique("free"))],
            )
            .await;
        assert_eq!(free["result"], json!(true));
        assert_meteor(
            jill.get_query(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", "here")],
            )
            .await,
            "error-blocked-username",
            "here is blocked and can't be used!",
        );
        assert_failure(
            jill.get("/api/v1/users.checkUsernameAvailability").await,
            400,
            "must have required property 'username'",
            Some("error-invalid-params"),
        );
        assert_eq!(
            server
                .anon()
                .get("/api/v1/users.checkUsernameAvailability")
                .await
                .0,
            401
        );
        let suggestion = jill
            .get_ok("/api/v1/users.getUsernameSuggestion", &[])
            .await;
        let suggested = suggestion["result"].as_str().expect("a suggestion");
        assert!(!suggested.is_empty() && suggested != name, "{suggestion}");
        let free = jill
            .get_ok(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", suggested)],
            )
            .await;
        assert_eq!(free["result"], json!(true), "the suggestion is free");

        // Autocomplete.
        let selector = format!(r#"{{"term": "{}"}}"#, &kate_name[..6]);
        let found = jill
            .get_ok("/api/v1/users.autocomplete", &[("selector", &selector)])
            .await;
        let item = found["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["username"] == json!(kate_name))
            .expect("kate found");
        assert_eq!(item["_id"], json!(kate_id));
        assert_eq!(item["name"], json!(format!("User {kate_name}")));
        assert!(
            item.get("status").is_some() && item.get("emails").is_none(),
            "{item}"
        );
        let excepted = format!(
            r#"{{"term": "{}", "exceptions": ["{kate_name}"]}}"#,
            &kate_name[..6]
        );
        let found = jill
            .get_ok("/api/v1/users.autocomplete", &[("selector", &excepted)])
            .await;
        assert!(
            found["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|i| i["username"] != json!(kate_name))
        );
        let conditions = format!(
            r#"{{"term": "{}", "conditions": {{"$and": [{{"active": false}}]}}}}"#,
            &kate_name[..6]
        );
        let found = jill
            .get_ok("/api/v1/users.autocomplete", &[("selector", &conditions)])
            .await;
        assert_eq!(found["items"], json!([]));
        let forbidden = r#"{"conditions": {"$nor": [{"username": {"$exists": false}}]}}"#;
        let resp = jill
            .get_query("/api/v1/users.autocomplete", &[("selector", forbidden)])
            .await;
        assert_eq!(resp.0, 400, "{}", resp.1);
        assert_eq!(resp.1["success"], json!(false));
        let resp = jill
            .get_query(
                "/api/v1/users.autocomplete",
                &[("selector", r#"{"conditions": {"password": "x"}}"#)],
            )
            .await;
        assert_eq!(resp.0, 400, "{}", resp.1);
        assert_invalid(
            jill.get("/api/v1/users.autocomplete").await,
            "error-invalid-params",
        );
        let everyone = jill
            .get_ok("/api/v1/users.autocomplete", &[("selector", "{}")])
            .await;
        assert!(everyone["items"].as_array().unwrap().len() <= 10);
    }
);

fn chrono_now_iso() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 1000;
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

both_stores!(personal_access_tokens, |server| async move {
    let admin = server.admin().await;
    let name = unique("leo");
    let leo = server.create_user(&admin, &name).await;
    let leo_id = uid(&leo);

    let empty = leo
        .get_ok("/api/v1/users.getPersonalAccessTokens", &[])
        .await;
    assert_eq!(empty["tokens"], json!([]));
    let token = leo
        .post_ok(
            "/api/v1/users.generatePersonalAccessToken",
            json!({"tokenName": "ci", "bypassTwoFactor": true}),
        )
        .await["token"]
        .as_str()
        .expect("token")
        .to_owned();
    assert_eq!(token.len(), 43);
    let with_pat = leo.with_auth(&leo_id, &token);
    assert_eq!(
        with_pat.get_ok("/api/v1/me", &[]).await["username"],
        json!(name)
    );
    let listed = leo
        .get_ok("/api/v1/users.getPersonalAccessTokens", &[])
        .await;
    let tokens = listed["tokens"].as_array().unwrap();
    assert_eq!(tokens.len(), 1, "{listed}");
    assert_eq!(tokens[0]["name"], json!("ci"));
    assert_eq!(tokens[0]["lastTokenPart"], json!(&token[token.len() - 6..]));
    assert_eq!(tokens[0]["bypassTwoFactor"], json!(true));
    assert!(
        tokens[0]["createdAt"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(tokens[0].get("hashedToken").is_none());
    // Only the hash is stored.
    let store = open_store(&server).await;
    let stored = store
        .personal_token(&leo_id, "ci")
        .await
        .unwrap()
        .expect("stored");
    assert_ne!(stored.hashed_token, token);
    assert_eq!(stored.expires_at, None);

    assert_meteor(
        leo.post(
            "/api/v1/users.generatePersonalAccessToken",
            json!({"tokenName": "ci"}),
        )
        .await,
        "error-token-already-exists",
        "A token with this name already exists",
    );
    assert_failure(
        leo.post("/api/v1/users.generatePersonalAccessToken", json!({}))
            .await,
        400,
        "The 'tokenName' param is required",
        None,
    );
    assert_invalid(
        leo.post(
            "/api/v1/users.generatePersonalAccessToken",
            json!({"tokenName": {"$ne": null}}),
        )
        .await,
        "invalid-params",
    );
    assert_invalid(
        leo.post(
            "/api/v1/users.removePersonalAccessToken",
            json!({"tokenName": {"$ne": null}}),
        )
        .await,
        "invalid-params",
    );

    // Regenerating replaces the secret; the old one stops working.
    let renewed = leo
        .post_ok(
            "/api/v1/users.regeneratePersonalAccessToken",
            json!({"tokenName": "ci"}),
        )
        .await["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(renewed, token);
    assert_eq!(with_pat.get("/api/v1/me").await.0, 401);
    let with_renewed = leo.with_auth(&leo_id, &renewed);
    with_renewed.get_ok("/api/v1/me", &[]).await;
    let listed = leo
        .get_ok("/api/v1/users.getPersonalAccessTokens", &[])
        .await;
    assert_eq!(
        listed["tokens"][0]["bypassTwoFactor"],
        json!(true),
        "kept on regeneration"
    );
    assert_meteor(
        leo.post(
            "/api/v1/users.regeneratePersonalAccessToken",
            json!({"tokenName": "nope"}),
        )
        .await,
        "error-token-does-not-exists",
        "Token does not exist",
    );
    // A new session for leo does not touch the token, logging out elsewhere neither.
    leo.post_ok("/api/v1/users.logoutOtherClients", json!({}))
        .await;
    with_renewed.get_ok("/api/v1/me", &[]).await;

    leo.post_ok(
        "/api/v1/users.removePersonalAccessToken",
        json!({"tokenName": "ci"}),
    )
    .await;
    assert_eq!(with_renewed.get("/api/v1/me").await.0, 401);
    assert_eq!(
        leo.get_ok("/api/v1/users.getPersonalAccessTokens", &[])
            .await["tokens"],
        json!([])
    );
    assert_meteor(
        leo.post(
            "/api/v1/users.removePersonalAccessToken",
            json!({"tokenName": "ci"}),
        )
        .await,
        "error-token-does-not-exists",
        "Token does not exist",
    );

    // Without create-personal-access-tokens (guests lack it).
    let guest_name = unique("guest");
    admin
        .post_ok(
            "/api/v1/users.create",
            json!({"email": format!("{guest_name}@example.com"), "name": "G", "password": "pw-guest", "username": guest_name, "roles": ["guest"]}),
        )
        .await;
    let guest = server.login(&guest_name, "pw-guest").await;
    for path in [
        "generatePersonalAccessToken",
        "regeneratePersonalAccessToken",
        "removePersonalAccessToken",
    ] {
        assert_meteor(
            guest
                .post(&format!("/api/v1/users.{path}"), json!({"tokenName": "x"}))
                .await,
            "not-authorized",
            "Not Authorized",
        );
    }
    assert_failure(
        guest.get("/api/v1/users.getPersonalAccessTokens").await,
        403,
        FORBIDDEN,
        None,
    );
    assert!(
        store
            .personal_tokens(&uid(&guest))
            .await
            .unwrap()
            .is_empty()
    );
});

both_stores!(
    settings_restrict_registration_and_profile_changes,
    envs = [
        ("OVERWRITE_SETTING_Accounts_RegistrationForm", "Disabled"),
        ("OVERWRITE_SETTING_Accounts_AllowUsernameChange", "false"),
        (
            "OVERWRITE_SETTING_Accounts_AllowUserStatusMessageChange",
            "false"
        ),
        (
            "OVERWRITE_SETTING_Accounts_CustomFields",
            r#"{"team": {"type": "text", "required": true, "minLength": 2, "maxLength": 10, "public": true}, "secret": {"type": "text"}}"#
        ),
    ],
    |server| async move {
        let admin = server.admin().await;
        let anon = server.anon();
        let name = unique("r");
        assert_meteor(
            anon.post(
                "/api/v1/users.register",
                json!({"username": name, "email": format!("{name}@example.com"), "pass": "pw", "name": "R"}),
            )
            .await,
            "error-user-registration-disabled",
            "User registration is disabled",
        );
        assert!(
            admin
                .get_ok(
                    "/api/v1/users.list",
                    &[("query", &format!(r#"{{"username": "{name}"}}"#))]
                )
                .await["total"]
                == json!(0),
            "nobody was registered"
        );

        // Custom fields are validated and only the configured ones are kept.
        let mona_name = unique("mona");
        let base = json!({"email": format!("{mona_name}@example.com"), "name": "Mona", "password": "pw-mona", "username": mona_name});
        let mut missing = base.clone();
        missing["customFields"] = json!({"team": ""});
        assert_meteor(
            admin.post("/api/v1/users.create", missing).await,
            "error-user-registration-custom-field",
            "Field team is required",
        );
        let mut long = base.clone();
        long["customFields"] = json!({"team": "0123456789-0"});
        assert_meteor(
            admin.post("/api/v1/users.create", long).await,
            "error-user-registration-custom-field",
            "Max length of field team 10",
        );
        let mut ok = base.clone();
        ok["customFields"] = json!({"team": "core", "secret": "s1", "unknown": "dropped"});
        let created = admin.post_ok("/api/v1/users.create", ok).await;
        assert_eq!(
            created["user"]["customFields"],
            json!({"team": "core", "secret": "s1"})
        );
        let mona = server.login(&mona_name, "pw-mona").await;
        let mona_id = uid(&mona);
        let updated = admin
            .post_ok(
                "/api/v1/users.update",
                json!({"userId": mona_id, "data": {"customFields": {"secret": null}}}),
            )
            .await;
        assert_eq!(
            updated["user"]["customFields"],
            json!({"team": "core", "secret": null}),
            "merged"
        );
        let other = server.create_user(&admin, &unique("olly")).await;
        let seen = other
            .get_ok("/api/v1/users.info", &[("userId", &mona_id)])
            .await;
        assert_eq!(
            seen["user"]["customFields"],
            json!({"team": "core"}),
            "only public custom fields"
        );

        // The profile settings bind the user, not the administrator.
        assert_meteor(
            mona.post(
                "/api/v1/users.updateOwnBasicInfo",
                json!({"data": {"username": unique("m")}}),
            )
            .await,
            "error-action-not-allowed",
            "Edit username is not allowed",
        );
        assert_meteor(
            mona.post(
                "/api/v1/users.updateOwnBasicInfo",
                json!({"data": {"statusText": "hello"}}),
            )
            .await,
            "error-action-not-allowed",
            "Edit user status is not allowed",
        );
        assert_meteor(
            mona.get_query(
                "/api/v1/users.checkUsernameAvailability",
                &[("username", "whatever")],
            )
            .await,
            "error-not-allowed",
            "Not allowed",
        );
        assert_meteor(
            mona.post("/api/v1/users.setStatus", json!({"status": "away"}))
                .await,
            "error-not-allowed",
            "Change status is not allowed",
        );
        let renamed = unique("mo");
        let body = admin
            .post_ok(
                "/api/v1/users.update",
                json!({"userId": mona_id, "data": {"username": renamed}}),
            )
            .await;
        assert_eq!(body["user"]["username"], json!(renamed));
    }
);

both_stores!(
    first_registered_user_becomes_admin,
    envs = [
        ("TEST_MODE", "false"),
        ("OVERWRITE_SETTING_Accounts_RegistrationForm", "Secret URL"),
        (
            "OVERWRITE_SETTING_Accounts_RegistrationForm_SecretURL",
            "s3cr3t"
        ),
        ("OVERWRITE_SETTING_Rate_Limiter_Limit_RegisterUser", "10"),
        (
            "OVERWRITE_SETTING_Accounts_TwoFactorAuthentication_RememberFor",
            "0"
        ),
    ],
    |server| async move {
        let anon = server.anon();
        let name = unique("founder");
        let body = json!({"username": name, "email": format!("{name}@example.com"), "pass": "Founder-pass-1", "name": "Founder"});
        assert_meteor(
            anon.post("/api/v1/users.register", body.clone()).await,
            "error-user-registration-secret",
            "User registration is only allowed via Secret URL",
        );
        let mut wrong = body.clone();
        wrong["secret"] = json!("guess");
        assert_meteor(
            anon.post("/api/v1/users.register", wrong).await,
            "error-user-registration-secret",
            "User registration is only allowed via Secret URL",
        );
        let mut right = body.clone();
        right["secret"] = json!("s3cr3t");
        let first = anon.post_ok("/api/v1/users.register", right).await;
        let roles = first["user"]["roles"].as_array().expect("roles").clone();
        assert!(
            roles.contains(&json!("admin")) && roles.contains(&json!("user")),
            "{first}"
        );
        let founder = server.login(&name, "Founder-pass-1").await;
        assert_eq!(
            founder.get_ok("/api/v1/me", &[]).await["roles"],
            json!(roles)
        );

        // Outside TEST_MODE personal access tokens need a second factor: the password.
        let path = "/api/v1/users.generatePersonalAccessToken";
        let (status, body, _) = founder.post(path, json!({"tokenName": "t"})).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["error"],
            json!("TOTP Required [totp-required]"),
            "{body}"
        );
        assert_eq!(body["details"]["method"], json!("password"), "{body}");
        let with_code = |code: String| {
            founder
                .request(reqwest::Method::POST, path)
                .header("x-2fa-code", code)
                .header("x-2fa-method", "password")
                .json(&json!({"tokenName": "t"}))
        };
        let (status, body, _) = founder.send(with_code(sha256_hex("wrong"))).await;
        assert_eq!(
            (status, body["errorType"].clone()),
            (400, json!("totp-invalid")),
            "{body}"
        );
        let (status, body, _) = founder.send(with_code(sha256_hex("Founder-pass-1"))).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["token"].is_string(), "{body}");

        // The second one is an ordinary user.
        let second = unique("second");
        let body = json!({"username": second, "email": format!("{second}@example.com"), "pass": "Second-pass-1", "name": "Second", "secretURL": "s3cr3t"});
        let registered = anon.post_ok("/api/v1/users.register", body).await;
        assert_eq!(registered["user"]["roles"], json!(["user"]));
    }
);

both_stores!(hostile_input_never_fails_the_server, |server| async move {
    let admin = server.admin().await;
    let name = unique("mallory");
    let mallory = server.create_user(&admin, &name).await;
    let hostile = [
        json!({"$ne": null}),
        json!({"$gt": ""}),
        json!(["a", {"$where": "1"}]),
        json!(12345),
        json!(true),
        json!(""),
        json!("nul\u{0}byte"),
        json!("x".repeat(5000)),
        json!({"data": {"$ne": null}}),
    ];
    let posts: &[(&str, &[&str])] = &[
        (
            "users.register",
            &[
                "username",
                "email",
                "pass",
                "name",
                "secret",
                "customFields",
            ],
        ),
        (
            "users.create",
            &[
                "email",
                "name",
                "password",
                "username",
                "roles",
                "active",
                "customFields",
                "verified",
            ],
        ),
        ("users.update", &["userId", "data", "confirmRelinquish"]),
        ("users.updateOwnBasicInfo", &["data", "customFields"]),
        (
            "users.delete",
            &["userId", "username", "user", "confirmRelinquish"],
        ),
        ("users.deleteOwnAccount", &["password", "confirmRelinquish"]),
        (
            "users.setActiveStatus",
            &["userId", "activeStatus", "confirmRelinquish"],
        ),
        (
            "users.setStatus",
            &["status", "message", "userId", "username"],
        ),
        ("users.setPreferences", &["userId", "data"]),
        (
            "users.generatePersonalAccessToken",
            &["tokenName", "bypassTwoFactor"],
        ),
        ("users.regeneratePersonalAccessToken", &["tokenName"]),
        ("users.removePersonalAccessToken", &["tokenName"]),
    ];
    let gets: &[(&str, &[&str])] = &[
        (
            "users.info",
            &["userId", "username", "includeUserRooms", "fields"],
        ),
        (
            "users.list",
            &["query", "fields", "sort", "count", "offset"],
        ),
        ("users.getStatus", &["userId", "username"]),
        ("users.getPresence", &["userId", "username"]),
        ("users.presence", &["from", "ids"]),
        ("users.checkUsernameAvailability", &["username"]),
        ("users.autocomplete", &["selector"]),
    ];
    let before = users_total(&admin).await;
    for client in [&mallory, &admin] {
        for (path, keys) in posts {
            for key in keys.iter() {
                for value in &hostile {
                    let (status, body, _) = client
                        .post(&format!("/api/v1/{path}"), json!({ *key: value }))
                        .await;
                    assert!(
                        (200..500).contains(&status) && body.is_object(),
                        "POST {path} {{{key}: {value}}} answered {status}: {body}"
                    );
                }
            }
            for raw in ["[1, 2]", "\"text\"", "{not json", ""] {
                let req = client
                    .request(reqwest::Method::POST, &format!("/api/v1/{path}"))
                    .header("content-type", "application/json")
                    .body(raw.to_owned());
                let (status, body, _) = client.send(req).await;
                assert!(
                    (200..500).contains(&status),
                    "POST {path} {raw:?} answered {status}: {body}"
                );
            }
        }
        for (path, keys) in gets {
            for key in keys.iter() {
                for value in [
                    "%00",
                    "{\"$where\":\"1\"}",
                    "[1]",
                    "-1",
                    "",
                    "\u{0}",
                    "true",
                ] {
                    let (status, body, _) = client
                        .get_query(&format!("/api/v1/{path}"), &[(key, value)])
                        .await;
                    assert!(
                        (200..500).contains(&status),
                        "GET {path}?{key}={value:?} answered {status}: {body}"
                    );
                }
            }
        }
    }
    assert_eq!(users_total(&admin).await, before, "no account appeared");
    // Both accounts still work as before.
    mallory.get_ok("/api/v1/me", &[]).await;
    server.login(&name, &format!("pass-{name}")).await;
    admin.get_ok("/api/v1/me", &[]).await;
});
