//! Council of Ministers decisions added at run time, the calendar built from them, and the
//! recomputation of open cases' deadlines when a decision is added or removed.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use harta_domain::calendar::{Calendar, CalendarError, Decision, WorkingDays, shipped_decisions};
use harta_domain::case::{Actor, CaseEvent, CaseKind};
use harta_domain::deadline::due_date;
use harta_domain::format::sofia;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::rows::{day, millis, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

/// The calendar in force, with the version of the decisions it was built from. Shared by the
/// registrar and every reader; rebuilt when the stored version moves (another replica, or this
/// one, changed the decisions).
#[derive(Debug)]
pub struct CalendarCache {
    current: RwLock<(i64, Arc<Calendar>)>,
}

/// A decision as stored, with who added it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDecision {
    /// The decision.
    pub decision: Decision,
    /// Who added it.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

/// What a change of decisions did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recomputed {
    /// Registry numbers of the open cases whose due date moved, with the old and new dates.
    pub moved: Vec<(String, Date, Date)>,
}

/// Why a change of decisions was refused.
#[derive(Debug, thiserror::Error)]
pub enum DecisionError {
    /// The calendar refuses it (a duplicate, a no-op, out of range).
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// Removing a decision that was not added at run time.
    #[error("there is no decision added for {0} (shipped decisions cannot be removed)")]
    NotFound(Date),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for DecisionError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(e.into())
    }
}

pub(crate) fn build(stored: &[StoredDecision]) -> std::result::Result<Calendar, CalendarError> {
    Calendar::build(shipped_decisions().into_iter().chain(stored.iter().map(|s| s.decision.clone())))
}

impl CalendarCache {
    /// Loads the decisions from the store and builds the calendar.
    pub async fn load(db: &Db) -> Result<Self> {
        let (version, stored) = on_db!(read db, |pool| {
            let version: i64 = sqlx::query_scalar("SELECT version FROM calendar_version WHERE id = 1").fetch_one(pool).await?;
            (version, load_decisions!(pool)?)
        });
        let calendar = build(&stored).map_err(|e| StoreError::Corrupt(format!("calendar decisions: {e}")))?;
        Ok(Self { current: RwLock::new((version, Arc::new(calendar))) })
    }

    /// The calendar in force as last seen.
    pub fn current(&self) -> Arc<Calendar> {
        match self.current.read() {
            Ok(guard) => guard.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    fn version(&self) -> i64 {
        match self.current.read() {
            Ok(guard) => guard.0,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    fn replace(&self, version: i64, calendar: Arc<Calendar>) {
        let mut guard = match self.current.write() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if version > guard.0 {
            *guard = (version, calendar);
        }
    }

    /// Re-reads the version and rebuilds if it moved (called periodically by every replica).
    pub async fn refresh(&self, db: &Db) -> Result<()> {
        let version: i64 = on_db!(read db, |pool| sqlx::query_scalar("SELECT version FROM calendar_version WHERE id = 1")
            .fetch_one(pool)
            .await?);
        if version != self.version() {
            let fresh = Self::load(db).await?;
            let (v, cal) = match fresh.current.into_inner() {
                Ok(inner) => inner,
                Err(poisoned) => poisoned.into_inner(),
            };
            self.replace(v, cal);
        }
        Ok(())
    }

    /// The calendar for a transaction that read `version` from the version row: the cached
    /// one if it is that version, else `None` (load the decisions and call [`Self::rebuild`]).
    pub(crate) fn if_current(&self, version: i64) -> Option<Arc<Calendar>> {
        (version == self.version()).then(|| self.current())
    }

    /// Builds and caches the calendar for `version` from the stored decisions.
    pub(crate) fn rebuild(&self, version: i64, stored: &[StoredDecision]) -> Result<Arc<Calendar>> {
        let calendar = Arc::new(build(stored).map_err(|e| StoreError::Corrupt(format!("calendar decisions: {e}")))?);
        self.replace(version, calendar.clone());
        Ok(calendar)
    }
}

/// How a writing transaction reads the calendar version. On PostgreSQL the row is read
/// `FOR SHARE`, so a decision being added at the same moment (which updates that row) is either
/// committed and seen, or waits for this transaction and then recomputes its cases.
pub(crate) fn version_sql(db: &Db) -> &'static str {
    match db {
        Db::Sqlite(_) => "SELECT version FROM calendar_version WHERE id = 1",
        Db::Postgres(_) => "SELECT version FROM calendar_version WHERE id = 1 FOR SHARE",
    }
}

/// Stored decisions and the changes to them.
#[derive(Debug, Clone)]
pub struct Decisions {
    db: Db,
}

/// Whether a decision is being added or removed.
enum Change<'a> {
    Add(&'a Decision, &'a str),
    Remove(Date),
}

impl Decisions {
    /// Decisions over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The decisions added at run time.
    pub async fn list(&self) -> Result<Vec<StoredDecision>> {
        on_db!(read & self.db, |pool| load_decisions!(pool))
    }

    /// Adds a decision and recomputes, in the same transaction, every open case whose original
    /// due date it moves, with an event on each naming the decision.
    pub async fn add(
        &self,
        decision: &Decision,
        added_by: &str,
        now: Timestamp,
        commitments: &BTreeMap<CaseKind, WorkingDays>,
        cache: &CalendarCache,
    ) -> std::result::Result<Recomputed, DecisionError> {
        self.change(Change::Add(decision, added_by), now, commitments, cache, true).await
    }

    /// What [`Decisions::add`] would move, found the same way and rolled back: nothing changes.
    pub async fn preview_add(
        &self,
        decision: &Decision,
        now: Timestamp,
        commitments: &BTreeMap<CaseKind, WorkingDays>,
        cache: &CalendarCache,
    ) -> std::result::Result<Recomputed, DecisionError> {
        self.change(Change::Add(decision, ""), now, commitments, cache, false).await
    }

    /// Removes a decision added at run time, recomputing as [`Decisions::add`] does.
    pub async fn remove(
        &self,
        date: Date,
        now: Timestamp,
        commitments: &BTreeMap<CaseKind, WorkingDays>,
        cache: &CalendarCache,
    ) -> std::result::Result<Recomputed, DecisionError> {
        self.change(Change::Remove(date), now, commitments, cache, true).await
    }

    /// What [`Decisions::remove`] would move, rolled back: nothing changes.
    pub async fn preview_remove(
        &self,
        date: Date,
        now: Timestamp,
        commitments: &BTreeMap<CaseKind, WorkingDays>,
        cache: &CalendarCache,
    ) -> std::result::Result<Recomputed, DecisionError> {
        self.change(Change::Remove(date), now, commitments, cache, false).await
    }

    async fn change(
        &self,
        change: Change<'_>,
        now: Timestamp,
        commitments: &BTreeMap<CaseKind, WorkingDays>,
        cache: &CalendarCache,
        apply: bool,
    ) -> std::result::Result<Recomputed, DecisionError> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            // Taking the version row first serialises decision changes and holds back
            // registrations until this transaction is done (see CalendarCache::in_transaction).
            let version: i64 =
                sqlx::query_scalar("UPDATE calendar_version SET version = version + 1 WHERE id = 1 RETURNING version")
                    .fetch_one(&mut *tx)
                    .await?;
            let before = load_decisions!(&mut *tx)?;
            let mut after = before.clone();
            let (date, because) = match &change {
                Change::Add(d, by) => {
                    after.push(StoredDecision { decision: (*d).clone(), added_by: by.to_string(), added_at: now });
                    (d.date, d.citation())
                }
                Change::Remove(date) => {
                    let at =
                        after.iter().position(|s| s.decision.date == *date).ok_or(DecisionError::NotFound(*date))?;
                    let removed = after.remove(at);
                    (*date, format!("отменен {}", removed.decision.citation()))
                }
            };
            let old = build(&before).map_err(|e| StoreError::Corrupt(format!("calendar decisions: {e}")))?;
            let new = Arc::new(build(&after)?);
            let became = |c: &Calendar| c.is_working_day(date).map(i64::from);
            shift_working_days!(&mut *tx, date, became(&new)? - became(&old)?, version);

            match &change {
                Change::Add(d, by) => {
                    sqlx::query(
                        "INSERT INTO calendar_decisions (date, kind, number, decided_on, note, added_by, added_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(day(d.date))
                    .bind(d.kind.as_str())
                    .bind(d.number.clone())
                    .bind(d.decided_on.map(day))
                    .bind(d.note.clone())
                    .bind(by.to_string())
                    .bind(millis(now))
                    .execute(&mut *tx)
                    .await?;
                }
                Change::Remove(date) => {
                    sqlx::query("DELETE FROM calendar_decisions WHERE date = $1")
                        .bind(day(*date))
                        .execute(&mut *tx)
                        .await?;
                }
            }

            // Only cases received before the date and due on or after it can move.
            let start_of_day = date.to_zoned(sofia()).map_err(|e| StoreError::Corrupt(e.to_string()))?.timestamp();
            let rows = sqlx::query(
                "SELECT id, registry_number, kind, received_at FROM cases
                 WHERE state IN ('registered', 'assigned', 'in_progress', 'information_requested')
                   AND received_at < $1 AND original_due >= $2",
            )
            .bind(millis(start_of_day))
            .bind(day(date))
            .fetch_all(&mut *tx)
            .await?;
            let mut moved = Vec::new();
            for row in &rows {
                let id: i64 = row.try_get("id")?;
                let number: String = row.try_get("registry_number")?;
                let kind = parse("kind", &row.try_get::<String, _>("kind")?, CaseKind::parse)?;
                let received_at = timestamp(row.try_get("received_at")?)?;
                let Some(days) = commitments.get(&kind) else { continue };
                let before = due_date(&old, received_at, *days)?.date();
                let after = due_date(&new, received_at, *days)?.date();
                if before == after {
                    continue;
                }
                let (state, n) = replay_case!(&mut *tx, id);
                let state = state.map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let event =
                    CaseEvent::DeadlineRecomputed { from: state.original_due, to: after, because: because.clone() };
                let next = state.apply(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                insert_event!(&mut *tx, id, n, now, &Actor::System, &event);
                update_row!(&mut *tx, id, &next, now);
                moved.push((number, state.original_due, after));
            }
            // A preview takes the same path and keeps nothing of it.
            if !apply {
                tx.rollback().await?;
                return Ok(Recomputed { moved });
            }
            tx.commit().await?;
            cache.replace(version, new);
            Ok(Recomputed { moved })
        })
    }
}
