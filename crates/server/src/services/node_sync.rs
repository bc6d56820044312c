//! Keeping every node's in-memory copies (the permission table, settings) in step. A node
//! that changes one publishes an internal event on the bus; every node, itself included,
//! reloads from the database. Clients cannot subscribe to the internal stream (streams are
//! default-deny), so these events never leave the cluster.

use ferrochat_bus::Event;
use serde_json::{Value, json};

use crate::state::AppState;

pub const INTERNAL_STREAM: &str = "ferrochat-internal";
const PERMISSIONS: &str = "reload-permissions";
const SETTING: &str = "reload-setting";

/// Tells every node to re-read the permission table.
pub fn permissions_changed(state: &AppState) {
    state
        .bus
        .publish(Event::new(INTERNAL_STREAM, PERMISSIONS, Value::Null));
}

/// Tells every node to re-read one setting.
pub fn setting_changed(state: &AppState, id: &str) {
    state
        .bus
        .publish(Event::new(INTERNAL_STREAM, SETTING, json!(id)));
}

/// Listens for internal events for as long as the bus lives.
pub fn spawn_listener(state: AppState) {
    let mut events = state.bus.subscribe();
    tokio::spawn(async move {
        loop {
            let event = match events.recv().await {
                Ok(event) => event,
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    // Missed some: reload everything to be safe.
                    reload_all(&state).await;
                    continue;
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            };
            if event.stream != INTERNAL_STREAM {
                continue;
            }
            match event.name.as_str() {
                PERMISSIONS => {
                    if let Err(e) = state.authz.reload(&state.store).await {
                        tracing::warn!(error = %e, "reloading permissions failed");
                    }
                }
                SETTING => {
                    if let Some(id) = event.args.as_str()
                        && let Err(e) = state.settings.reload(&state.store, id).await
                    {
                        tracing::warn!(error = %e, setting = id, "reloading a setting failed");
                    }
                }
                _ => {}
            }
        }
    });
}

async fn reload_all(state: &AppState) {
    if let Err(e) = state.authz.reload(&state.store).await {
        tracing::warn!(error = %e, "reloading permissions failed");
    }
    if let Err(e) = state.settings.reload_all(&state.store).await {
        tracing::warn!(error = %e, "reloading settings failed");
    }
}
