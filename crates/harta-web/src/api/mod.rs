//! The JSON API, version 1: register, read and list cases.
//!
//! Bodies are read as bytes and checked step by step (UTF-8, JSON, an object, each field's
//! type), so every malformed request gets a specific 4xx answer and never reaches the store.

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use harta_app::cases::{CaseView, ListInput, PartyInput, RegisterCaseInput};
use harta_app::{App, FieldError, Principal};
use harta_domain::case::CaseEvent;
use harta_domain::format::in_sofia;
use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::problem::Problem;

mod openapi;
mod schema;

pub use openapi::json as openapi_json;

use schema::{
    CaseDetail, CaseItem, CaseList, DocumentItem, DocumentList, EventRecorded, HistoryEntry, Party, Publication,
    Registered, ServiceList,
};

/// The most a request body may carry: a case's text is at most 100,000 characters.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The API's routes.
pub fn router() -> Router<App> {
    Router::new()
        .route("/api/v1/cases", get(list_cases).post(register_case))
        .route("/api/v1/cases/{registry_number}", get(get_case))
        .route("/api/v1/cases/{registry_number}/events", axum::routing::post(record_event))
        .route("/api/v1/cases/{registry_number}/publication", axum::routing::put(decide_publication))
        .route("/api/v1/cases/{registry_number}/documents", get(list_documents))
        .route("/api/v1/cases/{registry_number}/documents/{id}", get(get_document))
        .route("/api/v1/services", get(list_services))
        .route("/api/v1/services/{code}", get(get_service).put(put_service))
        .route("/api/v1/openapi.json", get(openapi::document))
}

/// JSON with a status.
fn json_with<T: serde::Serialize>(status: StatusCode, body: T) -> Response {
    (status, axum::Json(body)).into_response()
}

/// The catalogue of services, public like its pages.
#[utoipa::path(get, path = "/api/v1/services", tag = "services", responses((status = 200, body = ServiceList)))]
async fn list_services(State(app): State<App>) -> Response {
    let services = serde_json::to_value(app.catalogue().services()).unwrap_or_default();
    json_with(StatusCode::OK, ServiceList { services })
}

/// One service of the catalogue, in the catalogue file's shape.
#[utoipa::path(get, path = "/api/v1/services/{code}", tag = "services",
    params(("code" = String, Path, description = "the service's number")),
    responses((status = 200, body = Object), (status = 404, body = Problem, content_type = "application/problem+json")))]
async fn get_service(State(app): State<App>, Path(code): Path<String>) -> Result<Response, Problem> {
    let catalogue = app.catalogue();
    let service = catalogue.service(&code).ok_or_else(|| harta_app::AppError::NotFound(format!("service {code}")))?;
    Ok(axum::Json(service).into_response())
}

/// Adds or replaces a service: the body is the service in the catalogue file's shape; its
/// `code` is the one in the address.
#[utoipa::path(put, path = "/api/v1/services/{code}", tag = "services",
    params(("code" = String, Path, description = "the service's number")),
    request_body(content = Object, content_type = "application/json"),
    security(("token" = [])),
    responses((status = 200, body = Object), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn put_service(
    State(app): State<App>,
    headers: HeaderMap,
    Path(code): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let who = principal(&app, &headers).await?;
    let mut object = json_object(body, &headers)?;
    match object.get("code") {
        Some(Value::String(c)) if *c != code => {
            return Err(Problem::invalid(vec![FieldError::new("code", format!("must be {code}, as in the address"))]));
        }
        _ => {
            object.insert("code".into(), Value::String(code.clone()));
        }
    }
    let service = app.check_service(&who, Value::Object(object)).map_err(Problem::from)?;
    app.put_service(&who, service).await?;
    let catalogue = app.catalogue();
    Ok(axum::Json(catalogue.service(&code)).into_response())
}

/// The caller behind the `Authorization: Bearer` header.
async fn principal(app: &App, headers: &HeaderMap) -> Result<Principal, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    match token {
        Some(t) => Ok(app.authenticate_token(t).await?),
        None => Err(harta_app::AppError::Unauthenticated.into()),
    }
}

/// `RFC 3339` with the Sofia offset: `2026-11-25T14:30:00+02:00`.
fn rfc3339(at: Timestamp) -> String {
    in_sofia(at).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The case's URL path (the registry number percent-encoded).
pub fn case_path(number: &str) -> String {
    let mut out = String::from("/api/v1/cases/");
    for b in number.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Reads a JSON object from the body, or says precisely why not.
fn json_object(body: Result<Bytes, BytesRejection>, headers: &HeaderMap) -> Result<Map<String, Value>, Problem> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "The request body is too large",
                format!("the body may be at most {BODY_LIMIT} bytes"),
            )
        } else {
            Problem::bad_body(rejection.body_text())
        }
    })?;
    let json_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json")));
    if !json_type {
        return Err(Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "/problems/unsupported-media-type",
            "The body must be JSON",
            "send Content-Type: application/json",
        ));
    }
    let text = std::str::from_utf8(&body)
        .map_err(|e| Problem::bad_body(format!("the body is not valid UTF-8 (at byte {})", e.valid_up_to())))?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Problem::bad_body("the body must be a JSON object")),
        Err(e) => Err(Problem::bad_body(format!("the body is not valid JSON: {e}"))),
    }
}

/// Takes the string fields of a JSON object, reporting wrong types and unknown fields.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    prefix: &'static str,
    errors: &'a mut Vec<FieldError>,
}

impl Fields<'_> {
    fn boolean(&mut self, name: &str) -> bool {
        match self.map.get(name) {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.errors.push(FieldError::new(format!("{}{name}", self.prefix), "must be true or false"));
                false
            }
        }
    }

    fn string(&mut self, name: &str) -> Option<String> {
        match self.map.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.errors.push(FieldError::new(format!("{}{name}", self.prefix), "must be a string"));
                None
            }
        }
    }

    fn only(&mut self, known: &[&str]) {
        for key in self.map.keys().filter(|k| !known.contains(&k.as_str())) {
            self.errors.push(FieldError::new(
                format!("{}{key}", self.prefix),
                format!("is not a known field (known: {})", known.join(", ")),
            ));
        }
    }
}

fn register_input(map: &Map<String, Value>) -> Result<RegisterCaseInput, Problem> {
    let mut errors = Vec::new();
    let mut f = Fields { map, prefix: "", errors: &mut errors };
    f.only(&[
        "kind",
        "channel",
        "subject",
        "text",
        "unit",
        "party",
        "publish",
        "language",
        "service",
        "tier",
        "received_on",
    ]);
    let mut input = RegisterCaseInput {
        kind: f.string("kind"),
        channel: f.string("channel"),
        subject: f.string("subject"),
        text: f.string("text"),
        unit: f.string("unit"),
        publish: f.boolean("publish"),
        party: PartyInput::default(),
        language: f.string("language"),
        service: f.string("service"),
        tier: f.string("tier"),
        received_on: f.string("received_on"),
    };
    match map.get("party") {
        Some(Value::Object(party)) => {
            let mut p = Fields { map: party, prefix: "party.", errors: &mut errors };
            p.only(&["type", "name", "email", "phone", "address", "preferred_channel", "egn", "lnch", "eik"]);
            input.party = PartyInput {
                kind: p.string("type"),
                name: p.string("name"),
                email: p.string("email"),
                phone: p.string("phone"),
                address: p.string("address"),
                preferred_channel: p.string("preferred_channel"),
                egn: p.string("egn"),
                lnch: p.string("lnch"),
                eik: p.string("eik"),
            };
        }
        None | Some(Value::Null) => errors.push(FieldError::new("party", "is required")),
        Some(_) => errors.push(FieldError::new("party", "must be an object")),
    }
    if errors.is_empty() { Ok(input) } else { Err(Problem::invalid(errors)) }
}

/// The `Idempotency-Key` header, when sent: 1 to 255 visible ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, Problem> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(str::trim).filter(|k| !k.is_empty() && k.len() <= 255);
    match key {
        Some(k) if k.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(k.to_string())),
        _ => Err(Problem::invalid(vec![
            FieldError::new("Idempotency-Key", "must be 1 to 255 visible ASCII characters").with_code("invalid"),
        ])),
    }
}

/// Registers a case.
#[utoipa::path(post, path = "/api/v1/cases", tag = "cases",
    request_body(content = schema::RegisterCase, content_type = "application/json"),
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body answers the first result")),
    security(("token" = [])),
    responses((status = 201, body = Registered), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn register_case(
    State(app): State<App>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let who = principal(&app, &headers).await?;
    let key = idempotency_key(&headers)?;
    let bytes = body.as_ref().map(|b| b.to_vec()).unwrap_or_default();
    let input = register_input(&json_object(body, &headers)?)?;
    let done = match key {
        Some(key) => app.register_case_once(&who, input, &key, &bytes).await?,
        None => app.register_case(&who, input).await?,
    };
    let url = case_path(done.number.as_str());
    let body = Registered {
        registry_number: done.number.as_str().to_string(),
        received_at: rfc3339(done.received_at),
        due_date: done.due.to_string(),
        state: done.state.as_str().to_string(),
        service: done.service.as_ref().map(|s| s.code.clone()),
        tier: done.service.as_ref().map(|s| s.tier.as_str().to_string()),
        received_on: done.received_on.map(|d| d.to_string()),
        deadline: done.deadline.to_string(),
        access_code: done.access_code.to_string(),
        url: url.clone(),
    };
    Ok((StatusCode::CREATED, [(header::LOCATION, url)], axum::Json(body)).into_response())
}

fn case_detail(view: &CaseView) -> CaseDetail {
    let c = &view.case;
    let p = &c.party;
    let text = |s: &str| s.to_string();
    CaseDetail {
        registry_number: c.registry_number.clone(),
        kind: text(c.kind.as_str()),
        channel: text(c.channel.as_str()),
        subject: c.subject.clone(),
        text: c.body.clone(),
        unit: c.unit.clone(),
        service: c.service.as_ref().map(|s| s.code.clone()),
        tier: c.service.as_ref().map(|s| text(s.tier.as_str())),
        state: text(c.state.as_str()),
        responsible_id: c.responsible.map(|s| s.0),
        received_at: rfc3339(c.received_at),
        received_on: c.received_on.map(|d| d.to_string()),
        due_date: c.due.to_string(),
        original_due_date: c.original_due.to_string(),
        extended_due_date: c.extended_due.map(|d| d.to_string()),
        deadline: view.deadline.as_ref().and_then(|d| serde_json::to_value(d).ok()),
        url: case_path(&c.registry_number),
        party: Party {
            kind: text(p.kind.as_str()),
            name: p.name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            address: p.address.clone(),
            preferred_channel: p.preferred_channel.map(|c| text(c.as_str())),
            national_id_kind: p.national_id_kind.map(|k| text(k.as_str())),
            national_id: p.national_id_masked.clone(),
            eik: p.eik.clone(),
        },
        events: view
            .events
            .iter()
            .map(|e| HistoryEntry {
                n: e.n,
                at: rfc3339(e.at),
                actor: serde_json::to_value(&e.actor).unwrap_or_default(),
                event: serde_json::to_value(&e.event).unwrap_or_default(),
            })
            .collect(),
    }
}

/// A case with its person and history (each view is in the audit trail).
#[utoipa::path(get, path = "/api/v1/cases/{registry_number}", tag = "cases",
    params(("registry_number" = String, Path)),
    security(("token" = [])),
    responses((status = 200, body = CaseDetail), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn get_case(
    State(app): State<App>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<axum::Json<CaseDetail>, Problem> {
    let who = principal(&app, &headers).await?;
    let view = app.view_case(&who, &number).await?;
    Ok(axum::Json(case_detail(&view)))
}

/// The documents of a case: what each is, who added it and when, and where its content is.
#[utoipa::path(get, path = "/api/v1/cases/{registry_number}/documents", tag = "cases",
    params(("registry_number" = String, Path)),
    security(("token" = [])),
    responses((status = 200, body = DocumentList), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn list_documents(
    State(app): State<App>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<axum::Json<DocumentList>, Problem> {
    let who = principal(&app, &headers).await?;
    let documents = app.case_documents(&who, &number).await?;
    let base = case_path(&number);
    let documents = documents
        .iter()
        .map(|d| DocumentItem {
            id: d.id,
            name: d.name.clone(),
            media_type: d.media_type.clone(),
            size: d.size,
            sha256: d.sha256.clone(),
            added_at: rfc3339(d.added_at),
            added_by: serde_json::to_value(&d.added_by).unwrap_or_default(),
            url: format!("{base}/documents/{}", d.id),
        })
        .collect();
    Ok(axum::Json(DocumentList { registry_number: number, documents }))
}

/// A document's content, as it was received (its opening is in the audit trail).
#[utoipa::path(get, path = "/api/v1/cases/{registry_number}/documents/{id}", tag = "cases",
    params(("registry_number" = String, Path), ("id" = String, Path)),
    security(("token" = [])),
    responses((status = 200, description = "the document's content, as a download", content_type = "application/octet-stream"),
        (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn get_document(
    State(app): State<App>,
    headers: HeaderMap,
    Path((number, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    let who = principal(&app, &headers).await?;
    // An id that is not a number is as unknown as one of another case.
    let id = id.parse::<i64>().map_err(|_| harta_app::AppError::NotFound(format!("document {id}")))?;
    let opened = app.open_document(&who, &number, id).await?;
    Ok(crate::documents::served(opened))
}

/// The field a serde error is about (`missing field `reasons``), else `type`.
fn event_field(message: &str) -> String {
    message
        .strip_prefix("missing field `")
        .or_else(|| message.strip_prefix("unknown field `"))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or("type")
        .to_string()
}

/// Records an event of the case's life cycle (`{"type": "assigned", "officer": 3}`…).
#[utoipa::path(post, path = "/api/v1/cases/{registry_number}/events", tag = "cases",
    params(("registry_number" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key and body answers the first result")),
    request_body(content = Object, content_type = "application/json"),
    security(("token" = [])),
    responses((status = 201, body = EventRecorded), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn record_event(
    State(app): State<App>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let who = principal(&app, &headers).await?;
    let key = idempotency_key(&headers)?;
    let bytes = body.as_ref().map(|b| b.to_vec()).unwrap_or_default();
    let object = json_object(body, &headers)?;
    let event: CaseEvent = serde_json::from_value(Value::Object(object)).map_err(|e| {
        let message = e.to_string();
        Problem::invalid(vec![FieldError::new(event_field(&message), message)])
    })?;
    let state = match key {
        Some(key) => app.record_event_once(&who, &number, event, &key, &bytes).await?,
        None => app.record_event(&who, &number, event).await?,
    };
    let body = EventRecorded {
        state: state.state.as_str().to_string(),
        responsible_id: state.responsible.map(|s| s.0),
        due_date: state.due().to_string(),
        original_due_date: state.original_due.to_string(),
        extended_due_date: state.extended_due.map(|d| d.to_string()),
        url: case_path(&number),
        registry_number: number,
    };
    Ok(json_with(StatusCode::CREATED, body))
}

/// `{"publish": true|false, "text": "wording shown"}`: puts a suggestion on the public board
/// (or takes it off) in the approved wording.
#[utoipa::path(put, path = "/api/v1/cases/{registry_number}/publication", tag = "cases",
    params(("registry_number" = String, Path)),
    request_body(content = schema::PublicationInput, content_type = "application/json"),
    security(("token" = [])),
    responses((status = 200, body = Publication), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn decide_publication(
    State(app): State<App>,
    headers: HeaderMap,
    Path(number): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let who = principal(&app, &headers).await?;
    let object = json_object(body, &headers)?;
    let mut errors = Vec::new();
    let mut f = Fields { map: &object, prefix: "", errors: &mut errors };
    f.only(&["publish", "text"]);
    let publish = match object.get("publish") {
        Some(Value::Bool(b)) => *b,
        _ => {
            f.errors.push(FieldError::required("publish").with_code("required"));
            false
        }
    };
    let text = f.string("text");
    if !errors.is_empty() {
        return Err(Problem::invalid(errors));
    }
    app.decide_publication(&who, &number, publish, text.as_deref()).await?;
    Ok(json_with(StatusCode::OK, Publication { registry_number: number, published: publish }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Words to find (number, subject, text, name).
    q: Option<String>,
    officer: Option<String>,
    received_from: Option<String>,
    received_until: Option<String>,
    state: Option<String>,
    kind: Option<String>,
    unit: Option<String>,
    due_before: Option<String>,
    page: Option<String>,
    per_page: Option<String>,
    /// `true`: only open cases past their due date.
    overdue: Option<bool>,
    /// `true`: only cases nobody is responsible for.
    unassigned: Option<bool>,
    /// `due` or `received`.
    sort: Option<String>,
    /// The `next` cursor of the previous page.
    after: Option<String>,
    /// Only the cases behind a figure of the open data: `answered`, `on_time`,
    /// `on_time_with_holding_reply`, `late`, `open`, `open_overdue`, `withdrawn`, `forwarded`,
    /// `holding_reply`, `holding_reply_in_time`, `holding_reply_late`.
    outcome: Option<String>,
}

/// The cases the token's role may see, filtered; see docs/api.md.
#[utoipa::path(get, path = "/api/v1/cases", tag = "cases", params(ListQuery),
    security(("token" = [])),
    responses((status = 200, body = CaseList), (status = "4XX", body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json")))]
async fn list_cases(
    State(app): State<App>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<axum::Json<CaseList>, Problem> {
    let who = principal(&app, &headers).await?;
    let Query(q) = query.map_err(|e| Problem::bad_body(e.body_text()))?;
    let input = ListInput {
        state: q.state,
        kind: q.kind,
        unit: q.unit,
        due_before: q.due_before,
        page: q.page,
        per_page: q.per_page,
        search: q.q,
        open_only: false,
        officer: q.officer,
        received_from: q.received_from,
        received_until: q.received_until,
        overdue: q.overdue.unwrap_or_default(),
        unassigned: q.unassigned.unwrap_or_default(),
        sort: q.sort,
        after: q.after,
        outcome: q.outcome,
    };
    let page = app.list_cases(&who, &input).await?;
    let items = page
        .items
        .iter()
        .map(|c| CaseItem {
            registry_number: c.registry_number.clone(),
            kind: c.kind.as_str().to_string(),
            channel: c.channel.as_str().to_string(),
            subject: c.subject.clone(),
            unit: c.unit.clone(),
            state: c.state.as_str().to_string(),
            received_at: rfc3339(c.received_at),
            due_date: c.due.to_string(),
            url: case_path(&c.registry_number),
        })
        .collect();
    let next_page = page.next.is_some().then(|| page.page + 1);
    Ok(axum::Json(CaseList {
        items,
        total: page.total,
        total_exact: page.total_exact,
        page: page.page,
        per_page: page.per_page,
        next_page,
        next: page.next,
    }))
}
