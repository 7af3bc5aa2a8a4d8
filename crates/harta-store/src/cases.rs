//! Cases: reading, and appending events with the derived row in the same transaction;
//! registration is in [`registrar`], lists and their search in [`listing`].

mod registrar;

pub(crate) use registrar::begin_writing;
mod documents;
mod listing;
mod people;
mod watch;

pub use documents::DocumentRecord;
pub use listing::{After, CaseFilter, CaseSummary, Found, Order};
pub use people::PersonKey;
pub use registrar::{NewCase, Registered, Registrar, RegistryRules};

use harta_domain::case::{Actor, CaseEvent, CaseKind, CaseState, Channel, PreferredChannel, StaffId, State};
use harta_domain::catalogue::TierKind;
use harta_domain::documents::{FileName, MediaType};
use harta_domain::identifiers::{Eik, Email, Phone};
use harta_domain::party::{NationalIdKind, PartyKind};
use harta_domain::registry::RegistryNumber;
use harta_domain::text::{Address, Name};
use jiff::Timestamp;
use jiff::civil::Date;
use sqlx::Row;

use crate::rows::{date, parse, timestamp};
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
