//! The facts behind the charter's figures, read straight from the cases' rows.
//!
//! The store does not count by any definition of its own: it hands back each distinct
//! combination of the facts [`harta_domain::performance::CaseFacts`] needs, with how many cases
//! share it, and the domain counts them. The figures are therefore exact at any moment (the
//! facts are written in the transaction that changes a case) and the same on both backends
//! (the same rows, compared as text).

use crate::bulk::Milestones;
use crate::rows::{date, day, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};
use harta_domain::case::{CaseKind, Channel, State};
use harta_domain::performance::{CaseFacts, Outcome};
use jiff::civil::Date;

/// Which cases the figures are about: those received in a period, narrowed by what is given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The first day of receipt.
    pub from: Date,
    /// The last day of receipt.
    pub to: Date,
    /// Only this unit's.
    pub unit: Option<String>,
    /// Only this kind.
    pub kind: Option<CaseKind>,
    /// Only those received on this channel.
    pub channel: Option<Channel>,
    /// Only requests for this service.
    pub service: Option<String>,
}

/// What each row of facts is also keyed by, besides the facts themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// Nothing more.
    None,
    /// The unit's code.
    Unit,
    /// The service's code (none for cases that are not service requests).
    Service,
    /// The channel of receipt.
    Channel,
}

impl Key {
    fn column(self) -> &'static str {
        match self {
            Self::None => "CAST(NULL AS TEXT)",
            Self::Unit => "unit_code",
            Self::Service => "service_code",
            Self::Channel => "channel",
        }
    }
}

/// Cases that share the same facts (and key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedFacts {
    /// The unit, service or channel, as [`Key`] asked.
    pub key: Option<String>,
    /// The facts.
    pub facts: CaseFacts,
    /// How many cases have them.
    pub cases: u64,
}

/// The facts of cases for the figures.
#[derive(Clone)]
pub struct Performance {
    db: Db,
}

impl Performance {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The distinct facts of the cases in `scope`, each with its count, keyed by `key`.
    pub async fn facts(&self, scope: &Scope, key: Key) -> Result<Vec<SharedFacts>> {
        let columns = "kind, state, received_on, original_due, extended_due, held_on, answered_on";
        let rows: Vec<FactsRow> = on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!(
                "SELECT {} AS key, {columns}, COUNT(*) AS cases FROM cases WHERE received_on >= ",
                key.column()
            ));
            q.push_bind(day(scope.from)).push(" AND received_on <= ").push_bind(day(scope.to));
            if let Some(unit) = &scope.unit {
                q.push(" AND unit_code = ").push_bind(unit.clone());
            }
            if let Some(kind) = scope.kind {
                q.push(" AND kind = ").push_bind(kind.as_str());
            }
            if let Some(channel) = scope.channel {
                q.push(" AND channel = ").push_bind(channel.as_str());
            }
            if let Some(service) = &scope.service {
                q.push(" AND service_code = ").push_bind(service.clone());
            }
            // In the order of the index `cases_performance`, which then needs no sort.
            match key {
                Key::None => q.push(format!(" GROUP BY {columns}")),
                _ => q.push(format!(" GROUP BY {columns}, {}", key.column())),
            };
            q.build_query_as().fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(key, kind, state, received, original_due, extended_due, held_on, answered_on, cases)| {
                let optional = |d: Option<String>| d.as_deref().map(date).transpose();
                let received =
                    received.ok_or_else(|| StoreError::Corrupt("a case without its day of receipt".into()))?;
                Ok(SharedFacts {
                    key,
                    facts: CaseFacts {
                        kind: parse("kind", &kind, CaseKind::parse)?,
                        state: parse("state", &state, State::parse)?,
                        received_on: date(&received)?,
                        original_due: date(&original_due)?,
                        extended_due: optional(extended_due)?,
                        held_on: optional(held_on)?,
                        answered_on: optional(answered_on)?,
                    },
                    cases: u64::try_from(cases).unwrap_or(0),
                })
            })
            .collect()
    }
}

impl Performance {
    /// The open cases past their date on `today` (not counting today's), per unit and
    /// responsible officer, of one unit or all.
    pub async fn overdue_now(&self, today: Date, unit: Option<&str>) -> Result<Vec<Overdue>> {
        let rows: Vec<(String, Option<i64>, Option<String>, i64)> = on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT c.unit_code, c.responsible_id, s.name, COUNT(*) FROM cases c
                 LEFT JOIN staff s ON s.id = c.responsible_id WHERE c.due < ",
            );
            q.push_bind(day(today)).push(OPEN.replace("state", "c.state"));
            if let Some(unit) = unit {
                q.push(" AND c.unit_code = ").push_bind(unit.to_string());
            }
            q.push(" GROUP BY c.unit_code, c.responsible_id, s.name ORDER BY c.unit_code, s.name");
            q.build_query_as().fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(unit, id, name, cases)| Overdue {
                unit,
                officer: id.map(|id| (id, name.unwrap_or_default())),
                cases: u64::try_from(cases).unwrap_or(0),
            })
            .collect())
    }
}

/// Open cases past their date, of one unit and officer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overdue {
    /// The unit's code.
    pub unit: String,
    /// The responsible officer (id and name); `None` for cases nobody is responsible for.
    pub officer: Option<(i64, String)>,
    /// How many.
    pub cases: u64,
}

/// A row of [`Performance::facts`]: the key, the facts as stored, the count.
type FactsRow =
    (Option<String>, String, String, Option<String>, String, Option<String>, Option<String>, Option<String>, i64);

/// The condition (`AND …`) that picks the cases with `outcome`, by the definitions of
/// [`Outcome::holds`] (a test holds the two together). [`Outcome::OpenOverdue`]'s ends in a
/// comparison with today's date, whose bind and closing parenthesis the caller adds.
pub(crate) fn outcome_condition(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Received => "",
        Outcome::Answered => " AND answered_on IS NOT NULL",
        Outcome::OnTime => " AND answered_on <= original_due",
        Outcome::OnTimeWithHoldingReply => {
            " AND answered_on > original_due AND answered_on <= extended_due AND held_on <= original_due"
        }
        Outcome::Late => {
            " AND answered_on > original_due AND (extended_due IS NULL OR answered_on > extended_due
                OR held_on IS NULL OR held_on > original_due)"
        }
        Outcome::Open => OPEN,
        Outcome::OpenOverdue => {
            " AND (state IN ('registered', 'assigned', 'in_progress', 'information_requested') AND due < "
        }
        Outcome::Withdrawn => " AND state = 'withdrawn'",
        Outcome::Forwarded => " AND state = 'forwarded'",
        Outcome::HoldingReply => " AND held_on IS NOT NULL",
        Outcome::HoldingReplyInTime => " AND held_on <= original_due",
        Outcome::HoldingReplyLate => " AND held_on > original_due",
    }
}

const OPEN: &str = " AND state IN ('registered', 'assigned', 'in_progress', 'information_requested')";

/// Fills the facts of cases registered before the store kept them (migration 0028): the day of
/// receipt from the moment of registration, the days of the first holding reply and of the
/// answer from the history. Runs once, in one transaction with the removal of its marker, so
/// that a crash leaves it to run again at the next start.
pub(crate) async fn fill_facts(db: &Db) -> Result<()> {
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM backfills WHERE name = 'performance'").fetch_one(&mut *tx).await?;
        if pending == 0 {
            return Ok(());
        }
        let unknown: Vec<(i64, i64)> =
            sqlx::query_as("SELECT id, received_at FROM cases WHERE received_on IS NULL").fetch_all(&mut *tx).await?;
        for (id, at) in unknown {
            sqlx::query("UPDATE cases SET received_on = $1 WHERE id = $2")
                .bind(day(harta_domain::format::in_sofia(timestamp(at)?).date()))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        let history: Vec<(i64, i64, String)> = sqlx::query_as(
            "SELECT case_id, at, data FROM case_events WHERE type IN ('holding_reply_sent', 'answered')
             ORDER BY case_id, n",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut cases: Vec<(i64, Milestones)> = Vec::new();
        for (case_id, at, data) in history {
            let event = serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if cases.last().is_none_or(|(id, _)| *id != case_id) {
                cases.push((case_id, Milestones::default()));
            }
            if let Some((_, m)) = cases.last_mut() {
                m.see(&event, timestamp(at)?);
            }
        }
        for (id, m) in cases {
            sqlx::query(
                "UPDATE cases SET held_on = CASE WHEN extended_due IS NULL THEN NULL ELSE $1 END,
                    answered_on = CASE WHEN state IN ('answered', 'closed') THEN $2 ELSE NULL END
                 WHERE id = $3",
            )
            .bind(m.held_on.map(day))
            .bind(m.answered_on.map(day))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("DELETE FROM backfills WHERE name = 'performance'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}
