//! The figures of how the charter's promises are kept, as the store keeps them.
//!
//! What each case counts for is defined once in SQL, by the view `case_figures` (migration
//! 0029), after [`CaseFacts::contributions`](harta_domain::performance::CaseFacts::contributions)
//! (a test holds the two together). The table `figures` holds the view's rows added up per
//! month of receipt, kept so by triggers in the transaction that changes a case, so that a
//! year or a decade is read from a few thousand rows. A period's whole months are read from
//! there; a month it covers only in part from the view over its days, or as the whole month
//! less the days outside when those are fewer; any narrowing the table does not keep (a unit
//! and a channel at once) from the view over those cases. Either way the rows are
//! contributions that the domain counts, exact at any moment and the same on both backends.

use crate::bulk::Milestones;
use crate::rows::{date, day, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};
use harta_domain::calendar::Calendar;
use harta_domain::case::{CaseKind, Channel};
use harta_domain::performance::{Contribution, Outcome, Standing, Timeliness};
use std::collections::BTreeMap;

use jiff::ToSpan;
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

/// What each row of contributions is also keyed by.
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
    /// The way of grouping (`figures.dim`) that keeps this key.
    fn dim(self) -> &'static str {
        match self {
            Self::None => "all",
            Self::Unit => "unit",
            Self::Service => "service",
            Self::Channel => "channel",
        }
    }
}

/// Cases that count for the same (and share the key, and the month when asked for).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedContribution {
    /// The unit, service or channel, as [`Key`] asked.
    pub key: Option<String>,
    /// The first day of the month of receipt, when asked for by month.
    pub month: Option<Date>,
    /// What they count for.
    pub contribution: Contribution,
    /// How many cases.
    pub cases: i64,
}

/// The figures' contributions of cases.
#[derive(Clone)]
pub struct Performance {
    db: Db,
}

/// How [`Performance::contributions`] reads a scope: which `figures.dim` with which key, the
/// months (as `YYYY-MM`) it reads from the table, and the days it adds (1) or takes off (-1)
/// from the view: a month the period covers in part is read as the whole month less the days
/// outside it when those are fewer than the days inside.
struct Plan {
    dim: &'static str,
    key: Option<String>,
    months: Option<(String, String)>,
    days: Vec<(Date, Date, i64)>,
}

impl Plan {
    /// All from the view over the cases.
    fn from_cases(scope: &Scope, key: Key) -> Self {
        Self { dim: key.dim(), key: None, months: None, days: vec![(scope.from, scope.to, 1)] }
    }

    /// From the table for the months, where it keeps what `scope` and `key` need.
    fn of(scope: &Scope, key: Key) -> Result<Self> {
        let narrowed: Vec<(Key, String)> = [
            scope.unit.clone().map(|u| (Key::Unit, u)),
            scope.channel.map(|c| (Key::Channel, c.as_str().to_string())),
            scope.service.clone().map(|s| (Key::Service, s)),
        ]
        .into_iter()
        .flatten()
        .collect();
        let kept = match (key, narrowed.as_slice()) {
            (_, []) => Some((key.dim(), None)),
            (Key::None, [(k, value)]) => Some((k.dim(), Some(value.clone()))),
            (_, [(k, value)]) if *k == key => Some((k.dim(), Some(value.clone()))),
            _ => None,
        };
        let Some((dim, key_value)) = kept else {
            return Ok(Self::from_cases(scope, key));
        };
        let corrupt = |e: jiff::Error| StoreError::Corrupt(format!("a period's months: {e}"));
        let (from, to) = (scope.from, scope.to);
        let (first, last) = (from.first_of_month(), to.first_of_month());
        let length = |a: Date, b: Date| a.until(b).map(|s| i64::from(s.get_days()) + 1).map_err(corrupt);
        // The days of the first month before the period, and of the last month after it.
        let before =
            (from > first).then(|| from.checked_sub(1.day()).map(|b| (first, b))).transpose().map_err(corrupt)?;
        let after = (to < to.last_of_month())
            .then(|| to.checked_add(1.day()).map(|a| (a, to.last_of_month())))
            .transpose()
            .map_err(corrupt)?;
        let outside = |span: Option<(Date, Date)>| span.map_or(Ok(0), |(a, b)| length(a, b));
        let mut days = Vec::new();
        // Whether the first and the last month are read from the table.
        let (mut first_whole, mut last_whole) = (true, true);
        if first == last {
            if outside(before)? + outside(after)? <= length(from, to)? {
                days.extend(before.into_iter().chain(after).map(|(a, b)| (a, b, -1)));
            } else {
                (first_whole, last_whole) = (false, false);
                days.push((from, to, 1));
            }
        } else {
            if outside(before)? <= length(from, from.last_of_month())? {
                days.extend(before.map(|(a, b)| (a, b, -1)));
            } else {
                first_whole = false;
                days.push((from, from.last_of_month(), 1));
            }
            if outside(after)? <= length(last, to)? {
                days.extend(after.map(|(a, b)| (a, b, -1)));
            } else {
                last_whole = false;
                days.push((last, to, 1));
            }
        }
        let month = |d: Date| format!("{:04}-{:02}", d.year(), d.month());
        let start = if first_whole { first } else { first.checked_add(1.month()).map_err(corrupt)? };
        let end = if last_whole { last } else { last.checked_sub(1.month()).map_err(corrupt)? };
        let months = (start <= end).then(|| (month(start), month(end)));
        Ok(Self { dim, key: key_value, months, days })
    }
}

/// The columns of a contribution, as the table and the view both have them.
const CONTRIBUTION: &str = "kind, holding, answer, days, standing, due";

impl Performance {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The contributions of the cases in `scope`, each once with its count, keyed by `key` (and
    /// by month of receipt when `by_month`).
    pub async fn contributions(&self, scope: &Scope, key: Key, by_month: bool) -> Result<Vec<SharedContribution>> {
        // By month, the grouping follows the table's key (dim, month, key, …) and needs no sort.
        let (month, grouped) = if by_month { ("month", "month, ") } else { ("''", "") };
        // One snapshot for all the statements: the days taken off a month must be the days
        // that were counted in it.
        let snapshot = match self.db {
            Db::Sqlite(_) => "BEGIN",
            Db::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        };
        let rows: Vec<ContributionRow> = on_db!(read & self.db, |pool| {
            let mut tx = pool.begin_with(snapshot).await?;
            let pending: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM backfills WHERE name = 'figures'").fetch_one(&mut *tx).await?;
            // Figures not kept meanwhile (see `Db::prepare_bulk_load`) are counted from the cases.
            let plan = if pending == 0 { Plan::of(scope, key)? } else { Plan::from_cases(scope, key) };
            let mut rows: Vec<ContributionRow> = Vec::new();
            if let Some((first, last)) = &plan.months {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT key, {month} AS month, {CONTRIBUTION}, CAST(SUM(cases) AS BIGINT) AS cases
                     FROM figures WHERE dim = "
                ));
                q.push_bind(plan.dim);
                if let Some(key) = &plan.key {
                    q.push(" AND key = ").push_bind(key.clone());
                }
                q.push(" AND month >= ").push_bind(first.clone()).push(" AND month <= ").push_bind(last.clone());
                if let Some(kind) = scope.kind {
                    q.push(" AND kind = ").push_bind(kind.as_str());
                }
                q.push(format!(" GROUP BY {grouped}key, {CONTRIBUTION} HAVING SUM(cases) <> 0"));
                let part: Vec<ContributionRow> = q.build_query_as().fetch_all(&mut *tx).await?;
                rows.extend(part);
            }
            for (from, to, sign) in &plan.days {
                let mut q = sqlx::QueryBuilder::new(format!(
                    "SELECT key, {month} AS month, {CONTRIBUTION}, COUNT(*) AS cases FROM case_figures WHERE dim = "
                ));
                q.push_bind(plan.dim);
                q.push(" AND case_id IN (SELECT id FROM cases WHERE received_on >= ")
                    .push_bind(day(*from))
                    .push(" AND received_on <= ")
                    .push_bind(day(*to));
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
                q.push(format!(") GROUP BY {grouped}key, {CONTRIBUTION}"));
                let part: Vec<ContributionRow> = q.build_query_as().fetch_all(&mut *tx).await?;
                rows.extend(part.into_iter().map(|mut row| {
                    row.8 *= sign;
                    row
                }));
            }
            tx.commit().await?;
            rows
        });
        // The days taken off net out against the months they were read with.
        let mut net: BTreeMap<(Option<String>, Option<Date>, Contribution), i64> = BTreeMap::new();
        for row in rows {
            let shared = shared(row, key)?;
            *net.entry((shared.key, shared.month, shared.contribution)).or_default() += shared.cases;
        }
        net.into_iter()
            .filter(|(_, cases)| *cases != 0)
            .map(|((key, month, contribution), cases)| match cases {
                1.. => Ok(SharedContribution { key, month, contribution, cases }),
                _ => Err(StoreError::Corrupt(format!("{cases} cases counted for {contribution:?}"))),
            })
            .collect()
    }
}

/// A row of contributions as stored: key, month, kind, holding, answer, days, standing, due, count.
type ContributionRow = (String, String, String, i64, String, i64, String, String, i64);

fn shared(row: ContributionRow, key: Key) -> Result<SharedContribution> {
    let (key_value, month, kind, holding, answer, days, standing, due, cases) = row;
    let answered = match answer.as_str() {
        "" => None,
        a => Some((parse("answer", a, Timeliness::parse)?, days)),
    };
    let contribution = Contribution {
        kind: parse("kind", &kind, CaseKind::parse)?,
        holding: holding != 0,
        answered,
        standing: parse("standing", &standing, Standing::parse)?,
        due: if due.is_empty() { None } else { Some(date(&due)?) },
    };
    Ok(SharedContribution {
        key: (key != Key::None && !key_value.is_empty()).then_some(key_value),
        month: if month.is_empty() { None } else { Some(date(&format!("{month}-01"))?) },
        contribution,
        cases,
    })
}

impl Performance {
    /// The open cases past their date on `today` (not counting today's), per unit and
    /// responsible officer, of one unit or all. Counted in the order of the partial index over
    /// the open cases (migration 0032), so that the count streams through it; the officers'
    /// names are joined to the few groups afterwards.
    pub async fn overdue_now(&self, today: Date, unit: Option<&str>) -> Result<Vec<Overdue>> {
        let rows: Vec<(String, Option<i64>, Option<String>, i64)> = on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(
                "SELECT o.unit_code, o.responsible_id, s.name, o.cases FROM (
                   SELECT unit_code, responsible_id, COUNT(*) AS cases FROM cases",
            );
            // SQLite, without statistics, would take the index on state and due date, whose
            // order is not the grouping's.
            if matches!(self.db, Db::Sqlite(_)) {
                q.push(" INDEXED BY cases_open_unit_officer");
            }
            q.push(" WHERE 1 = 1");
            q.push(OPEN).push(" AND due < ").push_bind(day(today));
            if let Some(unit) = unit {
                q.push(" AND unit_code = ").push_bind(unit.to_string());
            }
            q.push(
                " GROUP BY unit_code, responsible_id) o
                 LEFT JOIN staff s ON s.id = o.responsible_id ORDER BY o.unit_code, s.name",
            );
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

/// The statement that adds `sign` times what the cases `ids` (a query of case ids, binding
/// what it needs from `$2` on) count for to the figures: the triggers' statement, for many
/// cases at once.
pub(crate) fn add_figures_sql(ids: &str) -> String {
    format!(
        "INSERT INTO figures (dim, key, month, {CONTRIBUTION}, cases)
         SELECT dim, key, month, {CONTRIBUTION}, $1 * COUNT(*) FROM case_figures WHERE case_id IN ({ids})
         GROUP BY dim, key, month, {CONTRIBUTION}
         ON CONFLICT (dim, key, month, {CONTRIBUTION}) DO UPDATE SET cases = figures.cases + excluded.cases"
    )
}

/// The cases whose working days to an answer or a holding reply change when the calendar
/// changes whether `$2` is a working day: those received before it and answered (or given a
/// holding reply) on it or later.
pub(crate) const SPANNING: &str =
    "SELECT id FROM cases WHERE received_on < $2 AND (answered_on >= $2 OR held_on >= $2)";

/// Brings the table `working_days` to the calendar in force and rebuilds the figures from the
/// view when they cannot be vouched for: at the first start after migration 0029, or if the
/// table was written for another version of the calendar. A change of the calendar at run
/// time keeps both in its own transaction (see `Decisions`); this is for what happened
/// outside the store's hands. One transaction: a crash leaves it to be done again.
pub(crate) async fn keep_figures(db: &Db) -> Result<()> {
    let lock = match db {
        Db::Sqlite(_) => "SELECT version FROM calendar_version WHERE id = 1",
        // Serialises with decisions being added and with other replicas starting.
        Db::Postgres(_) => "SELECT version FROM calendar_version WHERE id = 1 FOR UPDATE",
    };
    on_db!(db, |pool| {
        let mut tx = pool.begin().await?;
        let version: i64 = sqlx::query_scalar(lock).fetch_one(&mut *tx).await?;
        let written: Option<i64> = sqlx::query_scalar("SELECT version FROM working_days_version WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        let pending: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM backfills WHERE name = 'figures'").fetch_one(&mut *tx).await?;
        if written == Some(version) && pending == 0 {
            return Ok(());
        }
        if let Db::Postgres(_) = db {
            // Cases written meanwhile, whose triggers saw the marker, wait and are counted below.
            sqlx::query("LOCK TABLE cases IN SHARE MODE").execute(&mut *tx).await?;
        }
        let stored = load_decisions!(&mut *tx)?;
        let calendar =
            crate::calendar::build(&stored).map_err(|e| StoreError::Corrupt(format!("calendar decisions: {e}")))?;
        sqlx::query("DELETE FROM working_days").execute(&mut *tx).await?;
        for chunk in working_days(&calendar)?.chunks(1000) {
            let mut q = sqlx::QueryBuilder::new("INSERT INTO working_days (day, n) ");
            q.push_values(chunk, |mut row, (d, n)| {
                row.push_bind(day(*d)).push_bind(*n);
            });
            q.build().execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO working_days_version (id, version) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET version = excluded.version",
        )
        .bind(version)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM figures").execute(&mut *tx).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO figures (dim, key, month, {CONTRIBUTION}, cases)
             SELECT dim, key, month, {CONTRIBUTION}, COUNT(*) FROM case_figures
             GROUP BY dim, key, month, {CONTRIBUTION}"
        )))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM backfills WHERE name = 'figures'").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    })
}

/// Every day the calendar knows with its running count of working days.
fn working_days(calendar: &Calendar) -> Result<Vec<(Date, i64)>> {
    use harta_domain::calendar::{FIRST_YEAR, LAST_YEAR};
    let (first, last) = (Date::constant(FIRST_YEAR, 1, 1), Date::constant(LAST_YEAR, 12, 31));
    let corrupt = |e: harta_domain::calendar::CalendarError| StoreError::Corrupt(format!("the calendar: {e}"));
    first
        .series(1.day())
        .take_while(|d| *d <= last)
        .map(|d| Ok((d, calendar.working_days_between(first, d).map_err(corrupt)?)))
        .collect()
}
