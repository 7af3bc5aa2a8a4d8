//! The service catalogue as staff edit it: one row per service, its content as JSON in the
//! catalogue file's shape (checked by the domain before it gets here).

use jiff::Timestamp;
use sqlx::Row;

use crate::rows::millis;
use crate::{Db, Result, on_db};

/// The stored catalogue.
#[derive(Debug, Clone)]
pub struct Services {
    db: Db,
}

impl Services {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Every service's JSON, in catalogue order.
    pub async fn all(&self) -> Result<Vec<String>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query("SELECT data FROM services ORDER BY position, code").fetch_all(pool).await?;
            rows.iter().map(|r| Ok(r.try_get::<String, _>("data")?)).collect()
        })
    }

    /// Adds or replaces a service; a new one goes to the end of the catalogue.
    pub async fn put(&self, code: &str, json: &str, at: Timestamp, by: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO services (code, position, data, updated_at, updated_by)
                 VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 1 FROM services), $2, $3, $4)
                 ON CONFLICT (code) DO UPDATE SET data = $2, updated_at = $3, updated_by = $4,
                    revision = services.revision + 1",
            )
            .bind(code)
            .bind(json)
            .bind(millis(at))
            .bind(by)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// What changes whenever the catalogue does (the number of services and the sum of their
    /// revisions, each of which grows with every edit), so other replicas notice an edit.
    pub async fn version(&self) -> Result<(i64, i64)> {
        on_db!(read & self.db, |pool| {
            let row =
                sqlx::query("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(revision), 0) AS BIGINT) AS r FROM services")
                    .fetch_one(pool)
                    .await?;
            Ok((row.try_get("n")?, row.try_get("r")?))
        })
    }
}
