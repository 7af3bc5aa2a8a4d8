use harta_store::Db;
use harta_store::audit::{Audit, Verdict};
use harta_store::testing::backends;
use jiff::Timestamp;

async fn exec(db: &Db, sql: &'static str) {
    match db {
        Db::Sqlite(s) => sqlx::query(sql).execute(&s.write).await.map(|_| ()).unwrap(),
        Db::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()).unwrap(),
    }
}

#[tokio::test]
async fn the_audit_chain_detects_edits_and_deletions() {
    for t in backends().await {
        let audit = Audit::new(t.db.clone());
        assert_eq!(audit.verify().await.unwrap(), Verdict::Intact { entries: 0 });
        let mut tasks = Vec::new();
        for i in 0..20 {
            let audit = audit.clone();
            tasks.push(tokio::spawn(async move {
                audit
                    .record(Timestamp::now(), "staff:1", "view_case", &format!("РКС26-ГР94-{i}"), "case and party")
                    .await
            }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(audit.verify().await.unwrap(), Verdict::Intact { entries: 20 });

        exec(&t.db, "UPDATE audit_log SET actor = 'staff:2' WHERE seq = 7").await;
        assert_eq!(audit.verify().await.unwrap(), Verdict::Broken { at: 7, why: "its content was changed".into() });
        exec(&t.db, "UPDATE audit_log SET actor = 'staff:1' WHERE seq = 7").await;
        assert_eq!(audit.verify().await.unwrap(), Verdict::Intact { entries: 20 });

        exec(&t.db, "DELETE FROM audit_log WHERE seq = 12").await;
        assert_eq!(audit.verify().await.unwrap(), Verdict::Broken { at: 12, why: "this entry is missing".into() });
        exec(&t.db, "DELETE FROM audit_log WHERE seq >= 12").await;
        assert_eq!(
            audit.verify().await.unwrap(),
            Verdict::Broken { at: 20, why: "the last entries are missing".into() }
        );
        t.finish().await;
    }
}
