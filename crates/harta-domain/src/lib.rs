//! harta's domain: the rules of a Bulgarian administration's citizen service, with no I/O.
//!
//! Everything here is pure: no database, no clock (the current time is always passed in), no
//! network. Values that have rules are types that can only be made by parsing
//! ([`identifiers::Egn`], [`registry::RegistryNumber`], [`calendar::WorkingDate`]), so the rest
//! of the system never handles an unchecked string where a checked value belongs.
#![warn(missing_docs)]

pub mod calendar;
pub mod case;
pub mod charter;
pub mod deadline;
pub mod format;
pub mod identifiers;
pub mod registry;
