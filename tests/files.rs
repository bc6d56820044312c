//! File uploads and downloads end to end: `rooms.media` + `rooms.mediaConfirm`,
//! `rooms.upload`, the file lists, and `/file-upload/...` with its access checks, ranges and
//! safety headers; type and size limits; no orphans; the database (GridFS) and file-system
//! backends, with and without encryption at rest.

mod common;
use common::*;
use reqwest::multipart::{Form, Part};

/// A valid 1×1 PNG.
fn png() -> Vec<u8> {
    hex::decode("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082")
    .unwrap()
}

async fn post_file(
    client: &Client,
    path: &str,
    file_name: &str,
    bytes: Vec<u8>,
    fields: &[(&'static str, &str)],
) -> Response {
    let mut form = Form::new();
    for (key, value) in fields {
        form = form.text(*key, value.to_string());
    }
    form = form.part("file", Part::bytes(bytes).file_name(file_name.to_owned()));
    client
        .send(client.request(reqwest::Method::POST, path).multipart(form))
        .await
}

async fn fetch(
    server: &Server,
    client: Option<&Client>,
    url: &str,
    range: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new().get(format!("{}{url}", server.url));
    if let Some(client) = client {
        req = req
            .header("X-User-Id", client.user_id.clone().unwrap())
            .header("X-Auth-Token", client.token.clone().unwrap());
    }
    if let Some(range) = range {
        req = req.header("Range", range);
    }
    req.send().await.unwrap()
}

async fn group(owner: &Client, members: &[&str]) -> String {
    owner
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": unique("files"), "members": members}),
        )
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn upload_flow(server: Server) {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let bob = server.create_user(&admin, &bob_name).await;
    let outsider = server.create_user(&admin, &unique("out")).await;
    let rid = group(&admin, &[&bob_name]).await;

    // Two steps: stored, then posted.
    let (status, body, _) = post_file(
        &bob,
        &format!("/api/v1/rooms.media/{rid}"),
        "../../etc/pass\u{202e}wd.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let file_id = body["file"]["_id"].as_str().unwrap().to_owned();
    let url = body["file"]["url"].as_str().unwrap().to_owned();
    assert!(
        file_id.len() >= 22,
        "ids carry at least 128 random bits: {file_id}"
    );
    // Not downloadable until it is in a message.
    assert_eq!(fetch(&server, Some(&bob), &url, None).await.status(), 404);
    let message = bob
        .post_ok(
            &format!("/api/v1/rooms.mediaConfirm/{rid}/{file_id}"),
            json!({"msg": "a picture", "description": "one pixel"}),
        )
        .await["message"]
        .clone();
    assert_eq!(message["msg"], "a picture");
    assert_eq!(message["file"]["_id"], json!(file_id));
    assert_eq!(message["file"]["type"], "image/png");
    let name = message["file"]["name"].as_str().unwrap();
    assert!(
        !name.contains('/') && !name.contains("..") && !name.contains('\u{202e}'),
        "{name}"
    );
    let attachment = &message["attachments"][0];
    assert_eq!(
        attachment["image_dimensions"],
        json!({"width": 1, "height": 1})
    );
    assert_eq!(attachment["image_type"], "image/png");
    assert_eq!(attachment["description"], "one pixel");
    assert!(attachment["image_preview"].is_string());
    let url = attachment["title_link"].as_str().unwrap().to_owned();
    // Confirming twice, or someone else's upload, is refused.
    let (status, _, _) = admin
        .post(
            &format!("/api/v1/rooms.mediaConfirm/{rid}/{file_id}"),
            json!({}),
        )
        .await;
    assert_eq!(status, 400);

    // Downloads: the whole file, a range, an impossible range.
    let whole = fetch(&server, Some(&admin), &url, None).await;
    assert_eq!(whole.status(), 200);
    assert_eq!(whole.headers()["content-type"], "image/png");
    assert_eq!(whole.headers()["x-content-type-options"], "nosniff");
    assert!(
        whole.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline")
    );
    assert_eq!(whole.bytes().await.unwrap().to_vec(), png());
    let part = fetch(&server, Some(&admin), &url, Some("bytes=1-3")).await;
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1-3/{}", png().len()).as_str()
    );
    assert_eq!(part.bytes().await.unwrap().to_vec(), png()[1..4].to_vec());
    assert_eq!(
        fetch(&server, Some(&admin), &url, Some("bytes=5000-"))
            .await
            .status(),
        416
    );
    // Credentials as Rocket.Chat clients send them: cookies and query parameters.
    let by_query = reqwest::Client::new()
        .get(format!(
            "{}{url}?rc_uid={}&rc_token={}",
            server.url,
            bob.user_id.clone().unwrap(),
            bob.token.clone().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    let by_cookie = reqwest::Client::new()
        .get(format!("{}{url}", server.url))
        .header(
            "Cookie",
            format!(
                "rc_uid={}; rc_token={}",
                bob.user_id.clone().unwrap(),
                bob.token.clone().unwrap()
            ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_cookie.status(), 200);
    // Refused: outsiders, anonymous callers, guessed ids.
    assert_eq!(
        fetch(&server, Some(&outsider), &url, None).await.status(),
        403
    );
    assert_eq!(fetch(&server, None, &url, None).await.status(), 403);
    assert_eq!(
        fetch(
            &server,
            Some(&admin),
            "/file-upload/AAAAAAAAAAAAAAAAAAAAAA/x.png",
            None
        )
        .await
        .status(),
        404
    );

    // A deleted member's token no longer opens anything.
    let dave_name = unique("dave");
    let dave = server.create_user(&admin, &dave_name).await;
    admin
        .post_ok(
            "/api/v1/groups.invite",
            json!({"roomId": rid, "username": dave_name}),
        )
        .await;
    assert_eq!(fetch(&server, Some(&dave), &url, None).await.status(), 200);
    admin
        .post_ok(
            "/api/v1/users.delete",
            json!({"userId": dave.user_id.clone().unwrap(), "confirmRelinquish": true}),
        )
        .await;
    assert_eq!(fetch(&server, Some(&dave), &url, None).await.status(), 403);

    // Listed with the room.
    let listed = bob
        .get_ok("/api/v1/groups.files", &[("roomId", &rid)])
        .await;
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["files"][0]["_id"], json!(file_id));
    assert_eq!(listed["files"][0]["user"]["username"], json!(bob_name));
    let (status, _, _) = outsider
        .get_query("/api/v1/groups.files", &[("roomId", &rid)])
        .await;
    assert_ne!(status, 200);

    // Active content is served as a download with a sandbox.
    let page = bob
        .send(
            bob.request(
                reqwest::Method::POST,
                &format!("/api/v1/rooms.upload/{rid}"),
            )
            .multipart(
                Form::new().text("msg", "a page").part(
                    "file",
                    Part::bytes(b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec())
                        .file_name("page.html"),
                ),
            ),
        )
        .await;
    assert_eq!(page.0, 200, "{}", page.1);
    let page_url = page.1["message"]["attachments"][0]["title_link"]
        .as_str()
        .unwrap()
        .to_owned();
    let served = fetch(&server, Some(&bob), &page_url, None).await;
    assert_eq!(served.headers()["content-type"], "application/octet-stream");
    assert!(
        served.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert!(
        served.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );

    // Deleting the message deletes the file.
    admin
        .post_ok(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": message["_id"]}),
        )
        .await;
    assert_eq!(fetch(&server, Some(&admin), &url, None).await.status(), 404);
    let listed = bob
        .get_ok("/api/v1/groups.files", &[("roomId", &rid)])
        .await;
    assert_eq!(listed["total"], 1, "only the page is left: {listed}");

    // Limits: the type is read from the bytes, the size while they arrive.
    admin
        .post_ok(
            "/api/v1/settings/FileUpload_MediaTypeWhiteList",
            json!({"value": "image/*"}),
        )
        .await;
    let (status, body, _) = post_file(
        &bob,
        &format!("/api/v1/rooms.media/{rid}"),
        "cat.png",
        b"MZ\x90\x00 definitely not a picture".to_vec(),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-file-type"))
    );
    admin
        .post_ok(
            "/api/v1/settings/FileUpload_MaxFileSize",
            json!({"value": 10}),
        )
        .await;
    let (status, body, _) = post_file(
        &bob,
        &format!("/api/v1/rooms.media/{rid}"),
        "big.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-file-too-large"))
    );
    // Nothing refused was kept: no unconfirmed uploads, an empty spool.
    let store = open_store(&server).await;
    assert!(store.stale_uploads(i64::MAX).await.unwrap().is_empty());
    let spool: Vec<_> = std::fs::read_dir(server.data_dir.join("spool"))
        .unwrap()
        .collect();
    assert!(spool.is_empty(), "{spool:?}");
    admin
        .post_ok(
            "/api/v1/settings/FileUpload_Enabled",
            json!({"value": false}),
        )
        .await;
    let (status, body, _) = post_file(
        &bob,
        &format!("/api/v1/rooms.media/{rid}"),
        "a.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-file-upload-disabled"))
    );
}

both_stores!(uploads_in_the_database, |server| async move {
    upload_flow(server).await;
});

both_stores!(
    uploads_on_disk,
    envs = [("OVERWRITE_SETTING_FileUpload_Storage_Type", "FileSystem")],
    |server| async move {
        upload_flow(server).await;
    }
);

both_stores!(
    uploads_in_the_database_encrypted,
    envs = [("FILE_ENCRYPTION_KEY", KEY)],
    |server| async move {
        upload_flow(server).await;
    }
);

const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

both_stores!(
    uploads_on_disk_encrypted,
    envs = [
        ("OVERWRITE_SETTING_FileUpload_Storage_Type", "FileSystem"),
        ("FILE_ENCRYPTION_KEY", KEY),
    ],
    |server| async move {
        let admin = server.admin().await;
        let rid = group(&admin, &[]).await;
        let marker = b"plain text that must not be readable on disk".to_vec();
        let (status, body, _) = post_file(
            &admin,
            &format!("/api/v1/rooms.upload/{rid}"),
            "notes.txt",
            marker.clone(),
            &[("msg", "notes")],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let url = body["message"]["attachments"][0]["title_link"]
            .as_str()
            .unwrap()
            .to_owned();
        let served = fetch(&server, Some(&admin), &url, None).await;
        assert_eq!(served.bytes().await.unwrap().to_vec(), marker);
        // On disk, under DATA_DIR/uploads, only ciphertext.
        let mut found = 0;
        let mut pending = vec![server.data_dir.join("uploads")];
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    found += 1;
                    let stored = std::fs::read(&path).unwrap();
                    assert!(
                        !stored.windows(marker.len()).any(|w| w == marker.as_slice()),
                        "{} holds the plain text",
                        path.display()
                    );
                }
            }
        }
        assert_eq!(found, 1);
    }
);

both_stores!(
    a_bad_storage_setting_stops_the_server,
    envs = [],
    |server| async move {
        // The server refuses to start rather than store files somewhere unexpected.
        let mut server = server;
        let admin = server.admin().await;
        admin
            .post_ok(
                "/api/v1/settings/FileUpload_Storage_Type",
                json!({"value": "Webdav"}),
            )
            .await;
        server.kill();
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_ferrochat"))
            .arg("serve")
            .env("DATABASE_URL", &server.database_url)
            .env("DATA_DIR", &server.data_dir)
            .env("PORT", free_port().to_string())
            .output()
            .unwrap();
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("FileUpload_Storage_Type"), "{stderr}");
    }
);

/// Starts a server on SQLite with extra settings and environment.
async fn server_with(envs: &[(&str, &str)]) -> Server {
    Server::start_with(Backend::Sqlite, envs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infected_uploads_are_refused_and_never_stored() {
    let clamd = ferrochat_test_services::start_clamd("10M").await;
    let clamd_url = format!("tcp://127.0.0.1:{}", clamd.port);
    let server = server_with(&[("CLAMD_URL", &clamd_url)]).await;
    let admin = server.admin().await;
    let rid = group(&admin, &[]).await;
    let (status, body, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.media/{rid}"),
        "eicar.txt",
        ferrochat_test_services::EICAR.to_vec(),
        &[],
    )
    .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-virus-detected")),
        "{body}"
    );
    let store = open_store(&server).await;
    assert!(store.stale_uploads(i64::MAX).await.unwrap().is_empty());
    let blobs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM blob_files")
        .fetch_one(
            &sqlx::SqlitePool::connect(&server.database_url)
                .await
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(blobs, 0, "an infected file reached storage");
    // Clean files pass the same scanner.
    let (status, body, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.upload/{rid}"),
        "clean.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // With the scanner gone, uploads are refused rather than accepted unscanned.
    drop(clamd);
    let (status, _, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.media/{rid}"),
        "later.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(status, 503);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_in_s3() {
    let bucket = "ferrochat-uploads";
    let moto = ferrochat_test_services::start_moto(bucket).await;
    let endpoint = format!("http://127.0.0.1:{}", moto.port);
    let server = server_with(&[
        ("OVERWRITE_SETTING_FileUpload_Storage_Type", "AmazonS3"),
        ("OVERWRITE_SETTING_FileUpload_S3_Bucket", bucket),
        ("OVERWRITE_SETTING_FileUpload_S3_BucketURL", &endpoint),
        ("OVERWRITE_SETTING_FileUpload_S3_Region", "us-east-1"),
        ("OVERWRITE_SETTING_FileUpload_S3_AWSAccessKeyId", "testing"),
        (
            "OVERWRITE_SETTING_FileUpload_S3_AWSSecretAccessKey",
            "testing",
        ),
        ("OVERWRITE_SETTING_FileUpload_S3_ForcePathStyle", "true"),
    ])
    .await;
    upload_flow(server).await;
    // The bytes went to the bucket.
    let (status, listing) =
        ferrochat_test_services::http(moto.port, "GET", &format!("/{bucket}")).await;
    assert_eq!(status, 200);
    assert!(listing.contains("<Key>"), "{listing}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_off_upload_leaves_nothing() {
    use tokio::io::AsyncWriteExt;
    let server = server_with(&[]).await;
    let admin = server.admin().await;
    let rid = group(&admin, &[]).await;
    // A multipart body that promises a megabyte and stops after a few kilobytes.
    let boundary = "ferrochat-boundary";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.bin\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    );
    let request = format!(
        "POST /api/v1/rooms.media/{rid} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-User-Id: {}\r\n\
         X-Auth-Token: {}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {}\r\n\r\n{head}",
        admin.user_id.clone().unwrap(),
        admin.token.clone().unwrap(),
        1024 * 1024,
    );
    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket.write_all(&vec![7u8; 64 * 1024]).await.unwrap();
    socket.flush().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    drop(socket);
    // The server gives up on the request; nothing of it stays.
    let spool = server.data_dir.join("spool");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left: Vec<_> = std::fs::read_dir(&spool).unwrap().collect();
        if left.is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "spool not cleaned: {left:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let store = open_store(&server).await;
    assert!(store.stale_uploads(i64::MAX).await.unwrap().is_empty());
    // The server is fine and takes the next upload.
    let (status, _, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.upload/{rid}"),
        "ok.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(status, 200);
}

both_stores!(large_images_get_a_thumbnail, |server| async move {
    let admin = server.admin().await;
    let rid = group(&admin, &[]).await;
    let picture = image::RgbImage::from_fn(1000, 600, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut png_bytes = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut png_bytes, image::ImageFormat::Png)
        .unwrap();
    let (status, body, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.upload/{rid}"),
        "landscape.png",
        png_bytes.into_inner(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let message = &body["message"];
    let files = message["files"].as_array().unwrap();
    assert_eq!(files.len(), 2, "{message}");
    let attachment = &message["attachments"][0];
    assert_eq!(
        attachment["image_dimensions"],
        json!({"width": 1000, "height": 600})
    );
    let thumb_url = attachment["image_url"].as_str().unwrap().to_owned();
    assert_ne!(thumb_url, attachment["title_link"].as_str().unwrap());
    let thumb = fetch(&server, Some(&admin), &thumb_url, None).await;
    assert_eq!(thumb.status(), 200);
    assert_eq!(thumb.headers()["content-type"], "image/jpeg");
    let small = image::load_from_memory(&thumb.bytes().await.unwrap()).unwrap();
    assert!(
        small.width() <= 480 && small.height() <= 360,
        "{}x{}",
        small.width(),
        small.height()
    );
    // The list shows the file once; deleting the message removes both.
    let listed = admin
        .get_ok("/api/v1/groups.files", &[("roomId", &rid)])
        .await;
    assert_eq!(listed["total"], 1, "{listed}");
    admin
        .post_ok(
            "/api/v1/chat.delete",
            json!({"roomId": rid, "msgId": message["_id"]}),
        )
        .await;
    assert_eq!(
        fetch(&server, Some(&admin), &thumb_url, None)
            .await
            .status(),
        404
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_is_posted_once_however_often_it_is_confirmed() {
    let server = server_with(&[]).await;
    let admin = server.admin().await;
    let rid = group(&admin, &[]).await;
    let (status, body, _) = post_file(
        &admin,
        &format!("/api/v1/rooms.media/{rid}"),
        "a.png",
        png(),
        &[],
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let file_id = body["file"]["_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/rooms.mediaConfirm/{rid}/{file_id}");
    let attempts =
        futures_util::future::join_all((0..6).map(|_| admin.post(&path, json!({"msg": "once"}))))
            .await;
    let posted = attempts
        .iter()
        .filter(|(status, _, _)| *status == 200)
        .count();
    assert_eq!(posted, 1, "{attempts:?}");
    let texts = history(&admin, "groups", &rid).await;
    assert_eq!(texts.iter().filter(|(_, msg)| msg == "once").count(), 1);
}
