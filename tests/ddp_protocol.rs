//! DDP over WebSocket against the real binary: the handshake, heartbeats, login forms,
//! default-deny for methods and streams, and messages arriving on streams.

mod common;
use common::ddp::Ddp;
use common::*;
use std::time::Duration;

both_stores!(
    handshake_and_heartbeat_follow_the_protocol,
    envs = [("DDP_HEARTBEAT_MS", "400")],
    |server| async move {
        // pre2, as the @rocket.chat/sdk bot driver speaks it.
        let mut ddp = Ddp::open(&server.url).await;
        ddp.send(json!({"msg": "connect", "version": "pre2", "support": ["pre2"]}))
            .await;
        let frame = ddp.next_frame().await.unwrap();
        assert_eq!(frame["msg"], "connected");
        assert!(frame["session"].as_str().is_some_and(|s| !s.is_empty()));

        // Client pings are answered, with and without id.
        ddp.send(json!({"msg": "ping", "id": "p1"})).await;
        assert_eq!(
            ddp.next_frame().await.unwrap(),
            json!({"msg": "pong", "id": "p1"})
        );
        ddp.send(json!({"msg": "ping"})).await;
        assert_eq!(ddp.next_frame().await.unwrap(), json!({"msg": "pong"}));

        // The server pings a quiet client (Ddp answers pings while it reads).
        let mut quiet = Ddp::connect(&server.url).await;
        let pings = quiet.idle(Duration::from_millis(1500)).await;
        assert!(pings >= 1, "the server pings a quiet client");
        let reply = quiet.call("public-settings/get", json!([])).await;
        assert!(reply.is_ok(), "a client that answers pings stays connected");

        // One that never answers is closed with 4000.
        let mut mute = Ddp::open(&server.url).await;
        mute.send(json!({"msg": "connect", "version": "1", "support": ["1"]}))
            .await;
        assert_eq!(mute.next_frame().await.unwrap()["msg"], "connected");
        assert_eq!(mute.close_code(Duration::from_secs(5)).await, Some(4000));

        // Unsupported versions fail.
        let mut old = Ddp::open(&server.url).await;
        old.send(json!({"msg": "connect", "version": "0.9", "support": ["0.9"]}))
            .await;
        assert_eq!(
            old.next_frame().await.unwrap(),
            json!({"msg": "failed", "version": "1"})
        );

        // Anything before connect fails too.
        let mut rude = Ddp::open(&server.url).await;
        rude.send(json!({"msg": "method", "id": "1", "method": "login", "params": []}))
            .await;
        assert_eq!(rude.next_frame().await.unwrap()["msg"], "failed");
    }
);

both_stores!(login_forms_and_default_deny, |server| async move {
    let admin = server.admin().await;
    server.create_user(&admin, "dora").await;
    let mut ddp = Ddp::connect(&server.url).await;

    // Not logged in: methods other than the public ones are refused, streams too.
    let err = ddp.call("rooms/get", json!([])).await.unwrap_err();
    assert_eq!(err["error"], "error-invalid-user", "{err}");
    let err = ddp
        .sub("stream-room-messages", json!(["__my_messages__", false]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], "not-allowed");
    let err = ddp
        .sub("stream-notify-logged", json!(["user-status", false]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], "not-allowed");
    assert!(
        ddp.sub("meteor.loginServiceConfiguration", json!([]))
            .await
            .is_ok()
    );
    assert!(
        ddp.sub("meteor_autoupdate_clientVersions", json!([]))
            .await
            .is_ok()
    );
    let settings = ddp.call("public-settings/get", json!([])).await.unwrap();
    assert!(
        settings
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["_id"] == "Site_Name")
    );

    // Bad logins: wrong password, operator objects.
    let err = ddp
        .call(
            "login",
            json!([{"user": {"username": "dora"}, "password": "nope"}]),
        )
        .await
        .unwrap_err();
    assert_eq!(err["error"], 403, "{err}");
    let err = ddp
        .call(
            "login",
            json!([{"user": {"username": {"$ne": null}}, "password": "x"}]),
        )
        .await
        .unwrap_err();
    assert!(err["error"].is_string(), "{err}");
    let err = ddp
        .call("login", json!(["just a string"]))
        .await
        .unwrap_err();
    assert_eq!(err["error"], 400, "{err}");

    // Plain-text password (the sdk bot driver), then digest, then resume.
    let plain = ddp
        .call(
            "login",
            json!([{"user": {"username": "dora"}, "password": "pass-dora"}]),
        )
        .await
        .unwrap();
    assert_eq!(plain["type"], "password");
    assert!(plain["tokenExpires"]["$date"].is_i64(), "{plain}");
    let digest = ddp.login("dora", "pass-dora").await;
    let token = digest["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43);
    let mut other = Ddp::connect(&server.url).await;
    let resumed = other
        .call("login", json!([{"resume": token}]))
        .await
        .unwrap();
    assert_eq!(resumed["type"], "resume");
    assert_eq!(resumed["id"], digest["id"]);

    // Logged in: the user's own stream is allowed, someone else's is not.
    let uid = digest["id"].as_str().unwrap();
    assert!(
        ddp.sub(
            "stream-notify-user",
            json!([format!("{uid}/rooms-changed"), false])
        )
        .await
        .is_ok()
    );
    let err = ddp
        .sub(
            "stream-notify-user",
            json!([format!("{TEST_ADMIN}/rooms-changed"), false]),
        )
        .await
        .unwrap_err();
    assert_eq!(err["error"], "not-allowed");

    // Unknown methods.
    let err = ddp.call("no.such.method", json!([])).await.unwrap_err();
    assert_eq!(err["error"], 404, "{err}");

    // Logging out ends the session's user subscriptions and its token.
    assert_eq!(other.call("logout", json!([])).await.unwrap(), Value::Null);
    let err = other.call("rooms/get", json!([])).await.unwrap_err();
    assert_eq!(err["error"], "error-invalid-user");
    let mut third = Ddp::connect(&server.url).await;
    assert!(
        third
            .call("login", json!([{"resume": token}]))
            .await
            .is_err()
    );

    // The other connection that used the revoked token is logged out too.
    let err = ddp.call("rooms/get", json!([])).await.unwrap_err();
    assert_eq!(err["error"], "error-invalid-user", "{err}");
});

both_stores!(
    room_streams_need_read_access_and_deliver_messages,
    |server| async move {
        let admin = server.admin().await;
        let erin = server.create_user(&admin, "erin").await;
        server.create_user(&admin, "fred").await;
        let group = admin
            .post_ok(
                "/api/v1/groups.create",
                json!({"name": unique("secret"), "members": ["erin"]}),
            )
            .await;
        let gid = group["group"]["_id"].as_str().unwrap().to_owned();

        let mut fred = Ddp::connect(&server.url).await;
        fred.login("fred", "pass-fred").await;
        let err = fred
            .sub("stream-room-messages", json!([gid, false]))
            .await
            .unwrap_err();
        assert_eq!(
            err["error"], "not-allowed",
            "a non-member cannot listen to a private group"
        );
        let err = fred
            .sub(
                "stream-notify-room",
                json!([format!("{gid}/typing"), false]),
            )
            .await
            .unwrap_err();
        assert_eq!(err["error"], "not-allowed");

        let mut erin_ws = Ddp::connect(&server.url).await;
        erin_ws.login("erin", "pass-erin").await;
        erin_ws
            .sub(
                "stream-room-messages",
                json!([gid, {"useCollection": false, "args": []}]),
            )
            .await
            .unwrap();
        let mut erin_all = Ddp::connect(&server.url).await;
        erin_all.login("erin", "pass-erin").await;
        // The legacy useCollection form gets an `added` document first.
        erin_all.send(json!({"msg": "sub", "id": "legacy", "name": "stream-room-messages", "params": ["__my_messages__", true]})).await;
        let added = erin_all
            .wait_for(|f| f["msg"] == "added" || f["msg"] == "ready")
            .await;
        assert_eq!(added["msg"], "added");
        assert_eq!(added["fields"]["eventName"], "__my_messages__");
        erin_all.wait_for(|f| f["msg"] == "ready").await;

        admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": gid, "text": "hello group"}),
            )
            .await;
        let args = erin_ws.event("stream-room-messages", &gid).await;
        assert_eq!(args[0]["msg"], "hello group");
        assert!(args[0]["ts"]["$date"].is_i64(), "dates are EJSON: {args}");
        let args = erin_all
            .event("stream-room-messages", "__my_messages__")
            .await;
        assert_eq!(args[0]["msg"], "hello group");
        assert_eq!(args[1]["roomParticipant"], true);
        assert_eq!(args[1]["roomType"], "p");

        // Unsubscribing stops delivery.
        erin_ws.send(json!({"msg": "unsub", "id": "s2"})).await;
        let _ = erin_ws.wait_for(|f| f["msg"] == "nosub").await;
        admin
            .post_ok(
                "/api/v1/chat.postMessage",
                json!({"roomId": gid, "text": "second"}),
            )
            .await;
        erin_ws
            .no_event("stream-room-messages", &gid, Duration::from_millis(500))
            .await;
        drop(erin);
    }
);

both_stores!(method_calls_over_rest, |server| async move {
    let admin = server.admin().await;
    let anon = server.anon();
    let message =
        json!({"msg": "method", "id": "7", "method": "public-settings/get", "params": []})
            .to_string();
    let body = anon
        .post_ok(
            "/api/v1/method.callAnon/public-settings/get",
            json!({"message": message}),
        )
        .await;
    let reply: Value = serde_json::from_str(body["message"].as_str().unwrap()).unwrap();
    assert_eq!(reply["id"], "7");
    assert!(reply["result"].is_array(), "{reply}");

    // Login over callAnon returns a token usable on REST.
    let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
        TEST_ADMIN.as_bytes(),
    ));
    let message = json!({"msg": "method", "id": "1", "method": "login", "params": [{"user": {"username": TEST_ADMIN}, "password": {"digest": digest, "algorithm": "sha-256"}}]}).to_string();
    let body = anon
        .post_ok("/api/v1/method.callAnon/login", json!({"message": message}))
        .await;
    let reply: Value = serde_json::from_str(body["message"].as_str().unwrap()).unwrap();
    let token = reply["result"]["token"].as_str().unwrap();
    let me = anon
        .with_auth(TEST_ADMIN, token)
        .get_ok("/api/v1/me", &[])
        .await;
    assert_eq!(me["username"], TEST_ADMIN);

    // A method error is HTTP 200 with the error inside.
    let message =
        json!({"msg": "method", "id": "2", "method": "rooms/get", "params": []}).to_string();
    let body = anon
        .post_ok(
            "/api/v1/method.callAnon/rooms/get",
            json!({"message": message}),
        )
        .await;
    let reply: Value = serde_json::from_str(body["message"].as_str().unwrap()).unwrap();
    assert_eq!(reply["error"]["error"], "error-invalid-user");

    // method.call needs REST credentials.
    let (status, _, _) = anon
        .post(
            "/api/v1/method.call/public-settings/get",
            json!({"message": "{}"}),
        )
        .await;
    assert_eq!(status, 401);
    let (status, body, _) = admin
        .post(
            "/api/v1/method.call/public-settings/get",
            json!({"message": "not json"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
});

both_stores!(
    ddp_rate_limits_apply_outside_test_mode,
    envs = [
        ("TEST_MODE", "false"),
        ("ADMIN_USERNAME", "boss"),
        ("ADMIN_PASS", "boss-password-1"),
        ("ADMIN_EMAIL", "boss@example.com"),
        (
            "OVERWRITE_SETTING_DDP_Rate_Limit_Connection_By_Method_Requests_Allowed",
            "3"
        ),
    ],
    |server| async move {
        let mut ddp = Ddp::connect(&server.url).await;
        for _ in 0..3 {
            ddp.call("public-settings/get", json!([])).await.unwrap();
        }
        let err = ddp
            .call("public-settings/get", json!([]))
            .await
            .unwrap_err();
        assert_eq!(err["error"], "too-many-requests", "{err}");
        assert!(err["details"]["timeToReset"].as_u64().is_some(), "{err}");
        // Another method, and another connection, have their own allowance.
        assert!(
            ddp.call("login", json!([{"resume": "not-a-token"}]))
                .await
                .is_err_and(|e| e["error"] != "too-many-requests")
        );
        let mut other = Ddp::connect(&server.url).await;
        other.call("public-settings/get", json!([])).await.unwrap();
    }
);
