//! The edge every request crosses, written once as one middleware (each layer of its own cost a
//! share of every page): who is asking (see [`crate::client`]), the request id that is in every
//! log line and on every error page, the time a request may take, the headers that make every
//! answer safer, and the one place where a failure is logged and a refusal that a handler left
//! unrendered (or that axum made itself, in English plain text) becomes a page in the visitor's
//! language or an RFC 9457 problem.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use harta_app::{App, AppError};
use tracing::Instrument;

use crate::client::{self, TrustedProxies};
use crate::problem::Problem;
use crate::public::{self, Visit};

/// What the edge needs besides the request.
#[derive(Clone)]
pub(crate) struct Edge {
    pub app: App,
    pub proxies: TrustedProxies,
}

tokio::task_local! {
    /// The id of the request being answered, for problems and error pages.
    static REQUEST_ID: Arc<str>;
}

/// The id of the request being answered, while one is.
pub(crate) fn request_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// The header that carries the request id both ways.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// How long a request may take at most, from its first byte to its answer.
const REQUEST_TIME: Duration = Duration::from_secs(30);

/// A failure of ours behind an answer, with its sources, in the answer's extensions: the edge
/// logs it once, with the request id; the visitor sees only that id.
#[derive(Debug, Clone)]
pub(crate) struct Failure(Arc<str>);

impl Failure {
    /// The error and every source under it, on one line.
    pub fn of(error: &(dyn std::error::Error + 'static)) -> Self {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(e) = source {
            text.push_str(": ");
            text.push_str(&e.to_string());
            source = e.source();
        }
        Self(text.into())
    }

    /// A failure described in words.
    pub fn text(text: &str) -> Self {
        Self(text.into())
    }
}

/// A refusal or failure a handler answers with `?`, rendered by the edge as a page in the
/// visitor's language (or a problem under `/api/`), with the request id where it is ours.
#[derive(Debug)]
pub(crate) struct PageError {
    what: Refusal,
    failure: Option<Failure>,
}

/// What went wrong, as the page says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Nothing here, or nothing this caller may know of.
    NotFound,
    /// The role may not do this.
    Forbidden,
    /// A form without this session's anti-forgery token, or from another site.
    Forged,
    /// No live session: to the sign-in page.
    SignIn,
    /// Signed in with a password an administrator set: to the page that changes it.
    ChangePassword,
    /// Too many attempts.
    TooMany,
    /// The case's state (or a newer version) does not allow it now; the conflict's code.
    NotNow(&'static str),
    /// Fields are invalid and the handler shows no form to correct them on.
    Invalid,
    /// The request could not be read (axum's own refusals).
    Unreadable,
    /// The store did not answer: nothing was stored, try again.
    Unavailable,
    /// A failure of ours.
    Failed,
}

impl Refusal {
    fn status(self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Forbidden | Self::Forged => StatusCode::FORBIDDEN,
            Self::SignIn | Self::ChangePassword => StatusCode::SEE_OTHER,
            Self::TooMany => StatusCode::TOO_MANY_REQUESTS,
            Self::NotNow(_) => StatusCode::CONFLICT,
            Self::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unreadable => StatusCode::BAD_REQUEST,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Failed => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl PageError {
    /// A refusal that is not a failure.
    pub fn new(what: Refusal) -> Self {
        Self { what, failure: None }
    }

    /// A failure of ours, with its source.
    pub fn failed(e: &(dyn std::error::Error + 'static)) -> Self {
        Self { what: Refusal::Failed, failure: Some(Failure::of(e)) }
    }

    /// The page for a use case's answer.
    pub fn of(e: &AppError) -> Self {
        let what = match e {
            AppError::Invalid(_) => Refusal::Invalid,
            AppError::Unauthenticated => Refusal::SignIn,
            AppError::Forbidden(_) => Refusal::Forbidden,
            AppError::NotFound(_) => Refusal::NotFound,
            AppError::Conflict { code, .. } => Refusal::NotNow(code),
            AppError::TooMany => Refusal::TooMany,
            AppError::Store(_) => Refusal::Unavailable,
            AppError::Internal(_) | AppError::WrongKey => Refusal::Failed,
        };
        let failure = matches!(what, Refusal::Unavailable | Refusal::Failed).then(|| Failure::of(e));
        Self { what, failure }
    }

    /// The page, when the handler has the visit at hand.
    pub fn render(self, visit: &Visit, app: &App) -> Response {
        let mut response = refusal_page(visit, app, self.what, request_id());
        if let Some(failure) = self.failure {
            response.extensions_mut().insert(failure);
        }
        response
    }
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        Self::of(&e)
    }
}

/// Left for the edge to render: the refusal travels in the answer's extensions.
impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let mut response = self.what.status().into_response();
        response.extensions_mut().insert(self.what);
        if let Some(failure) = self.failure {
            response.extensions_mut().insert(failure);
        }
        response
    }
}

/// The page that says what went wrong, in the visitor's language; for our failures, with the
/// request id to quote.
fn refusal_page(visit: &Visit, app: &App, what: Refusal, id: Option<String>) -> Response {
    let charter = app.charter();
    let l = visit.l();
    let (title, body) = match what {
        Refusal::NotFound => return public::not_found(visit, &charter),
        Refusal::SignIn => return Redirect::to("/staff/sign-in").into_response(),
        Refusal::ChangePassword => return Redirect::to("/staff/password").into_response(),
        Refusal::Forbidden => (l.t("staff-forbidden-title"), l.t("staff-err-forbidden")),
        Refusal::Forged => (l.t("err-forged-title"), l.t("err-csrf")),
        Refusal::TooMany => (l.t("err-too-many-title"), l.t("err-too-many")),
        Refusal::NotNow(code) => {
            let own = format!("conflict-{code}");
            let body = match l.t(&own) {
                text if text != own => text,
                _ => l.t("staff-err-not-now"),
            };
            (l.t("err-not-now-title"), body)
        }
        Refusal::Invalid => (l.t("error-summary-title"), l.t("err-invalid-request")),
        Refusal::Unreadable => (l.t("err-request-title"), l.t("err-request")),
        Refusal::Unavailable => (l.t("error-title"), l.t("error-body")),
        Refusal::Failed => (l.t("error-title"), l.t("error-failed")),
    };
    let quote = id.filter(|_| matches!(what, Refusal::Unavailable | Refusal::Failed));
    public::error_page(visit, &charter, what.status(), &title, &body, quote.as_deref())
}

/// The problem for a refusal left unrendered under `/api/`.
fn refusal_problem(what: Refusal, id: &str) -> Response {
    let (kind, title, detail) = match what {
        Refusal::NotFound => ("/problems/not-found", "Not found", "there is nothing at this address"),
        Refusal::Forbidden | Refusal::Forged => ("/problems/forbidden", "Not allowed", "this is not allowed"),
        Refusal::SignIn | Refusal::ChangePassword => {
            ("/problems/unauthenticated", "Authentication required", "send a valid token")
        }
        Refusal::TooMany => ("/problems/too-many", "Too many attempts", "too many attempts; try again later"),
        Refusal::NotNow(_) => ("/problems/conflict", "Conflict", "this is not possible in the current state"),
        Refusal::Invalid | Refusal::Unreadable => {
            ("/problems/bad-request", "Bad request", "the request could not be read: check its address, query and body")
        }
        Refusal::Unavailable => (
            "/problems/unavailable",
            "Temporarily unavailable",
            "the request could not be completed; nothing was stored, please try again",
        ),
        Refusal::Failed => ("/problems/internal", "Internal error", "an internal error occurred"),
    };
    Problem::new(what.status(), kind, title, detail).with_instance(id).into_response()
}

/// The edge itself, outermost around every route (see the module's note).
pub(crate) async fn edge(State(edge): State<Edge>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<std::net::SocketAddr>>().map(|ConnectInfo(a)| *a);
    let client = client::resolve(&edge.proxies, peer, request.headers());
    request.extensions_mut().insert(client);
    let id = request_id_of(request.headers());
    // What a page rendered here needs of the request (its address, cookies and client), kept
    // cheaply: the answer almost never needs it.
    let uri = request.uri().clone();
    let cookies: Vec<HeaderValue> = request.headers().get_all(header::COOKIE).iter().cloned().collect();
    let uploading = request.method() == Method::POST
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
    // The request id is in every log line of the request and in its answer's `x-request-id`,
    // so a person's error report finds the log line.
    let span = tracing::info_span!("request", id = &*id, method = %request.method(), path = %uri.path());
    let answer = REQUEST_ID.scope(id.clone(), async move {
        // A form with documents may take as long as the network needs: its reading stops only
        // when it stalls (see `public::upload`), and what it registers is bounded by the
        // registrar's deadline.
        if uploading {
            return next.run(request).await;
        }
        match tokio::time::timeout(REQUEST_TIME, next.run(request)).await {
            Ok(response) => response,
            Err(_) => {
                PageError { what: Refusal::Unavailable, failure: Some(Failure::text("the request took over 30 s")) }
                    .into_response()
            }
        }
    });
    let mut response = answer.instrument(span.clone()).await;
    if let Some(Failure(failure)) = response.extensions_mut().remove::<Failure>() {
        let status = response.status().as_u16();
        span.in_scope(|| tracing::error!(status, error = &*failure, "request failed"));
    }
    let refusal = response.extensions_mut().remove::<Refusal>().or_else(|| axum_rejection(&response));
    if let Some(what) = refusal {
        response = if uri.path().starts_with("/api/") {
            refusal_problem(what, &id)
        } else {
            let mut head = axum::http::Request::new(());
            *head.uri_mut() = uri;
            head.headers_mut().extend(cookies.into_iter().map(|c| (header::COOKIE, c)));
            head.extensions_mut().insert(client);
            let (mut parts, ()) = head.into_parts();
            let Ok(visit) = Visit::from_request_parts(&mut parts, &edge.app).await;
            let status = response.status();
            let mut page = refusal_page(&visit, &edge.app, what, Some(id.to_string()));
            // axum's own refusals keep their status (413 for a body too large, 415…).
            if what == Refusal::Unreadable {
                *page.status_mut() = status;
            }
            page
        };
    }
    safe_headers(response.headers_mut(), client.https);
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(X_REQUEST_ID, v);
    }
    response
}

/// The caller's own request id when it is a short printable token (a proxy's), a new one
/// otherwise.
fn request_id_of(headers: &HeaderMap) -> Arc<str> {
    let given = headers
        .get(X_REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
    match given {
        Some(id) => id.into(),
        None => new_request_id().into(),
    }
}

/// A random (version 4) UUID in its usual 36-character form: written here, since it is 16
/// random bytes and four dashes, rather than taking a crate for it.
fn new_request_id() -> String {
    let Ok(mut b) = harta_app::secrets::random_bytes::<16>() else { return "-".into() };
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = harta_app::secrets::hex(&b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// axum answers a request it cannot read (a path segment that is not a number, a query or a
/// form that does not parse, a body too large) with one line of English plain text.
fn axum_rejection(response: &Response) -> Option<Refusal> {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    (response.status().is_client_error() && plain).then_some(Refusal::Unreadable)
}

/// Headers that make every answer safer: no inline or third-party script, style or frame
/// (CSP), no MIME sniffing, no referrer to other sites, no embedding in frames; behind a
/// trusted TLS proxy, browsers are told to come back only over HTTPS for a year.
fn safe_headers(headers: &mut HeaderMap, https: bool) {
    const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    let safe = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    for (name, value) in safe {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    }
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
}

/// The answer to a panic: a failure of ours, rendered by the edge.
pub(crate) fn panicked(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a handler panicked".into());
    PageError { what: Refusal::Failed, failure: Some(Failure::text(&format!("panic: {text}"))) }.into_response()
}
