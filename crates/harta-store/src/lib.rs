//! harta's persistence: one SQL layer over SQLite (embedded, the default) and PostgreSQL (for
//! several replicas).
//!
//! Each query is written once and runs on either backend through [`on_db!`], which expands the
//! same body for both pools, so the compiler checks it against both drivers. Times are stored as
//! UTC Unix milliseconds and dates as `YYYY-MM-DD` text; the database's own clock is never used.
#![warn(missing_docs)]

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

#[macro_use]
mod macros;
mod migrations;

pub mod admin;
pub mod audit;
mod bulk;
pub mod calendar;
pub mod cases;
pub mod deliveries;
pub mod jobs;
pub mod letters;
pub mod limits;
pub mod performance;
pub mod publications;
mod rows;
pub mod seed;
pub mod services;
pub mod sessions;
#[cfg(feature = "testing")]
#[allow(clippy::expect_used)] // a test harness fails loudly
pub mod testing;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations could not be applied.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row held a value the domain does not accept: the data was changed outside harta.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A reference to something that does not exist (a unit code, a staff id).
    #[error("{0} does not exist")]
    Missing(String),
    /// Something that must be unique already exists.
    #[error("{0} already exists")]
    Duplicate(String),
    /// The store is shutting down and takes no more writes.
    #[error("the store is shutting down")]
    ShuttingDown,
    /// A quota would be passed: nothing was stored.
    #[error("the quota is spent")]
    QuotaSpent,
    /// The write could not be done in time and was rolled back: nothing of it was stored.
    #[error("the write took too long and was rolled back")]
    TimedOut,
    /// A batch of writes that this one was part of failed and was rolled back (the cause, as
    /// the database gave it, for the log).
    #[error("a batch of writes was rolled back: {0}")]
    BatchFailed(String),
}

/// Store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The SQLite pools: one writer (SQLite has one at a time anyway) and several readers.
#[derive(Debug, Clone)]
pub struct Sqlite {
    /// The single writing connection.
    pub write: SqlitePool,
    /// Reading connections (WAL lets them read while the writer writes).
    pub read: SqlitePool,
}

/// A connection to the store.
#[derive(Debug, Clone)]
pub enum Db {
    /// An embedded SQLite file.
    Sqlite(Sqlite),
    /// A PostgreSQL server.
    Postgres(PgPool),
}

/// Runs the same body against whichever pool `db` holds. `$pool` is bound to the writing pool;
/// use the `read` form for queries that only read.
#[macro_export]
macro_rules! on_db {
    (read $db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(s) => {
                let $pool = &s.read;
                $body
            }
            $crate::Db::Postgres(p) => {
                let $pool = p;
                $body
            }
        }
    };
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::Db::Sqlite(s) => {
                let $pool = &s.write;
                $body
            }
            $crate::Db::Postgres(p) => {
                let $pool = p;
                $body
            }
        }
    };
}

/// Whether a connection given back to the pool can serve the next caller. After a failed
/// statement (a full disk, an I/O error) SQLite may roll the transaction back by itself; the
/// `ROLLBACK` sqlx then sends fails, and the connection would stay marked as inside a
/// transaction, refusing every later `BEGIN`. Such a connection is closed, and the pool opens a
/// fresh one. The ping first waits until the rollback queued on release has run.
async fn still_usable(conn: &mut sqlx::SqliteConnection) -> std::result::Result<bool, sqlx::Error> {
    use sqlx::Connection;
    conn.ping().await?;
    if conn.is_in_transaction() {
        tracing::warn!("a store connection was left inside a failed transaction; it is replaced");
        return Ok(false);
    }
    Ok(true)
}

/// A PostgreSQL session in which a statement waiting on a lock fails on the server (and its
/// transaction rolls back) well before a client stops waiting for the answer. Long statements
/// are not cut (migrations and bulk loads take their time); a registration's transaction is
/// bounded by the registrar's deadline instead.
pub(crate) fn with_timeouts(options: PgConnectOptions) -> PgConnectOptions {
    options.options([("lock_timeout", "5s")])
}

/// How much memory and how many connections the store may hold: with the defaults a district's
/// server stays small however large the store grows (the operating system's file cache, not the
/// process, keeps the rest of a large SQLite file at hand); a larger machine gives more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizing {
    /// SQLite's page cache in MiB, shared out between its connections.
    pub cache_mib: u32,
    /// Connections: SQLite's readers (besides its one writer), PostgreSQL's pool.
    pub connections: u32,
}

impl Sizing {
    /// SQLite's defaults: 64 MiB of page cache, four readers.
    pub const SQLITE: Self = Self { cache_mib: 64, connections: 4 };
    /// PostgreSQL's defaults: a pool of sixteen (it keeps no page cache in the process).
    pub const POSTGRES: Self = Self { cache_mib: 0, connections: 16 };
}

impl Db {
    /// Opens (creating if needed) the SQLite file at `path` with [`Sizing::SQLITE`].
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        Self::open_sqlite_sized(path, Sizing::SQLITE).await
    }

    /// Opens (creating if needed) the SQLite file at `path`: WAL, `synchronous=FULL`, foreign
    /// keys on, one writer and `sizing.connections` readers sharing `sizing.cache_mib` of page
    /// cache.
    pub async fn open_sqlite_sized(path: &Path, sizing: Sizing) -> Result<Self> {
        let readers = sizing.connections.max(1);
        // SQLite's cache_size in KiB when negative, per connection.
        let cache_kib = u64::from(sizing.cache_mib) * 1024 / u64::from(readers + 1);
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", format!("-{cache_kib}"))
            .pragma("temp_store", "memory");
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(|conn, _| Box::pin(async move { still_usable(conn).await }))
            .connect_with(options.clone())
            .await?;
        let read = SqlitePoolOptions::new().max_connections(readers).connect_with(options.read_only(true)).await?;
        Ok(Self::Sqlite(Sqlite { write, read }))
    }

    /// Connects to PostgreSQL (`postgres://…`) with [`Sizing::POSTGRES`].
    pub async fn open_postgres(url: &str) -> Result<Self> {
        Self::open_postgres_sized(url, Sizing::POSTGRES).await
    }

    /// Connects to PostgreSQL (`postgres://…`) with a pool of `sizing.connections`.
    pub async fn open_postgres_sized(url: &str, sizing: Sizing) -> Result<Self> {
        let options = with_timeouts(PgConnectOptions::from_str(url)?);
        let pool = PgPoolOptions::new().max_connections(sizing.connections.max(2)).connect_with(options).await?;
        Ok(Self::Postgres(pool))
    }

    /// Which backend this is, for logs and benchmarks.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Applies the migrations that are not applied yet.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Self::Sqlite(s) => migrations::migrator(migrations::SQLITE).run(&s.write).await?,
            Self::Postgres(p) => migrations::migrator(migrations::POSTGRES).run(p).await?,
        }
        performance::fill_facts(self).await?;
        performance::keep_figures(self).await
    }

    /// Writes a consistent copy of the SQLite store to `target` (a new file) while it is in
    /// use: `VACUUM INTO`, which also takes in what is still in the write-ahead log. `false`
    /// on PostgreSQL, whose copies are made with its own tools (`pg_dump`).
    pub async fn copy_into(&self, target: &Path) -> Result<bool> {
        match self {
            Self::Sqlite(s) => {
                let target = target.to_string_lossy().to_string();
                sqlx::query("VACUUM INTO $1").bind(target).execute(&s.write).await?;
                Ok(true)
            }
            Self::Postgres(_) => Ok(false),
        }
    }

    /// Before a bulk load: the figures are not kept case by case while it runs (each case's
    /// triggers would cost more than the load itself); [`Db::settle_after_load`] adds them up
    /// at once, or the next start does if the load stops half-way. Meanwhile they are counted
    /// from the cases.
    pub async fn prepare_bulk_load(&self) -> Result<()> {
        on_db!(self, |pool| sqlx::query(
            "INSERT INTO backfills (name) VALUES ('figures') ON CONFLICT (name) DO NOTHING"
        )
        .execute(pool)
        .await
        .map(drop))?;
        Ok(())
    }

    /// After a bulk load: the figures added up (see [`Db::prepare_bulk_load`]), and
    /// PostgreSQL's statistics and visibility map brought up to date at once (`VACUUM ANALYZE`),
    /// rather than whenever autovacuum comes by, so that the planner knows the tables' sizes and
    /// counts can read the indexes alone. SQLite plans without statistics here.
    pub async fn settle_after_load(&self) -> Result<()> {
        performance::keep_figures(self).await?;
        if let Self::Postgres(p) = self {
            sqlx::query("VACUUM ANALYZE").execute(p).await?;
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<()> {
        on_db!(read self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        // The writer too: reading can work while writing cannot.
        on_db!(self, |pool| sqlx::query("SELECT 1").execute(pool).await.map(|_| ()))?;
        Ok(())
    }

    /// Closes the pools, waiting for connections in use to be returned.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(s) => {
                s.write.close().await;
                s.read.close().await;
            }
            Self::Postgres(p) => p.close().await,
        }
    }
}

/// Turns a unique or foreign-key violation into a typed error naming `what`.
pub(crate) fn constraint(err: sqlx::Error, what: &str) -> StoreError {
    if let sqlx::Error::Database(db) = &err {
        match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => return StoreError::Duplicate(what.to_string()),
            sqlx::error::ErrorKind::ForeignKeyViolation => return StoreError::Missing(what.to_string()),
            _ => {}
        }
    }
    StoreError::Database(err)
}
