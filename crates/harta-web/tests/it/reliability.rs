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

async fn post_once(s: &crate::support::Server, token: &str, key: &str, body: &str) -> crate::support::Response {
    let auth = format!("Bearer {token}");
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/json"), ("Idempotency-Key", key)];
    request(s.addr, "POST", "/api/v1/cases", &headers, body.as_bytes()).await
}

#[tokio::test]
async fn a_retry_with_its_idempotency_key_registers_nothing_more() {
    for db in harta_store::testing::backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let body = crate::support::letter("cao");
        let first = post_once(&s, &clerk, "a7f3-2026-11-25-0001", &body).await;
        assert_eq!(first.status, 201, "{}", first.json());
        // The answer was lost; the client sends it again, as the docs say it may.
        let again = post_once(&s, &clerk, "a7f3-2026-11-25-0001", &body).await;
        assert_eq!(again.status, 201);
        for field in ["registry_number", "access_code", "due_date"] {
            assert_eq!(again.json()[field], first.json()[field], "{field}");
        }
        let listed = get(s.addr, &clerk, "/api/v1/cases").await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 1, "one case");
        // The same key with another request: refused, nothing stored.
        let other = body.replace("Неработещо", "Счупено");
        let reused = post_once(&s, &clerk, "a7f3-2026-11-25-0001", &other).await;
        assert_eq!(reused.status, 422, "{}", reused.json());
        assert_eq!(reused.json()["errors"][0]["field"], "Idempotency-Key");
        // Keys belong to their client: another token's same key is its own request.
        let another = s.token(Role::CounterClerk, None).await;
        assert_eq!(post_once(&s, &another, "a7f3-2026-11-25-0001", &body).await.status, 201);
        // A key that cannot be one is named.
        assert_eq!(post_once(&s, &clerk, &"k".repeat(300), &body).await.status, 422);
        let listed = get(s.addr, &clerk, "/api/v1/cases").await.json();
        assert_eq!(listed["items"].as_array().unwrap().len(), 2);
        s.db.finish().await;
    }
}

/// PostgreSQL only: a lock held by someone else makes the registration wait; the answer is a
/// 503 that means what it says, with no commit after it.
#[tokio::test]
async fn a_registration_that_cannot_finish_in_time_is_not_committed_later() {
    let Some(db) = harta_store::testing::postgres().await else { return };
    let s = start(db, "2026-11-25T12:30:00Z").await;
    let Db::Postgres(pool) = &s.db.db else { unreachable!("a PostgreSQL store") };
    let clerk = s.token(Role::CounterClerk, None).await;
    let mut held = pool.begin().await.unwrap();
    sqlx::query("SELECT version FROM calendar_version WHERE id = 1 FOR UPDATE").execute(&mut *held).await.unwrap();
    let started = std::time::Instant::now();
    let refused = post_json(s.addr, &clerk, &crate::support::letter("cao")).await;
    assert_eq!(refused.status, 503, "{}", refused.json());
    assert!(started.elapsed() < std::time::Duration::from_secs(25), "answered before the edge gives up");
    held.rollback().await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let listed = get(s.addr, &clerk, "/api/v1/cases").await.json();
    assert!(listed["items"].as_array().unwrap().is_empty(), "nothing committed after the 503: {listed}");
    assert_eq!(post_json(s.addr, &clerk, &crate::support::letter("cao")).await.status, 201);
    s.db.finish().await;
}

/// Sends a multipart body in `pieces`, `pause` apart, and reads the status line (a body whose
/// pieces fall short of its length is left hanging).
async fn trickle(addr: std::net::SocketAddr, pieces: Vec<Vec<u8>>, pause: std::time::Duration, hanging: bool) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let length: usize = pieces.iter().map(Vec::len).sum::<usize>() + usize::from(hanging) * 1000;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /submit/letter HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {length}\r\n\
         Content-Type: multipart/form-data; boundary=b0undary\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(pause).await;
        }
        if stream.write_all(piece).await.is_err() {
            break;
        }
    }
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer).await;
    String::from_utf8_lossy(&answer).split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// An upload that keeps moving takes as long as it needs; one that stalls is dropped. (Real
/// time: about 35 seconds.)
#[tokio::test]
async fn a_slow_upload_is_not_cut_but_a_stalled_one_is_dropped() {
    let s = start(sqlite().await, "2026-11-25T12:30:00Z").await;
    let part = |name: &str, value: &str| {
        format!("--b0undary\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").into_bytes()
    };
    let file_head =
        b"--b0undary\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.7\n"
            .to_vec();
    let mut moving = vec![part("csrf", "x"), file_head.clone()];
    moving.extend((0..8).map(|_| vec![b'x'; 1000]));
    moving.push(b"\r\n--b0undary--\r\n".to_vec());
    let stalled = vec![part("csrf", "x"), file_head];
    let (addr, pause) = (s.addr, std::time::Duration::from_secs(4));
    let slow = tokio::spawn(async move { trickle(addr, moving, pause, false).await });
    let stuck = tokio::spawn(async move { trickle(addr, stalled, pause, true).await });
    // 36 seconds of a moving body end with the form's answer (a forged token: 403), not a 503.
    assert_eq!(slow.await.unwrap(), 403);
    assert_eq!(stuck.await.unwrap(), 408);
    s.db.finish().await;
}
