//! Writing and reading a case's letters: a draft from the charter's template, a preview with
//! plain-language advice and the contact block as it will be printed, then the letter issued;
//! issued letters shown as stored and downloaded as PDF.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::letters::{LetterDraft, Preview};
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError, FieldError};
use harta_domain::case::PreferredChannel;
use harta_domain::plain::Advice;
use serde::Deserialize;

use super::{SignedIn, forbidden, labelled_errors};
use crate::forms::CsrfForm;
use crate::i18n::Localizer;
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_letter_form.html")]
struct FormPage {
    c: Chrome,
    s: super::StaffHeader,
    number: String,
    kind: String,
    f: LetterForm,
    /// The letter laid out, after "Preview".
    preview: Option<String>,
    advice: Vec<String>,
    missing: Option<String>,
    errors: Vec<ShownError>,
    /// The letter goes by post: a return receipt may go with it.
    by_post: bool,
}

impl FormPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

/// The letter form as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct LetterForm {
    kind: String,
    subject: String,
    body: String,
    next: String,
    /// `yes` when the answer refuses the service.
    refusal: String,
    /// `yes` when a letter for the post goes with a return receipt.
    return_receipt: String,
    /// `preview` or `issue`.
    action: String,
}

impl LetterForm {
    fn draft(&self) -> LetterDraft {
        LetterDraft {
            kind: self.kind.clone(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            next: self.next.clone(),
            refusal: self.refusal == "yes",
            return_receipt: self.return_receipt == "yes",
        }
    }
}

/// A piece of advice in the page's words.
fn advice_text(l: Localizer, a: &Advice) -> String {
    match a {
        Advice::LongSentence { words, start } => {
            l.t_args("advice-long_sentence", &[("words", &words.to_string()), ("start", start)])
        }
        Advice::Bureaucratic { phrase, instead } => {
            l.t_args("advice-bureaucratic", &[("phrase", phrase), ("instead", instead)])
        }
        Advice::Passive { phrase } => l.ts("advice-passive", "phrase", phrase),
        Advice::Abbreviation { abbreviation } => l.ts("advice-abbreviation", "abbreviation", abbreviation),
    }
}

/// What the contact block lacks, in the page's words.
fn missing_text(l: Localizer, missing: &[&str]) -> Option<String> {
    (!missing.is_empty()).then(|| {
        let parts: Vec<String> = missing.iter().map(|m| l.t(&format!("letter-contact-{m}"))).collect();
        l.ts("letter-contact-missing", "parts", &parts.join(", "))
    })
}

async fn form_page(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    number: &str,
    f: LetterForm,
    (preview, errors): (Option<Preview>, Vec<ShownError>),
    status: StatusCode,
) -> Response {
    let l = visit.l();
    // The return receipt is offered where the letter goes by post.
    let by_post = matches!(app.letter_channel(&session.principal, number).await, Ok(PreferredChannel::Post));
    let page = FormPage {
        by_post,
        c: visit.chrome(&app.charter(), "staff"),
        s: super::StaffHeader::of(session),
        number: number.to_string(),
        kind: l.t(&format!("letter-kind-{}", f.kind)),
        advice: preview.iter().flat_map(|p| p.advice.iter().map(|a| advice_text(l, a))).collect(),
        missing: preview.as_ref().and_then(|p| missing_text(l, &p.missing)),
        preview: preview.map(|p| p.html),
        f,
        errors,
    };
    visit.page(status, page.render(), true)
}

/// Field errors of a letter, named by their labels.
fn shown(l: Localizer, found: &[FieldError]) -> Vec<ShownError> {
    let mut errors = labelled_errors(
        l,
        found,
        &[
            ("subject", "letter-subject"),
            ("body", "letter-body"),
            ("next", "letter-next"),
            ("kind", "letter-kind"),
            ("refusal", "letter-refusal"),
            ("return_receipt", "letter-return-receipt"),
        ],
    );
    for (e, shown) in found.iter().zip(errors.iter_mut()) {
        match e.code {
            "missing_contact" => {
                shown.id = "contact".into();
                shown.text = l.t("letter-contact-refused");
            }
            "not_answer" | "not_service_request" | "no_appeal" => {
                shown.text = l.t(&format!("letter-refusal-{}", e.code));
            }
            "not_by_post" => shown.text = l.t("letter-return-receipt-not_by_post"),
            _ => {}
        }
    }
    errors
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewLetter {
    kind: String,
}

pub(super) async fn new(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    Query(q): Query<NewLetter>,
) -> Response {
    match app.draft_letter(&session.principal, &number, &q.kind).await {
        Ok(d) => {
            let f =
                LetterForm { kind: d.kind, subject: d.subject, body: d.body, next: d.next, ..LetterForm::default() };
            form_page(&app, &visit, &session, &number, f, (None, Vec::new()), StatusCode::OK).await
        }
        Err(AppError::NotFound(_) | AppError::Invalid(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

pub(super) async fn post(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    CsrfForm(f): CsrfForm<LetterForm>,
) -> Response {
    let l = visit.l();
    let who = &session.principal;
    let draft = f.draft();
    if f.action == "issue" {
        return match app.issue_letter(who, &number, &draft).await {
            Ok(letter) => {
                let to = format!("/staff/cases/{}?letter={}", crate::public::percent_encode(&number), letter.n);
                Redirect::to(&to).into_response()
            }
            // Refused (a gap, a part of the contact block missing): the preview, where the
            // texts allow one, shows what to mend.
            Err(AppError::Invalid(found)) => {
                let preview = app.preview_letter(who, &number, &draft).await.ok();
                let shown = (preview, shown(l, &found));
                form_page(&app, &visit, &session, &number, f, shown, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) => failed(&app, &visit, &e),
        };
    }
    match app.preview_letter(who, &number, &draft).await {
        Ok(preview) => form_page(&app, &visit, &session, &number, f, (Some(preview), Vec::new()), StatusCode::OK).await,
        Err(AppError::Invalid(found)) => {
            form_page(&app, &visit, &session, &number, f, (None, shown(l, &found)), StatusCode::UNPROCESSABLE_ENTITY)
                .await
        }
        Err(e) => failed(&app, &visit, &e),
    }
}

fn failed(app: &App, visit: &Visit, e: &AppError) -> Response {
    match e {
        AppError::NotFound(_) => crate::public::not_found(visit, &app.charter()),
        AppError::Forbidden(_) => forbidden(app, visit),
        e => crate::public::failure(app, visit, e),
    }
}

#[derive(Template)]
#[template(path = "staff_letter.html")]
struct LetterPage {
    c: Chrome,
    s: super::StaffHeader,
    number: String,
    n: i64,
    outgoing: String,
    /// The letter as stored (HTML that harta escaped when it issued the letter).
    html: String,
}

pub(super) async fn show(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path((number, n)): Path<(String, i64)>,
) -> Response {
    match app.letter_html(&session.principal, &number, n).await {
        Ok((outgoing, html)) => {
            let page = LetterPage {
                c: visit.chrome(&app.charter(), "staff"),
                s: super::StaffHeader::of(&session),
                number,
                n,
                outgoing,
                html,
            };
            visit.page(StatusCode::OK, page.render(), true)
        }
        Err(e) => failed(&app, &visit, &e),
    }
}

pub(super) async fn pdf(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path((number, n)): Path<(String, i64)>,
) -> Response {
    match app.letter_pdf(&session.principal, &number, n).await {
        Ok((outgoing, pdf)) => pdf_download(&outgoing, pdf),
        Err(e) => failed(&app, &visit, &e),
    }
}

/// A letter's PDF as a download, named by its outgoing number, never shown inline.
pub(crate) fn pdf_download(outgoing: &str, pdf: Vec<u8>) -> Response {
    crate::documents::download(&format!("{}.pdf", outgoing.replace('/', "-")), "application/pdf", pdf)
}
