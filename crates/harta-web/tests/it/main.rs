//! The JSON API and the public site over real HTTP, against the running router, on every backend.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod api;
mod bad_input;
mod deliveries;
mod lifecycle;
mod mail;
mod mail_in;
mod morning;
mod performance;
mod public;
mod reliability;
mod roles;
mod service_requests;
mod staff;
mod support;
