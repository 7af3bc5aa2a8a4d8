//! The store and the edge under faults and abuse: a full disk, floods of anonymous requests.

use harta_app::Role;
use harta_store::Db;
use harta_store::testing::sqlite;

use crate::support::{get, post_json, request, start};

/// SQLite only: a page limit on its one writing connection stands in for a full disk (the
/// error SQLite returns is the same, `SQLITE_FULL`), which PostgreSQL offers no way to cause.
#[tokio::test]
async fn after_a_full_disk_registration_works_again_without_a_restart() {
    let s = start(sqlite().await, "2026-11-25T12:30:00Z").await;
    let Db::Sqlite(lite) = &s.db.db else { unreachable!("a SQLite store") };
    let clerk = s.token(Role::CounterClerk, None).await;
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&lite.write).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {}", pages + 4)))
        .execute(&lite.write)
        .await
        .unwrap();
    let mut big: serde_json::Value = serde_json::from_str(&crate::support::letter("cao")).unwrap();
    big["text"] = "Лампата не свети. ".repeat(5_000).into();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(post_json(s.addr, &clerk, &big.to_string()).await.status);
    }
    assert!(statuses.contains(&503), "the disk filled: {statuses:?}");
    // Room again on the disk.
    sqlx::query("PRAGMA max_page_count = 1073741823").execute(&lite.write).await.unwrap();
    let again = post_json(s.addr, &clerk, &crate::support::letter("cao")).await;
    assert_eq!(again.status, 201, "{}", again.json());
    assert_eq!(request(s.addr, "GET", "/readyz", &[], b"").await.status, 200);
    let listed = get(s.addr, &clerk, "/api/v1/cases").await.json();
    assert!(!listed["items"].as_array().unwrap().is_empty(), "{listed}");
    s.db.finish().await;
}
