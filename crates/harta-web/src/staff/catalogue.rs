//! Editing the service catalogue (administrators and managers): the list of services, and one
//! form per service with every field in both languages. The form is checked by the same rules
//! as the catalogue file and the API, every wrong field named at once; a saved edit shows on the
//! public site at once (and on other replicas within a second).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::{Action, App, AppError, FieldError};
use harta_domain::catalogue::{Service, Tier, TierKind};
use harta_domain::deadline::DeadlineRule;
use serde::Deserialize;
use serde_json::json;

use super::{Saved, SignedIn, forbidden};
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_services.html")]
struct ListPage {
    c: Chrome,
    s: super::StaffHeader,
    /// Number, name, unit.
    services: Vec<(String, String, String)>,
    notice: Option<String>,
}

pub(super) async fn list(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Query(q): Query<Saved>,
) -> Response {
    if !session.principal.may(Action::EditCatalogue) {
        return forbidden(&app, &visit);
    }
    let l = visit.l();
    let unit = |code: &str| app.charter().unit(code).map_or(code.to_string(), |u| l.pick(&u.name).to_string());
    let services = app
        .catalogue()
        .services()
        .iter()
        .map(|s| (s.code.clone(), l.pick(&s.name).to_string(), unit(&s.unit)))
        .collect();
    let saved = q.saved.trim();
    let page = ListPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(&session),
        services,
        notice: (!saved.is_empty() && saved.chars().all(|c| c.is_ascii_digit()))
            .then(|| l.ts("staff-services-saved", "number", saved)),
    };
    visit.page(StatusCode::OK, page.render(), true)
}

/// A service as the form holds it: each text in both languages; documents one per line.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct ServiceForm {
    code: String,
    name_bg: String,
    name_en: String,
    purpose_bg: String,
    purpose_en: String,
    who_bg: String,
    who_en: String,
    documents_bg: String,
    documents_en: String,
    /// Per tier (`ordinary_…`, `fast_…`, `express_…`): offered (`yes`), the fee in euro, how
    /// the deadline is counted and the count.
    #[serde(flatten)]
    tiers: std::collections::BTreeMap<String, String>,
    fee_note_bg: String,
    fee_note_en: String,
    deadline_note_bg: String,
    deadline_note_en: String,
    appeal_bg: String,
    appeal_en: String,
    appeal_days: String,
    unit: String,
    how_bg: String,
    how_en: String,
    needs_national_id: String,
    keywords: String,
}

impl ServiceForm {
    fn of(s: &Service) -> Self {
        let lines = |pick: fn(&harta_domain::charter::Text) -> &str| {
            s.documents.iter().map(pick).collect::<Vec<_>>().join("\n")
        };
        Self {
            code: s.code.clone(),
            name_bg: s.name.bg.clone(),
            name_en: s.name.en.clone(),
            purpose_bg: s.purpose.bg.clone(),
            purpose_en: s.purpose.en.clone(),
            who_bg: s.who.bg.clone(),
            who_en: s.who.en.clone(),
            documents_bg: lines(|t| &t.bg),
            documents_en: lines(|t| &t.en),
            tiers: s.tiers.iter().flat_map(tier_fields).collect(),
            fee_note_bg: s.fee_note.as_ref().map(|t| t.bg.clone()).unwrap_or_default(),
            fee_note_en: s.fee_note.as_ref().map(|t| t.en.clone()).unwrap_or_default(),
            deadline_note_bg: s.deadline_note.as_ref().map(|t| t.bg.clone()).unwrap_or_default(),
            deadline_note_en: s.deadline_note.as_ref().map(|t| t.en.clone()).unwrap_or_default(),
            appeal_bg: s.appeal.as_ref().map(|a| a.body.bg.clone()).unwrap_or_default(),
            appeal_en: s.appeal.as_ref().map(|a| a.body.en.clone()).unwrap_or_default(),
            appeal_days: s.appeal.as_ref().map(|a| a.days.to_string()).unwrap_or_default(),
            unit: s.unit.clone(),
            how_bg: s.how.bg.clone(),
            how_en: s.how.en.clone(),
            needs_national_id: if s.needs_national_id { "yes".into() } else { String::new() },
            keywords: s.keywords.join(", "),
        }
    }

    /// The service in the catalogue file's shape, for the use case to check. Documents pair up
    /// line by line; a list whose languages differ in length is refused here, by name.
    fn to_json(&self) -> Result<serde_json::Value, FieldError> {
        let lines =
            |text: &str| text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect::<Vec<_>>();
        let (bg, en) = (lines(&self.documents_bg), lines(&self.documents_en));
        if bg.len() != en.len() {
            return Err(FieldError::new("documents_en", "needs as many lines as in Bulgarian").with_code("pairs"));
        }
        let text = |bg: &str, en: &str| json!({ "bg": bg.trim(), "en": en.trim() });
        let note = |bg: &str, en: &str| (!bg.trim().is_empty() || !en.trim().is_empty()).then(|| text(bg, en));
        let appeal = (!self.appeal_bg.trim().is_empty() || !self.appeal_en.trim().is_empty()).then(|| {
            // A number that is not one is left for the domain to name (as 0 days).
            json!({ "body": text(&self.appeal_bg, &self.appeal_en), "days": self.appeal_days.trim().parse::<i64>().unwrap_or(0) })
        });
        Ok(json!({
            "code": self.code.trim(),
            "name": text(&self.name_bg, &self.name_en),
            "purpose": text(&self.purpose_bg, &self.purpose_en),
            "who": text(&self.who_bg, &self.who_en),
            "documents": bg.iter().zip(&en).map(|(b, e)| text(b, e)).collect::<Vec<_>>(),
            "tiers": self.offered().iter().map(|tier| self.tier_json(tier)).collect::<Vec<_>>(),
            "fee_note": note(&self.fee_note_bg, &self.fee_note_en),
            "deadline_note": note(&self.deadline_note_bg, &self.deadline_note_en),
            "appeal": appeal,
            "unit": self.unit.trim(),
            "how": text(&self.how_bg, &self.how_en),
            "needs_national_id": self.needs_national_id == "yes",
            "keywords": self.keywords.split(',').map(str::trim).filter(|k| !k.is_empty()).collect::<Vec<_>>(),
        }))
    }

    /// A tier field's value as typed.
    pub(super) fn tier(&self, tier: &str, field: &str) -> &str {
        self.tiers.get(&format!("{tier}_{field}")).map_or("", String::as_str)
    }

    /// The tiers ticked as offered, in order.
    fn offered(&self) -> Vec<&'static str> {
        TierKind::ALL.iter().map(|t| t.as_str()).filter(|t| self.tier(t, "offered") == "yes").collect()
    }

    /// A tier in the file's shape: an empty fee is left out (the domain then asks for it or
    /// for the fee note); the deadline from its kind and count (`7` + `working_days`).
    fn tier_json(&self, tier: &str) -> serde_json::Value {
        let fee = self.tier(tier, "fee").trim();
        let n = self.tier(tier, "n").trim();
        let deadline = match self.tier(tier, "rule") {
            "same_day" => Some("same day".to_string()),
            "hours" => Some(format!("{n} hours")),
            "working_days" => Some(format!("{n} working days")),
            "calendar_days" => Some(format!("{n} calendar days")),
            _ => None,
        };
        let mut t = json!({ "tier": tier });
        if !fee.is_empty() {
            t["fee"] = json!(fee);
        }
        if let Some(d) = deadline {
            t["deadline"] = json!(d);
        }
        t
    }
}

/// The form fields of a stored tier.
fn tier_fields(t: &Tier) -> Vec<(String, String)> {
    let name = t.tier.as_str();
    let (rule, n) = match t.deadline {
        None => ("default", String::new()),
        Some(DeadlineRule::SameDay) => ("same_day", String::new()),
        Some(DeadlineRule::Hours(n)) => ("hours", n.to_string()),
        Some(DeadlineRule::WorkingDays(n)) => ("working_days", n.to_string()),
        Some(DeadlineRule::CalendarDays(n)) => ("calendar_days", n.to_string()),
    };
    vec![
        (format!("{name}_offered"), "yes".into()),
        (format!("{name}_fee"), t.fee.map(|m| m.to_string().replace('.', ",")).unwrap_or_default()),
        (format!("{name}_rule"), rule.into()),
        (format!("{name}_n"), n),
    ]
}

#[derive(Template)]
#[template(path = "staff_service.html")]
struct EditPage {
    c: Chrome,
    s: super::StaffHeader,
    /// The service's number, or empty for a new one.
    existing: String,
    f: ServiceForm,
    units: Vec<(String, String)>,
    errors: Vec<ShownError>,
}

impl EditPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }

    /// A field's label with its language (`lang`: `bg` or `en`).
    fn label(&self, key: &str, lang: &str) -> String {
        labelled(self.c.l, key, lang)
    }
}

/// A label naming the language its field is in.
fn labelled(l: crate::i18n::Localizer, key: &str, lang: &str) -> String {
    let language = match lang {
        "bg" => l.t("staff-in-bulgarian"),
        "en" => l.t("staff-in-english"),
        _ => String::new(),
    };
    format!("{}{language}", l.t(key))
}

/// The form field of a use-case field (`name.bg` → `name_bg`, `documents[2].en` →
/// `documents_en`), and the label key of the field.
fn field_of(field: &str, f: &ServiceForm) -> (String, &'static str) {
    // `tiers[1].fee`: the second tier ticked, its fee field.
    if let Some(rest) = field.strip_prefix("tiers") {
        let offered = f.offered();
        let index = rest.strip_prefix('[').and_then(|r| r.split(']').next()).and_then(|i| i.parse::<usize>().ok());
        let tier = index.and_then(|i| offered.get(i).copied()).unwrap_or("ordinary");
        return match rest.rsplit('.').next() {
            Some("fee") => (format!("{tier}_fee"), "service-fee"),
            Some("deadline") => (format!("{tier}_n"), "service-deadline"),
            _ => (format!("{tier}_offered"), "service-tier"),
        };
    }
    if field == "appeal.days" {
        return ("appeal_days".into(), "staff-service-appeal-days");
    }
    let base = field.split(['.', '[']).next().unwrap_or(field);
    let lang = if field.ends_with(".en") { "en" } else { "bg" };
    let label = match base {
        "code" => "service-number",
        "name" => "staff-service-name",
        "purpose" => "service-purpose",
        "who" => "service-who",
        "documents" => "service-documents",
        "fee_note" => "staff-service-fee-note",
        "deadline_note" => "staff-service-deadline-note",
        "appeal" => "service-appeal",
        "unit" => "service-unit",
        "how" => "service-how",
        _ => "staff-service-keywords",
    };
    match base {
        "code" | "unit" | "keywords" => (base.to_string(), label),
        _ if field == "documents_en" => ("documents_en".into(), label),
        _ => (format!("{base}_{lang}"), label),
    }
}

fn edit_page(
    app: &App,
    visit: &Visit,
    session: &harta_app::signing_in::StaffSession,
    existing: &str,
    f: ServiceForm,
    found: &[FieldError],
    status: StatusCode,
) -> Response {
    let l = visit.l();
    let errors = found
        .iter()
        .map(|e| {
            let (id, key) = field_of(&e.field, &f);
            let label = labelled(l, key, id.rsplit('_').next().unwrap_or(""));
            let text = if e.code == "pairs" { l.t("staff-err-document-pairs") } else { l.field_error(e, &label) };
            ShownError { id, text }
        })
        .collect();
    let page = EditPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(session),
        existing: existing.to_string(),
        f,
        units: app.charter().units.iter().map(|u| (u.code.clone(), l.pick(&u.name).to_string())).collect(),
        errors,
    };
    visit.page(status, page.render(), true)
}

pub(super) async fn edit(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(code): Path<String>,
) -> Response {
    if !session.principal.may(Action::EditCatalogue) {
        return forbidden(&app, &visit);
    }
    if code == "new" {
        return edit_page(&app, &visit, &session, "", ServiceForm::default(), &[], StatusCode::OK);
    }
    match app.catalogue().service(&code) {
        Some(s) => edit_page(&app, &visit, &session, &code, ServiceForm::of(s), &[], StatusCode::OK),
        None => crate::public::not_found(&visit, &app.charter()),
    }
}

pub(super) async fn save(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(code): Path<String>,
    CsrfForm(mut f): CsrfForm<ServiceForm>,
) -> Response {
    // An existing service keeps its number; a new one must not take an existing number.
    let existing = if code == "new" { String::new() } else { code.clone() };
    if !existing.is_empty() {
        if app.catalogue().service(&existing).is_none() {
            return crate::public::not_found(&visit, &app.charter());
        }
        f.code = existing.clone();
    } else if app.catalogue().service(f.code.trim()).is_some() {
        let taken = FieldError::new("code", "is already in the catalogue").with_code("taken");
        return edit_page(&app, &visit, &session, &existing, f, &[taken], StatusCode::UNPROCESSABLE_ENTITY);
    }
    let checked =
        f.to_json().map_err(|e| AppError::Invalid(vec![e])).and_then(|v| app.check_service(&session.principal, v));
    let result = match checked {
        Ok(service) => app.put_service(&session.principal, service).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => Redirect::to(&format!("/staff/services?saved={}", f.code.trim())).into_response(),
        Err(AppError::Invalid(found)) => {
            edit_page(&app, &visit, &session, &existing, f, &found, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}
