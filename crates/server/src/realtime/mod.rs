//! The realtime engine: DDP over WebSocket at `/websocket`, the node's hub of stream
//! subscriptions, and the bus that carries events between nodes.

pub mod frames;
pub mod hub;
pub mod methods;
pub mod presence;
pub mod ratelimit;
pub mod session;
pub mod streams;

use std::net::SocketAddr;

use axum::Router;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use axum::routing::get;

use crate::state::AppState;

/// Buffer sizes of each WebSocket: small, so an idle connection costs a few KiB rather
/// than tungstenite's 128 KiB default. The read buffer lives as long as the connection
/// (scenario 5: 100k idle connections). 2 KiB holds the burst of subscriptions a client
/// sends on connecting (with 1 KiB, tungstenite grew the buffer to 2 KiB then anyway); a
/// longer frame gets room for all of it once its header is read.
const READ_BUFFER: usize = 2 * 1024;
const WRITE_BUFFER: usize = 4 * 1024;
/// The most a client may send in one DDP message.
const MAX_MESSAGE: usize = 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new().route("/websocket", get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        // Rocket.Chat's DDP_MAX_BUFFERED_BYTES: beyond this a client is not keeping up.
        .max_write_buffer_size(4 * 1024 * 1024)
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| session::run(state, socket, peer.ip()))
}
