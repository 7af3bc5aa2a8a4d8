//! harta's outside world: the ways messages leave it and come in. Each implements a small trait that
//! harta-app calls, so the use cases never see a protocol.
#![warn(missing_docs)]

pub mod imap;
pub mod inbound;
pub mod mail;
#[cfg(feature = "testing")]
pub mod testing;
