//! `groups.*` (private rooms): the same handlers as `channels.*`, instantiated for private
//! groups (see [`super::channels`]); only the routes differ.

use axum::Router;
use axum::routing::post;

use crate::rest::channels;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    channels::shared::<true>("groups")
        .merge(channels::group_lists())
        .route("/api/v1/groups.setEncrypted", post(channels::set_encrypted))
}
