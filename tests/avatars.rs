//! Avatars: generated initials until a user uploads an image, uploads checked on their
//! bytes, changes announced, caching by ETag, and who may see and change what.

mod common;
use common::ddp::Ddp;
use common::*;
use reqwest::multipart::{Form, Part};

fn png() -> Vec<u8> {
    hex::decode("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082").unwrap()
}

async fn set_avatar(client: &Client, image: Vec<u8>, fields: &[(&'static str, &str)]) -> Response {
    let mut form = Form::new().part("image", Part::bytes(image).file_name("me.png"));
    for (key, value) in fields {
        form = form.text(*key, value.to_string());
    }
    client
        .send(
            client
                .request(reqwest::Method::POST, "/api/v1/users.setAvatar")
                .multipart(form),
        )
        .await
}

async fn fetch(
    server: &Server,
    path: &str,
    auth: Option<&Client>,
    etag: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", server.url));
    if let Some(client) = auth {
        req = req
            .header("X-User-Id", client.user_id.clone().unwrap())
            .header("X-Auth-Token", client.token.clone().unwrap());
    }
    if let Some(etag) = etag {
        req = req.header("If-None-Match", etag);
    }
    req.send().await.unwrap()
}

both_stores!(avatars_from_initials_to_images, |server| async move {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let carol_name = unique("carol");
    let carol = server.create_user(&admin, &carol_name).await;

    // Initials until an image is set, cached by ETag.
    let generated = fetch(&server, &format!("/avatar/{bob_name}"), Some(&carol), None).await;
    assert_eq!(generated.status(), 200);
    assert_eq!(generated.headers()["content-type"], "image/svg+xml");
    let etag = generated.headers()["etag"].to_str().unwrap().to_owned();
    let svg = generated.text().await.unwrap();
    assert!(svg.contains(">B</text>"), "{svg}");
    assert_eq!(
        fetch(
            &server,
            &format!("/avatar/{bob_name}"),
            Some(&carol),
            Some(&etag)
        )
        .await
        .status(),
        304
    );
    assert_eq!(
        fetch(&server, "/avatar/nobody-at-all", Some(&carol), None)
            .await
            .status(),
        200
    );

    // Uploading: images only; announced; served.
    let mut watcher = Ddp::connect(&server.url).await;
    watcher
        .login(&carol_name, &format!("pass-{carol_name}"))
        .await;
    watcher
        .sub("stream-notify-logged", json!(["updateAvatar", false]))
        .await
        .unwrap();
    let (status, body, _) = set_avatar(&bob, b"GIF89 not really".to_vec(), &[]).await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-image")),
        "{body}"
    );
    // URLs may not point the server at its own network.
    for url in [
        "http://169.254.169.254/latest/meta-data".to_owned(),
        format!("{}/avatar/{bob_name}", server.url),
        "http://[::1]/x.png".to_owned(),
        "http://10.0.0.1/x.png".to_owned(),
        "file:///etc/passwd".to_owned(),
        "not a url".to_owned(),
    ] {
        let (status, body, _) = bob
            .post("/api/v1/users.setAvatar", json!({"avatarUrl": url}))
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-url-not-allowed")),
            "{url}: {body}"
        );
    }
    let (status, body, _) = set_avatar(&bob, png(), &[]).await;
    assert_eq!(status, 200, "{body}");
    let event = watcher.event("stream-notify-logged", "updateAvatar").await;
    assert_eq!(event[0]["username"], json!(bob_name));
    let new_etag = event[0]["etag"].as_str().unwrap().to_owned();
    let image = fetch(&server, &format!("/avatar/{bob_name}"), Some(&carol), None).await;
    assert_eq!(image.headers()["content-type"], "image/png");
    assert_eq!(
        image.headers()["etag"].to_str().unwrap(),
        format!("\"{new_etag}\"")
    );
    assert_eq!(image.bytes().await.unwrap().to_vec(), png());
    let info = admin
        .get_ok("/api/v1/users.info", &[("username", &bob_name)])
        .await;
    assert_eq!(info["user"]["avatarETag"], json!(new_etag));

    // Someone else's avatar needs edit-other-user-avatar.
    let (status, _, _) = set_avatar(&carol, png(), &[("username", &bob_name)]).await;
    assert_eq!(status, 400);
    let (status, _, _) = carol
        .post("/api/v1/users.resetAvatar", json!({"username": bob_name}))
        .await;
    assert_eq!(status, 400);
    let (status, body, _) = set_avatar(&admin, png(), &[("username", &carol_name)]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fetch(
            &server,
            &format!("/avatar/{carol_name}"),
            Some(&carol),
            None
        )
        .await
        .headers()["content-type"],
        "image/png"
    );

    // A direct room shows the other member; a private group only to its members.
    let dm = bob
        .post_ok("/api/v1/im.create", json!({"username": carol_name}))
        .await["room"]["rid"]
        .as_str()
        .unwrap()
        .to_owned();
    let seen = fetch(&server, &format!("/avatar/room/{dm}"), Some(&bob), None).await;
    assert_eq!(seen.headers()["content-type"], "image/png");
    let group = bob
        .post_ok("/api/v1/groups.create", json!({"name": unique("team")}))
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        fetch(&server, &format!("/avatar/room/{group}"), Some(&bob), None)
            .await
            .status(),
        200
    );
    assert_eq!(
        fetch(
            &server,
            &format!("/avatar/room/{group}"),
            Some(&carol),
            None
        )
        .await
        .status(),
        403
    );

    // Reset: initials again.
    bob.post_ok("/api/v1/users.resetAvatar", json!({})).await;
    let back = fetch(&server, &format!("/avatar/{bob_name}"), Some(&carol), None).await;
    assert_eq!(back.headers()["content-type"], "image/svg+xml");
    let reset = watcher
        .wait_for(|f| {
            f["fields"]["eventName"] == "updateAvatar"
                && f["fields"]["args"][0]["username"] == json!(bob_name)
                && f["fields"]["args"][0]["etag"].is_null()
        })
        .await;
    assert_eq!(reset["collection"], "stream-notify-logged");

    // Anonymous visitors see avatars only when Accounts_AvatarBlockUnauthenticatedAccess
    // (on by default) is off; clients that cannot send headers pass credentials in the query.
    assert_eq!(
        fetch(&server, &format!("/avatar/{bob_name}"), None, None)
            .await
            .status(),
        403
    );
    let by_query = fetch(
        &server,
        &format!(
            "/avatar/{bob_name}?rc_uid={}&rc_token={}",
            carol.user_id.clone().unwrap(),
            carol.token.clone().unwrap()
        ),
        None,
        None,
    )
    .await;
    assert_eq!(by_query.status(), 200);
    admin
        .post_ok(
            "/api/v1/settings/Accounts_AvatarBlockUnauthenticatedAccess",
            json!({"value": false}),
        )
        .await;
    assert_eq!(
        fetch(&server, &format!("/avatar/{bob_name}"), None, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        fetch(&server, &format!("/avatar/room/{group}"), None, None)
            .await
            .status(),
        403
    );
});

both_stores!(
    avatars_from_urls_on_an_intranet,
    envs = [("OUTBOUND_ALLOW_PRIVATE_NETWORKS", "true")],
    |server| async move {
        let admin = server.admin().await;
        let bob_name = unique("bob");
        let bob = server.create_user(&admin, &bob_name).await;
        let (status, body, _) = set_avatar(&admin, png(), &[]).await;
        assert_eq!(status, 200, "{body}");
        // Fetched from this very server, which the setting allows.
        let url = format!(
            "{}/avatar/{TEST_ADMIN}?rc_uid={}&rc_token={}",
            server.url,
            admin.user_id.clone().unwrap(),
            admin.token.clone().unwrap()
        );
        bob.post_ok("/api/v1/users.setAvatar", json!({"avatarUrl": url}))
            .await;
        let fetched = fetch(&server, &format!("/avatar/{bob_name}"), Some(&admin), None).await;
        assert_eq!(fetched.headers()["content-type"], "image/png");
        assert_eq!(fetched.bytes().await.unwrap().to_vec(), png());
        // What comes back must still be an image.
        let svg_url = format!(
            "{}/avatar/someone-else?rc_uid={}&rc_token={}",
            server.url,
            admin.user_id.clone().unwrap(),
            admin.token.clone().unwrap()
        );
        let (status, body, _) = bob
            .post("/api/v1/users.setAvatar", json!({"avatarUrl": svg_url}))
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-invalid-image"))
        );
    }
);
