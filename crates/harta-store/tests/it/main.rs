//! The store's story, told once and run against every backend (SQLite always, PostgreSQL when
//! `HARTA_TEST_POSTGRES_URL` is set).
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod audit;
mod calendar;
mod cases;
mod jobs;
mod limits;
mod performance;
mod seed;
mod support;
