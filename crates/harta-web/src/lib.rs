//! harta's HTTP adapters: the JSON API and health checks, over one axum router.
#![warn(missing_docs)]

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use harta_app::App;
use tower_http::catch_panic::CatchPanicLayer;

pub mod api;
mod charts;
pub mod client;
mod documents;
mod edge;
mod forms;
pub mod i18n;
pub mod mail;
mod problem;
mod public;
pub mod report;
mod staff;

pub use client::TrustedProxies;
pub use problem::Problem;

/// The whole HTTP surface, ready to serve; forwarding headers are believed from `proxies` only.
pub fn router(app: App, proxies: TrustedProxies) -> Router {
    let edge = edge::Edge { app: app.clone(), proxies };
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .merge(api::router())
        .merge(public::router())
        .merge(staff::router())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(api::BODY_LIMIT))
        .layer(CatchPanicLayer::custom(edge::panicked))
        .layer(axum::middleware::from_fn_with_state(edge, edge::edge))
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

/// An address that leads nowhere: a problem for API clients, a page for people.
async fn not_found() -> edge::PageError {
    edge::PageError::new(edge::Refusal::NotFound)
}
