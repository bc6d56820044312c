//! Discussions over REST and DDP: a room of its own under a parent, announced there, counted
//! on the announcing messages, listed per parent, and refused where it must be.

mod common;
use common::ddp::Ddp;
use common::*;

async fn send(client: &Client, rid: &str, text: &str) -> Value {
    client
        .post_ok(
            "/api/v1/chat.sendMessage",
            json!({"message": {"rid": rid, "msg": text}}),
        )
        .await["message"]
        .clone()
}

both_stores!(discussions_live_under_their_parent, |server| async move {
    let admin = server.admin().await;
    let bob_name = unique("bob");
    let carol_name = unique("carol");
    let bob = server.create_user(&admin, &bob_name).await;
    let carol = server.create_user(&admin, &carol_name).await;
    let parent = admin
        .post_ok(
            "/api/v1/channels.create",
            json!({"name": unique("parent"), "members": [bob_name]}),
        )
        .await["channel"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let origin = send(&bob, &parent, "shall we talk about the roadmap?").await;
    let origin_id = origin["_id"].as_str().unwrap();

    let created = bob
        .post_ok(
            "/api/v1/rooms.createDiscussion",
            json!({"prid": parent, "pmid": origin_id, "t_name": "Roadmap", "users": [carol_name], "reply": "first!"}),
        )
        .await["discussion"]
        .clone();
    let drid = created["_id"].as_str().unwrap().to_owned();
    assert_eq!(created["prid"], json!(parent));
    assert_eq!(created["fname"], "Roadmap");
    assert_eq!(created["t"], "c");
    assert_eq!(created["rid"], json!(drid));
    assert_eq!(created["description"], "shall we talk about the roadmap?");

    // Announced in the parent; the message it started from points at it.
    let announced = history(&bob, "channels", &parent).await;
    assert!(
        has_event(&announced, "discussion-created", "Roadmap"),
        "{announced:?}"
    );
    let started = bob
        .get_ok("/api/v1/chat.getMessage", &[("msgId", origin_id)])
        .await["message"]
        .clone();
    assert_eq!(started["drid"], json!(drid));

    // Carol was invited; messages in the discussion are counted on the parent's side.
    send(&carol, &drid, "second").await;
    let started = bob
        .get_ok("/api/v1/chat.getMessage", &[("msgId", origin_id)])
        .await["message"]
        .clone();
    assert_eq!(started["dcount"], 2, "{started}");
    assert!(started["dlm"].is_string());

    // Listing.
    let rooms = carol
        .get_ok("/api/v1/rooms.getDiscussions", &[("roomId", &parent)])
        .await;
    // Carol is not in the parent channel, but a public channel is readable.
    assert_eq!(rooms["total"], 1);
    assert_eq!(rooms["discussions"][0]["_id"], json!(drid));
    let none = bob
        .get_ok(
            "/api/v1/rooms.getDiscussions",
            &[("roomId", &parent), ("text", "budget")],
        )
        .await;
    assert_eq!(none["total"], 0);
    let messages = bob
        .get_ok("/api/v1/chat.getDiscussions", &[("roomId", &parent)])
        .await;
    assert_eq!(messages["total"], 2, "{messages}");
    assert!(
        messages["messages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["drid"] == json!(drid))
    );

    // DDP, from a private group: the discussion is private too.
    let group = bob
        .post_ok("/api/v1/groups.create", json!({"name": unique("team")}))
        .await["group"]["_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut ddp = Ddp::connect(&server.url).await;
    ddp.login(&bob_name, &format!("pass-{bob_name}")).await;
    let private = ddp
        .call(
            "createDiscussion",
            json!([{"prid": group, "t_name": "Secret plans"}]),
        )
        .await
        .unwrap();
    assert_eq!(private["t"], "p");
    assert!(private["ts"]["$date"].is_i64());

    // Refusals: outsiders, an empty name, a message started twice, discussions switched off.
    let (status, body, _) = carol
        .post(
            "/api/v1/rooms.createDiscussion",
            json!({"prid": group, "t_name": "Snooping"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-invalid-room")),
        "{body}"
    );
    let (status, _, _) = bob
        .post(
            "/api/v1/rooms.createDiscussion",
            json!({"prid": parent, "t_name": "   "}),
        )
        .await;
    assert_eq!(status, 400);
    let (status, body, _) = bob
        .post(
            "/api/v1/rooms.createDiscussion",
            json!({"prid": parent, "pmid": origin_id, "t_name": "Again"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
    admin
        .post_ok(
            "/api/v1/settings/Discussion_enabled",
            json!({"value": false}),
        )
        .await;
    let (status, body, _) = bob
        .post(
            "/api/v1/rooms.createDiscussion",
            json!({"prid": parent, "t_name": "Later"}),
        )
        .await;
    assert_eq!(
        (status, body["errorType"].as_str()),
        (400, Some("error-action-not-allowed"))
    );
});
