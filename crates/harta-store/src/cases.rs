//! Cases: reading, listing, and appending events with the derived row in the same
//! transaction; registration is in [`registrar`].

mod registrar;

pub(crate) use registrar::begin_writing;
mod documents;
mod people;
mod watch;

pub use documents::DocumentRecord;
pub use people::PersonKey;
pub use registrar::{NewCase, Registered, Registrar, RegistryRules};

use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel, PreferredChannel, StaffId, State};
use harta_domain::catalogue::TierKind;
use harta_domain::documents::{FileName, MediaType};
use harta_domain::identifiers::{Eik, Email, Phone};
use harta_domain::party::{NationalIdKind, PartyKind};
use harta_domain::performance::Outcome;
use harta_domain::registry::RegistryNumber;
use harta_domain::text::{Address, Name};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::rows::{date, day, parse, timestamp};
use crate::{Db, Result, StoreError, on_db};

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

/// What is written with an event, in its transaction.
#[derive(Default)]
struct Alongside<'a> {
    /// The party's new contact details.
    contact: Option<&'a Contact>,
    /// Documents that came with it.
    documents: &'a [NewDocument],
    /// The API request's key and digest.
    request: Option<(&'a str, &'a str)>,
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

    /// The digest of the request that registered the case of a submission key, if such a case
    /// exists (`Some(None)`: registered without a digest).
    pub async fn request_digest(&self, key: &str) -> Result<Option<Option<String>>> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_scalar("SELECT request_digest FROM cases WHERE submission_key = $1")
                .bind(key)
                .fetch_optional(pool)
                .await?)
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
        self.append_changing(case_id, at, actor, event, Alongside::default()).await
    }

    /// Records `event` under an API request's key (scoped to its token) and digest: a second
    /// request with the key is [`StoreError::Duplicate`] and records nothing.
    pub async fn append_once(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        request: (&str, &str),
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        self.append_changing(case_id, at, actor, event, Alongside { request: Some(request), ..Alongside::default() })
            .await
    }

    /// The event recorded under an API request's key: its case, its place and the request's
    /// digest.
    pub async fn event_by_request(&self, key: &str) -> Result<Option<(i64, i64, String)>> {
        on_db!(read & self.db, |pool| {
            let found: Option<(i64, i64, Option<String>)> =
                sqlx::query_as("SELECT case_id, n, request_digest FROM case_events WHERE request_key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?;
            Ok(found.map(|(case, n, digest)| (case, n, digest.unwrap_or_default())))
        })
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
        self.append_changing(case_id, at, actor, event, Alongside { documents, ..Alongside::default() }).await
    }

    /// Records the citizen's reply by e-mail with its documents, once per message: the
    /// message's `request` key (and digest) refuses a second recording as a duplicate.
    pub async fn append_reply(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        documents: &[NewDocument],
        request: (&str, &str),
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        let alongside = Alongside { documents, request: Some(request), ..Alongside::default() };
        self.append_changing(case_id, at, actor, event, alongside).await
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
        self.append_changing(case_id, at, actor, event, Alongside { contact: Some(contact), ..Alongside::default() })
            .await
    }

    async fn append_changing(
        &self,
        case_id: i64,
        at: Timestamp,
        actor: &Actor,
        event: &CaseEvent,
        alongside: Alongside<'_>,
    ) -> Result<std::result::Result<CaseState, harta_domain::case::TransitionError>> {
        let Alongside { contact, documents, request } = alongside;
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
            if let Some((key, digest)) = request {
                sqlx::query(
                    "UPDATE case_events SET request_key = $1, request_digest = $2 WHERE case_id = $3 AND n = $4",
                )
                .bind(key)
                .bind(digest)
                .bind(case_id)
                .bind(n)
                .execute(&mut *tx)
                .await
                .map_err(|e| crate::constraint(e, "this request"))?;
            }
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
