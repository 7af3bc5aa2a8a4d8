//! The machine's ceiling for durable commits: one single-row INSERT per transaction, one after
//! another, on a SQLite file with harta's settings (WAL, synchronous=FULL), for a few seconds.
//!   cargo run --release -p harta-store --example commit_ceiling -- PATH [SECONDS]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::time::{Duration, Instant};

use harta_store::Db;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let path = std::env::args().nth(1).expect("PATH of a SQLite file");
    let seconds: u64 = std::env::args().nth(2).map_or(5, |s| s.parse().expect("seconds"));
    let Db::Sqlite(db) = Db::open_sqlite(std::path::Path::new(&path)).await.expect("open") else { unreachable!() };
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_commit_ceiling (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, note TEXT)",
    )
    .execute(&db.write)
    .await
    .unwrap();
    let started = Instant::now();
    let mut commits = 0u64;
    while started.elapsed() < Duration::from_secs(seconds) {
        let mut tx = db.write.begin().await.unwrap();
        sqlx::query("INSERT INTO bench_commit_ceiling (at, note) VALUES ($1, $2)")
            .bind(commits as i64)
            .bind("един ред")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        commits += 1;
    }
    let rate = commits as f64 / started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE bench_commit_ceiling").execute(&db.write).await.unwrap();
    println!("single-row durable commits (WAL, synchronous=FULL): {rate:.0}/s");
}
