//! The gateway's contract, whatever the route: envelopes, content types, credentials,
//! malformed requests, limits and headers.

mod common;
use common::*;

both_stores!(errors_keep_the_rocket_chat_envelope, |server| async move {
    let anon = server.anon();

    // No credentials on an authenticated route.
    let (status, body, content_type) = anon.get("/api/v1/me").await;
    assert_eq!(status, 401);
    assert_eq!(content_type, "application/json");
    assert_eq!(
        body,
        json!({"success": false, "error": "You must be logged in to do this.", "status": "error", "message": "You must be logged in to do this."})
    );

    // Forged credentials are the same as none.
    let forged = anon.with_auth(TEST_ADMIN, "not-a-token");
    let (status, _, _) = forged.get("/api/v1/me").await;
    assert_eq!(status, 401);

    // Unknown routes answer in JSON.
    let (status, body, content_type) = anon.get("/api/v1/no.such.route").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["success"], json!(false));

    // Wrong method.
    let (status, body, _) = anon.get("/api/v1/login").await;
    assert_eq!(status, 405, "{body}");
    assert_eq!(body["success"], json!(false));
});

both_stores!(malformed_bodies_are_refused_cleanly, |server| async move {
    let admin = server.admin().await;

    // Malformed JSON.
    let (status, body, content_type) = admin
        .send(
            admin
                .request(reqwest::Method::POST, "/api/v1/users.setStatus")
                .header("content-type", "application/json")
                .body("{\"message\": "),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["success"], json!(false));
    assert_eq!(body["errorType"], json!("error-invalid-body"));

    // A JSON body that is not an object.
    let (status, body, _) = admin
        .send(
            admin
                .request(reqwest::Method::POST, "/api/v1/users.setStatus")
                .header("content-type", "application/json")
                .body("[1, 2, 3]"),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], json!("error-invalid-body"));

    // Over the body limit.
    let big = format!("{{\"message\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let (status, body, content_type) = admin
        .send(
            admin
                .request(reqwest::Method::POST, "/api/v1/users.setStatus")
                .header("content-type", "application/json")
                .body(big),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(content_type, "application/json");
    assert_eq!(body["success"], json!(false));

    // The server is still healthy afterwards.
    let (status, _, _) = Client::new(&server.url).get("/livez").await;
    assert_eq!(status, 200);
});

both_stores!(
    login_refuses_bad_input_and_bad_credentials,
    |server| async move {
        let anon = server.anon();

        // Wrong password and unknown user are indistinguishable.
        let (status, wrong, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": TEST_ADMIN, "password": "wrong"}),
            )
            .await;
        assert_eq!(status, 401, "{wrong}");
        let (status, unknown, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": "nobody-here", "password": "wrong"}),
            )
            .await;
        assert_eq!(status, 401, "{unknown}");
        assert_eq!(wrong, unknown);
        assert_eq!(wrong["status"], json!("error"));
        assert_eq!(wrong["success"], json!(false));

        // Operator objects never reach a lookup.
        let (status, body, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": {"$ne": null}, "password": "x"}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["success"], json!(false));
        let (status, body, _) = anon
            .post(
                "/api/v1/login",
                json!({"username": TEST_ADMIN, "password": {"$ne": null}}),
            )
            .await;
        assert_eq!(status, 400, "{body}");

        // The other accepted login forms.
        let (status, body, _) = anon
            .post(
                "/api/v1/login",
                json!({"username": TEST_ADMIN, "password": TEST_ADMIN}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            TEST_ADMIN.as_bytes(),
        ));
        let (status, body, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": TEST_ADMIN, "password": {"hashed": digest}}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let token = body["data"]["authToken"].as_str().unwrap().to_owned();
        assert_eq!(token.len(), 43);
        let (status, body, _) = anon.post("/api/v1/login", json!({"resume": token})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["userId"], json!(TEST_ADMIN));

        // Logging out kills exactly that token, by POST and by GET.
        let client = anon.with_auth(TEST_ADMIN, &token);
        let (status, body, _) = client.get("/api/v1/logout").await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["data"]["message"], json!("You've been logged out!"));
        let (status, _, _) = client.get("/api/v1/me").await;
        assert_eq!(status, 401);
        let (status, body, _) = anon.post("/api/v1/login", json!({"resume": token})).await;
        assert_eq!(status, 401, "{body}");
    }
);

both_stores!(responses_carry_the_expected_headers, |server| async move {
    let anon = server.anon();
    let response = reqwest::get(format!("{}/api/info", server.url))
        .await
        .unwrap();
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    assert_eq!(headers["pragma"], "no-cache");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(headers.contains_key("x-instance-id"));
    let (_, info, _) = anon.get("/api/info").await;
    assert_eq!(info["version"], json!("7.4"));

    // Admins (view-statistics) see the full version and build information.
    let admin = server.admin().await;
    let info = admin.get_ok("/api/info", &[]).await;
    assert_eq!(info["version"], json!("7.4.0"));
    assert!(info["info"].is_object(), "{info}");

    for path in ["/livez", "/readyz", "/health"] {
        let (status, _, _) = anon.get(path).await;
        assert_eq!(status, 200, "{path}");
    }
});

both_stores!(
    settings_public_serves_what_clients_read_at_start,
    |server| async move {
        let anon = server.anon();
        let body = anon
            .get_ok("/api/v1/settings.public", &[("count", "0")])
            .await;
        let settings = body["settings"].as_array().unwrap();
        assert_eq!(body["total"].as_i64().unwrap() as usize, settings.len());
        let ids: Vec<&str> = settings.iter().filter_map(|s| s["_id"].as_str()).collect();
        for id in [
            "Site_Url",
            "Site_Name",
            "Accounts_RegistrationForm",
            "FileUpload_Enabled",
            "Message_MaxAllowedSize",
            "API_Upper_Count_Limit",
            "Threads_enabled",
            "Language",
        ] {
            assert!(ids.contains(&id), "settings.public lacks {id}");
        }
        // Private settings never leak.
        assert!(
            !ids.iter().any(|id| id.starts_with("SMTP_")),
            "SMTP settings are private"
        );

        // Asking for specific ids, both ways clients do it.
        let body = anon
            .get_ok(
                "/api/v1/settings.public",
                &[("query", r#"{"_id":{"$in":["Site_Url","Site_Name"]}}"#)],
            )
            .await;
        assert_eq!(body["total"], json!(2), "{body}");
        assert_eq!(
            body["settings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["_id"] == "Site_Url")
                .unwrap()["value"],
            json!(server.url)
        );
        let body = anon
            .get_ok("/api/v1/settings.public", &[("_id", "Site_Name,Language")])
            .await;
        assert_eq!(body["total"], json!(2), "{body}");

        // Anything else in `query` is refused.
        let (status, body, _) = anon
            .get_query("/api/v1/settings.public", &[("query", r#"{"$where":"1"}"#)])
            .await;
        assert_eq!(status, 400, "{body}");
    }
);

both_stores!(
    rate_limits_apply_outside_test_mode,
    envs = [
        ("TEST_MODE", "false"),
        ("ADMIN_USERNAME", "boss"),
        ("ADMIN_PASS", "boss-password-1"),
        ("ADMIN_EMAIL", "boss@example.com"),
        (
            "OVERWRITE_SETTING_API_Enable_Rate_Limiter_Limit_Calls_Default",
            "3"
        ),
    ],
    |server| async move {
        let anon = server.anon();
        let mut statuses = Vec::new();
        for _ in 0..4 {
            let response = reqwest::get(format!("{}/api/v1/settings.public", server.url))
                .await
                .unwrap();
            statuses.push(response.status().as_u16());
            assert_eq!(response.headers()["x-ratelimit-limit"], "3");
            if response.status() == 429 {
                let body: Value = response.json().await.unwrap();
                assert_eq!(
                    body["errorType"],
                    json!("error-too-many-requests"),
                    "{body}"
                );
            }
        }
        assert_eq!(statuses, vec![200, 200, 200, 429]);

        // Administrators hold api-bypass-rate-limit.
        let admin = server.login("boss", "boss-password-1").await;
        for _ in 0..5 {
            admin.get_ok("/api/v1/me", &[]).await;
        }
        drop(anon);
    }
);

both_stores!(
    repeated_failed_logins_block_the_account_for_a_while,
    envs = [
        (
            "OVERWRITE_SETTING_Block_Multiple_Failed_Logins_Enabled",
            "true"
        ),
        (
            "OVERWRITE_SETTING_Block_Multiple_Failed_Logins_Attempts_Until_Block_by_User",
            "3"
        ),
    ],
    |server| async move {
        let anon = server.anon();
        for _ in 0..3 {
            let (status, _, _) = anon
                .post(
                    "/api/v1/login",
                    json!({"user": TEST_ADMIN, "password": "wrong"}),
                )
                .await;
            assert_eq!(status, 401);
        }
        // Now even the right password is refused.
        let (status, body, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": TEST_ADMIN, "password": TEST_ADMIN}),
            )
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            body["error"],
            json!("error-login-blocked-for-user"),
            "{body}"
        );
        // Other accounts are not affected.
        let (status, _, _) = anon
            .post(
                "/api/v1/login",
                json!({"user": "rocket.cat", "password": "x"}),
            )
            .await;
        assert_eq!(status, 401);
    }
);
