//! Changing the charter while harta runs (C24): an administrator edits its text in the
//! workspace; it is checked exactly as the charter file is, stored as the next version, and
//! taken up by every replica within a second. Registry numbering is the one thing that cannot
//! change this way: numbers already issued would stop matching the rules.

use std::sync::{Arc, PoisonError};

use harta_domain::charter::Charter;
use harta_store::cases::RegistryRules;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// What the registrar needs of a charter.
pub(crate) fn registry_rules(charter: &Charter) -> RegistryRules {
    RegistryRules {
        format: charter.registry.clone(),
        kinds: charter.commitments.iter().map(|(k, c)| (*k, (c.index.clone(), c.working_days))).collect(),
    }
}

impl App {
    /// The charter's text as stored (the one in force), for administrators to edit.
    pub async fn charter_text(&self, who: &Principal) -> Result<String, AppError> {
        Ok(self.charter_to_edit(who).await?.1)
    }

    /// The stored charter's version and text, to edit: the version goes back with the edit,
    /// so that an edit made meanwhile by someone else is not overwritten unseen.
    pub async fn charter_to_edit(&self, who: &Principal) -> Result<(i64, String), AppError> {
        who.require(Action::EditCharter)?;
        Ok(self.inner.admin.stored_charter().await?.unwrap_or_default())
    }

    /// Puts an edited charter in force (administrators): checked as the file is, every problem
    /// named by its field; stored with its units; audited. With `based_on` (the version the
    /// editor started from), refused as a conflict when the stored charter changed since.
    pub async fn update_charter(&self, who: &Principal, text: &str, based_on: Option<i64>) -> Result<(), AppError> {
        who.require(Action::EditCharter)?;
        let charter = Charter::from_toml(text)
            .map_err(|e| AppError::Invalid(vec![FieldError::new(e.field.clone(), e.message).with_code("charter")]))?;
        let current = self.charter();
        let numbering_kept = charter.registry == current.registry
            && charter.administration.code == current.administration.code
            && current.commitments.iter().all(|(k, c)| charter.commitments.get(k).is_some_and(|n| n.index == c.index));
        if !numbering_kept {
            return Err(AppError::Invalid(vec![
                FieldError::new(
                    "registry",
                    "the administration's code, the registry format and the nomenclature indexes cannot change \
                     while harta runs (change them in the charter file at the turn of a year)",
                )
                .with_code("numbering"),
            ]));
        }
        // Units are never removed: cases, staff and services refer to them.
        let removed: Vec<&str> =
            current.units.iter().map(|u| u.code.as_str()).filter(|code| charter.unit(code).is_none()).collect();
        if !removed.is_empty() {
            return Err(AppError::Invalid(vec![
                FieldError::new(
                    "units",
                    format!("units cannot be removed (cases refer to them): {}", removed.join(", ")),
                )
                .with_code("units_removed"),
            ]));
        }
        let version = self.inner.admin.put_charter(&charter, text, based_on).await?.ok_or_else(|| {
            AppError::conflict("changed_meanwhile", "the charter was changed by someone else since this edit began")
        })?;
        self.install_charter(charter, version);
        self.inner
            .audit
            .record(self.now(), &who.audit_name(), "change_charter", &format!("version {version}"), "")
            .await?;
        Ok(())
    }

    /// Re-reads the charter if another replica (or a page) changed the stored one (run every
    /// second by the server).
    pub async fn refresh_charter(&self) -> Result<(), AppError> {
        let stored = self.inner.admin.charter_version().await?;
        if stored == 0 || stored == self.charter_version() {
            return Ok(());
        }
        let Some((version, text)) = self.inner.admin.stored_charter().await? else { return Ok(()) };
        match Charter::from_toml(&text) {
            Ok(charter) => self.install_charter(charter, version),
            // Only a checked charter is ever stored: this one was changed outside harta.
            Err(e) => tracing::error!(error = %e, version, "the stored charter does not read; the one in force stays"),
        }
        Ok(())
    }

    fn charter_version(&self) -> i64 {
        self.inner.charter.read().unwrap_or_else(PoisonError::into_inner).1
    }

    fn install_charter(&self, charter: Charter, version: i64) {
        self.inner.registrar.set_rules(registry_rules(&charter));
        *self.inner.charter.write().unwrap_or_else(PoisonError::into_inner) = (Arc::new(charter), version);
    }
}
