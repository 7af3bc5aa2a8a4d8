//! The public site for citizens: the charter and contacts, the service catalogue, submitting
//! online and tracking a case. Server-rendered HTML that works without JavaScript, in Bulgarian
//! first and English second, with one stylesheet and no third-party requests.

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, Query};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use harta_app::{App, AppError};
use harta_domain::charter::Charter;

use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};

use crate::i18n::{Lang, Localizer};

mod assets;
mod board;
pub(crate) mod home;
pub(crate) mod performance;
mod services;
mod submit;
pub(crate) use submit::{due_text, size_text};
mod track;
pub(crate) mod upload;

/// The public pages.
pub fn router() -> Router<App> {
    Router::new()
        .route("/", get(home::home))
        .route("/accessibility", get(home::accessibility))
        .route("/lang/{code}", get(switch_language))
        .merge(services::router())
        .merge(submit::router())
        .merge(track::router())
        .merge(board::router())
        .merge(performance::router())
        .merge(assets::router())
}

/// The cookie that remembers the chosen language.
const LANG_COOKIE: &str = "lang";
/// The cookie that carries the anti-forgery token for forms.
const CSRF_COOKIE: &str = "harta_csrf";

/// What every page needs to know about the request: the language, the address it was asked
/// for, the caller's network address (see [`crate::client`]) and the anti-forgery token.
pub(crate) struct Visit {
    pub lang: Lang,
    pub uri: Uri,
    pub from: String,
    /// The request's anti-forgery token, and whether it is new (and must be set as a cookie).
    pub csrf: (String, bool),
    /// Whether the visitor reached us over HTTPS (through a trusted TLS proxy in front of
    /// harta): cookies are then `Secure`.
    pub https: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Visit {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = cookie(&parts.headers, LANG_COOKIE).as_deref().and_then(Lang::parse).unwrap_or_default();
        let client = parts.extensions.get::<crate::client::Client>().copied();
        let from = client.map_or_else(|| "unknown".to_string(), |c| c.address());
        let csrf = match csrf_cookie(&parts.headers) {
            Some(t) => (t, false),
            None => (
                harta_app::secrets::random_bytes::<16>().map(|b| harta_app::secrets::hex(&b)).unwrap_or_default(),
                true,
            ),
        };
        let https = client.is_some_and(|c| c.https);
        Ok(Self { lang, uri: parts.uri.clone(), from, csrf, https })
    }
}

impl Visit {
    /// The localizer for the page.
    pub fn l(&self) -> Localizer {
        Localizer::new(self.lang)
    }

    /// The parts of every page that come from the charter: the administration's name and
    /// contacts, the language switch and the current section.
    pub fn chrome(&self, charter: &Charter, nav: &'static str) -> Chrome {
        let l = self.l();
        let a = &charter.administration;
        let here = self.uri.path_and_query().map_or("/", |p| p.as_str());
        Chrome {
            l,
            nav,
            name: l.pick(&a.name).to_string(),
            address: l.pick(&a.address).to_string(),
            switchboard: a.switchboard.national(),
            switchboard_tel: a.switchboard.as_str().to_string(),
            fax: a.fax.as_ref().map(|f| f.national()),
            email: a.email.as_str().to_string(),
            website: a.website.clone(),
            switch_href: format!("/lang/{}?next={}", self.lang.other().code(), percent_encode(here)),
            asset: assets::VERSION,
        }
    }

    /// Checks a form's anti-forgery token against the cookie, and that the form came from this
    /// site (a browser always names the origin of a cross-site form).
    pub fn csrf_ok(&self, headers: &HeaderMap, token: &str) -> bool {
        !self.csrf.1 && same_origin(headers) && constant_time_eq(self.csrf.0.as_bytes(), token.as_bytes())
    }

    /// What a form of this visit must show before its files are written: the token
    /// [`Visit::csrf_ok`] checks, and the visitor's upload budget.
    pub fn upload_gate<'a>(&'a self, headers: &HeaderMap) -> upload::Gate<'a> {
        upload::Gate {
            token: &self.csrf.0,
            trusted_origin: !self.csrf.1 && same_origin(headers),
            sender: Some(&self.from),
        }
    }

    /// A rendered page with the headers it needs (a new anti-forgery cookie, no caching of
    /// pages that hold personal data when `private`).
    pub fn page(&self, status: StatusCode, html: Result<String, askama::Error>, private: bool) -> Response {
        let html = match html {
            Ok(html) => html,
            Err(e) => return crate::edge::PageError::failed(&e).into_response(),
        };
        let mut response = (status, Html(html)).into_response();
        let headers = response.headers_mut();
        if self.csrf.1 {
            let cookie = Cookie::build((CSRF_COOKIE, self.csrf.0.clone())).path("/").http_only(true);
            set_cookie(headers, cookie.same_site(SameSite::Strict).secure(self.https).build());
        }
        let cache = if private { "no-store" } else { "no-cache" };
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
        response
    }
}

/// The parts of every page that do not depend on the page.
pub(crate) struct Chrome {
    pub l: Localizer,
    pub nav: &'static str,
    pub name: String,
    pub address: String,
    pub switchboard: String,
    pub switchboard_tel: String,
    pub fax: Option<String>,
    pub email: String,
    pub website: String,
    pub switch_href: String,
    pub asset: &'static str,
}

/// An invalid field as a page shows it: the input's id (for the summary's link) and the
/// message in the page's language.
#[derive(Debug, Clone)]
pub(crate) struct ShownError {
    pub id: String,
    pub text: String,
}

/// Finds a field's message among the shown errors.
pub(crate) fn error_for<'a>(errors: &'a [ShownError], id: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.id == id).map(|e| e.text.as_str())
}

#[derive(serde::Deserialize)]
struct Next {
    next: Option<String>,
}

/// Remembers the chosen language and goes back to the page it was chosen on (only ever a path
/// on this site, never another site).
async fn switch_language(axum::extract::Path(code): axum::extract::Path<String>, Query(next): Query<Next>) -> Response {
    let Some(lang) = Lang::parse(&code) else {
        return (StatusCode::NOT_FOUND, "no such language").into_response();
    };
    let next = next.next.as_deref().and_then(local_target).unwrap_or_else(|| "/".into());
    let mut response = Redirect::to(&next).into_response();
    let cookie = Cookie::build((LANG_COOKIE, lang.code())).path("/").permanent().same_site(SameSite::Lax);
    set_cookie(response.headers_mut(), cookie.build());
    response
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    c: Chrome,
}

/// The page for an address that leads nowhere.
pub(crate) fn not_found(visit: &Visit, charter: &Charter) -> Response {
    let page = NotFoundPage { c: visit.chrome(charter, "") };
    visit.page(StatusCode::NOT_FOUND, page.render(), false)
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    c: Chrome,
    title: String,
    body: String,
    /// The request id to quote, for a failure of ours.
    quote: Option<String>,
}

/// A page that says what went wrong in the visitor's language; for a failure of ours, with the
/// request id (`quote`) that finds the log line.
pub(crate) fn error_page(
    visit: &Visit,
    charter: &Charter,
    status: StatusCode,
    title: &str,
    body: &str,
    quote: Option<&str>,
) -> Response {
    let page = ErrorPage {
        c: visit.chrome(charter, ""),
        title: title.into(),
        body: body.into(),
        quote: quote.map(Into::into),
    };
    visit.page(status, page.render(), true)
}

/// A cookie's value, as the `cookie` crate reads the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers).get(name).map(|c| c.value().to_string())
}

/// Adds a `Set-Cookie` for `cookie`, written by the `cookie` crate.
pub(crate) fn set_cookie(headers: &mut HeaderMap, cookie: Cookie<'_>) {
    if let Ok(v) = HeaderValue::from_str(&cookie.to_string()) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// The visitor's anti-forgery token, when their browser holds a well-formed one.
pub(crate) fn csrf_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE).filter(|t| is_token(t))
}

fn is_token(t: &str) -> bool {
    t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether a post came from our own pages: its `Origin`, when the browser sends one, is ours.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => origin
            .to_str()
            .ok()
            .and_then(|o| o.split_once("://").map(|(_, h)| h.to_string()))
            .is_some_and(|o| host.to_str().is_ok_and(|h| h == o)),
        // No Origin: an old browser or a non-browser client; the token alone decides.
        _ => true,
    }
}

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Percent-encodes text for a query value.
pub(crate) fn percent_encode(text: &str) -> String {
    /// Everything but letters, digits and `-_.~/`.
    const PATH: &percent_encoding::AsciiSet =
        &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~').remove(b'/');
    percent_encoding::utf8_percent_encode(text, PATH).to_string()
}

/// A place on this site to send a visitor back to, as a `Location` that cannot lead elsewhere:
/// every byte a browser might read past (controls, spaces, `\`, anything not ASCII) is
/// percent-encoded first, then the target must be a path of ours (`/…`, never `//…`).
fn local_target(next: &str) -> Option<String> {
    const UNSAFE: &percent_encoding::AsciiSet =
        &percent_encoding::CONTROLS.add(b' ').add(b'\\').add(b'"').add(b'<').add(b'>').add(b'`');
    let encoded = percent_encoding::utf8_percent_encode(next, UNSAFE).to_string();
    (encoded.starts_with('/') && !encoded.starts_with("//")).then_some(encoded)
}

/// A failure that is not the person's doing (or a refusal the handler has no form for): the
/// page in their language; the edge logs the failure once.
pub(crate) fn failure(app: &App, visit: &Visit, e: &AppError) -> Response {
    crate::edge::PageError::of(e).render(visit, app)
}

/// A stored (E.164) telephone number as people in Bulgaria write it; empty when there is none.
pub(crate) fn phone_national(stored: Option<&str>) -> String {
    stored.and_then(|p| harta_domain::identifiers::Phone::parse(p).ok()).map(|p| p.national()).unwrap_or_default()
}
