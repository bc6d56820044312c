//! The directory (`GET /api/v1/directory`, DDP `browseChannels`) on both stores: channels
//! and people by name, paging and sorting, who may see what, and bad parameters.

mod common;
use common::ddp::Ddp;
use common::*;

both_stores!(lists_channels_and_people_by_name, |server| async move {
    let admin = server.admin().await;
    let tag = unique("dir");
    let alice_name = format!("{tag}-alice");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob_name = format!("{tag}-bob");
    server.create_user(&admin, &bob_name).await;
    for suffix in ["beta", "alpha", "gamma"] {
        admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": format!("{tag}-{suffix}")}),
            )
            .await;
    }
    let secret = format!("{tag}-secret");
    admin
        .post_ok("/api/v1/groups.create", json!({"name": secret}))
        .await;

    // Public channels only, sorted by name, found case-insensitively.
    let body = alice
        .get_ok(
            "/api/v1/directory",
            &[("text", &tag.to_uppercase()), ("type", "channels")],
        )
        .await;
    let names: Vec<&str> = body["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    let expected: Vec<String> = ["alpha", "beta", "gamma"]
        .iter()
        .map(|s| format!("{tag}-{s}"))
        .collect();
    assert_eq!(names, expected);
    assert_eq!(body["total"], 3);
    assert_eq!(body["count"], 3);
    assert_eq!(body["offset"], 0);
    let first = &body["result"][0];
    assert_eq!(first["t"], "c");
    assert!(first["usersCount"].is_number(), "{first}");
    assert!(first.get("joinCode").is_none() && first.get("uids").is_none());

    // Paging and sorting.
    let page = alice
        .get_ok(
            "/api/v1/directory",
            &[
                ("text", &tag),
                ("sort", r#"{"name":-1}"#),
                ("count", "1"),
                ("offset", "1"),
            ],
        )
        .await;
    assert_eq!(page["result"][0]["name"], format!("{tag}-beta"));
    assert_eq!(page["total"], 3);

    // People: the caller is left out; e-mail addresses only for privileged callers.
    let people = alice
        .get_ok("/api/v1/directory", &[("text", &tag), ("type", "users")])
        .await;
    let usernames: Vec<&str> = people["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(usernames, [bob_name.as_str()]);
    assert!(people["result"][0].get("emails").is_none(), "{people}");
    let as_admin = admin
        .get_ok(
            "/api/v1/directory",
            &[("text", &bob_name), ("type", "users")],
        )
        .await;
    assert!(
        as_admin["result"][0]["emails"][0]["address"].is_string(),
        "{as_admin}"
    );

    // Pre-7.0 clients put text and type in `query`.
    let legacy = alice
        .get_ok(
            "/api/v1/directory",
            &[(
                "query",
                &json!({"text": bob_name, "type": "users"}).to_string(),
            )],
        )
        .await;
    assert_eq!(legacy["total"], 1);

    // Regular-expression characters are matched literally.
    let none = alice
        .get_ok("/api/v1/directory", &[("text", ".*"), ("type", "channels")])
        .await;
    assert_eq!(none["total"], 0, "{none}");

    // The same over DDP.
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(&alice_name, &format!("pass-{alice_name}")).await;
    let result = ddp
        .call(
            "browseChannels",
            json!([{"text": tag, "type": "channels", "sortBy": "name", "sortDirection": "desc", "limit": 2}]),
        )
        .await
        .unwrap();
    assert_eq!(result["total"], 3);
    assert_eq!(result["results"][0]["name"], format!("{tag}-gamma"));
    assert_eq!(result["results"].as_array().unwrap().len(), 2);
});

both_stores!(
    refuses_bad_parameters_and_missing_permissions,
    |server| async move {
        let admin = server.admin().await;
        let name = unique("dirbad");
        let user = server.create_user(&admin, &name).await;

        let resp = user
            .get_query("/api/v1/directory", &[("type", "teams")])
            .await;
        assert_failure(resp, 400, "Please verify the parameters", None);
        let resp = user
            .get_query("/api/v1/directory", &[("sort", r#"{"password":1}"#)])
            .await;
        assert_eq!(resp.0, 400, "{}", resp.1);
        let (status, _, _) = server.anon().get("/api/v1/directory").await;
        assert_eq!(status, 401);

        // Without view-outside-room, people are not listed.
        admin
            .post_ok(
                "/api/v1/permissions.update",
                json!({"permissions": [{"_id": "view-outside-room", "roles": ["admin"]}]}),
            )
            .await;
        let resp = user
            .get_query("/api/v1/directory", &[("type", "users")])
            .await;
        assert_failure(resp, 400, "Please verify the parameters", None);
    }
);
