//! `rooms.saveRoomSettings` / DDP `saveRoomSettings`, and hidden system messages: the room's
//! `sysMes` list, or the server-wide `Hide_System_Messages`, keep those types out of history.

mod common;
use common::ddp::Ddp;
use common::*;

fn types(history: &[(String, String)]) -> Vec<&str> {
    history.iter().map(|(t, _)| t.as_str()).collect()
}

both_stores!(
    room_settings_and_hidden_system_messages,
    |server| async move {
        let admin = server.admin().await;
        let bob_name = unique("bob");
        let bob = server.create_user(&admin, &bob_name).await;
        let name = unique("settings");
        let rid = admin
            .post_ok("/api/v1/channels.create", json!({"name": name}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        bob.post_ok("/api/v1/channels.join", json!({"roomId": rid}))
            .await;
        bob.post_ok("/api/v1/channels.leave", json!({"roomId": rid}))
            .await;
        let shown = history(&admin, "channels", &rid).await;
        assert!(
            types(&shown).contains(&"uj") && types(&shown).contains(&"ul"),
            "{shown:?}"
        );

        // The room hides joins; leaves stay.
        admin
            .post_ok(
                "/api/v1/rooms.saveRoomSettings",
                json!({"rid": rid, "systemMessages": ["uj"]}),
            )
            .await;
        let shown = history(&admin, "channels", &rid).await;
        assert!(!types(&shown).contains(&"uj"), "{shown:?}");
        assert!(types(&shown).contains(&"ul"), "{shown:?}");
        let info = admin
            .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
            .await;
        assert_eq!(info["room"]["sysMes"], json!(["uj"]));

        // Without a room list, the server-wide setting applies.
        let other = admin
            .post_ok("/api/v1/channels.create", json!({"name": unique("other")}))
            .await["channel"]["_id"]
            .as_str()
            .unwrap()
            .to_owned();
        bob.post_ok("/api/v1/channels.join", json!({"roomId": other}))
            .await;
        admin
            .post_ok(
                "/api/v1/settings/Hide_System_Messages",
                json!({"value": ["uj", "mute_unmute"]}),
            )
            .await;
        assert!(!types(&history(&admin, "channels", &other).await).contains(&"uj"));
        // The room's own list wins over the setting.
        assert!(types(&history(&admin, "channels", &rid).await).contains(&"ul"));

        // Several settings at once over DDP; the name change follows.
        let mut ddp = Ddp::connect(&server.url).await;
        ddp.login(TEST_ADMIN, TEST_ADMIN).await;
        let renamed = unique("renamed");
        let result = ddp
            .call(
                "saveRoomSettings",
                json!([rid, {"roomTopic": "Weekly sync", "readOnly": true, "roomName": renamed}]),
            )
            .await
            .unwrap();
        assert_eq!(result["result"], true);
        let info = admin
            .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
            .await;
        assert_eq!(info["room"]["topic"], "Weekly sync");
        assert_eq!(info["room"]["ro"], true);
        assert_eq!(info["room"]["name"], json!(renamed));
        ddp.call("saveRoomSettings", json!([rid, "roomTopic", "Single key"]))
            .await
            .unwrap();

        // Refusals leave everything as it was.
        let (status, body, _) = admin
            .post(
                "/api/v1/rooms.saveRoomSettings",
                json!({"rid": rid, "roomTopic": "changed?", "favoriteColour": "blue"}),
            )
            .await;
        assert_eq!(
            (status, body["errorType"].as_str()),
            (400, Some("error-invalid-settings"))
        );
        let (status, _, _) = admin
            .post(
                "/api/v1/rooms.saveRoomSettings",
                json!({"rid": rid, "systemMessages": ["not-a-type"]}),
            )
            .await;
        assert_eq!(status, 400);
        let (status, _, _) = bob
            .post(
                "/api/v1/rooms.saveRoomSettings",
                json!({"rid": other, "roomTopic": "mine now"}),
            )
            .await;
        assert_eq!(status, 400);
        let info = admin
            .get_ok("/api/v1/rooms.info", &[("roomId", &rid)])
            .await;
        assert_eq!(info["room"]["topic"], "Single key");
        assert_eq!(info["room"]["sysMes"], json!(["uj"]));
    }
);
