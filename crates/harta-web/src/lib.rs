//! harta's HTTP adapters: the JSON API and health checks, over one axum router.
#![warn(missing_docs)]

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use harta_app::App;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub mod api;
mod problem;

pub use problem::Problem;

/// The whole HTTP surface, ready to serve.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .merge(api::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, Duration::from_secs(30)))
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
        .with_state(app)
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

async fn not_found() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "/problems/not-found", "Not found", "there is nothing at this address")
}
