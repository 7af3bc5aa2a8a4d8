//! Integration tests of harta-domain against outside witnesses.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod witness;
