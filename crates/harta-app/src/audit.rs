//! The audit trail for those who watch over personal data (C5).

use harta_store::audit::Verdict;

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
}
