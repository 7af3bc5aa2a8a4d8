//! A case's documents for staff: opened from the case page (each opening audited by the use
//! case), and added from the counter or the officer's desk (scans, e-mail attachments), checked
//! by their content as citizens' uploads are.

use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::{App, AppError};
use serde::Deserialize;

use super::{SignedIn, forbidden};
use crate::public::upload::{FormError, Gate, read_form};
use crate::public::{ShownError, Visit, percent_encode};

pub(super) async fn open(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path((number, id)): Path<(String, String)>,
) -> Response {
    // An id that is not a number is as unknown as another case's document.
    let Ok(id) = id.parse::<i64>() else { return crate::public::not_found(&visit, &app.charter()) };
    match app.open_document(&session.principal, &number, id).await {
        Ok(opened) => crate::documents::served(opened),
        Err(AppError::NotFound(_)) => crate::public::not_found(&visit, &app.charter()),
        Err(AppError::Forbidden(_)) => forbidden(&app, &visit),
        Err(e) => crate::public::failure(&app, &visit, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Added {
    csrf: String,
}

pub(super) async fn add(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    Path(number): Path<String>,
    request: Request,
) -> Response {
    match added(&app, &visit, &session, &number, request).await {
        Ok(()) => {
            Redirect::to(&format!("/staff/cases/{}?done=documents#documents", percent_encode(&number))).into_response()
        }
        Err(Refused::Page(page)) => page,
        Err(Refused::Form(text)) => {
            let shown = super::case::Shown::errors(vec![ShownError { id: "documents".into(), text }]);
            super::case::back_with(&app, &session, &number, &shown).await
        }
    }
}

/// Why documents were not added: the case page again with the reason, or another page.
enum Refused {
    Form(String),
    Page(Response),
}

async fn added(
    app: &App,
    visit: &Visit,
    session: &harta_app::signing_in::StaffSession,
    number: &str,
    request: Request,
) -> Result<(), Refused> {
    let l = visit.l();
    let same_origin = crate::public::same_origin(request.headers());
    let gate = Gate { token: &session.csrf, trusted_origin: same_origin, sender: None };
    let (posted, documents, refused) = match read_form::<Added>(app, request, Some(gate)).await {
        Ok(read) => read,
        Err(FormError::TooLarge) => {
            return Err(Refused::Form(l.t("err-body-too-large")));
        }
        Err(FormError::Unreadable) => return Err(Refused::Form(l.t("err-encoding-form"))),
        Err(FormError::Stalled) => return Err(Refused::Form(l.t("err-body-stalled"))),
        Err(FormError::Store(e)) => {
            return Err(Refused::Page(crate::public::failure(app, visit, &AppError::internal(e))));
        }
        Err(FormError::App(e)) => return Err(Refused::Page(crate::public::failure(app, visit, &e))),
    };
    if !same_origin || !crate::public::constant_time_eq(posted.csrf.as_bytes(), session.csrf.as_bytes()) {
        return Err(Refused::Page(crate::edge::PageError::new(crate::edge::Refusal::Forged).render(visit, app)));
    }
    if let Some((name, why)) = refused.first() {
        let text = l.ts(&format!("err-{}", harta_domain::Coded::code(why)), "field", name);
        return Err(Refused::Form(text));
    }
    match app.add_documents(&session.principal, number, &documents).await {
        Ok(()) => Ok(()),
        Err(AppError::NotFound(_)) => Err(Refused::Page(crate::public::not_found(visit, &app.charter()))),
        Err(AppError::Forbidden(_)) => Err(Refused::Form(l.t("staff-err-forbidden"))),
        Err(AppError::Invalid(found)) => {
            let text = found.first().map_or_else(|| l.t("err-invalid"), |e| l.field_error(e, &l.t("field-documents")));
            Err(Refused::Form(text))
        }
        Err(e) => Err(Refused::Page(crate::public::failure(app, visit, &e))),
    }
}
