//! Wiring: from a config to a running server.

use std::{path::Path, sync::Arc};

use leptos::prelude::LeptosOptions;

use crate::{
    actions::Actions,
    auth::{config::AuthMode, session::SessionKey, Gatekeeper},
    config::Config,
    error::{Error, Result},
    readmodel::ReadModel,
    release::Releases,
    sharing::Sharing,
    state::AppState,
    store::{AccessStore, ReleaseStore, SharingStore, SqliteStore, Store},
};

fn leptos_options(config: &Config) -> LeptosOptions {
    let beside_binary = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf));
    LeptosOptions::builder()
        .output_name("berth")
        .site_root(site_root(
            std::env::var("LEPTOS_SITE_ROOT").ok(),
            beside_binary.as_deref(),
        ))
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        // cargo-leptos writes the assets' content hashes next to the binary
        // it builds; Leptos links `berth.<hash>.wasm` only when told so.
        .hash_files(beside_binary.is_some_and(|dir| dir.join("hash.txt").is_file()))
        .build()
}

/// The compiled site: `LEPTOS_SITE_ROOT`, else a `site` directory next to
/// the binary (the production build's layout), else cargo-leptos' default.
fn site_root(from_env: Option<String>, beside_binary: Option<&Path>) -> String {
    if let Some(root) = from_env {
        return root;
    }
    beside_binary
        .map(|dir| dir.join("site"))
        .filter(|site| site.is_dir())
        .map(|site| site.to_string_lossy().into_owned())
        .unwrap_or_else(|| "target/site".into())
}

/// Opens the database and builds the state; does not read git yet.
pub async fn build_state(config: Config) -> Result<AppState> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        Error::Config(format!(
            "cannot create the data dir {}: {e}",
            config.data_dir.display()
        ))
    })?;
    let url = config.database_url();
    if !url.starts_with("sqlite:") {
        return Err(Error::Config(format!(
            "unsupported database_url `{url}`: this build supports sqlite:"
        )));
    }
    if config.auth.mode == AuthMode::Local && !config.listen.ip().is_loopback() {
        return Err(Error::Config(format!(
            "local sign-in (auth.mode = \"local\") lets anyone pick a name, so Berth only allows it on a loopback address, not {}; set auth.mode = \"trusted-proxy\" behind your login proxy",
            config.listen
        )));
    }
    let sqlite = Arc::new(SqliteStore::connect(&url).await?);
    let store: Arc<dyn Store> = sqlite.clone();
    let access: Arc<dyn AccessStore> = sqlite.clone();
    let release_store: Arc<dyn ReleaseStore> = sqlite.clone();
    let sharing_store: Arc<dyn SharingStore> = sqlite;
    let key_file = config
        .auth
        .session_key_file
        .clone()
        .unwrap_or_else(|| config.data_dir.join("session.key"));
    let key = SessionKey::load_or_create(&key_file).map_err(Error::Config)?;
    let config = Arc::new(config);
    let read_model = ReadModel::new(Arc::clone(&config), Arc::clone(&store));
    let gatekeeper = Arc::new(Gatekeeper::new(
        Arc::clone(&config),
        key,
        Arc::clone(&access),
    ));
    let sharing = Sharing::new(
        Arc::clone(&config),
        sharing_store,
        Arc::clone(&access),
        Arc::clone(&read_model),
    );
    sharing.reread().await;
    sharing.spawn();
    // Watches start now and keep retrying on their own; an unreachable
    // cluster never stops Berth from serving what git says.
    let live = Arc::new(crate::cluster::start(&config.clusters).await);
    read_model.spawn_live(Arc::clone(&live));
    let releases = Releases::new(
        Arc::clone(&config),
        release_store,
        Arc::clone(&access),
        Arc::clone(&live),
        Arc::clone(&read_model),
        Arc::clone(&sharing),
    );
    releases.spawn();
    let actions = Arc::new(Actions::new(
        Arc::clone(&config),
        Arc::clone(&gatekeeper),
        Arc::clone(&read_model),
        access,
        sharing,
        Arc::clone(&releases),
    ));
    // Sandboxes past their last day are deleted by every process; git
    // makes it happen once.
    actions.spawn_expiry();
    Ok(AppState {
        releases,
        leptos_options: leptos_options(&config),
        live,
        config,
        read_model,
        store,
        gatekeeper,
        actions,
    })
}

/// Binds, starts the refresh loop and serves until shut down.
pub async fn run(config: Config) -> Result<()> {
    run_state(build_state(config).await?).await
}

/// `run` with a state already built.
pub async fn run_state(state: AppState) -> Result<()> {
    let listen = state.config.listen;
    state.read_model.spawn_refresh_loop();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| Error::Config(format!("cannot listen on {listen}: {e}")))?;
    tracing::info!("Berth is serving on http://{listen}");
    let limits = crate::http::ServeLimits {
        header_timeout: std::time::Duration::from_secs(state.config.header_timeout_secs),
        max_connections: state.config.max_connections,
    };
    crate::http::serve_with(listener, crate::http::router(state), limits)
        .await
        .map_err(|e| Error::Unavailable(format!("the server stopped: {e}")))
}

#[cfg(test)]
mod tests {
    use super::site_root;

    #[test]
    fn the_site_beside_the_binary_wins_unless_the_environment_names_one() {
        let release = tempfile::tempdir().unwrap();
        std::fs::create_dir(release.path().join("site")).unwrap();
        let beside = release.path().join("site").to_string_lossy().into_owned();
        assert_eq!(site_root(None, Some(release.path())), beside);
        assert_eq!(
            site_root(Some("/srv/berth/site".into()), Some(release.path())),
            "/srv/berth/site"
        );
        // A debug build has no site beside it: cargo-leptos' default.
        let debug = tempfile::tempdir().unwrap();
        assert_eq!(site_root(None, Some(debug.path())), "target/site");
        assert_eq!(site_root(None, None), "target/site");
    }
}
