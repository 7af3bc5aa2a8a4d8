//! Writing many cases at once: the rows of parties, cases and events, column by column, and one
//! bulk insert per table for each backend. Registration (a batch of new cases) and demo seeding
//! (cases with whole histories) both go through here.
//!
//! The one place where the dialects differ: SQLite takes multi-row `VALUES` (up to 32,766 bound
//! parameters per statement, so in chunks), PostgreSQL takes arrays through `UNNEST`, whose
//! statement text never changes and so is parsed and planned once per connection.

use harta_domain::case::{CaseKind, CaseState, Channel};
use harta_domain::registry::RegistryNumber;
use jiff::Timestamp;

use crate::cases::NewParty;
use crate::rows::{day, millis};
use crate::{Result, StoreError};

/// Rows per multi-row statement on SQLite: 27 columns × 1,000 stays under its bound-parameter
/// limit (32,766).
const SQLITE_CHUNK: usize = 1000;

/// Rows per UNNEST statement on PostgreSQL: large enough to amortise the round trip, small enough
/// to keep each statement's arrays cheap to build and scan.
const PG_CHUNK: usize = 2000;

/// A value as stored JSON.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// One case to write, with its party and derived state.
pub(crate) struct CaseRow<'a> {
    pub party_id: i64,
    pub case_id: i64,
    pub number: &'a RegistryNumber,
    pub kind: CaseKind,
    pub channel: Channel,
    pub subject: &'a str,
    pub body: &'a str,
    pub unit: &'a str,
    pub state: &'a CaseState,
    pub received_at: Timestamp,
    pub updated_at: Timestamp,
    pub access_digest: Option<&'a str>,
    pub submission_key: Option<&'a str>,
    /// The digest of the API request that registered it under an idempotency key.
    pub request_digest: Option<&'a str>,
    pub publish_consent: bool,
    /// The name of the person or organisation, for the search index.
    pub party_name: &'a str,
    /// The service requested and its tier.
    pub service: Option<(&'a str, &'a str)>,
    /// The day of receipt, when earlier than the registration.
    pub received_on: Option<jiff::civil::Date>,
    /// The days its first holding reply went and its answer was given (a seeded history).
    pub milestones: Milestones,
}

/// The days in a case's history that the figures count, as `update_row!` keeps them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Milestones {
    pub held_on: Option<jiff::civil::Date>,
    pub answered_on: Option<jiff::civil::Date>,
}

impl Milestones {
    /// Takes in an event of the history, in order, at `at`.
    pub(crate) fn see(&mut self, event: &harta_domain::case::CaseEvent, at: Timestamp) {
        use harta_domain::case::CaseEvent;
        let on = || harta_domain::format::in_sofia(at).date();
        match event {
            CaseEvent::HoldingReplySent { .. } => self.held_on = self.held_on.or_else(|| Some(on())),
            CaseEvent::Answered { .. } => self.answered_on = self.answered_on.or_else(|| Some(on())),
            _ => {}
        }
    }
}

/// What the search index holds for a case: its number, subject, text and the person's name,
/// folded (see [`harta_domain::text::fold`]) so that either script and any case find it.
pub(crate) fn search_text(number: &str, subject: &str, body: &str, name: &str) -> String {
    harta_domain::text::fold(&format!("{number} {subject} {name} {body}"))
}

/// Columns of parties, cases and events for one bulk write.
#[derive(Default)]
pub(crate) struct Rows {
    party_id: Vec<i64>,
    party_kind: Vec<String>,
    name: Vec<String>,
    email: Vec<Option<String>>,
    phone: Vec<Option<String>>,
    address: Vec<Option<String>>,
    preferred_channel: Vec<Option<String>>,
    national_id_kind: Vec<Option<String>>,
    national_id_sealed: Vec<Option<Vec<u8>>>,
    national_id_index: Vec<Option<String>>,
    national_id_masked: Vec<Option<String>>,
    eik: Vec<Option<String>>,
    party_created_at: Vec<i64>,
    case_id: Vec<i64>,
    case_party_id: Vec<i64>,
    registry_number: Vec<String>,
    register: Vec<String>,
    year: Vec<i64>,
    seq: Vec<i64>,
    kind: Vec<String>,
    channel: Vec<String>,
    subject: Vec<String>,
    body: Vec<String>,
    unit: Vec<String>,
    responsible: Vec<Option<i64>>,
    state: Vec<String>,
    received_at: Vec<i64>,
    original_due: Vec<String>,
    extended_due: Vec<Option<String>>,
    due: Vec<String>,
    updated_at: Vec<i64>,
    access_digest: Vec<Option<String>>,
    submission_key: Vec<Option<String>>,
    request_digest: Vec<Option<String>>,
    publish_consent: Vec<bool>,
    service_code: Vec<Option<String>>,
    service_tier: Vec<Option<String>>,
    received_on: Vec<String>,
    held_on: Vec<Option<String>>,
    answered_on: Vec<Option<String>>,
    search: Vec<String>,
    event_id: Vec<i64>,
    event_case_id: Vec<i64>,
    event_n: Vec<i64>,
    event_at: Vec<i64>,
    event_actor: Vec<String>,
    event_type: Vec<String>,
    event_data: Vec<String>,
    doc_case_id: Vec<i64>,
    doc_name: Vec<String>,
    doc_media_type: Vec<String>,
    doc_size: Vec<i64>,
    doc_sha256: Vec<String>,
    doc_added_at: Vec<i64>,
    doc_added_by: Vec<String>,
    job_case_id: Vec<i64>,
    job_kind: Vec<String>,
    job_payload: Vec<String>,
    job_at: Vec<i64>,
}

impl Rows {
    /// Adds a party.
    pub(crate) fn push_party(&mut self, id: i64, p: &NewParty, created_at: Timestamp) {
        let text = |v: Option<&str>| v.map(str::to_string);
        self.party_id.push(id);
        self.party_created_at.push(millis(created_at));
        self.party_kind.push(p.kind.as_str().to_string());
        self.name.push(p.name.as_str().to_string());
        self.email.push(text(p.email.as_ref().map(|e| e.as_str())));
        self.phone.push(text(p.phone.as_ref().map(|e| e.as_str())));
        self.address.push(text(p.address.as_ref().map(|e| e.as_str())));
        self.preferred_channel.push(text(p.preferred_channel.map(|c| c.as_str())));
        self.national_id_kind.push(text(p.national_id.as_ref().map(|n| n.kind.as_str())));
        self.national_id_sealed.push(p.national_id.as_ref().map(|n| n.sealed.clone()));
        self.national_id_index.push(text(p.national_id.as_ref().map(|n| n.index.as_str())));
        self.national_id_masked.push(text(p.national_id.as_ref().map(|n| n.masked.as_str())));
        self.eik.push(text(p.eik.as_ref().map(|e| e.as_str())));
    }

    /// Adds a case (its party is added with [`Rows::push_party`]).
    pub(crate) fn push_case(&mut self, c: CaseRow<'_>) {
        self.case_id.push(c.case_id);
        self.case_party_id.push(c.party_id);
        self.registry_number.push(c.number.as_str().to_string());
        self.register.push(c.number.register().to_string());
        self.year.push(i64::from(c.number.year()));
        self.seq.push(i64::from(c.number.seq()));
        self.kind.push(c.kind.as_str().to_string());
        self.channel.push(c.channel.as_str().to_string());
        self.subject.push(c.subject.to_string());
        self.body.push(c.body.to_string());
        self.unit.push(c.unit.to_string());
        self.responsible.push(c.state.responsible.map(|s| s.0));
        self.state.push(c.state.state.as_str().to_string());
        self.received_at.push(millis(c.received_at));
        self.original_due.push(day(c.state.original_due));
        self.extended_due.push(c.state.extended_due.map(day));
        self.due.push(day(c.state.due()));
        self.updated_at.push(millis(c.updated_at));
        self.access_digest.push(c.access_digest.map(str::to_string));
        self.submission_key.push(c.submission_key.map(str::to_string));
        self.request_digest.push(c.request_digest.map(str::to_string));
        self.publish_consent.push(c.publish_consent);
        self.service_code.push(c.service.map(|(code, _)| code.to_string()));
        self.service_tier.push(c.service.map(|(_, tier)| tier.to_string()));
        let received_on = c.received_on.unwrap_or_else(|| harta_domain::format::in_sofia(c.received_at).date());
        self.received_on.push(day(received_on));
        self.held_on.push(c.milestones.held_on.map(day));
        self.answered_on.push(c.milestones.answered_on.map(day));
        self.search.push(search_text(c.number.as_str(), c.subject, c.body, c.party_name));
    }

    /// Adds a document of a case.
    pub(crate) fn push_document(
        &mut self,
        case_id: i64,
        d: &crate::cases::NewDocument,
        at: Timestamp,
        actor: &harta_domain::case::Actor,
    ) -> Result<()> {
        self.doc_case_id.push(case_id);
        self.doc_name.push(d.name.as_str().to_string());
        self.doc_media_type.push(d.media_type.as_str().to_string());
        self.doc_size.push(i64::try_from(d.size).map_err(|_| StoreError::Corrupt("document size".into()))?);
        self.doc_sha256.push(d.sha256.clone());
        self.doc_added_at.push(millis(at));
        self.doc_added_by.push(to_json(actor)?);
        Ok(())
    }

    /// Adds a job about a case, due at once.
    pub(crate) fn push_job(&mut self, case_id: i64, job: &crate::jobs::NewJob, at: Timestamp) {
        self.job_case_id.push(case_id);
        self.job_kind.push(job.kind.clone());
        self.job_payload.push(job.payload.clone());
        self.job_at.push(millis(at));
    }

    /// Adds an event of a case.
    pub(crate) fn push_event(
        &mut self,
        id: i64,
        case_id: i64,
        n: i64,
        at: Timestamp,
        actor: &harta_domain::case::Actor,
        event: &harta_domain::case::CaseEvent,
    ) -> Result<()> {
        self.event_id.push(id);
        self.event_case_id.push(case_id);
        self.event_n.push(n);
        self.event_at.push(millis(at));
        self.event_actor.push(to_json(actor)?);
        self.event_type.push(event.name().to_string());
        self.event_data.push(to_json(event)?);
        Ok(())
    }
}

/// New ids for a bulk write: `cases` ids for parties and for cases each, `events` ids for case
/// events.
pub(crate) type Ids = (Vec<i64>, Vec<i64>, Vec<i64>);

/// Reserves ids inside a writing transaction, in one round trip: from the identity sequences on
/// PostgreSQL; after the largest ids on SQLite (safe there: the transaction already holds the
/// database's only write lock, taken by the counter update that must precede this).
pub(crate) trait ReserveIds {
    fn reserve_ids(
        &mut self,
        cases: i64,
        events: i64,
    ) -> impl std::future::Future<Output = Result<Ids, sqlx::Error>> + Send;
}

impl ReserveIds for sqlx::SqliteConnection {
    async fn reserve_ids(&mut self, cases: i64, events: i64) -> Result<Ids, sqlx::Error> {
        let (p, c, e): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(id), 0) FROM parties), (SELECT COALESCE(MAX(id), 0) FROM cases),
                (SELECT COALESCE(MAX(id), 0) FROM case_events)",
        )
        .fetch_one(&mut *self)
        .await?;
        let ids = |last: i64, k: i64| (last + 1..=last + k).collect::<Vec<i64>>();
        Ok((ids(p, cases), ids(c, cases), ids(e, events)))
    }
}

impl ReserveIds for sqlx::PgConnection {
    async fn reserve_ids(&mut self, cases: i64, events: i64) -> Result<Ids, sqlx::Error> {
        sqlx::query_as(
            "SELECT ARRAY(SELECT nextval(pg_get_serial_sequence('parties', 'id')) FROM generate_series(1, $1)),
                ARRAY(SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, $1)),
                ARRAY(SELECT nextval(pg_get_serial_sequence('case_events', 'id')) FROM generate_series(1, $2))",
        )
        .bind(cases)
        .bind(events)
        .fetch_one(&mut *self)
        .await
    }
}

/// Writes [`Rows`]: the parties first, then (once their numbers are known) the cases and their
/// events, one statement per table (or chunks of them). Each call takes the values it writes.
pub(crate) trait InsertRows {
    fn insert_parties(&mut self, rows: &mut Rows) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
    fn insert_cases(&mut self, rows: &mut Rows) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send;
}

impl InsertRows for sqlx::SqliteConnection {
    async fn insert_parties(&mut self, r: &mut Rows) -> Result<(), sqlx::Error> {
        let parties = r.party_id.len();
        for start in (0..parties).step_by(SQLITE_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO parties (id, kind, name, email, phone, address, preferred_channel, national_id_kind,
                    national_id_sealed, national_id_index, national_id_masked, eik, created_at) ",
            );
            q.push_values(start..parties.min(start + SQLITE_CHUNK), |mut b, i| {
                b.push_bind(r.party_id[i])
                    .push_bind(std::mem::take(&mut r.party_kind[i]))
                    .push_bind(std::mem::take(&mut r.name[i]))
                    .push_bind(std::mem::take(&mut r.email[i]))
                    .push_bind(std::mem::take(&mut r.phone[i]))
                    .push_bind(std::mem::take(&mut r.address[i]))
                    .push_bind(std::mem::take(&mut r.preferred_channel[i]))
                    .push_bind(std::mem::take(&mut r.national_id_kind[i]))
                    .push_bind(std::mem::take(&mut r.national_id_sealed[i]))
                    .push_bind(std::mem::take(&mut r.national_id_index[i]))
                    .push_bind(std::mem::take(&mut r.national_id_masked[i]))
                    .push_bind(std::mem::take(&mut r.eik[i]))
                    .push_bind(r.party_created_at[i]);
            });
            q.build().execute(&mut *self).await?;
        }
        Ok(())
    }

    async fn insert_cases(&mut self, r: &mut Rows) -> Result<(), sqlx::Error> {
        let cases = r.case_id.len();
        for start in (0..cases).step_by(SQLITE_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO cases (id, registry_number, register, year, seq, kind, channel, subject, body, party_id,
                    unit_code, responsible_id, state, received_at, original_due, extended_due, due, updated_at,
                    access_digest, submission_key, publish_consent, service_code, service_tier, received_on,
                    request_digest, held_on, answered_on, search_text) ",
            );
            q.push_values(start..cases.min(start + SQLITE_CHUNK), |mut b, i| {
                b.push_bind(r.case_id[i])
                    .push_bind(std::mem::take(&mut r.registry_number[i]))
                    .push_bind(std::mem::take(&mut r.register[i]))
                    .push_bind(r.year[i])
                    .push_bind(r.seq[i])
                    .push_bind(std::mem::take(&mut r.kind[i]))
                    .push_bind(std::mem::take(&mut r.channel[i]))
                    .push_bind(std::mem::take(&mut r.subject[i]))
                    .push_bind(std::mem::take(&mut r.body[i]))
                    .push_bind(r.case_party_id[i])
                    .push_bind(std::mem::take(&mut r.unit[i]))
                    .push_bind(r.responsible[i])
                    .push_bind(std::mem::take(&mut r.state[i]))
                    .push_bind(r.received_at[i])
                    .push_bind(std::mem::take(&mut r.original_due[i]))
                    .push_bind(std::mem::take(&mut r.extended_due[i]))
                    .push_bind(std::mem::take(&mut r.due[i]))
                    .push_bind(r.updated_at[i])
                    .push_bind(std::mem::take(&mut r.access_digest[i]))
                    .push_bind(std::mem::take(&mut r.submission_key[i]))
                    .push_bind(r.publish_consent[i])
                    .push_bind(std::mem::take(&mut r.service_code[i]))
                    .push_bind(std::mem::take(&mut r.service_tier[i]))
                    .push_bind(std::mem::take(&mut r.received_on[i]))
                    .push_bind(std::mem::take(&mut r.request_digest[i]))
                    .push_bind(std::mem::take(&mut r.held_on[i]))
                    .push_bind(std::mem::take(&mut r.answered_on[i]))
                    .push_bind(r.search[i].clone());
            });
            q.build().execute(&mut *self).await?;
        }
        for start in (0..cases).step_by(SQLITE_CHUNK) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO cases_fts (rowid, text) ");
            q.push_values(start..cases.min(start + SQLITE_CHUNK), |mut b, i| {
                b.push_bind(r.case_id[i]).push_bind(std::mem::take(&mut r.search[i]));
            });
            q.build().execute(&mut *self).await?;
        }
        let events = r.event_id.len();
        for start in (0..events).step_by(SQLITE_CHUNK * 2) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO case_events (id, case_id, n, at, actor, type, data) ");
            q.push_values(start..events.min(start + SQLITE_CHUNK * 2), |mut b, i| {
                b.push_bind(r.event_id[i])
                    .push_bind(r.event_case_id[i])
                    .push_bind(r.event_n[i])
                    .push_bind(r.event_at[i])
                    .push_bind(std::mem::take(&mut r.event_actor[i]))
                    .push_bind(std::mem::take(&mut r.event_type[i]))
                    .push_bind(std::mem::take(&mut r.event_data[i]));
            });
            q.build().execute(&mut *self).await?;
        }
        let documents = r.doc_case_id.len();
        for start in (0..documents).step_by(SQLITE_CHUNK) {
            let mut q = sqlx::QueryBuilder::new(
                "INSERT INTO documents (case_id, name, media_type, size, sha256, added_at, added_by) ",
            );
            q.push_values(start..documents.min(start + SQLITE_CHUNK), |mut b, i| {
                b.push_bind(r.doc_case_id[i])
                    .push_bind(std::mem::take(&mut r.doc_name[i]))
                    .push_bind(std::mem::take(&mut r.doc_media_type[i]))
                    .push_bind(r.doc_size[i])
                    .push_bind(std::mem::take(&mut r.doc_sha256[i]))
                    .push_bind(r.doc_added_at[i])
                    .push_bind(std::mem::take(&mut r.doc_added_by[i]));
            });
            q.build().execute(&mut *self).await?;
        }
        let jobs = r.job_case_id.len();
        for start in (0..jobs).step_by(SQLITE_CHUNK) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO jobs (case_id, kind, payload, created_at, run_at) ");
            q.push_values(start..jobs.min(start + SQLITE_CHUNK), |mut b, i| {
                b.push_bind(r.job_case_id[i])
                    .push_bind(std::mem::take(&mut r.job_kind[i]))
                    .push_bind(std::mem::take(&mut r.job_payload[i]))
                    .push_bind(r.job_at[i])
                    .push_bind(r.job_at[i]);
            });
            q.build().execute(&mut *self).await?;
        }
        Ok(())
    }
}

impl InsertRows for sqlx::PgConnection {
    async fn insert_parties(&mut self, r: &mut Rows) -> Result<(), sqlx::Error> {
        let parties = r.party_id.len();
        for start in (0..parties).step_by(PG_CHUNK) {
            let c = start..parties.min(start + PG_CHUNK);
            sqlx::query(
                "INSERT INTO parties (id, kind, name, email, phone, address, preferred_channel, national_id_kind,
                    national_id_sealed, national_id_index, national_id_masked, eik, created_at)
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::bytea[], $10::text[], $11::text[], $12::text[], $13::bigint[])",
            )
            .bind(&r.party_id[c.clone()])
            .bind(&r.party_kind[c.clone()])
            .bind(&r.name[c.clone()])
            .bind(&r.email[c.clone()])
            .bind(&r.phone[c.clone()])
            .bind(&r.address[c.clone()])
            .bind(&r.preferred_channel[c.clone()])
            .bind(&r.national_id_kind[c.clone()])
            .bind(&r.national_id_sealed[c.clone()])
            .bind(&r.national_id_index[c.clone()])
            .bind(&r.national_id_masked[c.clone()])
            .bind(&r.eik[c.clone()])
            .bind(&r.party_created_at[c])
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }

    async fn insert_cases(&mut self, r: &mut Rows) -> Result<(), sqlx::Error> {
        let cases = r.case_id.len();
        for start in (0..cases).step_by(PG_CHUNK) {
            let c = start..cases.min(start + PG_CHUNK);
            sqlx::query(
                "INSERT INTO cases (id, registry_number, register, year, seq, kind, channel, subject, body, party_id,
                    unit_code, responsible_id, state, received_at, original_due, extended_due, due, updated_at,
                    access_digest, submission_key, publish_consent, search_text, service_code, service_tier,
                    received_on, request_digest, held_on, answered_on)
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
                    $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[], $12::bigint[], $13::text[],
                    $14::bigint[], $15::text[], $16::text[], $17::text[], $18::bigint[], $19::text[], $20::text[],
                    $21::boolean[], $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[],
                    $28::text[])",
            )
            .bind(&r.case_id[c.clone()])
            .bind(&r.registry_number[c.clone()])
            .bind(&r.register[c.clone()])
            .bind(&r.year[c.clone()])
            .bind(&r.seq[c.clone()])
            .bind(&r.kind[c.clone()])
            .bind(&r.channel[c.clone()])
            .bind(&r.subject[c.clone()])
            .bind(&r.body[c.clone()])
            .bind(&r.case_party_id[c.clone()])
            .bind(&r.unit[c.clone()])
            .bind(&r.responsible[c.clone()])
            .bind(&r.state[c.clone()])
            .bind(&r.received_at[c.clone()])
            .bind(&r.original_due[c.clone()])
            .bind(&r.extended_due[c.clone()])
            .bind(&r.due[c.clone()])
            .bind(&r.updated_at[c.clone()])
            .bind(&r.access_digest[c.clone()])
            .bind(&r.submission_key[c.clone()])
            .bind(&r.publish_consent[c.clone()])
            .bind(&r.search[c.clone()])
            .bind(&r.service_code[c.clone()])
            .bind(&r.service_tier[c.clone()])
            .bind(&r.received_on[c.clone()])
            .bind(&r.request_digest[c.clone()])
            .bind(&r.held_on[c.clone()])
            .bind(&r.answered_on[c])
            .execute(&mut *self)
            .await?;
        }
        let events = r.event_id.len();
        for start in (0..events).step_by(PG_CHUNK * 2) {
            let e = start..events.min(start + PG_CHUNK * 2);
            sqlx::query(
                "INSERT INTO case_events (id, case_id, n, at, actor, type, data)
                 SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::text[],
                    $7::text[])",
            )
            .bind(&r.event_id[e.clone()])
            .bind(&r.event_case_id[e.clone()])
            .bind(&r.event_n[e.clone()])
            .bind(&r.event_at[e.clone()])
            .bind(&r.event_actor[e.clone()])
            .bind(&r.event_type[e.clone()])
            .bind(&r.event_data[e])
            .execute(&mut *self)
            .await?;
        }
        // Most registrations carry no documents: no statement at all then.
        let documents = r.doc_case_id.len();
        for start in (0..documents).step_by(PG_CHUNK) {
            let d = start..documents.min(start + PG_CHUNK);
            sqlx::query(
                "INSERT INTO documents (case_id, name, media_type, size, sha256, added_at, added_by)
                 SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[],
                    $7::text[])",
            )
            .bind(&r.doc_case_id[d.clone()])
            .bind(&r.doc_name[d.clone()])
            .bind(&r.doc_media_type[d.clone()])
            .bind(&r.doc_size[d.clone()])
            .bind(&r.doc_sha256[d.clone()])
            .bind(&r.doc_added_at[d.clone()])
            .bind(&r.doc_added_by[d])
            .execute(&mut *self)
            .await?;
        }
        let jobs = r.job_case_id.len();
        for start in (0..jobs).step_by(PG_CHUNK) {
            let j = start..jobs.min(start + PG_CHUNK);
            sqlx::query(
                "INSERT INTO jobs (case_id, kind, payload, created_at, run_at)
                 SELECT c, k, p, a, a FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::bigint[]) AS u (c, k, p, a)",
            )
            .bind(&r.job_case_id[j.clone()])
            .bind(&r.job_kind[j.clone()])
            .bind(&r.job_payload[j.clone()])
            .bind(&r.job_at[j])
            .execute(&mut *self)
            .await?;
        }
        Ok(())
    }
}
