//! Cases: registration with gapless registry numbers (group-committed), reading, listing, and
//! appending events with the derived row in the same transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use harta_domain::calendar::WorkingDays;
use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel, PreferredChannel, StaffId, State};
use harta_domain::catalogue::TierKind;
use harta_domain::deadline::DeadlineRule;
use harta_domain::documents::{FileName, MediaType};
use harta_domain::format::in_sofia;
use harta_domain::identifiers::{Eik, Email, Phone};
use harta_domain::party::{NationalIdKind, PartyKind};
use harta_domain::registry::{RegistryFormat, RegistryNumber};
use harta_domain::text::{Address, Body, Name, Subject};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;
use tokio::sync::{mpsc, oneshot};

use crate::bulk::{CaseRow, InsertRows, ReserveIds, Rows};
use crate::calendar::{CalendarCache, version_sql};
use crate::rows::{date, day, parse, timestamp};
use crate::{Db, Result, StoreError, constraint, on_db};

/// A personal number as the store keeps it: sealed (encrypted), a keyed blind index for look-up
/// and a masked form for screens; never the digits in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedNationalId {
    /// ЕГН or ЛНЧ.
    pub kind: NationalIdKind,
    /// The encrypted digits.
    pub sealed: Vec<u8>,
    /// The keyed hash used to find the person again.
    pub index: String,
    /// `750314****`.
    pub masked: String,
}

/// The person or organisation a new case is about.
#[derive(Debug, Clone)]
pub struct NewParty {
    /// Person or organisation.
    pub kind: PartyKind,
    /// The name.
    pub name: Name,
    /// E-mail, if given.
    pub email: Option<Email>,
    /// Telephone, if given.
    pub phone: Option<Phone>,
    /// Postal address, if given.
    pub address: Option<Address>,
    /// How they want to be answered (C20).
    pub preferred_channel: Option<PreferredChannel>,
    /// ЕГН or ЛНЧ, sealed.
    pub national_id: Option<SealedNationalId>,
    /// An organisation's ЕИК.
    pub eik: Option<Eik>,
}

/// How a party is reached: the details a citizen may change on an open case (C12).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// E-mail.
    pub email: Option<Email>,
    /// Telephone.
    pub phone: Option<Phone>,
    /// Postal address.
    pub address: Option<Address>,
    /// How they want to be answered.
    pub preferred_channel: Option<PreferredChannel>,
}

/// A case to register.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// What it is.
    pub kind: CaseKind,
    /// How it came in.
    pub channel: Channel,
    /// Its subject.
    pub subject: Subject,
    /// Its text.
    pub body: Body,
    /// Who it is from.
    pub party: NewParty,
    /// The responsible unit's code.
    pub unit: String,
    /// When it was received (its deadline counts from this moment's date in Sofia).
    pub received_at: Timestamp,
    /// Who registered it.
    pub actor: Actor,
    /// The keyed digest of the citizen's access code, if one was issued.
    pub access_digest: Option<String>,
    /// A key that identifies the submission (a web form), so that submitting it twice
    /// registers one case.
    pub submission_key: Option<String>,
    /// Documents that came with it (their content already kept under its hash).
    pub documents: Vec<NewDocument>,
    /// The author agreed that the suggestion may be published (C3), once approved.
    pub publish_consent: bool,
    /// Work to do once the case is stored (acknowledge it by e-mail), written with it.
    pub jobs: Vec<crate::jobs::NewJob>,
    /// A quota this registration counts against (its address's online submissions this hour),
    /// counted in the same transaction: a resent form registers nothing and counts nothing.
    pub counts_against: Option<crate::limits::Bucket>,
    /// The service requested and its tier (service requests only).
    pub service: Option<ServiceRef>,
    /// How the deadline is counted: the service tier's rule; `None` for the commitment of the
    /// case's kind.
    pub deadline: Option<DeadlineRule>,
    /// The day of receipt in Sofia when it is before the day of registration (`received_at`);
    /// the deadline counts from it.
    pub received_on: Option<Date>,
}

/// A service and the tier asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRef {
    /// The service's register number.
    pub code: String,
    /// The tier.
    pub tier: TierKind,
}

/// A document to record with a case; its content is kept by the caller under `sha256`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// Its name as shown.
    pub name: FileName,
    /// What it is, told by its content.
    pub media_type: MediaType,
    /// Its size in bytes.
    pub size: u64,
    /// The SHA-256 of its content, in hexadecimal: where the content is kept.
    pub sha256: String,
}

/// A document as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content.
    pub sha256: String,
    /// When it was added.
    pub added_at: Timestamp,
    /// Who added it.
    pub added_by: Actor,
}

/// What registration hands back, after the commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    /// The case's id.
    pub id: i64,
    /// Its registry number.
    pub number: RegistryNumber,
    /// When it was received.
    pub received_at: Timestamp,
    /// Its due date.
    pub due: Date,
}

/// What the registrar needs to number a case and set its deadline.
#[derive(Debug, Clone)]
pub struct RegistryRules {
    /// The number format.
    pub format: RegistryFormat,
    /// Per kind: the nomenclature index and the working days of its commitment.
    pub kinds: BTreeMap<CaseKind, (String, WorkingDays)>,
}

struct Pending {
    case: NewCase,
    reply: oneshot::Sender<Result<Registered>>,
}

/// Registers cases. Concurrent registrations are gathered into one transaction (group commit):
/// each caller is answered only after the transaction holding its case has committed, and the
/// counters advance in the same transaction, so numbers stay gapless even when a batch fails.
#[derive(Clone)]
pub struct Registrar {
    queue: mpsc::Sender<Pending>,
    rules: Arc<std::sync::RwLock<RegistryRules>>,
}

/// The most registrations one transaction carries.
const MAX_BATCH: usize = 512;

impl Registrar {
    /// Starts the writer task. It ends when every `Registrar` clone is dropped and the queue is
    /// drained, so a graceful shutdown loses nothing that was accepted.
    pub fn start(db: Db, rules: RegistryRules, calendar: Arc<CalendarCache>) -> (Self, tokio::task::JoinHandle<()>) {
        let (queue, mut rx) = mpsc::channel::<Pending>(MAX_BATCH * 4);
        let rules = Arc::new(std::sync::RwLock::new(rules));
        let in_force = rules.clone();
        // One writer: batches follow each other, the next gathering while the last commits.
        // (A second writer on PostgreSQL was measured slower: it waits on the counter row and
        // competes for the same two cores.)
        let writer = tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                // The rules as they are now: an edited charter changes the working days.
                let rules = in_force.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
                write_pending(&db, &rules, &calendar, std::mem::take(&mut batch)).await;
            }
        });
        (Self { queue, rules }, writer)
    }

    /// Numbers and deadlines from now on follow these rules (a charter edited while running).
    pub fn set_rules(&self, rules: RegistryRules) {
        *self.rules.write().unwrap_or_else(std::sync::PoisonError::into_inner) = rules;
    }

    /// Registers a case and returns its number once it is durably stored.
    pub async fn register(&self, case: NewCase) -> Result<Registered> {
        let (reply, answer) = oneshot::channel();
        self.queue.send(Pending { case, reply }).await.map_err(|_| StoreError::ShuttingDown)?;
        answer.await.map_err(|_| StoreError::ShuttingDown)?
    }
}

async fn write_pending(db: &Db, rules: &RegistryRules, calendar: &CalendarCache, pending: Vec<Pending>) {
    let cases: Vec<&NewCase> = pending.iter().map(|p| &p.case).collect();
    match write_batch(db, rules, calendar, &cases).await {
        Ok(done) => {
            for (p, r) in pending.into_iter().zip(done) {
                let _ = p.reply.send(Ok(r));
            }
        }
        Err(err) if pending.len() == 1 => {
            if let Some(p) = pending.into_iter().next() {
                let _ = p.reply.send(Err(err));
            }
        }
        // One bad case must not fail the others: the batch rolled back whole, so write each
        // alone; only the faulty ones fail, and no number was consumed by the rollback.
        Err(_) => {
            for p in pending {
                let result = write_batch(db, rules, calendar, &[&p.case]).await.and_then(|done| {
                    done.into_iter().next().ok_or_else(|| StoreError::Corrupt("a batch of one wrote nothing".into()))
                });
                let _ = p.reply.send(result);
            }
        }
    }
}

async fn write_batch(
    db: &Db,
    rules: &RegistryRules,
    calendar: &CalendarCache,
    cases: &[&NewCase],
) -> Result<Vec<Registered>> {
    on_db!(db, |pool| {
        // On SQLite the transaction takes the write lock at once, which makes reserving ids by
        // the largest id safe even against another process writing.
        let mut tx = pool.begin_with(begin_writing(db)).await?;
        // The calendar in force for this transaction: a decision being added holds this row, so
        // a case is either seen by that decision's recomputation or computed with it.
        let version: i64 = sqlx::query_scalar(version_sql(db)).fetch_one(&mut *tx).await?;
        let cal = match calendar.if_current(version) {
            Some(cal) => cal,
            None => calendar.rebuild(version, &load_decisions!(&mut *tx)?)?,
        };
        let mut plan = Vec::with_capacity(cases.len());
        let mut counts: BTreeMap<(String, i16), i64> = BTreeMap::new();
        for case in cases {
            let (index, days) = rules
                .kinds
                .get(&case.kind)
                .ok_or_else(|| StoreError::Missing(format!("a commitment for {}", case.kind)))?;
            let year = in_sofia(case.received_at).year();
            let register = rules.format.register_for(index);
            let received_on = case.received_on.unwrap_or_else(|| in_sofia(case.received_at).date());
            let due = match case.deadline {
                Some(rule) => rule.due_date(&cal, received_on, case.received_at),
                None => cal.add_working_days(received_on, *days),
            }
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            *counts.entry((register.clone(), year)).or_default() += 1;
            plan.push((index.as_str(), register, year, due.date()));
        }

        // Ids are reserved up front so that each table gets one multi-row INSERT per batch:
        // a handful of statements per transaction however many cases it carries.
        let k = cases.len() as i64;
        let (party_ids, case_ids, event_ids) = tx.reserve_ids(k, k).await?;
        let mut rows = Rows::default();
        for (case, id) in cases.iter().zip(&party_ids) {
            rows.push_party(*id, &case.party, case.received_at);
        }
        tx.insert_parties(&mut rows).await?;

        // Only now take a block of numbers per register and year: the counter row stays locked
        // until the commit (that is what keeps numbers gapless), so as little as possible
        // happens after this point.
        let mut next: BTreeMap<(String, i16), i64> = BTreeMap::new();
        for ((register, year), n) in &counts {
            let last: i64 = sqlx::query_scalar(
                "INSERT INTO registry_counters (register, year, last) VALUES ($1, $2, $3)
                 ON CONFLICT (register, year) DO UPDATE SET last = registry_counters.last + $3
                 RETURNING last",
            )
            .bind(register)
            .bind(i64::from(*year))
            .bind(n)
            .fetch_one(&mut *tx)
            .await?;
            next.insert((register.clone(), *year), last - n + 1);
        }
        let mut done = Vec::with_capacity(cases.len());
        for (i, (index, register, year, due)) in plan.into_iter().enumerate() {
            let slot = next.get_mut(&(register, year)).ok_or_else(|| StoreError::Corrupt("counter".into()))?;
            let seq = u32::try_from(*slot).map_err(|_| StoreError::Corrupt(format!("sequence {slot}")))?;
            *slot += 1;
            let number = rules.format.render(index, year, seq);
            done.push(Registered { id: case_ids[i], number, received_at: cases[i].received_at, due });
        }
        for (i, (case, r)) in cases.iter().zip(&done).enumerate() {
            let state = CaseState::registered(r.due);
            rows.push_case(CaseRow {
                party_id: party_ids[i],
                case_id: r.id,
                number: &r.number,
                kind: case.kind,
                channel: case.channel,
                subject: case.subject.as_str(),
                body: case.body.as_str(),
                unit: &case.unit,
                state: &state,
                received_at: case.received_at,
                updated_at: case.received_at,
                access_digest: case.access_digest.as_deref(),
                submission_key: case.submission_key.as_deref(),
                publish_consent: case.publish_consent,
                party_name: case.party.name.as_str(),
                service: case.service.as_ref().map(|s| (s.code.as_str(), s.tier.as_str())),
                received_on: case.received_on,
            });
            let event = CaseEvent::Registered { registry_number: r.number.as_str().to_string(), due: r.due };
            rows.push_event(event_ids[i], r.id, 1, case.received_at, &case.actor, &event)?;
            for d in &case.documents {
                rows.push_document(r.id, d, case.received_at, &case.actor)?;
            }
            for job in &case.jobs {
                rows.push_job(r.id, job, case.received_at);
            }
        }
        let units: Vec<&str> = cases.iter().map(|c| c.unit.as_str()).collect();
        tx.insert_cases(&mut rows).await.map_err(|e| constraint(e, &format!("unit {}", units.join(" or "))))?;
        let mut counted: BTreeMap<&crate::limits::Bucket, i64> = BTreeMap::new();
        for bucket in cases.iter().filter_map(|c| c.counts_against.as_ref()) {
            *counted.entry(bucket).or_default() += 1;
        }
        for (bucket, n) in counted {
            crate::limits::add_to_bucket!(&mut *tx, bucket, n);
        }
        tx.commit().await?;
        Ok(done)
    })
}

/// How a writing transaction starts: `BEGIN IMMEDIATE` on SQLite takes the write lock at once.
pub(crate) fn begin_writing(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "BEGIN IMMEDIATE",
        Db::Postgres(_) => "BEGIN",
    }
}

/// A case as stored, with its party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRecord {
    /// Id.
    pub id: i64,
    /// Registry number.
    pub registry_number: String,
    /// Kind.
    pub kind: CaseKind,
    /// Channel.
    pub channel: Channel,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// Unit code.
    pub unit: String,
    /// Responsible officer.
    pub responsible: Option<StaffId>,
    /// State.
    pub state: State,
    /// Received.
    pub received_at: Timestamp,
    /// Due date from receipt.
    pub original_due: Date,
    /// Due date set by a holding reply.
    pub extended_due: Option<Date>,
    /// Due date in force.
    pub due: Date,
    /// The keyed digest of the citizen's access code, if one was issued.
    pub access_digest: Option<String>,
    /// The author agreed that the suggestion may be published once approved (C3).
    pub publish_consent: bool,
    /// The service requested and its tier.
    pub service: Option<ServiceRef>,
    /// The day of receipt, when it was before the day of registration.
    pub received_on: Option<Date>,
    /// The party.
    pub party: PartyRecord,
}

/// A party as stored. The personal number appears only masked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRecord {
    /// Id.
    pub id: i64,
    /// Person or organisation.
    pub kind: PartyKind,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Telephone (E.164).
    pub phone: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Preferred channel.
    pub preferred_channel: Option<PreferredChannel>,
    /// ЕГН or ЛНЧ, masked.
    pub national_id_masked: Option<String>,
    /// Which personal number.
    pub national_id_kind: Option<NationalIdKind>,
    /// ЕИК.
    pub eik: Option<String>,
}

/// A case line in a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseSummary {
    /// Id.
    pub id: i64,
    /// Registry number.
    pub registry_number: String,
    /// Kind.
    pub kind: CaseKind,
    /// Channel.
    pub channel: Channel,
    /// Subject.
    pub subject: String,
    /// Unit code.
    pub unit: String,
    /// State.
    pub state: State,
    /// Received.
    pub received_at: Timestamp,
    /// Due date in force.
    pub due: Date,
}

/// Which cases to list. Every filter is optional; `unit_scope` is the caller's visibility.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// Only this state.
    pub state: Option<State>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only this unit.
    pub unit: Option<String>,
    /// Only cases due on or before this date.
    pub due_before: Option<Date>,
    /// The units the caller may see (`None`: all).
    pub unit_scope: Option<String>,
    /// Only cases still open (registered, assigned, in progress, waiting for information).
    pub open_only: bool,
    /// Only cases this member of staff is responsible for.
    pub responsible: Option<i64>,
    /// Only cases received at or after this moment.
    pub received_from: Option<Timestamp>,
    /// Only cases received before this moment.
    pub received_until: Option<Timestamp>,
    /// Words that must all appear (as words or word beginnings) in the registry number,
    /// subject, text or the person's name, in either script, any case.
    pub search: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// An event as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedEvent {
    /// Its number within the case, from 1.
    pub n: i64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub event: CaseEvent,
}

const CASE_COLUMNS: &str =
    "c.id, c.registry_number, c.kind, c.channel, c.subject, c.body, c.unit_code, c.responsible_id,
    c.state, c.received_at, c.original_due, c.extended_due, c.due, c.access_digest, c.publish_consent,
    c.service_code, c.service_tier, c.received_on,
    p.id AS party_id, p.kind AS party_kind, p.name, p.email, p.phone, p.address, p.preferred_channel,
    p.national_id_masked, p.national_id_kind, p.eik";

fn case_record<R: Row>(row: &R) -> Result<CaseRecord>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| row.try_get::<String, _>(c);
    let o = |c: &str| row.try_get::<Option<String>, _>(c);
    Ok(CaseRecord {
        id: row.try_get("id")?,
        registry_number: s("registry_number")?,
        kind: parse("kind", &s("kind")?, CaseKind::parse)?,
        channel: parse("channel", &s("channel")?, Channel::parse)?,
        subject: s("subject")?,
        body: s("body")?,
        unit: s("unit_code")?,
        responsible: row.try_get::<Option<i64>, _>("responsible_id")?.map(StaffId),
        state: parse("state", &s("state")?, State::parse)?,
        received_at: timestamp(row.try_get("received_at")?)?,
        original_due: date(&s("original_due")?)?,
        extended_due: o("extended_due")?.as_deref().map(date).transpose()?,
        due: date(&s("due")?)?,
        access_digest: o("access_digest")?,
        publish_consent: row.try_get("publish_consent")?,
        service: match (o("service_code")?, o("service_tier")?) {
            (Some(code), Some(tier)) => Some(ServiceRef { code, tier: parse("tier", &tier, TierKind::parse)? }),
            _ => None,
        },
        received_on: o("received_on")?.as_deref().map(date).transpose()?,
        party: party_record(row)?,
    })
}

fn party_record<R: Row>(row: &R) -> Result<PartyRecord>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| row.try_get::<String, _>(c);
    let o = |c: &str| row.try_get::<Option<String>, _>(c);
    Ok(PartyRecord {
        id: row.try_get("party_id")?,
        kind: parse("party kind", &s("party_kind")?, PartyKind::parse)?,
        name: s("name")?,
        email: o("email")?,
        phone: o("phone")?,
        address: o("address")?,
        preferred_channel: o("preferred_channel")?
            .map(|c| parse("channel", &c, PreferredChannel::parse))
            .transpose()?,
        national_id_masked: o("national_id_masked")?,
        national_id_kind: o("national_id_kind")?.map(|k| parse("id kind", &k, NationalIdKind::parse)).transpose()?,
        eik: o("eik")?,
    })
}

/// How to find a person or organisation already known.
#[derive(Debug, Clone, Copy)]
pub enum PersonKey<'a> {
    /// The keyed blind index of an ЕГН or ЛНЧ.
    NationalIdIndex(&'a str),
    /// An e-mail address, exactly.
    Email(&'a str),
    /// A telephone number in E.164, exactly.
    Phone(&'a str),
    /// Words, found through the cases' search index (names are in it).
    Words(&'a str),
}

/// Reading and changing registered cases.
#[derive(Debug, Clone)]
pub struct Cases {
    db: Db,
}

impl Cases {
    /// Cases over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// A case by registry number, if it exists and lies within `unit_scope` (`None`: any unit).
    /// A case outside the scope is reported as absent, so its existence does not leak. The
    /// number is found by its register, year and sequence, which the unique key indexes.
    pub async fn by_number(&self, number: &RegistryNumber, unit_scope: Option<&str>) -> Result<Option<CaseRecord>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c JOIN parties p ON p.id = c.party_id
             WHERE c.register = $1 AND c.year = $2 AND c.seq = $3 AND ($4 IS NULL OR c.unit_code = $4)"
        );
        let row = on_db!(read & self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(number.register())
                .bind(i64::from(number.year()))
                .bind(i64::from(number.seq()))
                .bind(unit_scope)
                .fetch_optional(pool)
                .await?;
            row.as_ref().map(case_record).transpose()
        })?;
        Ok(row)
    }

    /// A case by its id (for work done on it later, such as its acknowledgement).
    pub async fn by_id(&self, id: i64) -> Result<Option<CaseRecord>> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases c JOIN parties p ON p.id = c.party_id WHERE c.id = $1");
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(case_record).transpose()
        })
    }

    /// Adds up to `batch` cases that are not in the search index yet (cases stored before the
    /// index existed); returns how many. Run until it returns 0, before the store takes new
    /// cases (on SQLite the cases after the last one indexed are the ones missing: reading the
    /// last entry of the index costs nothing, where a comparison of every case would not).
    pub async fn index_missing(&self, batch: i64) -> Result<u64> {
        let sqlite = matches!(self.db, Db::Sqlite(_));
        let missing = if sqlite {
            "SELECT c.id, c.registry_number, c.subject, c.body, p.name FROM cases c JOIN parties p ON p.id = c.party_id
             WHERE c.id > COALESCE((SELECT rowid FROM cases_fts ORDER BY rowid DESC LIMIT 1), 0)
             ORDER BY c.id LIMIT $1"
        } else {
            "SELECT c.id, c.registry_number, c.subject, c.body, p.name FROM cases c JOIN parties p ON p.id = c.party_id
             WHERE c.search_text = '' ORDER BY c.id LIMIT $1"
        };
        let write = if sqlite {
            "INSERT INTO cases_fts (rowid, text) VALUES ($1, $2)"
        } else {
            "UPDATE cases SET search_text = $2 WHERE id = $1"
        };
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let rows = sqlx::query(missing).bind(batch).fetch_all(&mut *tx).await?;
            for row in &rows {
                let text = crate::bulk::search_text(
                    &row.try_get::<String, _>("registry_number")?,
                    &row.try_get::<String, _>("subject")?,
                    &row.try_get::<String, _>("body")?,
                    &row.try_get::<String, _>("name")?,
                );
                sqlx::query(write).bind(row.try_get::<i64, _>("id")?).bind(text).execute(&mut *tx).await?;
            }
            tx.commit().await?;
            Ok(rows.len() as u64)
        })
    }

    /// People and organisations already known, newest first (each case keeps its own copy of
    /// the details, so the same person may come back more than once).
    pub async fn find_people(&self, key: PersonKey<'_>, limit: i64) -> Result<Vec<PartyRecord>> {
        const COLUMNS: &str = "SELECT p.id AS party_id, p.kind AS party_kind, p.name, p.email, p.phone, p.address,
            p.preferred_channel, p.national_id_masked, p.national_id_kind, p.eik FROM parties p WHERE ";
        let (condition, value) = match key {
            PersonKey::NationalIdIndex(i) => ("p.national_id_index = $1".to_string(), i.to_string()),
            PersonKey::Email(e) => ("p.email = $1".to_string(), e.to_string()),
            PersonKey::Phone(p) => ("p.phone = $1".to_string(), p.to_string()),
            PersonKey::Words(w) => {
                let words: Vec<String> = harta_domain::text::fold(w)
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .map(str::to_string)
                    .collect();
                if words.is_empty() {
                    return Ok(Vec::new());
                }
                match &self.db {
                    Db::Sqlite(_) => (
                        "p.id IN (SELECT party_id FROM cases WHERE id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH $1))"
                            .to_string(),
                        words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
                    ),
                    Db::Postgres(_) => (
                        "p.id IN (SELECT party_id FROM cases WHERE search_vector @@ to_tsquery('simple', $1))".to_string(),
                        words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
                    ),
                }
            }
        };
        let sql = format!("{COLUMNS}{condition} ORDER BY p.id DESC LIMIT $2");
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).bind(limit).fetch_all(pool).await?;
            rows.iter().map(party_record).collect()
        })
    }

    /// The documents of a case, in the order they were added.
    pub async fn documents(&self, case_id: i64) -> Result<Vec<DocumentRecord>> {
        self.documents_where(case_id, None).await
    }

    /// One document of a case; another case's document is absent.
    pub async fn document(&self, case_id: i64, id: i64) -> Result<Option<DocumentRecord>> {
        Ok(self.documents_where(case_id, Some(id)).await?.into_iter().next())
    }

    async fn documents_where(&self, case_id: i64, id: Option<i64>) -> Result<Vec<DocumentRecord>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT id, name, media_type, size, sha256, added_at, added_by FROM documents
                 WHERE case_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id",
            )
            .bind(case_id)
            .bind(id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let by: String = row.try_get("added_by")?;
                    Ok(DocumentRecord {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        media_type: row.try_get("media_type")?,
                        size: row.try_get("size")?,
                        sha256: row.try_get("sha256")?,
                        added_at: timestamp(row.try_get("added_at")?)?,
                        added_by: serde_json::from_str(&by).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .collect()
        })
    }

    /// The case registered from a submission, if that submission was registered already.
    pub async fn by_submission_key(&self, key: &str) -> Result<Option<CaseRecord>> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c JOIN parties p ON p.id = c.party_id WHERE c.submission_key = $1"
        );
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).fetch_optional(pool).await?;
            row.as_ref().map(case_record).transpose()
        })
    }

    /// A page of cases, soonest due first.
    pub async fn list(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        // The folded words of the query as each backend's full-text query: every word, as a
        // word or the beginning of one. Folded words are only [a-z0-9], so nothing in them can
        // be taken for query syntax.
        let words: Vec<String> = filter
            .search
            .as_deref()
            .map(harta_domain::text::fold)
            .map(|f| {
                f.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
            })
            .unwrap_or_default();
        let search = (!words.is_empty()).then(|| match &self.db {
            Db::Sqlite(_) => (
                " AND id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ",
                words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" "),
            ),
            Db::Postgres(_) => (
                " AND search_vector @@ to_tsquery('simple', ",
                words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & "),
            ),
        });
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT id, registry_number, kind, channel, subject, unit_code, state, received_at, due FROM cases WHERE 1 = 1",
            );
            if let Some(state) = filter.state {
                q.push(" AND state = ").push_bind(state.as_str());
            }
            if let Some(kind) = filter.kind {
                q.push(" AND kind = ").push_bind(kind.as_str());
            }
            if let Some(unit) = &filter.unit {
                q.push(" AND unit_code = ").push_bind(unit.clone());
            }
            if let Some(scope) = &filter.unit_scope {
                q.push(" AND unit_code = ").push_bind(scope.clone());
            }
            if let Some(before) = filter.due_before {
                q.push(" AND due <= ").push_bind(day(before));
            }
            if filter.open_only {
                q.push(" AND state IN ('registered', 'assigned', 'in_progress', 'information_requested')");
            }
            if let Some(id) = filter.responsible {
                q.push(" AND responsible_id = ").push_bind(id);
            }
            if let Some(from) = filter.received_from {
                q.push(" AND received_at >= ").push_bind(crate::rows::millis(from));
            }
            if let Some(until) = filter.received_until {
                q.push(" AND received_at < ").push_bind(crate::rows::millis(until));
            }
            if let Some((sql, terms)) = &search {
                q.push(*sql).push_bind(terms.clone()).push(")");
            }
            q.push(" ORDER BY due, id LIMIT ").push_bind(i64::from(filter.limit));
            q.push(" OFFSET ").push_bind(i64::from(filter.offset));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter()
                .map(|row| {
                    let s = |c: &str| row.try_get::<String, _>(c);
                    Ok(CaseSummary {
                        id: row.try_get("id")?,
                        registry_number: s("registry_number")?,
                        kind: parse("kind", &s("kind")?, CaseKind::parse)?,
                        channel: parse("channel", &s("channel")?, Channel::parse)?,
                        subject: s("subject")?,
                        unit: s("unit_code")?,
                        state: parse("state", &s("state")?, State::parse)?,
                        received_at: timestamp(row.try_get("received_at")?)?,
                        due: date(&s("due")?)?,
                    })
                })
                .collect()
        })
    }

    /// A case's whole history, oldest first.
    pub async fn events(&self, case_id: i64) -> Result<Vec<RecordedEvent>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query("SELECT n, at, actor, data FROM case_events WHERE case_id = $1 ORDER BY n")
                .bind(case_id)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|row| {
                    let json = |c: &str| row.try_get::<String, _>(c);
                    Ok(RecordedEvent {
                        n: row.try_get("n")?,
                        at: timestamp(row.try_get("at")?)?,
                        actor: serde_json::from_str(&json("actor")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                        event: serde_json::from_str(&json("data")?).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .collect()
        })
    }

    /// Records `event` on a case if its life cycle allows it, updating the case row in the same
    /// transaction. Returns the new state, or the domain's refusal.
    pub async fn append(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        self.append_changing(case_id, at, actor, event, None, &[]).await
    }

    /// Records `event` together with documents that came with it (the information a citizen
    /// was asked for), in one transaction.
    pub async fn append_with_documents(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        documents: &[NewDocument],
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        self.append_changing(case_id, at, actor, event, None, documents).await
    }

    /// Records that the party's contact details changed (`event`, which names the fields) and
    /// writes the new details, in one transaction: both or neither.
    pub async fn change_contact(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        contact: &Contact,
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        self.append_changing(case_id, at, actor, event, Some(contact), &[]).await
    }

    async fn append_changing(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        contact: Option<&Contact>,
        documents: &[NewDocument],
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        let added_by = crate::bulk::to_json(actor)?;
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let party: Option<i64> = sqlx::query_scalar("SELECT party_id FROM cases WHERE id = $1")
                .bind(case_id)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(party) = party else {
                return Err(StoreError::Missing(format!("case {case_id}")));
            };
            let (current, n) = replay_case!(&mut *tx, case_id);
            let current = current.map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let next = match current.apply(event) {
                Ok(next) => next,
                Err(refused) => return Ok(Err(refused)),
            };
            insert_event!(&mut *tx, case_id, n, at, actor, event);
            update_row!(&mut *tx, case_id, &next, at);
            if let Some(c) = contact {
                sqlx::query(
                    "UPDATE parties SET email = $1, phone = $2, address = $3, preferred_channel = $4 WHERE id = $5",
                )
                .bind(c.email.as_ref().map(|e| e.as_str()))
                .bind(c.phone.as_ref().map(|p| p.as_str()))
                .bind(c.address.as_ref().map(|a| a.as_str()))
                .bind(c.preferred_channel.map(|p| p.as_str()))
                .bind(party)
                .execute(&mut *tx)
                .await?;
            }
            for d in documents {
                let size = i64::try_from(d.size).map_err(|_| StoreError::Corrupt("document size".into()))?;
                sqlx::query(
                    "INSERT INTO documents (case_id, name, media_type, size, sha256, added_at, added_by)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(case_id)
                .bind(d.name.as_str())
                .bind(d.media_type.as_str())
                .bind(size)
                .bind(&d.sha256)
                .bind(crate::rows::millis(at))
                .bind(&added_by)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(Ok(next))
        })
    }
}
