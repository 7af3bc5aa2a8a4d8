//! The JSON API over real HTTP, against the running router, on every backend.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod api;
mod bad_input;
mod lifecycle;
mod support;
