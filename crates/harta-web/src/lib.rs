//! harta's HTTP adapters: the JSON API and health checks, over one axum router.
#![warn(missing_docs)]

use std::time::Duration;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use harta_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub mod api;
pub mod client;
mod documents;
pub mod i18n;
pub mod mail;
mod problem;
mod public;
mod staff;

pub use client::TrustedProxies;
pub use problem::Problem;

/// The whole HTTP surface, ready to serve; forwarding headers are believed from `proxies` only.
pub fn router(app: App, proxies: TrustedProxies) -> Router {
    let routes = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .merge(api::router())
        .merge(public::router())
        .merge(staff::router())
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), readable_rejections));
    with_security_headers(routes)
        .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(axum::middleware::from_fn(deadline))
        .layer(CatchPanicLayer::custom(|_| {
            Problem::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "/problems/internal",
                "Internal error",
                "an internal error occurred",
            )
            .into_response()
        }))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            // The request id is in every log line of the request and in its answer's
            // `x-request-id`, so a person's error report finds the log line.
            let id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn_with_state(proxies, client::layer))
        .with_state(app)
}

/// axum answers a request it cannot read (a path segment that is not a number, a query or a
/// form that does not parse, a body of the wrong type) with one line of English plain text.
/// Here, in one place, every such answer becomes what every other refusal is: an RFC 9457
/// problem for the API, a page in the visitor's language for people.
async fn readable_rejections(
    State(app): State<App>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // Only what a page needs (the address, the cookies, the client), kept cheaply: the answer is
    // almost always not a rejection.
    let uri = request.uri().clone();
    let cookies: Vec<HeaderValue> = request.headers().get_all(header::COOKIE).iter().cloned().collect();
    let client = request.extensions().get::<client::Client>().copied();
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    let mut head = axum::http::Request::new(());
    *head.uri_mut() = uri;
    for cookie in cookies {
        head.headers_mut().append(header::COOKIE, cookie);
    }
    if let Some(client) = client {
        head.extensions_mut().insert(client);
    }
    let (mut parts, ()) = head.into_parts();
    if parts.uri.path().starts_with("/api/") {
        let detail = "the request could not be read: check its address, query and body";
        return Problem::new(status, "/problems/bad-request", "Bad request", detail).into_response();
    }
    let Ok(visit) = public::Visit::from_request_parts(&mut parts, &app).await;
    let l = visit.l();
    public::error_page(&visit, &app.charter(), status, &l.t("err-request-title"), &l.t("err-request"))
}

/// Ready when the store answers.
async fn ready(State(app): State<App>) -> impl IntoResponse {
    match app.db().ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
        }
    }
}

/// An address that leads nowhere: a problem for API clients, a page for people.
async fn not_found(State(app): State<App>, request: axum::extract::Request) -> axum::response::Response {
    let (mut parts, _) = request.into_parts();
    if parts.uri.path().starts_with("/api/") {
        return Problem::new(
            StatusCode::NOT_FOUND,
            "/problems/not-found",
            "Not found",
            "there is nothing at this address",
        )
        .into_response();
    }
    let Ok(visit) = public::Visit::from_request_parts(&mut parts, &app).await;
    public::not_found(&visit, &app.charter())
}

/// Headers that make every answer safer: no inline or third-party script, style or frame
/// (CSP), no MIME sniffing, no referrer to other sites, no embedding in frames.
fn with_security_headers(router: Router<App>) -> Router<App> {
    const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
    let headers = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::HeaderName::from_static("permissions-policy"), "camera=(), microphone=(), geolocation=()"),
    ];
    let router = headers.into_iter().fold(router, |router, (name, value)| {
        router.layer(SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value)))
    });
    router.layer(axum::middleware::from_fn(hsts))
}

/// How long a request may take at most, from its first byte to its answer.
const REQUEST_TIME: Duration = Duration::from_secs(30);

/// Answers 503 to a request that takes longer than [`REQUEST_TIME`], except a form with
/// documents, whose body may take as long as the network needs: its reading stops only when it
/// stalls (see `public::upload`), and what it registers is bounded by the registrar's deadline.
async fn deadline(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let uploading = request.method() == axum::http::Method::POST
        && request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
    if uploading {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_TIME, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE.into_response(),
    }
}

/// Behind a trusted TLS proxy (it says so in `X-Forwarded-Proto`), browsers are told to come
/// back only over HTTPS for a year.
async fn hsts(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    let https = request.extensions().get::<client::Client>().is_some_and(|c| c.https);
    let mut response = next.run(request).await;
    if https {
        response.headers_mut().insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}
