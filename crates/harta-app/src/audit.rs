//! The audit trail for those who watch over personal data (C5).

use harta_store::audit::{AuditEntry, AuditFilter, Checkpoint, Verdict};

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

impl App {
    /// Checks the whole audit trail's hash chain (auditors and administrators).
    pub async fn verify_audit(&self, who: &Principal) -> Result<Verdict, AppError> {
        who.require(Action::ReadAudit)?;
        self.verify_audit_against(who, None).await
    }

    /// Checks the audit trail, and against a checkpoint kept outside the database when one is
    /// given (its text as printed by [`App::audit_checkpoint`]): a checkpoint that is not the
    /// trail's is an invalid `checkpoint`.
    pub async fn verify_audit_against(&self, who: &Principal, checkpoint: Option<&str>) -> Result<Verdict, AppError> {
        who.require(Action::ReadAudit)?;
        let point = checkpoint
            .map(|text| Checkpoint::from_text(text.trim(), &self.inner.audit))
            .transpose()
            .map_err(|e| AppError::Invalid(vec![FieldError::new("checkpoint", e).with_code("foreign_checkpoint")]))?;
        Ok(self.inner.audit.verify(point.as_ref()).await?)
    }

    /// A signed checkpoint of the audit trail as it stands, as one line to keep outside the
    /// database (auditors and administrators; the server also logs one each day).
    pub async fn audit_checkpoint(&self, who: &Principal) -> Result<String, AppError> {
        who.require(Action::ReadAudit)?;
        let point = self.inner.audit.checkpoint(self.now()).await?;
        Ok(point.to_text(&self.inner.audit)?)
    }

    /// A page of the audit trail, newest first (auditors and administrators): who viewed,
    /// changed or exported which case or person, when and from where.
    pub async fn audit_entries(&self, who: &Principal, filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
        who.require(Action::ReadAudit)?;
        Ok(self.inner.audit.list(&AuditFilter { limit: filter.limit.clamp(1, 200), ..filter }).await?)
    }

    /// Every entry the filter finds (at most [`crate::cases::EXPORT_LIMIT`]), newest first, for
    /// an export; the export itself is recorded in the trail first.
    pub async fn export_audit(&self, who: &Principal, filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
        who.require(Action::ReadAudit)?;
        let limit = crate::cases::EXPORT_LIMIT;
        let mut page = AuditFilter { limit: 200, offset: 0, ..filter.clone() };
        let mut entries = Vec::new();
        loop {
            let found = self.inner.audit.list(&page).await?;
            let full = found.len() == page.limit as usize;
            entries.extend(found);
            if !full || entries.len() >= limit {
                break;
            }
            page.offset += page.limit;
        }
        entries.truncate(limit);
        let shown = |v: &Option<String>| v.as_deref().unwrap_or("").chars().take(60).collect::<String>();
        let detail = format!(
            "{} entries; actor={} action={} subject={}",
            entries.len(),
            shown(&filter.actor),
            shown(&filter.action),
            shown(&filter.subject)
        );
        self.inner.audit.record(self.now(), &who.audit_name(), "export_audit", "audit", &detail).await?;
        Ok(entries)
    }
}
