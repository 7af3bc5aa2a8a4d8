//! The documents of a case (C5, C12): staff who may see the case list and open them (each
//! opening is in the audit trail), and counter staff and officers add the ones that came on
//! paper or by e-mail, checked by their content as citizens' uploads are.

use harta_domain::case::CaseEvent;
use harta_store::cases::DocumentRecord;

use crate::access::{Action, Principal};
use crate::files::PendingDocument;
use crate::{App, AppError};

/// A document with its content, to serve.
#[derive(Debug, Clone)]
pub struct OpenedDocument {
    /// What it is.
    pub record: DocumentRecord,
    /// Its bytes.
    pub content: Vec<u8>,
}

impl App {
    /// The documents of a case the caller may see, oldest first.
    pub async fn case_documents(&self, who: &Principal, number: &str) -> Result<Vec<DocumentRecord>, AppError> {
        let case = self.find_case(who, number).await?;
        Ok(self.inner.cases.documents(case.id).await?)
    }

    /// One document of a case the caller may see, with its content; the opening is in the
    /// audit trail. Another case's document, like another unit's case, is "not found".
    pub async fn open_document(&self, who: &Principal, number: &str, id: i64) -> Result<OpenedDocument, AppError> {
        let case = self.find_case(who, number).await?;
        let not_found = || AppError::NotFound(format!("document {id} of case {number}"));
        let record = self.inner.cases.document(case.id, id).await?.ok_or_else(not_found)?;
        let content = self.inner.files.read(&record.sha256).await.map_err(|e| {
            AppError::Store(harta_store::StoreError::Corrupt(format!("document {id} of {number}: {e}")))
        })?;
        let detail = format!("document {id} ({})", record.name);
        self.inner.audit.record(self.now(), &who.audit_name(), "open_document", &case.registry_number, &detail).await?;
        Ok(OpenedDocument { record, content })
    }

    /// Adds documents to a case (every role that handles cases; not the auditor, who changes
    /// nothing): recorded with an event naming them, in one transaction.
    pub async fn add_documents(
        &self,
        who: &Principal,
        number: &str,
        documents: &[PendingDocument],
    ) -> Result<(), AppError> {
        who.require(Action::AddDocuments)?;
        let case = self.find_case(who, number).await?;
        if documents.is_empty() {
            return Err(AppError::Invalid(vec![crate::FieldError::required("documents")]));
        }
        let kept = self.keep_documents(documents).await?;
        let event = CaseEvent::DocumentsAdded { names: kept.iter().map(|d| d.name.as_str().to_string()).collect() };
        let now = self.now();
        self.inner
            .cases
            .append_with_documents(case.id, now, &who.actor, &event, &kept)
            .await?
            .map_err(AppError::refused)?;
        let detail = format!("{} document(s)", kept.len());
        self.inner.audit.record(now, &who.audit_name(), "add_documents", &case.registry_number, &detail).await?;
        Ok(())
    }
}
