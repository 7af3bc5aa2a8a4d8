//! The audit trail for those who watch over personal data (C5).

use harta_store::audit::{AuditEntry, AuditFilter, Verdict};

use crate::access::{Principal, Role};
use crate::{App, AppError};

impl App {
    /// Checks the whole audit trail's hash chain (auditors and administrators).
    pub async fn verify_audit(&self, who: &Principal) -> Result<Verdict, AppError> {
        if !matches!(who.role, Role::Auditor | Role::Administrator) {
            return Err(AppError::Forbidden("verify the audit trail"));
        }
        Ok(self.inner.audit.verify().await?)
    }

    /// A page of the audit trail, newest first (auditors and administrators): who viewed,
    /// changed or exported which case or person, when and from where.
    pub async fn audit_entries(&self, who: &Principal, filter: AuditFilter) -> Result<Vec<AuditEntry>, AppError> {
        if !matches!(who.role, Role::Auditor | Role::Administrator) {
            return Err(AppError::Forbidden("read the audit trail"));
        }
        Ok(self.inner.audit.list(&AuditFilter { limit: filter.limit.clamp(1, 200), ..filter }).await?)
    }
}
