//! The SQLite backend (WAL mode, the embedded default): `SqliteStore`.
//!
//! Connecting and migrations here; the SQL of each store trait in a module.

mod access;
mod audit;
mod history;
mod releases;
mod sessions;
mod sharing;
mod tokens;

#[cfg(test)]
mod tests;

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

use super::{StoreError, StoreResult};

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<SqliteStore> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations")
            .run(&pool)
            .await
            .map_err(|err| StoreError(format!("migrations failed: {err}")))?;
        Ok(SqliteStore { pool })
    }

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}
