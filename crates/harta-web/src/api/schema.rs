//! The bodies the API answers with, as types: the handlers build them and serialise them, and
//! the OpenAPI document (`/api/v1/openapi.json`) is generated from the same types, so the
//! contract cannot drift from what is sent. Request bodies are read field by field (for a
//! specific error per field, see the module above); their types here describe them.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A case just registered (201).
#[derive(Serialize, ToSchema)]
pub struct Registered {
    /// The registry number (`РКС26-ГР94-15`).
    pub registry_number: String,
    /// When it was received, RFC 3339 in Sofia time.
    pub received_at: String,
    /// The due date, `YYYY-MM-DD`.
    pub due_date: String,
    /// Its state (`registered`).
    pub state: String,
    /// A service request's service number.
    pub service: Option<String>,
    /// …and tier (`standard`, `fast`, `express`).
    pub tier: Option<String>,
    /// The day of receipt when earlier than the registration.
    pub received_on: Option<String>,
    /// The rule the due date follows, in words (`10 working days`).
    pub deadline: String,
    /// The citizen's access code for `/track` (shown once).
    pub access_code: String,
    /// The case's address in this API.
    pub url: String,
}

/// A case in a list.
#[derive(Serialize, ToSchema)]
pub struct CaseItem {
    pub registry_number: String,
    /// `service_request`, `letter`, `complaint` or `suggestion`.
    pub kind: String,
    /// How it came in.
    pub channel: String,
    pub subject: String,
    /// The responsible unit's code.
    pub unit: String,
    pub state: String,
    pub received_at: String,
    pub due_date: String,
    pub url: String,
}

/// A page of cases.
#[derive(Serialize, ToSchema)]
pub struct CaseList {
    pub items: Vec<CaseItem>,
    /// How many cases the filters find in all; at least this many when `total_exact` is false
    /// (a search for a common word reads only as far as its page goes).
    pub total: u64,
    /// Whether `total` is the whole count.
    pub total_exact: bool,
    pub page: u32,
    pub per_page: u32,
    /// The next page's number, when there is one.
    pub next_page: Option<u32>,
    /// The cursor for `after=` that continues after this page, when there is more.
    pub next: Option<String>,
}

/// Who a case is from, as staff may see them (the personal number masked).
#[derive(Serialize, ToSchema)]
pub struct Party {
    /// `person` or `organisation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub preferred_channel: Option<String>,
    /// `egn` or `lnch`.
    pub national_id_kind: Option<String>,
    /// The personal number with its last four digits masked.
    pub national_id: Option<String>,
    pub eik: Option<String>,
}

/// One entry of a case's history.
#[derive(Serialize, ToSchema)]
pub struct HistoryEntry {
    /// Its place in the history, from 1.
    pub n: i64,
    pub at: String,
    /// Who: `{"kind": "staff", "id": 3}`, a token, the citizen or harta itself.
    #[schema(value_type = Object)]
    pub actor: Value,
    /// What: the event with its `type` and fields, as `POST …/events` takes it.
    #[schema(value_type = Object)]
    pub event: Value,
}

/// A case with its person and history.
#[derive(Serialize, ToSchema)]
pub struct CaseDetail {
    pub registry_number: String,
    pub kind: String,
    pub channel: String,
    pub subject: String,
    pub text: String,
    pub unit: String,
    pub service: Option<String>,
    pub tier: Option<String>,
    pub state: String,
    pub responsible_id: Option<i64>,
    pub received_at: String,
    pub received_on: Option<String>,
    pub due_date: String,
    pub original_due_date: String,
    pub extended_due_date: Option<String>,
    /// How the deadline stands today (`on_track`, `at_risk`, `due_today`, `overdue` with the
    /// working days); `null` once the case is no longer open.
    #[schema(value_type = Option<Object>)]
    pub deadline: Option<Value>,
    pub url: String,
    pub party: Party,
    pub events: Vec<HistoryEntry>,
}

/// A case after an event (201).
#[derive(Serialize, ToSchema)]
pub struct EventRecorded {
    pub registry_number: String,
    pub state: String,
    pub responsible_id: Option<i64>,
    pub due_date: String,
    pub original_due_date: String,
    pub extended_due_date: Option<String>,
    pub url: String,
}

/// Whether a suggestion is on the public board.
#[derive(Serialize, ToSchema)]
pub struct Publication {
    pub registry_number: String,
    pub published: bool,
}

/// A document of a case.
#[derive(Serialize, ToSchema)]
pub struct DocumentItem {
    pub id: i64,
    pub name: String,
    pub media_type: String,
    pub size: i64,
    /// The SHA-256 of the content, hexadecimal.
    pub sha256: String,
    pub added_at: String,
    /// Who added it (as in the history).
    #[schema(value_type = Object)]
    pub added_by: Value,
    /// Where its content is.
    pub url: String,
}

/// The documents of a case.
#[derive(Serialize, ToSchema)]
pub struct DocumentList {
    pub registry_number: String,
    pub documents: Vec<DocumentItem>,
}

/// The service catalogue.
#[derive(Serialize, ToSchema)]
pub struct ServiceList {
    /// Each service in the catalogue file's shape.
    #[schema(value_type = Vec<Object>)]
    pub services: Value,
}

/// What `POST /api/v1/cases` takes (see docs/api.md for each field's rules).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct RegisterCase {
    /// `service_request`, `letter`, `complaint` or `suggestion`.
    pub kind: String,
    /// `counter`, `post`, `email`, `phone`, `fax`, `online`…
    pub channel: String,
    pub subject: String,
    pub text: String,
    /// The responsible unit's code; the charter's default when left out.
    pub unit: Option<String>,
    pub party: PartyInput,
    /// A suggestion's author agrees that it may be published.
    pub publish: Option<bool>,
    /// `bg` or `en`.
    pub language: Option<String>,
    /// A service request's service number, and its tier.
    pub service: Option<String>,
    pub tier: Option<String>,
    /// The day of receipt when earlier than today, `YYYY-MM-DD`.
    pub received_on: Option<String>,
}

/// Who a case is from, as sent.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PartyInput {
    /// `person` or `organisation`.
    #[schema(rename = "type")]
    pub kind: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub preferred_channel: Option<String>,
    pub egn: Option<String>,
    pub lnch: Option<String>,
    pub eik: Option<String>,
}

/// What `PUT …/publication` takes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PublicationInput {
    pub publish: bool,
    /// The approved wording shown on the board.
    pub text: Option<String>,
}
