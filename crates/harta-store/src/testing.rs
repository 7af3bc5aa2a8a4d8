//! A fresh store per test, on every backend the machine offers: always a new SQLite file, and a
//! new PostgreSQL database when `HARTA_TEST_POSTGRES_URL` names a server (`.ci/run` sets it).

use std::str::FromStr;

use sqlx::ConnectOptions;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::Db;

/// A migrated store that cleans up after itself (call [`TestDb::finish`]).
pub struct TestDb {
    /// The store.
    pub db: Db,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(PgConnectOptions, String)>,
}

/// Every backend to run a storage test against.
pub async fn backends() -> Vec<TestDb> {
    let mut out = vec![sqlite().await];
    if let Some(pg) = postgres().await {
        out.push(pg);
    }
    out
}

/// A fresh migrated SQLite file.
pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = Db::open_sqlite(&dir.path().join("harta.db")).await.expect("open sqlite");
    db.migrate().await.expect("migrate sqlite");
    TestDb { db, _dir: Some(dir), pg: None }
}

/// A fresh migrated PostgreSQL database, if a server is configured.
pub async fn postgres() -> Option<TestDb> {
    let url = std::env::var("HARTA_TEST_POSTGRES_URL").ok()?;
    let admin = PgConnectOptions::from_str(&url).expect("HARTA_TEST_POSTGRES_URL is a postgres:// URL");
    let name = format!(
        "harta_t_{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0)
    );
    let mut conn = admin.connect().await.expect("connect to HARTA_TEST_POSTGRES_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let pool = PgPoolOptions::new()
        .max_connections(16)
        .connect_with(crate::with_timeouts(admin.clone().database(&name)))
        .await
        .expect("connect");
    let db = Db::Postgres(pool);
    db.migrate().await.expect("migrate postgres");
    Some(TestDb { db, _dir: None, pg: Some((admin, name)) })
}

impl TestDb {
    /// Closes the store and drops the PostgreSQL database.
    pub async fn finish(self) {
        self.db.close().await;
        if let Some((admin, name)) = self.pg
            && let Ok(mut conn) = admin.connect().await
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
                .execute(&mut conn)
                .await;
        }
    }
}
