//! Registration: cases gathered into one transaction (group commit) with gapless registry
//! numbers, their deadlines computed with the calendar in force in that transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use harta_domain::calendar::WorkingDays;
use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel};
use harta_domain::deadline::DeadlineRule;
use harta_domain::format::in_sofia;
use harta_domain::registry::{RegistryFormat, RegistryNumber};
use harta_domain::text::{Body, Subject};
use jiff::Timestamp;
use jiff::civil::Date;
use tokio::sync::{mpsc, oneshot};

use crate::bulk::{CaseRow, InsertRows, ReserveIds, Rows};
use crate::calendar::{CalendarCache, version_sql};
use crate::{Db, Result, StoreError, constraint, on_db};

use super::{NewDocument, NewParty, ServiceRef};

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
    /// The digest of the API request that registered it under an idempotency key.
    pub request_digest: Option<String>,
    /// Documents that came with it (their content already kept under its hash).
    pub documents: Vec<NewDocument>,
    /// The author agreed that the suggestion may be published (C3), once approved.
    pub publish_consent: bool,
    /// Work to do once the case is stored (acknowledge it by e-mail), written with it.
    pub jobs: Vec<crate::jobs::NewJob>,
    /// A quota this registration counts against (its address's online submissions this hour),
    /// counted in the same transaction: a resent form registers nothing and counts nothing.
    pub counts_against: Option<crate::limits::Quota>,
    /// The service requested and its tier (service requests only).
    pub service: Option<ServiceRef>,
    /// How the deadline is counted: the service tier's rule; `None` for the commitment of the
    /// case's kind.
    pub deadline: Option<DeadlineRule>,
    /// The day of receipt in Sofia when it is before the day of registration (`received_at`);
    /// the deadline counts from it.
    pub received_on: Option<Date>,
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
    /// After this moment the caller has stopped waiting (the request timed out at the edge):
    /// a transaction holding the case is then rolled back instead of committed, so an answer
    /// "not registered" is never followed by a late commit.
    deadline: tokio::time::Instant,
}

/// How long a registration may take from the moment it is handed over, queue included: less
/// than the 30 seconds the HTTP edge waits, so the caller always learns the outcome.
const REGISTRATION_TIME: std::time::Duration = std::time::Duration::from_secs(20);

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

    /// Registers a case and returns its number once it is durably stored; [`StoreError::TimedOut`]
    /// means it was not stored and never will be.
    pub async fn register(&self, case: NewCase) -> Result<Registered> {
        let (reply, answer) = oneshot::channel();
        let deadline = tokio::time::Instant::now() + REGISTRATION_TIME;
        self.queue.send(Pending { case, reply, deadline }).await.map_err(|_| StoreError::ShuttingDown)?;
        answer.await.map_err(|_| StoreError::ShuttingDown)?
    }
}

async fn write_pending(db: &Db, rules: &RegistryRules, calendar: &CalendarCache, pending: Vec<Pending>) {
    // Those whose callers stopped waiting while they queued are not written at all.
    let now = tokio::time::Instant::now();
    let (pending, late): (Vec<Pending>, Vec<Pending>) = pending.into_iter().partition(|p| p.deadline > now);
    for p in late {
        let _ = p.reply.send(Err(StoreError::TimedOut));
    }
    if pending.is_empty() {
        return;
    }
    let cases: Vec<&NewCase> = pending.iter().map(|p| &p.case).collect();
    let deadline = pending.iter().map(|p| p.deadline).min().unwrap_or(now);
    match write_batch(db, rules, calendar, &cases, deadline).await {
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
                let result = write_batch(db, rules, calendar, &[&p.case], p.deadline).await.and_then(|done| {
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
    deadline: tokio::time::Instant,
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
                request_digest: case.request_digest.as_deref(),
                publish_consent: case.publish_consent,
                party_name: case.party.name.as_str(),
                service: case.service.as_ref().map(|s| (s.code.as_str(), s.tier.as_str())),
                received_on: case.received_on,
                milestones: crate::bulk::Milestones::default(),
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
        let mut counted: BTreeMap<&crate::limits::Bucket, (i64, i64)> = BTreeMap::new();
        for quota in cases.iter().filter_map(|c| c.counts_against.as_ref()) {
            counted.entry(&quota.bucket).or_insert((0, quota.limit)).0 += 1;
        }
        for (bucket, (n, limit)) in counted {
            crate::limits::add_to_bucket!(&mut *tx, bucket, n);
            // Counted and checked in the transaction that registers: concurrent sends cannot
            // all pass a check made before any of them was counted.
            let total: i64 =
                sqlx::query_scalar("SELECT count FROM rate_counts WHERE bucket = $1 AND window_start = $2")
                    .bind(&bucket.key)
                    .bind(bucket.window_start)
                    .fetch_one(&mut *tx)
                    .await?;
            if total > limit {
                return Err(StoreError::QuotaSpent);
            }
        }
        // A caller that stopped waiting is told "not registered": it must stay true.
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::TimedOut);
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
