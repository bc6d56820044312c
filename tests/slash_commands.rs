//! Slash commands over REST (`commands.*`) and DDP (`slashCommand`): each built-in does what
//! its REST twin does, with the same permissions.

mod common;
use common::ddp::Ddp;
use common::*;

async fn run(client: &Client, rid: &str, command: &str, params: &str) -> Response {
    client
        .post(
            "/api/v1/commands.run",
            json!({"command": command, "params": params, "roomId": rid}),
        )
        .await
}

async fn run_ok(client: &Client, rid: &str, command: &str, params: &str) -> Value {
    let (status, body, _) = run(client, rid, command, params).await;
    assert!(
        status == 200 && body["success"] == true,
        "/{command} {params}: {status} {body}"
    );
    body
}

async fn room_of(client: &Client, name: &str) -> Value {
    client
        .get_ok("/api/v1/rooms.info", &[("roomName", name)])
        .await["room"]
        .clone()
}

async fn is_member(client: &Client, rid: &str) -> bool {
    let (status, _, _) = client
        .get_query("/api/v1/subscriptions.getOne", &[("roomId", rid)])
        .await;
    status == 200
        && client
            .get_ok("/api/v1/subscriptions.getOne", &[("roomId", rid)])
            .await["subscription"]
            .is_object()
}

both_stores!(
    built_in_commands_work_like_their_twins,
    |server| async move {
        let admin = server.admin().await;
        let bob_name = unique("bob");
        let carol_name = unique("carol");
        let bob = server.create_user(&admin, &bob_name).await;
        let carol = server.create_user(&admin, &carol_name).await;
        let home_name = unique("home");
        let home = admin
            .post_ok(
                "/api/v1/channels.create",
                json!({"name": home_name, "members": [bob_name]}),
            )
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();

        let listed = bob
            .get_ok("/api/v1/commands.list", &[("count", "100")])
            .await;
        let names: Vec<&str> = listed["commands"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["command"].as_str().unwrap())
            .collect();
        for name in [
            "join",
            "leave",
            "invite",
            "kick",
            "topic",
            "mute",
            "unmute",
            "archive",
            "unarchive",
            "create",
            "invite-all-to",
            "invite-all-from",
            "status",
            "shrug",
            "tableflip",
            "gimme",
            "lennyface",
            "me",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert_eq!(listed["total"], json!(names.len()));
        let one = bob
            .get_ok("/api/v1/commands.get", &[("command", "topic")])
            .await;
        assert_eq!(one["command"]["permission"], json!(["edit-room"]));
        let (status, _, _) = bob
            .get_query("/api/v1/commands.get", &[("command", "nope")])
            .await;
        assert_eq!(status, 400);

        // Text commands post into the room.
        let sent = run_ok(&bob, &home, "shrug", "oh well").await;
        assert_eq!(sent["result"]["msg"], "oh well ¯\\_(ツ)_/¯");
        run_ok(&bob, &home, "me", "waves").await;
        run_ok(&bob, &home, "/gimme", "").await;
        let texts = history(&bob, "channels", &home).await;
        assert!(has_event(&texts, "", "_waves_"), "{texts:?}");
        assert!(has_event(&texts, "", "༼ つ ◕_◕ ༽つ"), "{texts:?}");

        // Room administration keeps its permissions: bob is a plain member.
        let (status, body, _) = run(&bob, &home, "topic", "bob's topic").await;
        assert_eq!(status, 400, "{body}");
        run_ok(&admin, &home, "topic", "the admin's topic").await;
        assert_eq!(
            room_of(&admin, &home_name).await["topic"],
            "the admin's topic"
        );

        // Creating, joining, leaving.
        let made = unique("made");
        run_ok(&bob, &home, "create", &format!("#{made}")).await;
        let made_room = room_of(&bob, &made).await;
        assert_eq!(made_room["t"], "c");
        let hidden = unique("hidden");
        run_ok(&bob, &home, "create", &format!("#{hidden} private")).await;
        assert_eq!(room_of(&bob, &hidden).await["t"], "p");
        let made_id = made_room["_id"].as_str().unwrap().to_owned();
        run_ok(&carol, &home, "join", &format!("#{made}")).await;
        assert!(is_member(&carol, &made_id).await);
        run_ok(&carol, &made_id, "leave", "").await;
        assert!(!is_member(&carol, &made_id).await);

        // Inviting and kicking in bob's own room, muting.
        run_ok(&bob, &made_id, "invite", &format!("@{carol_name}")).await;
        assert!(is_member(&carol, &made_id).await);
        run_ok(&bob, &made_id, "mute", &format!("@{carol_name}")).await;
        let (status, _, _) = carol
            .post(
                "/api/v1/chat.sendMessage",
                json!({"message": {"rid": made_id, "msg": "let me talk"}}),
            )
            .await;
        assert_eq!(status, 400);
        run_ok(&bob, &made_id, "unmute", &format!("@{carol_name}")).await;
        run_ok(&bob, &made_id, "kick", &format!("@{carol_name}")).await;
        assert!(!is_member(&carol, &made_id).await);
        let (status, _, _) = run(&bob, &made_id, "invite", "@nobody_by_that_name").await;
        assert_eq!(status, 400);

        // Everyone in home (the admin and bob) into bob's room.
        run_ok(&admin, &home, "invite-all-to", &format!("#{made}")).await;
        let members = bob
            .get_ok("/api/v1/channels.members", &[("roomId", &made_id)])
            .await;
        assert_eq!(members["total"], 2, "{members}");

        // Archiving; status.
        run_ok(&bob, &made_id, "archive", "").await;
        let archived = bob
            .get_ok("/api/v1/channels.info", &[("roomId", &made_id)])
            .await;
        assert_eq!(archived["channel"]["archived"], true, "{archived}");
        // unarchive-room is the admins' alone.
        let (status, _, _) = run(&bob, &home, "unarchive", &format!("#{made}")).await;
        assert_eq!(status, 400);
        run_ok(&admin, &home, "unarchive", &format!("#{made}")).await;
        assert_ne!(room_of(&bob, &made).await["archived"], true);
        run_ok(&bob, &home, "status", "in a meeting").await;
        let info = bob
            .get_ok("/api/v1/users.info", &[("username", &bob_name)])
            .await;
        assert_eq!(info["user"]["statusText"], "in a meeting");

        // Unknown commands, rooms the caller cannot read, DDP.
        let (status, body, _) = run(&bob, &home, "frobnicate", "").await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-invalid-command"))
        );
        let secret = admin
            .post_ok("/api/v1/groups.create", json!({"name": unique("secret")}))
            .await["group"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        let (status, _, _) = run(&bob, &secret, "shrug", "").await;
        assert_eq!(status, 400);
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login(&bob_name, &format!("pass-{bob_name}")).await;
        let sent = ddp
            .call(
                "slashCommand",
                json!([{"cmd": "tableflip", "params": "", "msg": {"rid": home}}]),
            )
            .await
            .unwrap();
        assert_eq!(sent["msg"], "(╯°□°）╯︵ ┻━┻");
    }
);
