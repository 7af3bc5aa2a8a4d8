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
}
