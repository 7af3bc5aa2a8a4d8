//! A member's own account: their password, and the second factor (TOTP) they enrol with a QR
//! code drawn on the server.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use harta_app::signing_in::StaffSession;
use harta_app::{App, AppError};
use serde::Deserialize;

use super::sign_in::Code;
use super::{SignedIn, StaffHeader, spaced};
use crate::edge::PageError;
use crate::forms::CsrfForm;
use crate::public::{Chrome, ShownError, Visit, error_for};

#[derive(Template)]
#[template(path = "staff_password.html")]
struct PasswordPage {
    c: Chrome,
    s: StaffHeader,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl PasswordPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

fn password_view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Response {
    // Until a password an administrator set is replaced, the page says why it is shown.
    let notice = notice.or_else(|| session.must_change_password.then(|| visit.l().t("staff-password-temporary")));
    let page = PasswordPage { c: visit.chrome(&app.charter(), "staff"), s: StaffHeader::of(session), errors, notice };
    visit.page(status, page.render(), true)
}

pub(super) async fn password_page(State(app): State<App>, SignedIn(session): SignedIn, visit: Visit) -> Response {
    password_view(&app, &visit, &session, Vec::new(), None, StatusCode::OK)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct NewPassword {
    current: String,
    new: String,
}

pub(super) async fn change_password(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<NewPassword>,
) -> Result<Response, PageError> {
    let l = visit.l();
    match app.change_password(&session, &f.current, &f.new).await {
        Ok(()) => {
            let notice = Some(l.t("staff-password-changed"));
            Ok(password_view(&app, &visit, &session, Vec::new(), notice, StatusCode::OK))
        }
        Err(AppError::Invalid(found)) => {
            let errors = found
                .iter()
                .map(|e| ShownError { id: e.field.clone(), text: l.t(&format!("staff-err-{}", e.code)) })
                .collect();
            Ok(password_view(&app, &visit, &session, errors, None, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "staff_totp.html")]
struct TotpPage {
    c: Chrome,
    s: StaffHeader,
    /// Already in use.
    enabled: bool,
    /// The key offered: ticket, key (spaced), address, and the address as a QR code (SVG).
    offer: Option<(String, String, String, String)>,
    errors: Vec<ShownError>,
    notice: Option<String>,
}

impl TotpPage {
    fn error(&self, id: &str) -> Option<&str> {
        error_for(&self.errors, id)
    }
}

/// An `otpauth://` address as a QR code an authenticator app scans: an SVG of dark squares
/// only, with the address itself as its text alternative on the page.
pub(super) fn qr_svg(uri: &str) -> Result<String, PageError> {
    let code = qrcode::QrCode::with_error_correction_level(uri.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| PageError::failed(&e))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

async fn totp_view(
    app: &App,
    visit: &Visit,
    session: &StaffSession,
    errors: Vec<ShownError>,
    notice: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let enabled = app.uses_totp(session).await?;
    let offer = if enabled {
        None
    } else {
        let (ticket, secret, uri) = app.totp_offer(session)?;
        let qr = qr_svg(&uri)?;
        Some((ticket, spaced(&secret), uri, qr))
    };
    let page = TotpPage {
        c: visit.chrome(&app.charter(), "staff"),
        s: StaffHeader::of(session),
        enabled,
        offer,
        errors,
        notice,
    };
    Ok(visit.page(status, page.render(), true))
}

pub(super) async fn totp_page(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
) -> Result<Response, PageError> {
    totp_view(&app, &visit, &session, Vec::new(), None, StatusCode::OK).await
}

pub(super) async fn confirm_totp(
    State(app): State<App>,
    SignedIn(session): SignedIn,
    visit: Visit,
    CsrfForm(f): CsrfForm<Code>,
) -> Result<Response, PageError> {
    let l = visit.l();
    match app.confirm_totp(&session, &f.ticket, &f.code).await {
        Ok(()) => totp_view(&app, &visit, &session, Vec::new(), Some(l.t("staff-totp-on")), StatusCode::OK).await,
        Err(AppError::Invalid(_)) => {
            let errors = vec![ShownError { id: "code".into(), text: l.t("staff-code-wrong") }];
            totp_view(&app, &visit, &session, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e.into()),
    }
}
