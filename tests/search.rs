//! `chat.search` and DDP `messageSearch` on both stores: word-prefix matching with every term
//! required, filters, new and edited messages searchable at once, deleted and system messages
//! never found, and only rooms the caller may read searched.

mod common;
use common::ddp::Ddp;
use common::*;

async fn send(client: &Client, rid: &str, text: &str) -> String {
    client
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": text}}),
        )
        .await["message"]["_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn found(client: &Client, rid: Option<&str>, text: &str) -> Vec<String> {
    let mut query = vec![("searchText", text)];
    if let Some(rid) = rid {
        query.push(("roomId", rid));
    }
    let body = client.get_ok("/api/v1/chat.search", &query).await;
    body["messages"]
        .as_array()
        .unwrap_or_else(|| panic!("no messages: {body}"))
        .iter()
        .map(|m| m["msg"].as_str().unwrap().to_owned())
        .collect()
}

both_stores!(search_finds_words_in_readable_rooms, |server| async move {
    let admin = server.admin().await;
    let alice_name = unique("alice");
    let bob_name = unique("bob");
    let carol_name = unique("carol");
    let alice = server.create_user(&admin, &alice_name).await;
    let bob = server.create_user(&admin, &bob_name).await;
    let carol = server.create_user(&admin, &carol_name).await;
    let rid = alice
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("search"), "members": [bob_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let secret = alice
        .post_ok(
            "/api/v1/groups.create",
            json!({"name": unique("secret"), "members": [bob_name]}),
        )
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let fox = send(&alice, &rid, "The quick brown fox").await;
    send(&alice, &rid, "Lazy dogs sleep").await;
    send(&bob, &rid, "quickly now, please").await;
    send(&bob, &rid, "un café au lait").await;
    send(&bob, &secret, "the quick secret plan").await;

    // Every term must match, as a word prefix, case-insensitively; newest first.
    assert_eq!(
        found(&alice, Some(&rid), "QUICK").await,
        ["quickly now, please", "The quick brown fox"]
    );
    assert_eq!(
        found(&alice, Some(&rid), "quick fox").await,
        ["The quick brown fox"]
    );
    assert_eq!(found(&alice, Some(&rid), "café").await, ["un café au lait"]);
    assert!(found(&alice, Some(&rid), "zebra").await.is_empty());
    // Filters.
    assert_eq!(
        found(&alice, Some(&rid), &format!("from:@{bob_name} quick")).await,
        ["quickly now, please"]
    );
    assert_eq!(
        found(&alice, Some(&rid), "from:me").await,
        ["Lazy dogs sleep", "The quick brown fox"]
    );
    alice
        .post_ok("/api/v1/chat.pinMessage", json!({"messageId": fox}))
        .await;
    assert_eq!(
        found(&bob, Some(&rid), "is:pinned").await,
        ["The quick brown fox"]
    );
    bob.post_ok("/api/v1/chat.starMessage", json!({"messageId": fox}))
        .await;
    assert_eq!(
        found(&bob, Some(&rid), "has:star fox").await,
        ["The quick brown fox"]
    );
    assert!(found(&alice, Some(&rid), "has:star").await.is_empty());

    // Query syntax of either engine is just text.
    for hostile in [
        "\"' OR 1=1 --",
        "quick*) OR (",
        "NEAR(a b)",
        "!&|:*",
        "\u{0}",
    ] {
        let (status, body, _) = alice
            .get_query(
                "/api/v1/chat.search",
                &[("roomId", rid.as_str()), ("searchText", hostile)],
            )
            .await;
        assert!(
            status == 200 || status == 400,
            "{hostile:?}: {status} {body}"
        );
        if status == 200 {
            assert!(body["messages"].as_array().unwrap().len() <= 1, "{body}");
        }
    }

    // Edits are searchable at once; deletions and system messages are never found.
    alice
        .post_ok(
            "/api/v1/chat.update",
            json!({"roomId": rid, "msgId": fox, "text": "The slow green turtle"}),
        )
        .await;
    assert!(found(&alice, Some(&rid), "fox").await.is_empty());
    assert_eq!(
        found(&alice, Some(&rid), "turtle").await,
        ["The slow green turtle"]
    );
    alice
        .post_ok("/api/v1/chat.delete", json!({"roomId": rid, "msgId": fox}))
        .await;
    assert!(found(&alice, Some(&rid), "turtle").await.is_empty());
    alice
        .post_ok(
            "/api/v1/channels.setTopic",
            json!({"roomId": rid, "topic": "quick topic"}),
        )
        .await;
    assert_eq!(
        found(&alice, Some(&rid), "quick").await,
        ["quickly now, please"]
    );

    // Without a room: every room the caller is in, and no other.
    assert_eq!(
        found(&bob, None, "quick").await,
        ["the quick secret plan", "quickly now, please"]
    );
    assert!(found(&carol, None, "quick").await.is_empty());
    let (status, body, _) = carol
        .get_query(
            "/api/v1/chat.search",
            &[("roomId", secret.as_str()), ("searchText", "quick")],
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-not-allowed"))
    );
    let (status, _, _) = carol
        .get_query("/api/v1/chat.search", &[("roomId", secret.as_str())])
        .await;
    assert_eq!(status, 400);

    // DDP.
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(&bob_name, &format!("pass-{bob_name}")).await;
    let result = ddp
        .call("messageSearch", json!(["secret plan", secret, 10]))
        .await
        .unwrap();
    let docs = result["message"]["docs"].as_array().unwrap();
    assert_eq!(docs.len(), 1);
    assert!(docs[0]["ts"]["$date"].is_i64());
});
