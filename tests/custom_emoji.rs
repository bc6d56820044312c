//! Custom emoji: managed by `manage-emoji` holders over multipart REST, served as images with
//! caching and no sniffing, announced to clients, and usable as reactions.

mod common;
use common::ddp::Ddp;
use common::*;
use reqwest::multipart::{Form, Part};

/// The smallest thing `infer` recognises as a PNG (the signature and an IHDR header).
fn png(marker: u8) -> Vec<u8> {
    let mut bytes = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    bytes.extend_from_slice(&[
        0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, marker,
    ]);
    bytes
}

fn form(fields: &[(&'static str, &str)], image: Option<(&'static str, Vec<u8>)>) -> Form {
    let mut form = Form::new();
    for (key, value) in fields {
        form = form.text(*key, value.to_string());
    }
    if let Some((file_name, bytes)) = image {
        form = form.part("emoji", Part::bytes(bytes).file_name(file_name));
    }
    form
}

async fn upload(client: &Client, endpoint: &str, form: Form) -> Response {
    client
        .send(
            client
                .request(reqwest::Method::POST, &format!("/api/v1/{endpoint}"))
                .multipart(form),
        )
        .await
}

async fn fetch(server: &Server, path: &str, etag: Option<&str>) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{path}", server.url));
    if let Some(etag) = etag {
        req = req.header("If-None-Match", etag);
    }
    req.send().await.unwrap()
}

both_stores!(custom_emoji_lifecycle, |server| async move {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let mut watcher = Ddp::connect(&server.url).await;
    watcher.login(&bob_name, &format!("pass-{bob_name}")).await;
    watcher
        .sub("stream-notify-logged", json!(["updateEmojiCustom", false]))
        .await
        .unwrap();

    // Only emoji managers may add; only real images pass.
    let (status, body, _) = upload(
        &bob,
        "emoji-custom.create",
        form(&[("name", "parrot")], Some(("parrot.png", png(1)))),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body, _) = upload(
        &admin,
        "emoji-custom.create",
        form(
            &[("name", "evil")],
            Some(("evil.png", b"<svg onload=alert(1)></svg>".to_vec())),
        ),
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-file-type"))
    );
    let (status, _, _) = upload(
        &admin,
        "emoji-custom.create",
        form(&[("name", "../../etc/passwd")], Some(("x.png", png(1)))),
    )
    .await;
    assert_eq!(status, 400);

    let (status, body, _) = upload(
        &admin,
        "emoji-custom.create",
        form(
            &[("name", "parrot"), ("aliases", "party_parrot, pp")],
            Some(("parrot.png", png(1))),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["emoji"]["_id"].as_str().unwrap().to_owned();
    assert_eq!(body["emoji"]["aliases"], json!(["party_parrot", "pp"]));
    assert_eq!(body["emoji"]["extension"], "png");
    let announced = watcher
        .event("stream-notify-logged", "updateEmojiCustom")
        .await;
    assert_eq!(announced[0]["emojiData"]["name"], "parrot");
    let (status, body, _) = upload(
        &admin,
        "emoji-custom.create",
        form(&[("name", "pp")], Some(("pp.png", png(2)))),
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("Custom_Emoji_Error_Name_Or_Alias_Already_In_Use"))
    );

    // Listed and served.
    let all = bob.get_ok("/api/v1/emoji-custom.all", &[]).await;
    assert_eq!(all["total"], 1);
    let listed = bob.get_ok("/api/v1/emoji-custom.list", &[]).await;
    assert_eq!(listed["emojis"]["update"][0]["_id"], json!(id));
    let served = fetch(&server, "/emoji-custom/parrot.png", None).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.headers()["x-content-type-options"], "nosniff");
    let etag = served.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(1));
    assert_eq!(
        fetch(&server, "/emoji-custom/parrot.png", Some(&etag))
            .await
            .status(),
        304
    );
    assert_eq!(
        fetch(&server, "/emoji-custom/pp.png", None).await.status(),
        200
    );
    assert_eq!(
        fetch(&server, "/emoji-custom/nothing.png", None)
            .await
            .status(),
        404
    );

    // A reaction may use it.
    let rid = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("emoji"), "members": [bob_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mid = bob
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": "look"}}),
        )
        .await["message"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    bob.post_ok(
        "/api/v1/chat.react",
        json!({"messageId": mid, "emoji": ":party_parrot:"}),
    )
    .await;

    // Renamed with a new image: the old name is gone, the etag changes.
    let checkpoint = listed["emojis"]["update"][0]["_updatedAt"]
        .as_str()
        .unwrap()
        .to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let (status, body, _) = upload(
        &admin,
        "emoji-custom.update",
        form(
            &[("_id", &id), ("name", "blob"), ("aliases", "")],
            Some(("blob.png", png(3))),
        ),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        fetch(&server, "/emoji-custom/parrot.png", None)
            .await
            .status(),
        404
    );
    let served = fetch(&server, "/emoji-custom/blob.png", None).await;
    assert_ne!(served.headers()["etag"].to_str().unwrap(), etag);
    let since = bob
        .get_ok(
            "/api/v1/emoji-custom.list",
            &[("updatedSince", &checkpoint)],
        )
        .await;
    assert_eq!(since["emojis"]["update"][0]["name"], "blob");

    // Deleted.
    let (status, _, _) = bob
        .post("/api/v1/emoji-custom.delete", json!({"emojiId": id}))
        .await;
    assert_eq!(status, 400);
    admin
        .post_ok("/api/v1/emoji-custom.delete", json!({"emojiId": id}))
        .await;
    let since = bob
        .get_ok(
            "/api/v1/emoji-custom.list",
            &[("updatedSince", &checkpoint)],
        )
        .await;
    assert_eq!(since["emojis"]["update"], json!([]));
    assert_eq!(since["emojis"]["remove"][0]["_id"], json!(id));
    assert_eq!(
        fetch(&server, "/emoji-custom/blob.png", None)
            .await
            .status(),
        404
    );
    let (status, _, _) = bob
        .post(
            "/api/v1/chat.react",
            json!({"messageId": mid, "emoji": ":blob:"}),
        )
        .await;
    assert_eq!(status, 400);
    let listed = watcher.call("listEmojiCustom", json!([])).await.unwrap();
    assert_eq!(listed, json!([]));
});
