//! Submitting online: choose what to send, fill in one form, check the answers, send. The
//! half-finished submission travels sealed in the page (no server state between the steps, so
//! any replica can take the next step), and its key makes a second send of the same form
//! return the case already registered instead of registering it twice.

use crate::i18n::Lang;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use harta_app::cases::{PartyInput, RegisterCaseInput, Registration};
use harta_app::files::PendingDocument;
use harta_app::{App, AppError, FieldError};
use harta_domain::case::CaseKind;
use harta_domain::catalogue::Service;
use harta_domain::documents::MAX_FILES;
use harta_domain::format::{date_bg, in_sofia, time_bg};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::upload::{FormError, read_form};
use super::{Chrome, ShownError, Visit, error_for, failure};
use crate::i18n::Localizer;

/// A form sent sooner than this after it was shown was not filled in by a person.
const HUMAN_MIN: SignedDuration = SignedDuration::from_secs(2);
/// A form older than this is refused as out of date (its anti-forgery token may be gone).
const FORM_MAX_AGE: SignedDuration = SignedDuration::from_hours(24);

pub(super) fn router() -> Router<App> {
    Router::new()
        .route("/submit", get(choose))
        // Up to ten documents of 20 MB each, and the form's text.
        .route(
            "/submit/{kind}",
            get(blank).post(check).layer(axum::extract::DefaultBodyLimit::max(super::upload::MAX_BODY)),
        )
        .route("/submit/{kind}/change", axum::routing::post(change))
        .route("/submit/{kind}/send", axum::routing::post(send))
}

#[derive(Template)]
#[template(path = "submit_choose.html")]
struct ChoosePage {
    c: Chrome,
    kinds: Vec<(&'static str, String)>,
}

async fn choose(State(app): State<App>, visit: Visit) -> Response {
    let l = visit.l();
    let kinds = [CaseKind::ServiceRequest, CaseKind::Letter, CaseKind::Complaint, CaseKind::Suggestion]
        .into_iter()
        .map(|k| (k.as_str(), l.tn("working-days", "n", i64::from(app.charter().commitment(k).working_days.get()))))
        .collect();
    let page = ChoosePage { c: visit.chrome(&app.charter(), "submit"), kinds };
    visit.page(StatusCode::OK, page.render(), false)
}

/// Everything the form holds, as typed. Serialised into the sealed draft between steps.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub(super) struct Fields {
    service: String,
    tier: String,
    subject: String,
    text: String,
    party_type: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    id_kind: String,
    egn: String,
    lnch: String,
    eik: String,
    /// `yes` when the author of a suggestion agrees to its publication.
    publish: String,
}

/// A posted form: the fields plus the form's own bookkeeping.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(super) struct Posted {
    csrf: String,
    /// The sealed time the form was shown.
    shown: String,
    /// A field hidden from people; only robots fill it in.
    website: String,
    /// The sealed draft (check-your-answers, change and send steps).
    draft: String,
    /// The sealed list of documents already uploaded with this form.
    uploads: String,
    #[serde(flatten)]
    fields: Fields,
}

/// The sealed half-finished submission.
#[derive(Serialize, Deserialize)]
struct Draft {
    kind: String,
    key: String,
    fields: Fields,
    #[serde(default)]
    documents: Vec<PendingDocument>,
}

#[derive(Template)]
#[template(path = "submit_form.html")]
struct FormPage {
    c: Chrome,
    kind: &'static str,
    f: Fields,
    errors: Vec<ShownError>,
    /// The chosen service, as `2079 – name` (service requests).
    service_name: String,
    /// Its tiers: machine name, and name with fee and deadline.
    tiers: Vec<(String, String)>,
    needs_national_id: bool,
    csrf: String,
    shown: String,
    /// Documents uploaded so far: name and size, and their sealed list for the next post.
    documents: Vec<(String, String)>,
    uploads: String,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

#[derive(Deserialize)]
pub(super) struct Chosen {
    service: Option<String>,
    /// A search among the services (the service step).
    q: Option<String>,
}

#[derive(Template)]
#[template(path = "submit_service.html")]
struct ServicePage {
    c: Chrome,
    q: String,
    /// Number, name, and the first tier's fee and deadline.
    found: Vec<(String, String, String)>,
    errors: Vec<ShownError>,
}

/// The service step of a service request (one thing per page): the next page then knows
/// whether to ask for a personal number and which tiers to offer, without JavaScript.
fn service_page(app: &App, visit: &Visit, q: &str, errors: Vec<ShownError>, status: StatusCode) -> Response {
    let l = visit.l();
    // A query longer than any service name cannot match; it is cut rather than refused.
    let q: String = q.trim().chars().take(100).collect();
    let found = app
        .catalogue()
        .search(&q)
        .into_iter()
        .map(|s| {
            let terms = s.tiers.first().map_or_else(String::new, |t| {
                format!("{} · {}", l.fee(t.fee), super::services::tier_deadline(app, &l, t))
            });
            (s.code.clone(), l.pick(&s.name).to_string(), terms)
        })
        .collect();
    let page = ServicePage { c: visit.chrome(&app.charter(), "submit"), q, found, errors };
    visit.page(status, page.render(), false)
}

fn parse_kind(kind: &str) -> Option<CaseKind> {
    CaseKind::parse(kind)
}

async fn blank(State(app): State<App>, visit: Visit, Path(kind): Path<String>, Query(q): Query<Chosen>) -> Response {
    let Some(kind) = parse_kind(&kind) else { return super::not_found(&visit, &app.charter()) };
    let f = Fields { service: q.service.unwrap_or_default().trim().to_string(), ..Fields::default() };
    if kind == CaseKind::ServiceRequest && service_of(&app, kind, &f).is_none() {
        // No service yet, or one that is not in the catalogue: the service step.
        let errors = if f.service.is_empty() {
            Vec::new()
        } else {
            let l = visit.l();
            let e = FieldError::new("service", "unknown").with_code("unknown");
            vec![ShownError { id: "service".into(), text: l.field_error(&e, &l.t("field-service")) }]
        };
        let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::NOT_FOUND };
        return service_page(&app, &visit, q.q.as_deref().unwrap_or_default(), errors, status);
    }
    form_page(&app, &visit, kind, f, &[], Vec::new(), StatusCode::OK)
}

fn form_page(
    app: &App,
    visit: &Visit,
    kind: CaseKind,
    f: Fields,
    documents: &[PendingDocument],
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let uploads = serde_json::to_string(documents)
        .ok()
        .and_then(|json| app.keys().seal_for_browser(&json).ok())
        .unwrap_or_default();
    let documents = documents.iter().map(|d| (d.name.clone(), size_text(d.size))).collect();
    let shown = app.keys().seal_for_browser(&app.now().as_millisecond().to_string()).unwrap_or_default();
    let service = service_of(app, kind, &f);
    let needs_national_id = service.as_ref().is_some_and(|s| s.needs_national_id);
    let tiers = service.as_ref().map_or_else(Vec::new, |s| {
        s.tiers
            .iter()
            .map(|t| {
                let terms =
                    format!("{} – {}, {}", l.tier(t.tier), l.fee(t.fee), super::services::tier_deadline(app, &l, t));
                (t.tier.as_str().to_string(), terms)
            })
            .collect()
    });
    let page = FormPage {
        c: visit.chrome(&app.charter(), "submit"),
        kind: kind.as_str(),
        service_name: service.as_ref().map(|s| format!("{} – {}", s.code, l.pick(&s.name))).unwrap_or_default(),
        tiers,
        needs_national_id,
        f,
        errors,
        csrf: visit.csrf.0.clone(),
        shown,
        documents,
        uploads,
    };
    visit.page(status, page.render(), true)
}

/// A size as people read it: 350 KB, 1.2 MB.
pub(crate) fn size_text(bytes: u64) -> String {
    if bytes < 1024 * 1024 {
        format!("{} KB", bytes.div_ceil(1024))
    } else {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    }
}

fn service_of(app: &App, kind: CaseKind, f: &Fields) -> Option<Service> {
    (kind == CaseKind::ServiceRequest).then(|| app.catalogue().service(f.service.trim()).cloned()).flatten()
}

/// The fields as the registration use case takes them; the use case decides what the
/// service implies (subject, unit, deadline, whether a personal number is required).
fn input(app: &App, kind: CaseKind, f: &Fields, lang: Lang) -> RegisterCaseInput {
    let service = service_of(app, kind, f);
    let some = |s: &str| Some(s.to_string()).filter(|s| !s.trim().is_empty());
    let national = service.as_ref().is_some_and(|s| s.needs_national_id);
    let organisation = f.party_type == "organisation";
    let request = kind == CaseKind::ServiceRequest;
    RegisterCaseInput {
        kind: Some(kind.as_str().to_string()),
        channel: Some("web".into()),
        subject: some(&f.subject).filter(|_| !request),
        text: some(&f.text),
        unit: None,
        publish: kind == CaseKind::Suggestion && f.publish == "yes",
        party: PartyInput {
            kind: Some(if organisation { "organisation" } else { "person" }.into()),
            name: some(&f.name),
            email: some(&f.email),
            phone: some(&f.phone),
            address: some(&f.address),
            preferred_channel: some(&f.preferred),
            // Personal numbers only where the service needs them (never asked otherwise).
            egn: some(&f.egn).filter(|_| national && !organisation && f.id_kind != "lnch"),
            lnch: some(&f.lnch).filter(|_| national && !organisation && f.id_kind == "lnch"),
            eik: some(&f.eik).filter(|_| organisation),
        },
        // The acknowledgement by e-mail speaks the language the form was filled in.
        language: Some(lang.code().into()),
        service: some(&f.service).filter(|_| request),
        tier: some(&f.tier).filter(|_| request),
        received_on: None,
    }
}

/// The input id and label of a use-case field.
fn field_of(field: &str) -> (&'static str, &'static str) {
    match field {
        "service" | "unit" => ("service", "field-service"),
        "tier" => ("tier", "service-tier"),
        "subject" => ("subject", "field-subject"),
        "text" => ("text", "field-text"),
        "party.type" => ("party_type", "field-party-type"),
        "party.name" => ("name", "field-name"),
        "party.email" => ("email", "field-email"),
        "party.phone" => ("phone", "field-phone"),
        "party.address" => ("address", "field-address"),
        "party.preferred_channel" => ("preferred", "field-preferred"),
        "party.egn" => ("egn", "field-egn"),
        "party.lnch" => ("lnch", "field-lnch"),
        "party.eik" => ("eik", "field-eik"),
        _ => ("text", "field-text"),
    }
}

/// Field errors in the page's language, in the order of the form.
pub(super) fn shown_errors(l: Localizer, errors: &[FieldError]) -> Vec<ShownError> {
    let order = ["service", "tier", "subject", "text", "party_type", "name", "egn", "lnch", "eik", "email", "phone"];
    let mut shown: Vec<ShownError> = errors
        .iter()
        .map(|e| {
            let (id, label) = field_of(&e.field);
            let label = l.t(label);
            ShownError { id: id.to_string(), text: l.field_error(e, &label) }
        })
        .collect();
    shown.sort_by_key(|e| order.iter().position(|o| *o == e.id).unwrap_or(order.len()));
    shown.dedup_by(|a, b| a.id == b.id);
    shown
}

/// The form again, with a problem of the whole form (not of one field) at the top.
fn refused(
    app: &App,
    visit: &Visit,
    kind: CaseKind,
    f: Fields,
    documents: &[PendingDocument],
    message: &str,
    status: StatusCode,
) -> Response {
    // The summary links to the form's first field.
    let first = if kind == CaseKind::ServiceRequest { "service" } else { "subject" };
    let errors = vec![ShownError { id: first.into(), text: visit.l().t(message) }];
    form_page(app, visit, kind, f, documents, errors, status)
}

async fn check(State(app): State<App>, visit: Visit, Path(kind): Path<String>, request: Request) -> Response {
    let Some(kind) = parse_kind(&kind) else { return super::not_found(&visit, &app.charter()) };
    let l = visit.l();
    let headers = request.headers().clone();
    let (posted, new_documents, refused_files) =
        match read_form::<Posted>(&app, request, Some(visit.upload_gate(&headers))).await {
            Ok(read) => read,
            Err(FormError::TooLarge) => {
                let status = StatusCode::PAYLOAD_TOO_LARGE;
                return refused(&app, &visit, kind, Fields::default(), &[], "err-body-too-large", status);
            }
            Err(FormError::Unreadable) => {
                let status = StatusCode::BAD_REQUEST;
                return refused(&app, &visit, kind, Fields::default(), &[], "err-encoding-form", status);
            }
            Err(FormError::Stalled) => {
                let status = StatusCode::REQUEST_TIMEOUT;
                return refused(&app, &visit, kind, Fields::default(), &[], "err-body-stalled", status);
            }
            Err(FormError::Store(e)) => return failure(&app, &visit, &AppError::internal(e)),
            Err(FormError::App(e)) => return failure(&app, &visit, &e),
        };
    let mut file_errors: Vec<ShownError> = refused_files
        .iter()
        .map(|(name, why)| ShownError {
            id: "documents".into(),
            text: l.ts(&format!("err-{}", harta_domain::Coded::code(why)), "field", name),
        })
        .collect();
    // Documents uploaded with an earlier send of this form, then the new ones.
    let mut documents: Vec<PendingDocument> = app
        .keys()
        .open_from_browser(&posted.uploads)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    documents.extend(new_documents);
    if documents.len() > MAX_FILES {
        documents.truncate(MAX_FILES);
        file_errors.push(ShownError { id: "documents".into(), text: l.t("err-too_many_files") });
    }
    if !visit.csrf_ok(&headers, &posted.csrf) {
        return refused(&app, &visit, kind, posted.fields, &documents, "err-csrf", StatusCode::FORBIDDEN);
    }
    let shown_at = app
        .keys()
        .open_from_browser(&posted.shown)
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|ms| Timestamp::from_millisecond(ms).ok());
    let age = shown_at.map(|t| app.now().duration_since(t));
    let Some(age) = age.filter(|a| *a < FORM_MAX_AGE) else {
        return refused(&app, &visit, kind, posted.fields, &documents, "form-expired", StatusCode::OK);
    };
    if !posted.website.is_empty() || age < HUMAN_MIN {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return refused(&app, &visit, kind, posted.fields, &documents, "spam-suspected", status);
    }
    let mut errors = Vec::new();
    match app.check_submission(&input(&app, kind, &posted.fields, visit.lang)) {
        Ok(()) => {}
        Err(AppError::Invalid(found)) => errors.extend(found),
        Err(e) => return failure(&app, &visit, &e),
    }
    if !errors.is_empty() || !file_errors.is_empty() {
        let mut shown = shown_errors(l, &errors);
        shown.append(&mut file_errors);
        return form_page(&app, &visit, kind, posted.fields, &documents, shown, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let key = match harta_app::secrets::random_bytes::<16>() {
        Ok(b) => harta_app::secrets::hex(&b),
        Err(e) => return failure(&app, &visit, &e.into()),
    };
    let draft = Draft { kind: kind.as_str().into(), key, fields: posted.fields, documents };
    check_page(&app, &visit, kind, &draft)
}

#[derive(Template)]
#[template(path = "submit_check.html")]
struct CheckPage {
    c: Chrome,
    kind: &'static str,
    rows: Vec<(String, String)>,
    draft: String,
    csrf: String,
}

fn check_page(app: &App, visit: &Visit, kind: CaseKind, draft: &Draft) -> Response {
    let l = visit.l();
    let sealed = serde_json::to_string(draft)
        .map_err(AppError::internal)
        .and_then(|json| app.keys().seal_for_browser(&json).map_err(AppError::from));
    let sealed = match sealed {
        Ok(s) => s,
        Err(e) => return failure(app, visit, &e),
    };
    let f = &draft.fields;
    let mut rows = Vec::new();
    let mut row = |label: &str, value: &str| {
        let shown = if value.trim().is_empty() { l.t("submit-not-given") } else { value.trim().to_string() };
        rows.push((l.t(label), shown));
    };
    match service_of(app, kind, f) {
        Some(s) => {
            row("field-service", &format!("{} – {}", s.code, l.pick(&s.name)));
            let tier = s.tier(harta_domain::catalogue::TierKind::parse(&f.tier));
            if let Some(t) = tier {
                let terms =
                    format!("{} – {}, {}", l.tier(t.tier), l.fee(t.fee), super::services::tier_deadline(app, &l, t));
                row("service-tier", &terms);
            }
        }
        None => row("field-subject", &f.subject),
    }
    row("field-text", &f.text);
    let organisation = f.party_type == "organisation";
    row("field-party-type", &l.t(if organisation { "field-party-organisation" } else { "field-party-person" }));
    row("field-name", &f.name);
    if organisation {
        row("field-eik", &f.eik);
    } else if service_of(app, kind, f).is_some_and(|s| s.needs_national_id) {
        // Shown masked: the page may stay on a shared screen.
        let (label, number) = if f.id_kind == "lnch" { ("field-lnch", &f.lnch) } else { ("field-egn", &f.egn) };
        let digits = number.trim();
        let masked = if digits.len() > 4 {
            format!("{}{}", "•".repeat(digits.len() - 4), &digits[digits.len() - 4..])
        } else {
            digits.to_string()
        };
        row(label, &masked);
    }
    row("field-email", &f.email);
    row("field-phone", &f.phone);
    row("field-address", &f.address);
    let preferred =
        if f.preferred.is_empty() { String::new() } else { l.t(&format!("field-preferred-{}", f.preferred)) };
    row("field-preferred", &preferred);
    if kind == CaseKind::Suggestion {
        row("field-publish-short", &l.t(if f.publish == "yes" { "yes" } else { "no" }));
    }
    let documents: Vec<String> =
        draft.documents.iter().map(|d| format!("{} ({})", d.name, size_text(d.size))).collect();
    row("field-documents", &documents.join("\n"));
    let page = CheckPage {
        c: visit.chrome(&app.charter(), "submit"),
        kind: kind.as_str(),
        rows,
        draft: sealed,
        csrf: visit.csrf.0.clone(),
    };
    visit.page(StatusCode::OK, page.render(), true)
}

/// The draft posted to a step after the check, if the step may go on: a known kind, a genuine
/// anti-forgery token and a draft sealed here for this kind. Otherwise the page to show.
fn posted_draft(
    app: &App,
    visit: &Visit,
    headers: &HeaderMap,
    kind: &str,
    posted: &Posted,
) -> Result<(CaseKind, Draft), Box<Response>> {
    let Some(kind) = parse_kind(kind) else { return Err(Box::new(super::not_found(visit, &app.charter()))) };
    if !visit.csrf_ok(headers, &posted.csrf) {
        return Err(Box::new(refused(app, visit, kind, Fields::default(), &[], "err-csrf", StatusCode::FORBIDDEN)));
    }
    let draft = app
        .keys()
        .open_from_browser(&posted.draft)
        .and_then(|json| serde_json::from_str::<Draft>(&json).ok())
        .filter(|d| d.kind == kind.as_str());
    match draft {
        Some(draft) => Ok((kind, draft)),
        None => Err(Box::new(refused(app, visit, kind, Fields::default(), &[], "form-expired", StatusCode::OK))),
    }
}

async fn change(
    State(app): State<App>,
    visit: Visit,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    match posted_draft(&app, &visit, &headers, &kind, &posted) {
        Ok((kind, draft)) => form_page(&app, &visit, kind, draft.fields, &draft.documents, Vec::new(), StatusCode::OK),
        Err(page) => *page,
    }
}

#[derive(Template)]
#[template(path = "submit_done.html")]
struct DonePage {
    c: Chrome,
    number: String,
    code: String,
    received: String,
    due: String,
    unit: String,
    documents: Vec<(String, String)>,
    /// Where the same details go by e-mail, if the person gave an address.
    email: String,
}

async fn send(
    State(app): State<App>,
    visit: Visit,
    headers: HeaderMap,
    Path(kind): Path<String>,
    Form(posted): Form<Posted>,
) -> Response {
    let (kind, draft) = match posted_draft(&app, &visit, &headers, &kind, &posted) {
        Ok(found) => found,
        Err(page) => return *page,
    };
    let l = visit.l();
    match app
        .submit_online(&input(&app, kind, &draft.fields, visit.lang), &draft.key, &draft.documents, &visit.from)
        .await
    {
        Err(AppError::TooMany) => {
            let phone = app.charter().administration.switchboard.national();
            let (title, body) = (l.t("submit-too-many-title"), l.ts("submit-too-many", "phone", &phone));
            super::error_page(&visit, &app.charter(), StatusCode::TOO_MANY_REQUESTS, &title, &body, None)
        }
        Ok(done) => done_page(&app, &visit, &done, &draft.documents, draft.fields.email.trim()),
        Err(AppError::Invalid(found)) => {
            let shown = shown_errors(l, &found);
            form_page(&app, &visit, kind, draft.fields, &draft.documents, shown, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => failure(&app, &visit, &e),
    }
}

fn done_page(app: &App, visit: &Visit, done: &Registration, documents: &[PendingDocument], email: &str) -> Response {
    let l = visit.l();
    let due = due_text(l, done);
    let received = format!("{} {}", date_bg(in_sofia(done.received_at).date()), time_bg(done.received_at));
    let unit = app.charter().unit(&done.unit).map_or_else(|| done.unit.clone(), |u| l.pick(&u.name).to_string());
    let page = DonePage {
        c: visit.chrome(&app.charter(), "submit"),
        number: done.number.as_str().to_string(),
        code: done.access_code.to_string(),
        received,
        due,
        unit,
        documents: documents.iter().map(|d| (d.name.clone(), size_text(d.size))).collect(),
        email: email.to_string(),
    };
    visit.page(StatusCode::OK, page.render(), true)
}

/// The due date as a receipt says it: by the rule it was counted with, then the date
/// (`7 работни дни, до 10.12.2026`).
pub(crate) fn due_text(l: Localizer, done: &Registration) -> String {
    let rule = l.deadline_rule(done.deadline);
    l.t_args("submit-done-due-days", &[("days", &rule), ("date", &date_bg(done.due))])
}
