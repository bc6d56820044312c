//! What a fresh server has, as a fresh Rocket.Chat does: the `rocket.cat` bot, the default
//! room `GENERAL`, and the first administrator from `ADMIN_*` (or TEST_MODE's fixed one).
//! Every step is idempotent; later starts change nothing that exists.

use ferrochat_model::password::client_digest;
use ferrochat_model::time::now_ms;
use ferrochat_model::{Room, RoomType};

use crate::error::Result;
use crate::services::rooms;
use crate::services::users::{self, NewUser};
use crate::state::AppState;

pub const GENERAL: &str = "GENERAL";
pub const ROCKET_CAT: &str = "rocket.cat";
pub const TEST_ADMIN: &str = "rocketchat.internal.admin.test";

pub async fn seed(state: &AppState) -> Result<()> {
    if state.store.user_by_id(ROCKET_CAT).await?.is_none() {
        users::create_user(
            state,
            NewUser {
                id: Some(ROCKET_CAT.into()),
                username: ROCKET_CAT.into(),
                name: "Rocket.Cat".into(),
                roles: vec!["bot".into()],
                active: true,
                user_type: "bot".into(),
                email_verified: true,
                ..NewUser::default()
            },
        )
        .await?;
        tracing::info!("created the rocket.cat bot");
    }
    if state.store.room_by_id(GENERAL).await?.is_none() {
        let room = Room {
            name: Some("general".into()),
            fname: Some("general".into()),
            is_default: true,
            ..Room::new(GENERAL.into(), RoomType::Channel, now_ms())
        };
        state.store.create_room(&room, &[]).await?;
        tracing::info!("created the default room #general");
    }
    if state.config.test_mode && state.store.user_by_id(TEST_ADMIN).await?.is_none() {
        create_admin(
            state,
            Some(TEST_ADMIN),
            TEST_ADMIN,
            TEST_ADMIN,
            Some("rocketchat.internal.admin.test@rocket.chat"),
            TEST_ADMIN,
        )
        .await?;
        tracing::warn!("TEST_MODE: created the test administrator");
    }
    if let Some(admin) = &state.config.admin
        && state
            .store
            .user_by_username(&admin.username)
            .await?
            .is_none()
    {
        let name = admin.name.clone().unwrap_or_else(|| admin.username.clone());
        create_admin(
            state,
            None,
            &admin.username,
            &admin.password,
            admin.email.as_deref(),
            &name,
        )
        .await?;
        tracing::info!(username = %admin.username, "created the administrator from ADMIN_USERNAME");
    }
    Ok(())
}

async fn create_admin(
    state: &AppState,
    id: Option<&str>,
    username: &str,
    password: &str,
    email: Option<&str>,
    name: &str,
) -> Result<()> {
    let user = users::create_user(
        state,
        NewUser {
            id: id.map(str::to_owned),
            username: username.into(),
            name: name.into(),
            email: email.map(str::to_owned),
            email_verified: true,
            password_digest: Some(client_digest(password)),
            roles: vec!["admin".into(), "user".into()],
            active: true,
            user_type: "user".into(),
            join_default_channels: false,
            ..NewUser::default()
        },
    )
    .await?;
    if let Some(general) = state.store.room_by_id(GENERAL).await? {
        let sub = rooms::new_subscription(&general, &user, Vec::new(), &[], now_ms());
        state.store.add_subscription(&sub).await?;
    }
    Ok(())
}
