//! Forms that prove they come from our own pages, checked once for every handler: the
//! anti-forgery token (the staff session's, or the visitor's cookie on public forms) compared in
//! constant time, and the `Origin` a browser names on every cross-site post. A handler that
//! takes a [`CsrfForm`] never sees a forged one.

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use harta_app::App;
use harta_app::signing_in::StaffSession;
use serde::de::DeserializeOwned;

use crate::edge::{PageError, Refusal};
use crate::public::{constant_time_eq, csrf_cookie, same_origin};

/// A form's fields, taken only when the form carries this session's (or visit's) anti-forgery
/// token in its `csrf` field and comes from this site.
pub(crate) struct CsrfForm<T>(pub T);

/// The token every form carries.
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Token {
    csrf: String,
}

impl<T: DeserializeOwned> FromRequest<App> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, app: &App) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        // A staff page's extractor leaves the session here; public forms use the cookie.
        let session = parts.extensions.get::<StaffSession>().cloned();
        let expected = match &session {
            Some(s) => Some(s.csrf.clone()),
            None => csrf_cookie(&parts.headers),
        };
        let ours = same_origin(&parts.headers);
        let path = parts.uri.path().to_string();
        let request = Request::from_parts(parts, body);
        // axum's own refusal (a body too large) becomes the edge's page with its status.
        let bytes = axum::body::Bytes::from_request(request, app).await.map_err(IntoResponse::into_response)?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        let genuine = ours && expected.is_some_and(|e| constant_time_eq(e.as_bytes(), token.csrf.as_bytes()));
        if !genuine {
            // Someone signed in sent a form their session did not make: that concerns access.
            let mut refused = PageError::new(Refusal::Forged).into_response();
            if let Some(session) = &session
                && let Err(e) = app.record_forged_form(&session.principal, &path).await
            {
                refused.extensions_mut().insert(crate::edge::Failure::of(&e));
            }
            return Err(refused);
        }
        match serde_urlencoded::from_bytes(&bytes) {
            Ok(form) => Ok(Self(form)),
            Err(_) => Err(PageError::new(Refusal::Unreadable).into_response()),
        }
    }
}

/// A form that carries nothing but its token (a button: sign out, revoke).
#[derive(serde::Deserialize)]
pub(crate) struct NoFields {}
