//! Lists of cases and the search in them: a list's filters, order and keyset paging, and a
//! search that reads the list in its order for words common enough to fill its page from the
//! cases read, and gathers a rarer word's matches from the full-text index.

use harta_domain::case::{CaseKind, Channel, State};
use harta_domain::performance::Outcome;
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use super::Cases;
use crate::rows::{date, day, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

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
    /// The responsible officer, once assigned.
    pub responsible: Option<i64>,
    /// That officer's name (read with the row, so that a list needs no look-up per officer).
    pub responsible_name: Option<String>,
}

/// How a page counts what its filter finds in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Total {
    /// It does not.
    No,
    /// As the matches are gathered, for a search's first page.
    Window,
    /// In a subquery run once.
    Subquery,
}

/// How many cases a list finds in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Exactly this many.
    Exactly(u64),
    /// At least this many: a search for a common word reads only as far as its page goes.
    AtLeast(u64),
}

/// How many cases, in the list's order, a search reads for each row of its page before it
/// takes the word for a rare one and gathers its matches from the full-text index instead: a
/// word in one case in 80 or more fills a page of 50 within the cases read.
const WALKED_PER_ROW: i64 = 80;

/// How many cases per row of the page a search reads first, to judge the words by their share
/// among them.
const TRIED_PER_ROW: i64 = 10;

/// When none of the cases read first has the words, how many matches in the whole SQLite store
/// make them common enough to read on (the first cases of a list can be of one kind, whose
/// subjects never have a word common among the others); fewer are gathered at once.
const COMMON_MATCHES: i64 = 1000;

/// The order of a list of cases: each served by an index, and each with its own keyset cursor.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    /// Soonest due first (the inbox of open cases).
    #[default]
    Due,
    /// Most recently received first (closed cases, the registry's day).
    Newest,
}

impl Order {
    /// Its `ORDER BY`.
    fn sql(self) -> &'static str {
        match self {
            Self::Due => " ORDER BY due, id",
            Self::Newest => " ORDER BY received_at DESC, id DESC",
        }
    }
}

/// Where the previous page ended, for keyset paging: the last row's sort key and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    /// For [`Order::Due`].
    Due(Date, i64),
    /// For [`Order::Newest`].
    Received(Timestamp, i64),
}

impl CaseSummary {
    /// The cursor that continues a list after this row.
    pub fn after(&self, order: Order) -> After {
        match order {
            Order::Due => After::Due(self.due, self.id),
            Order::Newest => After::Received(self.received_at, self.id),
        }
    }
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
    /// Only cases nobody is responsible for yet.
    pub unassigned: bool,
    /// Only cases received on or after this day.
    pub received_from: Option<Date>,
    /// Only cases received on or before this day.
    pub received_until: Option<Date>,
    /// Only cases with this outcome as of the day given (the cases behind a figure).
    pub outcome: Option<(Outcome, Date)>,
    /// Words that must all appear (as words or word beginnings) in the registry number,
    /// subject, text or the person's name, in either script, any case.
    pub search: Option<String>,
    /// The order.
    pub order: Order,
    /// Continue after this row (keyset paging; `offset` then counts from there).
    pub after: Option<After>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// Appends a filter's conditions to a query that ends in `WHERE 1 = 1` (written once for the
/// list and its count, on both backends).
macro_rules! push_conditions {
    ($q:expr, $filter:expr, $search:expr) => {{
        let (q, filter) = (&mut $q, $filter);
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
        if filter.unassigned {
            q.push(" AND responsible_id IS NULL");
        }
        if let Some(from) = filter.received_from {
            q.push(" AND received_on >= ").push_bind(day(from));
        }
        if let Some(until) = filter.received_until {
            q.push(" AND received_on <= ").push_bind(day(until));
        }
        if let Some((outcome, today)) = filter.outcome {
            q.push(crate::performance::outcome_condition(outcome));
            if outcome == Outcome::OpenOverdue {
                q.push_bind(day(today)).push(")");
            }
        }
        match $search {
            Some(Matching::Fts(terms)) => {
                q.push(" AND id IN (SELECT rowid FROM cases_fts WHERE cases_fts MATCH ")
                    .push_bind(terms.clone())
                    .push(")");
            }
            Some(Matching::Gathered(_)) => {
                q.push(" AND id IN (SELECT id FROM matched)");
            }
            None => {}
        }
    }};
}

impl Cases {
    /// Adds up to `batch` cases that are not in the search yet (cases stored before it kept
    /// their folded text, and on SQLite before the full-text index existed); returns how many.
    /// Run until it returns 0, before the store takes new cases. The cases without their text
    /// are found by a partial index over them (empty once they are all filled in); on SQLite
    /// the cases missing from the full-text index are those after its last entry, which costs
    /// nothing to read where a comparison of every case would not.
    pub async fn index_missing(&self, batch: i64) -> Result<u64> {
        let sqlite = matches!(self.db, Db::Sqlite(_));
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let rows = sqlx::query(
                "SELECT c.id, c.registry_number, c.subject, c.body, p.name FROM cases c
                 JOIN parties p ON p.id = c.party_id WHERE c.search_text = '' ORDER BY c.id LIMIT $1",
            )
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
            for row in &rows {
                let text = crate::bulk::search_text(
                    &row.try_get::<String, _>("registry_number")?,
                    &row.try_get::<String, _>("subject")?,
                    &row.try_get::<String, _>("body")?,
                    &row.try_get::<String, _>("name")?,
                );
                sqlx::query("UPDATE cases SET search_text = $2 WHERE id = $1")
                    .bind(row.try_get::<i64, _>("id")?)
                    .bind(text)
                    .execute(&mut *tx)
                    .await?;
            }
            let mut added = rows.len() as u64;
            if sqlite && added == 0 {
                added = sqlx::query(
                    "INSERT INTO cases_fts (rowid, text) SELECT id, search_text FROM cases
                     WHERE id > COALESCE((SELECT rowid FROM cases_fts ORDER BY rowid DESC LIMIT 1), 0)
                     ORDER BY id LIMIT $1",
                )
                .bind(batch)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            tx.commit().await?;
            Ok(added)
        })
    }

    /// A page of cases in the filter's order.
    pub async fn list(&self, filter: &CaseFilter) -> Result<Vec<CaseSummary>> {
        Ok(self.rows(filter, Total::No).await?.into_iter().map(|(case, _)| case).collect())
    }

    /// A page of cases and how many the filter finds in all (its order, cursor and page
    /// aside), in one statement. A search first reads a few cases of the list in its order
    /// ([`TRIED_PER_ROW`] per row of the page) and keeps those with its words; when some have
    /// them but not a page's worth, as many more as the words' share among them says a page
    /// needs, up to [`WALKED_PER_ROW`] per row (all of those when none has them but the store
    /// has [`COMMON_MATCHES`]): a full page so read says how many at least there are. A rarer
    /// word's matches are gathered from the full-text index, and counted as they are
    /// (`COUNT(*) OVER ()`); any other page carries the count as a subquery that the database
    /// runs once, over the index, while the page itself is read only as far as it goes.
    pub async fn page(&self, filter: &CaseFilter) -> Result<(Vec<CaseSummary>, Found)> {
        // A search of nothing but punctuation lists as if unsearched.
        let searched = !search_words(filter).is_empty();
        if searched && filter.offset == 0 {
            let limit = i64::from(filter.limit);
            let mut walk = limit * TRIED_PER_ROW;
            loop {
                let rows = self.walk(filter, walk).await?;
                let found = rows.len() as u64;
                if rows.len() == filter.limit as usize {
                    return Ok((rows, Found::AtLeast(found)));
                }
                // Fewer than a page: all there are, if the walk went through every case listed.
                if self.listed_within(filter, walk).await? < walk {
                    let found = if filter.after.is_some() { Found::AtLeast(found) } else { Found::Exactly(found) };
                    return Ok((rows, found));
                }
                let most = limit * WALKED_PER_ROW;
                if walk >= most {
                    break;
                }
                // The cases a page needs at the share found, with a fifth more for chance; none
                // found, all of them if the words are common in the store.
                walk = match found {
                    0 if !self.common_in_store(filter).await? => break,
                    0 => most,
                    found => match walk * limit * 6 / (5 * found as i64) {
                        needed if needed <= most => needed.max(walk * 2).min(most),
                        _ => break,
                    },
                };
            }
        }
        let total = if searched && filter.after.is_none() { Total::Window } else { Total::Subquery };
        let rows = self.rows(filter, total).await?;
        let total = match rows.first() {
            Some((_, total)) => *total,
            // A page past the end says nothing about how many there are.
            None if filter.offset > 0 || filter.after.is_some() => self.count(filter).await?,
            None => 0,
        };
        Ok((rows.into_iter().map(|(case, _)| case).collect(), Found::Exactly(total)))
    }

    /// A search's page as read from the first `walk` cases of the list (after its cursor) in
    /// its order, keeping those whose folded text has every word at the beginning of a word.
    async fn walk(&self, filter: &CaseFilter, walk: i64) -> Result<Vec<CaseSummary>> {
        let words = search_words(filter);
        let listed = CaseFilter { search: None, ..filter.clone() };
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new(format!("SELECT {SUMMARY_COLUMNS}, CAST(0 AS BIGINT) AS total FROM ("));
            q.push("SELECT * FROM cases WHERE 1 = 1");
            push_conditions!(q, &listed, &None::<Matching>);
            push_after(&mut q, filter);
            q.push(filter.order.sql()).push(" LIMIT ").push_bind(walk).push(") cases WHERE 1 = 1");
            for word in &words {
                match self.db {
                    // Folded text is words of [a-z0-9] between spaces: a word's beginning
                    // follows a space (or the start, which the added space makes one).
                    Db::Sqlite(_) => q.push(" AND ' ' || search_text LIKE ").push_bind(format!("% {word}%")),
                    Db::Postgres(_) => {
                        q.push(" AND search_vector @@ to_tsquery('simple', ").push_bind(format!("{word}:*")).push(")")
                    }
                };
            }
            q.push(filter.order.sql()).push(" LIMIT ").push_bind(i64::from(filter.limit));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(|row| summary(row).map(|(case, _)| case)).collect()
        })
    }

    /// Whether the filter's words are common in the whole store. SQLite counts their matches
    /// up to [`COMMON_MATCHES`] (the index answers after that many, having merged the lists of
    /// the words that begin with a word searched); PostgreSQL, whose index hands over all its
    /// matches at once, asks its planner, whose statistics of the words say whether one case in
    /// [`WALKED_PER_ROW`] has them, enough for the walk to fill its page.
    async fn common_in_store(&self, filter: &CaseFilter) -> Result<bool> {
        let search = search_clause(&self.db, filter);
        match (&self.db, &search) {
            (Db::Sqlite(s), Some(Matching::Fts(terms))) => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM (SELECT rowid FROM cases_fts WHERE cases_fts MATCH $1 LIMIT $2)",
                )
                .bind(terms)
                .bind(COMMON_MATCHES)
                .fetch_one(&s.read)
                .await?;
                Ok(n >= COMMON_MATCHES)
            }
            (Db::Postgres(p), Some(Matching::Gathered(query))) => {
                // The plan's first line: "Bitmap Heap Scan on cases  (cost=….. rows=19250 width=8)".
                let plan: String = sqlx::query_scalar(
                    "EXPLAIN SELECT id FROM cases WHERE search_vector @@ to_tsquery('simple', $1::text)",
                )
                .bind(query)
                .fetch_one(p)
                .await?;
                let expected = plan
                    .split_once(" rows=")
                    .and_then(|(_, rest)| rest.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|rows| rows.parse::<f64>().ok())
                    .ok_or_else(|| StoreError::Corrupt(format!("a query plan without its rows: {plan}")))?;
                let cases: f32 = sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE oid = 'cases'::regclass")
                    .fetch_one(p)
                    .await?;
                Ok(expected * WALKED_PER_ROW as f64 >= f64::from(cases))
            }
            _ => Ok(false),
        }
    }

    /// How many of the cases the filter lists without its search (after its cursor) there are,
    /// counted up to `most`.
    async fn listed_within(&self, filter: &CaseFilter, most: i64) -> Result<i64> {
        let listed = CaseFilter { search: None, ..filter.clone() };
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM cases WHERE 1 = 1");
            push_conditions!(q, &listed, &None::<Matching>);
            push_after(&mut q, filter);
            q.push(" LIMIT ").push_bind(most).push(") listed");
            Ok(q.build_query_scalar().fetch_one(pool).await?)
        })
    }

    /// The page's rows, each with the filter's total counted as `total` says (else 0).
    async fn rows(&self, filter: &CaseFilter, total: Total) -> Result<Vec<(CaseSummary, u64)>> {
        let search = search_clause(&self.db, filter);
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new("");
            push_gathered(&mut q, &search);
            q.push(format!("SELECT {SUMMARY_COLUMNS}"));
            match total {
                Total::No => {
                    q.push(", CAST(0 AS BIGINT) AS total");
                }
                Total::Window => {
                    q.push(", COUNT(*) OVER () AS total");
                }
                Total::Subquery => {
                    q.push(", (SELECT COUNT(*)").push(from_cases(&search)).push(" WHERE 1 = 1");
                    push_conditions!(q, filter, &search);
                    q.push(") AS total");
                }
            }
            q.push(from_cases(&search)).push(" WHERE 1 = 1");
            push_conditions!(q, filter, &search);
            push_after(&mut q, filter);
            q.push(filter.order.sql());
            q.push(" LIMIT ").push_bind(i64::from(filter.limit));
            q.push(" OFFSET ").push_bind(i64::from(filter.offset));
            let rows = q.build().fetch_all(pool).await?;
            rows.iter().map(summary).collect()
        })
    }

    /// How many cases the filter finds in all (its order, cursor and page aside).
    pub async fn count(&self, filter: &CaseFilter) -> Result<u64> {
        let search = search_clause(&self.db, filter);
        on_db!(read & self.db, |pool| {
            let mut q = sqlx::QueryBuilder::new("");
            push_gathered(&mut q, &search);
            q.push("SELECT COUNT(*)").push(from_cases(&search)).push(" WHERE 1 = 1");
            push_conditions!(q, filter, &search);
            let n: i64 = q.build_query_scalar().fetch_one(pool).await?;
            Ok(u64::try_from(n).unwrap_or_default())
        })
    }
}

/// The columns of a [`CaseSummary`], from `cases`.
const SUMMARY_COLUMNS: &str =
    "id, registry_number, kind, channel, subject, unit_code, state, received_at, due, responsible_id,
     (SELECT s.name FROM staff s WHERE s.id = cases.responsible_id) AS responsible_name";

/// A row of [`SUMMARY_COLUMNS`] and the `total` beside them.
fn summary<R: Row>(row: &R) -> Result<(CaseSummary, u64)>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let s = |c: &str| row.try_get::<String, _>(c);
    let case = CaseSummary {
        id: row.try_get("id")?,
        registry_number: s("registry_number")?,
        kind: parse("kind", &s("kind")?, CaseKind::parse)?,
        channel: parse("channel", &s("channel")?, Channel::parse)?,
        subject: s("subject")?,
        unit: s("unit_code")?,
        state: parse("state", &s("state")?, State::parse)?,
        received_at: timestamp(row.try_get("received_at")?)?,
        due: date(&s("due")?)?,
        responsible: row.try_get("responsible_id")?,
        responsible_name: row.try_get("responsible_name")?,
    };
    Ok((case, u64::try_from(row.try_get::<i64, _>("total")?).unwrap_or_default()))
}

/// The keyset condition of a filter's cursor (`AND …`), if it has one.
fn push_after<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, filter: &CaseFilter)
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    i64: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    match filter.after {
        Some(After::Due(due, id)) => {
            q.push(" AND (due > ").push_bind(day(due));
            q.push(" OR (due = ").push_bind(day(due)).push(" AND id > ").push_bind(id).push("))");
        }
        Some(After::Received(at, id)) => {
            let at = crate::rows::millis(at);
            q.push(" AND (received_at < ").push_bind(at);
            q.push(" OR (received_at = ").push_bind(at).push(" AND id < ").push_bind(id).push("))");
        }
        None => {}
    }
}

/// The folded words of a filter's search. Folded words are only [a-z0-9], so nothing in them
/// can be taken for query syntax.
fn search_words(filter: &CaseFilter) -> Vec<String> {
    filter
        .search
        .as_deref()
        .map(harta_domain::text::fold)
        .map(|f| f.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect())
        .unwrap_or_default()
}

/// A search's full-text condition: every word, as a word or the beginning of one.
enum Matching {
    /// SQLite's: an FTS5 query, whose matches the condition takes as `id IN (…)`.
    Fts(String),
    /// PostgreSQL's: a `tsquery`, whose matches are gathered first (`WITH matched`, from the
    /// GIN index) so that the planner, seeing a page's `LIMIT`, does not instead read the list
    /// in its order testing each case: a search comes here when its words are too rare for that.
    Gathered(String),
}

/// The filter's search as each backend's full-text condition.
fn search_clause(db: &Db, filter: &CaseFilter) -> Option<Matching> {
    let words = search_words(filter);
    (!words.is_empty()).then(|| match db {
        Db::Sqlite(_) => Matching::Fts(words.iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")),
        Db::Postgres(_) => Matching::Gathered(words.iter().map(|w| format!("{w}:*")).collect::<Vec<_>>().join(" & ")),
    })
}

/// `FROM cases` for a list, searched or not. SQLite, without statistics, would read a searched
/// list through an index of its filters (the unit's open cases, say) testing each case against
/// the matches; `NOT INDEXED` leaves it the matches' rowids to look the cases up by.
fn from_cases(search: &Option<Matching>) -> &'static str {
    match search {
        Some(Matching::Fts(_)) => " FROM cases NOT INDEXED",
        _ => " FROM cases",
    }
}

/// The `WITH matched AS …` that a PostgreSQL search's statement begins with.
fn push_gathered<DB: sqlx::Database>(q: &mut sqlx::QueryBuilder<DB>, search: &Option<Matching>)
where
    String: for<'q> sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    if let Some(Matching::Gathered(query)) = search {
        q.push("WITH matched AS MATERIALIZED (SELECT id FROM cases WHERE search_vector @@ to_tsquery('simple', ")
            .push_bind(query.clone())
            .push(")) ");
    }
}
