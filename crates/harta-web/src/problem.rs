//! RFC 9457 problem details: every error the API returns, with one entry per invalid field.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use harta_app::{AppError, FieldError};

use crate::edge::Failure;
use serde::Serialize;

/// An error response.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A stable slug for the kind of problem (`/problems/invalid-fields`).
    #[serde(rename = "type")]
    kind: &'static str,
    title: &'static str,
    status: u16,
    detail: String,
    /// The request id, which is in the log line of this answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    instance: Option<Box<str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldProblem>,
    /// A failure of ours behind the answer, for the edge's log line; never sent.
    #[serde(skip)]
    #[schema(ignore)]
    failure: Option<Failure>,
}

/// One invalid field: a JSON Pointer into the request body, the dotted field name, the reason.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    pointer: String,
    field: String,
    detail: String,
    /// A stable code (`required`, `too_long`, `check_digit`…) that clients can translate.
    code: &'static str,
}

impl From<FieldError> for FieldProblem {
    fn from(e: FieldError) -> Self {
        Self {
            pointer: format!("#/{}", e.field.replace('.', "/")),
            detail: format!("{}: {}", e.field, e.message),
            field: e.field,
            code: e.code,
        }
    }
}

impl Problem {
    /// A problem with a status, a stable type slug, a title and a detail.
    pub fn new(status: StatusCode, kind: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            kind,
            title,
            status: status.as_u16(),
            detail: detail.into(),
            instance: None,
            errors: Vec::new(),
            failure: None,
        }
    }

    /// The same problem naming its request (the edge's, when none is named).
    pub fn with_instance(mut self, id: &str) -> Self {
        self.instance = Some(id.into());
        self
    }

    /// 500 or 503 for a failure of ours: the client learns only the request id.
    fn failed(status: StatusCode, detail: &str, failure: Failure) -> Self {
        let (kind, title) = if status == StatusCode::SERVICE_UNAVAILABLE {
            ("/problems/unavailable", "Temporarily unavailable")
        } else {
            ("/problems/internal", "Internal error")
        };
        Self { failure: Some(failure), ..Self::new(status, kind, title, detail) }
    }

    /// 400: the body could not be read as a JSON object.
    pub fn bad_body(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "/problems/malformed-body", "The request body cannot be read", detail)
    }

    /// 400: query parameters are invalid, one entry per parameter.
    pub fn bad_parameters(errors: Vec<FieldError>) -> Self {
        let p = Self::invalid(errors);
        Self {
            status: StatusCode::BAD_REQUEST.as_u16(),
            kind: "/problems/invalid-parameters",
            title: "Some parameters are invalid",
            ..p
        }
    }

    /// 422: fields are invalid.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ");
        let mut p =
            Self::new(StatusCode::UNPROCESSABLE_ENTITY, "/problems/invalid-fields", "Some fields are invalid", detail);
        p.errors = errors.into_iter().map(FieldProblem::from).collect();
        p
    }
}

impl IntoResponse for Problem {
    fn into_response(mut self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        if self.instance.is_none() {
            self.instance = crate::edge::request_id().map(Into::into);
        }
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        if let Some(failure) = self.failure {
            response.extensions_mut().insert(failure);
        }
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"harta\""));
        }
        response
    }
}

impl From<AppError> for Problem {
    fn from(e: AppError) -> Self {
        match &e {
            AppError::Invalid(errors) => Self::invalid(errors.clone()),
            AppError::Unauthenticated => Self::new(
                StatusCode::UNAUTHORIZED,
                "/problems/unauthenticated",
                "Authentication required",
                "send a valid token as: Authorization: Bearer harta_…",
            ),
            AppError::Forbidden(what) => Self::new(
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "Not allowed",
                format!("your role may not {what}"),
            ),
            AppError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, "/problems/not-found", "Not found", format!("{what} not found"))
            }
            AppError::Conflict { detail, .. } => {
                Self::new(StatusCode::CONFLICT, "/problems/conflict", "Conflict", detail)
            }
            AppError::TooMany => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/too-many",
                "Too many attempts",
                "too many attempts; try again in 15 minutes",
            ),
            AppError::Store(_) => Self::failed(
                StatusCode::SERVICE_UNAVAILABLE,
                "the request could not be stored; nothing was registered, please try again",
                Failure::of(&e),
            ),
            AppError::Internal(_) | AppError::WrongKey => {
                Self::failed(StatusCode::INTERNAL_SERVER_ERROR, "an internal error occurred", Failure::of(&e))
            }
        }
    }
}
