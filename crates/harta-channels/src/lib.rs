//! harta's outside world: the ways messages leave it. Each implements a small trait that
//! harta-app calls, so the use cases never see a protocol.
#![warn(missing_docs)]

pub mod mail;
#[cfg(feature = "testing")]
#[allow(clippy::expect_used, clippy::unwrap_used)] // a test harness fails loudly
pub mod testing;
