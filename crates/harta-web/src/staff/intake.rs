//! Counter intake: a case registered from the counter, the post, a call or a fax with the
//! keyboard alone, answered with a printable receipt; people already known are found first.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use harta_domain::format::{date_bg, in_sofia, time_bg};
use serde::Deserialize;

use super::{SignedIn, forbidden};
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

/// The counter's form, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Intake {
    /// Identifies this filled-in form: sending it twice registers one case.
    key: String,
    kind: String,
    channel: String,
    unit: String,
    /// A service request's service, as picked (`2079 – …`) or typed (its number or name).
    service: String,
    tier: String,
    /// The date of receipt, when earlier than today (`YYYY-MM-DD`).
    received_on: String,
    subject: String,
    text: String,
    party_type: String,
    name: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    id_kind: String,
    national_id: String,
    eik: String,
}

/// A person found at the counter, as shown (the personal number masked).
struct Found {
    party_type: &'static str,
    name: String,
    email: String,
    phone: String,
    address: String,
    preferred: String,
    national_id: String,
}

#[derive(Template)]
#[template(path = "staff_intake.html")]
struct IntakePage {
    c: Chrome,
    s: super::StaffHeader,
    find: String,
    found: Option<Vec<Found>>,
    f: Intake,
    units: Vec<(String, String)>,
    /// The catalogue for the service picker: `2079 – name`.
    services: Vec<String>,
    errors: Vec<ShownError>,
}

impl IntakePage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn intake_form(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: Intake,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    intake_with(app, visit, session, f, String::new(), None, errors, status)
}

#[allow(clippy::too_many_arguments)] // the page's parts, each needed once
fn intake_with(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    f: Intake,
    find: String,
    found: Option<Vec<Found>>,
    errors: Vec<ShownError>,
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let units = app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect();
    let page = IntakePage {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(session),
        find,
        found,
        f,
        units,
        services: app.catalogue().services().iter().map(|s| format!("{} – {}", s.code, l.pick(&s.name))).collect(),
        errors,
    };
    visit.page(status, page.render(), true)
}

/// The service a clerk picked or typed: its number at the start (`2079 – …`, `2079`), or the
/// one service whose name matches what was typed; otherwise what was typed, for the use case
/// to refuse by name.
fn picked_service(app: &App, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let digits: String = typed.chars().take_while(char::is_ascii_digit).collect();
    if !digits.is_empty() {
        return Some(digits);
    }
    let catalogue = app.catalogue();
    match catalogue.search(typed).as_slice() {
        [one] => Some(one.code.clone()),
        _ => Some(typed.to_string()),
    }
}

/// A blank counter form with its own key.
fn blank_intake(app: &App) -> Result<Intake, AppError> {
    let key = harta_app::secrets::hex(&harta_app::secrets::random_bytes::<16>()?);
    Ok(Intake {
        key,
        kind: "letter".into(),
        channel: "counter".into(),
        unit: app.charter().default_unit.clone(),
        ..Intake::default()
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Find {
    find: String,
}

pub(super) async fn intake_page(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Find>,
) -> Response {
    let found = if q.find.trim().is_empty() {
        None
    } else {
        match app.find_people(&session.principal, &q.find).await {
            Ok(people) => Some(
                people
                    .into_iter()
                    .map(|p| Found {
                        party_type: p.kind.as_str(),
                        name: p.name,
                        email: p.email.unwrap_or_default(),
                        phone: crate::public::phone_national(p.phone.as_deref()),
                        address: p.address.unwrap_or_default(),
                        preferred: p.preferred_channel.map(|c| c.as_str().to_string()).unwrap_or_default(),
                        national_id: p.national_id_masked.unwrap_or_default(),
                    })
                    .collect(),
            ),
            Err(AppError::Forbidden(_)) => return forbidden(&app, &visit),
            Err(e) => return crate::public::failure(&app, &visit, &e),
        }
    };
    let blank = match blank_intake(&app) {
        Ok(blank) => blank,
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    intake_with(&app, &visit, &session, blank, q.find, found, Vec::new(), StatusCode::OK)
}

/// The counter form filled in with a person found (the details were on the page already; the
/// personal number is typed again, since it is kept only sealed).
pub(super) async fn prefill(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(p): CsrfForm<Intake>,
) -> Response {
    let blank = match blank_intake(&app) {
        Ok(blank) => blank,
        Err(e) => return crate::public::failure(&app, &visit, &e),
    };
    let f = Intake {
        party_type: p.party_type,
        name: p.name,
        email: p.email,
        phone: p.phone,
        address: p.address,
        preferred: p.preferred,
        ..blank
    };
    intake_form(&app, &visit, &session, f, Vec::new(), StatusCode::OK)
}

#[derive(Template)]
#[template(path = "staff_receipt.html")]
struct ReceiptPage {
    c: Chrome,
    s: super::StaffHeader,
    number: String,
    kind: &'static str,
    received: String,
    due: String,
    code: String,
    unit: String,
    applicant: String,
    subject: String,
    /// The service and tier, for a service request.
    service: Option<String>,
    /// The day of receipt, when earlier than the registration.
    received_on: Option<String>,
}

pub(super) async fn intake(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<Intake>,
) -> Response {
    let l = visit.l();
    // Every counter form carries the key that makes a second press register nothing more.
    if f.key.len() != 32 {
        let errors = vec![ShownError { id: "kind".into(), text: l.t("err-csrf") }];
        return intake_form(&app, &visit, &session, f, errors, StatusCode::FORBIDDEN);
    }
    let some = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
    let organisation = f.party_type == "organisation";
    let input = RegisterCaseInput {
        kind: some(&f.kind),
        channel: some(&f.channel),
        subject: some(&f.subject),
        text: some(&f.text),
        unit: some(&f.unit),
        publish: false,
        party: PartyInput {
            kind: Some(if organisation { "organisation" } else { "person" }.into()),
            name: some(&f.name),
            email: some(&f.email),
            phone: some(&f.phone),
            address: some(&f.address),
            preferred_channel: some(&f.preferred),
            egn: some(&f.national_id).filter(|_| !organisation && f.id_kind != "lnch"),
            lnch: some(&f.national_id).filter(|_| !organisation && f.id_kind == "lnch"),
            eik: some(&f.eik).filter(|_| organisation),
        },
        // At the counter the person speaks Bulgarian unless the API says otherwise.
        language: None,
        service: picked_service(&app, &f.service).filter(|_| f.kind == "service_request"),
        tier: some(&f.tier).filter(|_| f.kind == "service_request"),
        received_on: some(&f.received_on),
    };
    match app.register_at_counter(&session.principal, &input, &f.key).await {
        Ok(done) => {
            let service = done.service.as_ref().and_then(|s| {
                let catalogue = app.catalogue();
                let found = catalogue.service(&s.code)?;
                Some(format!("{} – {} ({})", s.code, l.pick(&found.name), l.tier(s.tier)))
            });
            let page = ReceiptPage {
                c: visit.chrome(&app.charter(), "staff"),
                s: super::StaffHeader::of(&session),
                number: done.number.as_str().to_string(),
                kind: done.kind.as_str(),
                received: format!("{} {}", date_bg(in_sofia(done.received_at).date()), time_bg(done.received_at)),
                due: crate::public::due_text(l, &done),
                code: done.access_code.to_string(),
                unit: app.charter().unit(&done.unit).map_or(done.unit.clone(), |u| l.pick(&u.name).to_string()),
                applicant: done.applicant.clone(),
                subject: done.subject.clone(),
                service,
                received_on: done.received_on.map(date_bg),
            };
            visit.page(StatusCode::OK, page.render(), true)
        }
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| {
                    let (id, label) = match e.field.as_str() {
                        "kind" => ("kind", "staff-kind"),
                        "channel" => ("channel", "staff-channel"),
                        "unit" => ("unit", "service-unit"),
                        "service" => ("service", "field-service"),
                        "tier" => ("tier", "service-tier"),
                        "received_on" => ("received_on", "field-received-on"),
                        "subject" => ("subject", "field-subject"),
                        "text" => ("text", "field-text"),
                        "party.name" => ("name", "field-name"),
                        "party.email" => ("email", "field-email"),
                        "party.phone" => ("phone", "field-phone"),
                        "party.address" => ("address", "field-address"),
                        "party.egn" | "party.lnch" => ("national_id", "staff-national-id"),
                        "party.eik" => ("eik", "field-eik"),
                        _ => ("preferred", "field-preferred"),
                    };
                    ShownError { id: id.into(), text: l.field_error(e, &l.t(label)) }
                })
                .collect();
            intake_form(&app, &visit, &session, f, errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Forbidden(_)) => {
            let errors = vec![ShownError { id: "kind".into(), text: l.t("staff-err-forbidden") }];
            intake_form(&app, &visit, &session, f, errors, StatusCode::FORBIDDEN)
        }
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}
