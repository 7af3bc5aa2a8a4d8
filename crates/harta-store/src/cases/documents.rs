//! The documents recorded with a case (their content is kept by the app under its hash).

use harta_domain::case::Actor;
use jiff::Timestamp;
use sqlx::Row;

use super::Cases;
use crate::rows::timestamp;
use crate::{Result, StoreError, on_db};

/// A document as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Its size in bytes.
    pub size: i64,
    /// The SHA-256 of its content.
    pub sha256: String,
    /// When it was added.
    pub added_at: Timestamp,
    /// Who added it.
    pub added_by: Actor,
}

impl Cases {
    /// The documents of a case, in the order they were added.
    pub async fn documents(&self, case_id: i64) -> Result<Vec<DocumentRecord>> {
        self.documents_where(case_id, None).await
    }

    /// One document of a case; another case's document is absent.
    pub async fn document(&self, case_id: i64, id: i64) -> Result<Option<DocumentRecord>> {
        Ok(self.documents_where(case_id, Some(id)).await?.into_iter().next())
    }

    async fn documents_where(&self, case_id: i64, id: Option<i64>) -> Result<Vec<DocumentRecord>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT id, name, media_type, size, sha256, added_at, added_by FROM documents
                 WHERE case_id = $1 AND ($2 IS NULL OR id = $2) ORDER BY id",
            )
            .bind(case_id)
            .bind(id)
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|row| {
                    let by: String = row.try_get("added_by")?;
                    Ok(DocumentRecord {
                        id: row.try_get("id")?,
                        name: row.try_get("name")?,
                        media_type: row.try_get("media_type")?,
                        size: row.try_get("size")?,
                        sha256: row.try_get("sha256")?,
                        added_at: timestamp(row.try_get("added_at")?)?,
                        added_by: serde_json::from_str(&by).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .collect()
        })
    }
}
