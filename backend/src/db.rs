//! The console's database: SQLite by default (one replica), PostgreSQL
//! later. Migrations run at start so a new file is ready at once.

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("invalid database URL: {0}")]
    ParseUrl(#[source] sqlx::Error),
    #[error("cannot open the database")]
    Connect(#[source] sqlx::Error),
    #[error("cannot apply database migrations")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database does not answer")]
    Ping(#[source] sqlx::Error),
}

/// Opens the database named by `url`, creating a SQLite file if missing, and
/// applies pending migrations.
pub async fn connect(url: &str) -> Result<SqlitePool, DbError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(DbError::ParseUrl)?
        .create_if_missing(true)
        // WAL lets readers (audit views) run while a write is in progress.
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options)
        .await
        .map_err(DbError::Connect)?;
    sqlx::migrate!("../migrations/sqlite").run(&pool).await.map_err(DbError::Migrate)?;
    Ok(pool)
}

/// Cheapest query that proves the database answers.
pub async fn ping(pool: &SqlitePool) -> Result<(), DbError> {
    sqlx::query("SELECT 1").execute(pool).await.map(|_| ()).map_err(DbError::Ping)
}
