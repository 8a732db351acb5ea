//! Wiring: from a config to a running server.

use std::sync::Arc;

use leptos::prelude::LeptosOptions;

use crate::{
    config::Config,
    readmodel::ReadModel,
    state::AppState,
    store::{SqliteStore, Store},
};

/// Where cargo-leptos put the compiled site; `LEPTOS_SITE_ROOT` overrides.
fn leptos_options(config: &Config) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    LeptosOptions::builder()
        .output_name("berth")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build()
}

/// Opens the database and builds the state; does not read git yet.
pub async fn build_state(config: Config) -> Result<AppState, String> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        format!(
            "cannot create the data dir {}: {e}",
            config.data_dir.display()
        )
    })?;
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        return Err(format!(
            "unsupported database_url `{url}`: this build supports sqlite:"
        ));
    }
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::connect(&url)
            .await
            .map_err(|e| e.to_string())?,
    );
    let config = Arc::new(config);
    let read_model = ReadModel::new(Arc::clone(&config), Arc::clone(&store));
    Ok(AppState {
        leptos_options: leptos_options(&config),
        config,
        read_model,
        store,
    })
}

/// Binds, starts the refresh loop and serves until shut down.
pub async fn run(config: Config) -> Result<(), String> {
    let listen = config.listen;
    let state = build_state(config).await?;
    state.read_model.spawn_refresh_loop();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    tracing::info!("Berth is serving on http://{listen}");
    crate::http::serve(listener, crate::http::router(state))
        .await
        .map_err(|e| e.to_string())
}
