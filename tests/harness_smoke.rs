//! The smallest end-to-end check: the binary starts on both stores, answers its health check,
//! `/api/info`, the test admin's login and `/api/v1/me`.

mod common;
use common::*;

both_stores!(starts_and_serves_basics, |server| async move {
    let anon = server.anon();

    let (status, body, _) = anon.get("/livez").await;
    assert_eq!(status, 200, "GET /livez: {body}");

    let (status, info, content_type) = anon.get("/api/info").await;
    assert_eq!(status, 200, "GET /api/info: {info}");
    assert!(
        content_type.starts_with("application/json"),
        "GET /api/info content type {content_type:?}"
    );
    assert_eq!(info["success"], json!(true), "GET /api/info: {info}");
    assert!(
        info["version"].as_str().is_some_and(|v| !v.is_empty()),
        "GET /api/info has no version string: {info}"
    );

    let admin = server.admin().await;
    assert_eq!(admin.user_id.as_deref(), Some(TEST_ADMIN));
    let me = admin.get_ok("/api/v1/me", &[]).await;
    assert_eq!(me["username"], json!(TEST_ADMIN), "GET /api/v1/me: {me}");

    let (status, body, _) = anon.get("/api/v1/me").await;
    assert_eq!(status, 401, "GET /api/v1/me without credentials: {body}");
});

both_stores!(restart_keeps_the_data, |mut server| async move {
    // A login token is stored data: it must still work after a crash and restart.
    let admin = server.admin().await;
    let port = server.port();

    server.restart().await;

    assert_eq!(
        server.port(),
        port,
        "the restarted server moved to another port"
    );
    let me = admin.get_ok("/api/v1/me", &[]).await;
    assert_eq!(
        me["username"],
        json!(TEST_ADMIN),
        "GET /api/v1/me after restart: {me}"
    );
});

#[test]
fn postgres_urls_get_the_test_database() {
    assert_eq!(
        pg_url_with_db("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        pg_url_with_db("postgres://u:p@h:1/db?sslmode=disable", "t2"),
        "postgres://u:p@h:1/t2?sslmode=disable"
    );
    assert_eq!(
        pg_url_with_db("postgres://u@h:1", "t3"),
        "postgres://u@h:1/t3"
    );
}
