//! The schema's migrations, embedded at build time by `build.rs` (without sqlx's macros).

use std::borrow::Cow;

use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

include!(concat!(env!("OUT_DIR"), "/migrations.rs"));

/// sqlx's migrator over one backend's list, with the checksums `sqlx::migrate!` would record.
pub(crate) fn migrator(list: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    Migrator::with_migrations(
        list.iter()
            .map(|&(version, description, sql)| {
                let no_tx = sql.starts_with("-- no-transaction");
                Migration::new(version, Cow::Borrowed(description), MigrationType::Simple, sql.into_sql_str(), no_tx)
            })
            .collect(),
    )
}
