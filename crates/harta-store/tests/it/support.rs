use std::collections::BTreeMap;
use std::sync::Arc;

use harta_domain::calendar::WorkingDays;
use harta_domain::case::{Actor, CaseKind, Channel};
use harta_domain::charter::Charter;
use harta_domain::party::PartyKind;
use harta_domain::text::{Body, Name, Subject};
use harta_store::Db;
use harta_store::admin::Admin;
use harta_store::calendar::CalendarCache;
use harta_store::cases::{NewCase, NewParty, Registrar, RegistryRules};
use jiff::Timestamp;

pub const CHARTER: &str = include_str!("../../../../charters/krasno-selo.toml");

pub fn charter() -> Charter {
    Charter::from_toml(CHARTER).unwrap()
}

pub fn rules(charter: &Charter) -> RegistryRules {
    RegistryRules {
        format: charter.registry.clone(),
        kinds: charter.commitments.iter().map(|(k, c)| (*k, (c.index.clone(), c.working_days))).collect(),
    }
}

pub fn commitments(charter: &Charter) -> BTreeMap<CaseKind, WorkingDays> {
    charter.commitments.iter().map(|(k, c)| (*k, c.working_days)).collect()
}

/// Sets up the administration and starts a registrar.
pub async fn registrar(db: &Db) -> (Registrar, Arc<CalendarCache>) {
    let charter = charter();
    Admin::new(db.clone()).set_up(&charter, CHARTER, Timestamp::now()).await.unwrap();
    let cache = Arc::new(CalendarCache::load(db).await.unwrap());
    let (registrar, _writer) = Registrar::start(db.clone(), rules(&charter), cache.clone());
    (registrar, cache)
}

/// A case officer of the service centre; returns their id.
pub async fn officer(db: &Db, employee_number: &str) -> harta_domain::case::StaffId {
    let staff = harta_store::admin::NewStaff {
        employee_number,
        name: "Иван Петров",
        role: "case_officer",
        unit: Some("cao"),
        email: None,
        phone: None,
        position: None,
        password_hash: None,
    };
    harta_domain::case::StaffId(Admin::new(db.clone()).add_staff(&staff, Timestamp::now()).await.unwrap())
}

pub fn letter(at: &str, unit: &str) -> NewCase {
    NewCase {
        kind: CaseKind::Letter,
        channel: Channel::Post,
        subject: Subject::parse("Неработещо улично осветление").unwrap(),
        body: Body::parse("На ул. „Дебър“ не свети от седмица.").unwrap(),
        party: NewParty {
            kind: PartyKind::Person,
            name: Name::parse("Мария Иванова").unwrap(),
            email: None,
            phone: None,
            address: None,
            preferred_channel: None,
            national_id: None,
            eik: None,
        },
        unit: unit.to_string(),
        received_at: at.parse().unwrap(),
        actor: Actor::System,
        access_digest: None,
        request_digest: None,
        submission_key: None,
        documents: Vec::new(),
        jobs: Vec::new(),
        counts_against: None,
        publish_consent: false,
        service: None,
        deadline: None,
        received_on: None,
    }
}

pub async fn count(db: &Db, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    match db {
        Db::Sqlite(s) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&s.read).await.unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(p).await.unwrap(),
    }
}

/// Runs a statement on the store's writer.
pub async fn execute(db: &Db, sql: &'static str) {
    match db {
        Db::Sqlite(s) => drop(sqlx::query(sql).execute(&s.write).await.unwrap()),
        Db::Postgres(p) => drop(sqlx::query(sql).execute(p).await.unwrap()),
    }
}
