//! What a use case can answer instead of a result. The web layer turns each into an HTTP
//! status and an RFC 9457 problem. A business refusal says what the caller can change; a
//! failure of ours ([`AppError::Internal`], [`AppError::Store`]) carries its source for the log
//! and is shown to nobody.

use harta_store::StoreError;

/// One invalid field: its path in the input (`party.egn`), what is wrong in English words, and
/// a stable code (with the limit, where there is one) that pages turn into their own language.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's path in the request (`subject`, `party.email`).
    pub field: String,
    /// What is wrong with it, in words a person can act on.
    pub message: String,
    /// The stable code (`required`, `too_long`, `check_digit`, `unknown`, `invalid`…).
    pub code: &'static str,
    /// The limit passed, for `too_long`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<usize>,
}

impl FieldError {
    /// A field error described in words only (code `invalid`).
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self { field: field.into(), message: message.to_string(), code: "invalid", limit: None }
    }

    /// A field error from a coded refusal.
    pub fn coded(field: impl Into<String>, problem: &impl harta_domain::Coded) -> Self {
        Self { field: field.into(), message: problem.to_string(), code: problem.code(), limit: problem.limit() }
    }

    /// A required field left empty.
    pub fn required(field: impl Into<String>) -> Self {
        Self { field: field.into(), message: "is required".into(), code: "required", limit: None }
    }

    /// The same error under another code.
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = code;
        self
    }
}

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is invalid; one entry per field.
    #[error("the request has {} invalid field(s)", .0.len())]
    Invalid(Vec<FieldError>),
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// Authenticated, but the role may not do this.
    #[error("your role may not {0}")]
    Forbidden(&'static str),
    /// The thing does not exist, or the caller may not know that it does.
    #[error("{0} not found")]
    NotFound(String),
    /// The request conflicts with the current state (an illegal transition, a duplicate, an
    /// edit based on an older version): a stable `code` that pages put in their own words
    /// (`conflict-{code}`), and the detail in English for API clients.
    #[error("{detail}")]
    Conflict {
        /// The stable code (`not_allowed`, `changed_meanwhile`, `duplicate`…).
        code: &'static str,
        /// What conflicts, in English.
        detail: String,
    },
    /// Too many refused attempts; try again later.
    #[error("too many attempts; try again later")]
    TooMany,
    /// Something of ours failed (the random generator, the password hasher, the typesetter, a
    /// task): not the caller's doing, so never answered as a refusal. The source is logged
    /// once at the edge, with the request id the caller is shown.
    #[error("internal failure: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The store failed; the details are logged, not shown.
    #[error("storage failure: {0}")]
    Store(#[from] StoreError),
    /// The secret key is not the one the store was set up with: sealed numbers, second
    /// factors and access codes would not open, and new ones would be sealed under two keys.
    #[error(
        "the secret key does not open this store: it was set up with another one (check HARTA_SECRET_KEY or DATA/secret.key)"
    )]
    WrongKey,
}

impl AppError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, message: impl ToString) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// A conflict with the current state, coded for pages and described for the API.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict { code, detail: detail.into() }
    }

    /// An event the case's state does not allow.
    pub fn refused(e: harta_domain::case::TransitionError) -> Self {
        Self::conflict(harta_domain::Coded::code(&e), e.to_string())
    }

    /// A failure of ours, with its source.
    pub fn internal(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(source.into())
    }
}

/// A key, the random source or the password hasher failed: ours, never the caller's.
impl From<crate::secrets::KeyError> for AppError {
    fn from(e: crate::secrets::KeyError) -> Self {
        Self::internal(e)
    }
}
