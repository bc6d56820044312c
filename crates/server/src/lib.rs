//! The Ferrochat server: gateway, REST API and the services behind it.

pub mod bootstrap;
pub mod config;
pub mod error;
pub mod gateway;
pub mod paging;
pub mod params;
pub mod realtime;
pub mod registry;
pub mod rest;
pub mod services;
pub mod state;
pub mod web_client;

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use ferrochat_model::time::now_ms;
use ferrochat_store::{Store, StoreOptions};

use crate::config::Config;
use crate::gateway::ratelimit::RateLimits;
use crate::services::authz::Authz;
use crate::services::passwords::Passwords;
use crate::services::settings::Settings;
use crate::state::{AppState, Inner};

/// Connects to the configured database and runs its migrations.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::connect(&StoreOptions {
        url: config.database_url.clone(),
        max_connections: config.database_max_connections,
    })
    .await
    .with_context(|| {
        format!(
            "cannot open the database {}",
            ferrochat_store::redact_url(&config.database_url)
        )
    })?;
    store.migrate().await.context("database migration failed")?;
    Ok(store)
}

/// Builds the shared state: store, settings, permissions, seeded data.
pub async fn build_state(config: Config) -> anyhow::Result<AppState> {
    let store = open_store(&config).await?;
    let now = now_ms();
    let settings = Settings::load(&store, &config.root_url, &config.setting_overrides, now).await?;
    let authz = Authz::load(&store, now).await?;
    let rate_limits = RateLimits::from_settings(&settings, config.test_mode);
    let ddp_limits = realtime::ratelimit::DdpLimits::from_settings(&settings, config.test_mode);
    let instance_id = config
        .instance_id
        .clone()
        .unwrap_or_else(ferrochat_model::ids::random_id);
    let bus = match &config.redis_url {
        Some(url) => ferrochat_bus::Bus::with_redis(&instance_id, url, &config.redis_prefix)
            .context("REDIS_URL is not a valid Redis URL")?,
        None => ferrochat_bus::Bus::in_process(&instance_id),
    };
    let hub = realtime::hub::Hub::new();
    hub.spawn_fanout(&bus);
    let cluster_presence = match &config.redis_url {
        Some(url) => Some(
            ferrochat_bus::presence::ClusterPresence::new(
                url,
                &config.redis_prefix,
                &instance_id,
                config.presence_ttl,
            )
            .context("REDIS_URL is not a valid Redis URL")?,
        ),
        None => None,
    };
    let presence = realtime::presence::Presence::new(cluster_presence, config.presence_ttl);
    let files = services::file_storage::FileStorage::open(&config, &settings, &store).await?;
    let state = AppState::new(Inner {
        config,
        store,
        settings,
        authz,
        passwords: Passwords::new(),
        login_guard: Default::default(),
        rate_limits,
        ddp_limits,
        bus,
        hub,
        presence,
        files,
        instance_id,
        started_at: now,
    });
    bootstrap::seed(&state).await?;
    state.presence.start(&state);
    services::node_sync::spawn_listener(state.clone());
    Ok(state)
}

/// Runs the server until SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let addr = SocketAddr::new(config.bind_ip, config.port);
    let state = build_state(config).await?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(%addr, instance = %state.instance_id, "Ferrochat is ready");
    spawn_housekeeping(state.clone());
    let app = rest::router(state.clone());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    state.presence.shutdown().await;
    state.store.close().await;
    Ok(())
}

/// Periodic clean-up: expired tokens, idle rate-limit state, old trash.
fn spawn_housekeeping(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(600));
        loop {
            tick.tick().await;
            let now = now_ms();
            if let Err(e) = state.store.purge_expired_tokens(now).await {
                tracing::warn!(error = %e, "purging expired tokens failed");
            }
            state.rate_limits.forget_idle();
            state.ddp_limits.forget_idle();
            state.login_guard.forget_old(now);
            services::uploads::sweep(&state).await;
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
