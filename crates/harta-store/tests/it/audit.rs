use harta_store::Db;
use harta_store::audit::{Audit, Checkpoint, Verdict};
use harta_store::testing::backends;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

const KEY: [u8; 32] = [7; 32];

async fn exec(db: &Db, sql: &str) {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(s) => sqlx::query(sql).execute(&s.write).await.map(|_| ()).unwrap(),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
    }
}

type Row = (i64, i64, String, String, String, String);

async fn rows(db: &Db) -> Vec<Row> {
    let sql = "SELECT seq, at, actor, action, subject, detail FROM audit_log ORDER BY seq";
    match db {
        Db::Sqlite(s) => sqlx::query_as(sql).fetch_all(&s.read).await.unwrap(),
        Db::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
    }
}

/// What someone who can write the database but has no key can do: rewrite the entries as
/// they like and recompute a chain over them, with the hash harta used before it was keyed.
async fn forge(db: &Db, entries: Vec<Row>, keyed: bool) {
    exec(db, "DELETE FROM audit_log").await;
    let mut prev = String::new();
    for (seq, at, actor, action, subject, detail) in &entries {
        let mut h = Sha256::new();
        for part in [prev.as_str(), &seq.to_string(), &at.to_string(), actor, action, subject, detail] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
        exec(
            db,
            &format!(
                "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash)
                 VALUES ({seq}, {at}, '{actor}', '{action}', '{subject}', '{detail}', '{prev}', '{hash}')"
            ),
        )
        .await;
        prev = hash;
    }
    let seq = entries.len();
    exec(db, &format!("UPDATE audit_head SET seq = {seq}, hash = '{prev}', keyed = {}", i32::from(keyed))).await;
}

async fn trail(t: &harta_store::testing::TestDb) -> Audit {
    let audit = Audit::with_key(t.db.clone(), KEY);
    audit.key_chain().await.unwrap();
    assert_eq!(audit.verify(None).await.unwrap(), Verdict::Intact { entries: 0 });
    let mut tasks = Vec::new();
    for i in 0..20 {
        let audit = audit.clone();
        let actor = if i % 4 == 0 { "staff:2" } else { "staff:1" };
        tasks.push(tokio::spawn(async move {
            audit.record(Timestamp::now(), actor, "view_case", &format!("РКС26-ГР94-{i}"), "case and party").await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(audit.verify(None).await.unwrap(), Verdict::Intact { entries: 20 });
    audit
}

#[tokio::test]
async fn the_keyed_chain_detects_edits_and_deletions() {
    for t in backends().await {
        let audit = trail(&t).await;
        let was = rows(&t.db).await[6].2.clone();
        exec(&t.db, "UPDATE audit_log SET actor = 'staff:3' WHERE seq = 7").await;
        assert_eq!(audit.verify(None).await.unwrap(), Verdict::Broken { at: 7, why: "its content was changed".into() });
        exec(&t.db, &format!("UPDATE audit_log SET actor = '{was}' WHERE seq = 7")).await;
        assert_eq!(audit.verify(None).await.unwrap(), Verdict::Intact { entries: 20 });

        exec(&t.db, "DELETE FROM audit_log WHERE seq = 12").await;
        assert_eq!(audit.verify(None).await.unwrap(), Verdict::Broken { at: 12, why: "this entry is missing".into() });
        exec(&t.db, "DELETE FROM audit_log WHERE seq >= 12").await;
        let cut = Verdict::Broken { at: 20, why: "the last entries are missing".into() };
        assert_eq!(audit.verify(None).await.unwrap(), cut);
        t.finish().await;
    }
}

#[tokio::test]
async fn a_writer_without_the_key_cannot_mend_the_chain_after_a_change() {
    for t in backends().await {
        let audit = trail(&t).await;
        // Who did entry 7, changed and the chain recomputed.
        let mut entries = rows(&t.db).await;
        entries[6].2 = "staff:9".into();
        forge(&t.db, entries, true).await;
        assert!(matches!(audit.verify(None).await.unwrap(), Verdict::Broken { at: 1, .. }));
        // One member's views deleted and the rest renumbered.
        forge(&t.db, Vec::new(), true).await;
        let t2 = trail(&t).await;
        let kept: Vec<Row> = rows(&t.db).await.into_iter().filter(|r| r.2 != "staff:2").collect();
        let renumbered = kept.into_iter().enumerate().map(|(i, r)| (i as i64 + 1, r.1, r.2, r.3, r.4, r.5)).collect();
        forge(&t.db, renumbered, true).await;
        assert!(matches!(t2.verify(None).await.unwrap(), Verdict::Broken { .. }));
        // Turned back into a plain chain: not keyed, so not trusted.
        forge(&t.db, rows(&t.db).await, false).await;
        assert!(matches!(t2.verify(None).await.unwrap(), Verdict::Broken { at: 1, .. }));
        t.finish().await;
    }
}

#[tokio::test]
async fn a_checkpoint_outside_the_database_finds_a_cut_end_and_a_laundered_chain() {
    for t in backends().await {
        let audit = trail(&t).await;
        let point = audit.checkpoint(Timestamp::now()).await.unwrap();
        let text = point.to_text(&audit).unwrap();
        assert!(text.starts_with("harta-audit-checkpoint-v1 seq=20 at="), "{text}");
        let read = Checkpoint::from_text(&text, &audit).unwrap();
        assert_eq!(audit.verify(Some(&read)).await.unwrap(), Verdict::Intact { entries: 20 });
        // Altered, or signed with another key: refused.
        assert!(Checkpoint::from_text(&text.replace("seq=20", "seq=19"), &audit).is_err());
        assert!(Checkpoint::from_text(&text, &Audit::with_key(t.db.clone(), [8; 32])).is_err());
        // More entries later: still intact against the older checkpoint.
        audit.record(Timestamp::now(), "staff:1", "view_case", "РКС26-ГР94-99", "").await.unwrap();
        assert_eq!(audit.verify(Some(&read)).await.unwrap(), Verdict::Intact { entries: 21 });

        // The end cut off and the head moved back to entry 15: the chain itself looks whole.
        let head: (i64, String) = match &t.db {
            Db::Sqlite(s) => sqlx::query_as("SELECT seq, hash FROM audit_log WHERE seq = 15").fetch_one(&s.read).await,
            Db::Postgres(p) => sqlx::query_as("SELECT seq, hash FROM audit_log WHERE seq = 15").fetch_one(p).await,
        }
        .unwrap();
        exec(&t.db, "DELETE FROM audit_log WHERE seq > 15").await;
        exec(&t.db, &format!("UPDATE audit_head SET seq = 15, hash = '{}'", head.1)).await;
        assert_eq!(audit.verify(None).await.unwrap(), Verdict::Intact { entries: 15 });
        assert!(matches!(audit.verify(Some(&read)).await.unwrap(), Verdict::Broken { at: 16, .. }));

        // A chain rewritten as a plain one, so that harta would re-key it at the next start:
        // re-keyed, it no longer holds the entry the checkpoint signed.
        let mut entries = rows(&t.db).await;
        entries[2].2 = "staff:9".into();
        entries.extend((16..=21).map(|seq| (seq, 0, "staff:1".into(), "view_case".into(), "x".into(), String::new())));
        forge(&t.db, entries, false).await;
        assert_eq!(audit.key_chain().await.unwrap(), 21);
        assert_eq!(audit.verify(None).await.unwrap(), Verdict::Intact { entries: 21 });
        assert!(matches!(audit.verify(Some(&read)).await.unwrap(), Verdict::Broken { at: 20, .. }));
        t.finish().await;
    }
}

/// Entries that arrive together are appended in batches; two replicas' writers batch apart and
/// still make one chain.
#[tokio::test]
async fn many_concurrent_entries_from_two_replicas_make_one_intact_chain() {
    for t in backends().await {
        let replicas = [Audit::with_key(t.db.clone(), KEY), Audit::with_key(t.db.clone(), KEY)];
        replicas[0].key_chain().await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..400 {
            let audit = replicas[i % 2].clone();
            tasks.push(tokio::spawn(async move {
                audit.record(Timestamp::now(), "staff:1", "search_cases", "cases", &format!("word {i}")).await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(replicas[1].verify(None).await.unwrap(), Verdict::Intact { entries: 400 });
        let details: std::collections::BTreeSet<String> = rows(&t.db).await.into_iter().map(|r| r.5).collect();
        assert_eq!(details.len(), 400, "every entry once");
        t.finish().await;
    }
}
