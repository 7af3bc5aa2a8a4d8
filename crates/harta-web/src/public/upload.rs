//! Reading a posted form that may carry documents: a browser sends `multipart/form-data` when a
//! form has a file input, a plain one otherwise. Files are streamed to disk as they arrive and
//! checked by their content, but only once the form has shown its anti-forgery token (browsers
//! send fields in the order of the page, and the token comes first) and only within the
//! sender's upload budget; text fields are capped one by one and together, so no form can fill
//! the memory or the disk.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use harta_app::App;
use harta_app::files::{FileError, PendingDocument};
use harta_domain::documents::{DocumentError, MAX_BYTES, MAX_FILES};
use serde::de::DeserializeOwned;

/// The most bytes of one text field kept: more than any field allows, so an over-long text is
/// still reported as too long, without holding a huge field in memory.
const TEXT_FIELD_MAX: usize = 1024 * 1024;
/// The most bytes of all text fields of one form together: beyond it the form is too large.
const TEXT_TOTAL_MAX: usize = 2 * TEXT_FIELD_MAX;
/// The largest form with documents: as many as a form takes, of the largest size, and its text.
pub(crate) const MAX_BODY: usize = MAX_FILES * MAX_BYTES as usize + TEXT_TOTAL_MAX + 64 * 1024;
/// The longest a form's body may pause: an upload takes as long as it needs while it moves,
/// and one that stalls this long is dropped.
const IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// The next piece of a body, unless it stalls past [`IDLE`].
async fn arriving<T, E>(
    next: impl std::future::Future<Output = Result<T, E>>,
    failed: impl Fn(E) -> FormError,
) -> Result<T, FormError> {
    match tokio::time::timeout(IDLE, next).await {
        Ok(read) => read.map_err(failed),
        Err(_) => Err(FormError::Stalled),
    }
}

/// How much of an upload is written between two counts against the sender's budget.
const BUDGET_STEP: usize = 1024 * 1024;

/// What a form must show before a file it carries is written to disk.
pub(crate) struct Gate<'a> {
    /// The anti-forgery token the form's `csrf` field must carry, before any file.
    pub token: &'a str,
    /// Whether the request came from our own pages and the visitor already had the token.
    pub trusted_origin: bool,
    /// Whose hourly upload budget the files count against; `None` for staff.
    pub sender: Option<&'a str>,
}

impl Gate<'_> {
    /// Whether the text fields read so far let files in.
    fn admits(&self, text: &serde_json::Map<String, serde_json::Value>) -> bool {
        let token = text.get("csrf").and_then(serde_json::Value::as_str).unwrap_or_default();
        self.trusted_origin
            && !self.token.is_empty()
            && super::constant_time_eq(token.as_bytes(), self.token.as_bytes())
    }
}

/// Why a posted form could not be read.
pub(crate) enum FormError {
    /// The body passed the route's limit.
    TooLarge,
    /// Not a well-formed form body.
    Unreadable,
    /// The body stopped arriving.
    Stalled,
    /// An upload could not be written.
    Store(FileError),
    /// The upload budget could not be counted.
    App(harta_app::AppError),
}

/// The form's fields, the documents accepted (at most [`MAX_FILES`]) and, per refused file, its
/// name and why.
pub(crate) type Read<T> = (T, Vec<PendingDocument>, Vec<(String, DocumentError)>);

/// Reads a form posted either way into `T`; files come from inputs named `documents`, and only
/// where the form takes them (a `gate`) and the gate admits them: otherwise they are read past
/// and dropped, never written.
pub(crate) async fn read_form<T: DeserializeOwned>(
    app: &App,
    request: Request,
    gate: Option<Gate<'_>>,
) -> Result<Read<T>, FormError> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(form) = axum::Form::<T>::from_request(request, &()).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE { FormError::TooLarge } else { FormError::Unreadable }
        })?;
        return Ok((form, Vec::new(), Vec::new()));
    }
    let parts = Multipart::from_request(request, &()).await.map_err(|_| FormError::Unreadable)?;
    read_multipart(app, parts, gate).await
}

async fn read_multipart<T: DeserializeOwned>(
    app: &App,
    mut parts: Multipart,
    gate: Option<Gate<'_>>,
) -> Result<Read<T>, FormError> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { FormError::TooLarge } else { FormError::Unreadable }
    };
    let mut text = serde_json::Map::new();
    let mut uploads = Vec::new();
    let mut refused: Vec<(String, DocumentError)> = Vec::new();
    let mut files = 0;
    let mut text_bytes = 0;
    // Decided at the first file, from the fields before it.
    let mut admitted: Option<bool> = None;
    while let Some(mut field) = arriving(parts.next_field(), failed).await? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) if name == "documents" => {
                let accept = *admitted.get_or_insert_with(|| gate.as_ref().is_some_and(|g| g.admits(&text)));
                // A file input left empty still sends a part with no name and no content.
                if file_name.is_empty() || !accept {
                    while arriving(field.chunk(), failed).await?.is_some() {}
                    continue;
                }
                files += 1;
                if files > MAX_FILES {
                    while arriving(field.chunk(), failed).await?.is_some() {}
                    if files == MAX_FILES + 1 {
                        refused.push((file_name, DocumentError::TooMany));
                    }
                    continue;
                }
                let sender = gate.as_ref().and_then(|g| g.sender);
                let mut upload = app.files().begin().await.map_err(FormError::Store)?;
                let (mut uncounted, mut within) = (0, true);
                while let Some(chunk) = arriving(field.chunk(), failed).await? {
                    uncounted += chunk.len();
                    if let Some(from) = sender
                        && uncounted >= BUDGET_STEP
                    {
                        within = app.take_upload_budget(from, uncounted as u64).await.map_err(FormError::App)?;
                        uncounted = 0;
                        if !within {
                            break;
                        }
                    }
                    upload.write(&chunk).await.map_err(FormError::Store)?;
                }
                if let Some(from) = sender
                    && within
                    && uncounted > 0
                {
                    within = app.take_upload_budget(from, uncounted as u64).await.map_err(FormError::App)?;
                }
                if !within {
                    upload.abandon().await;
                    while arriving(field.chunk(), failed).await?.is_some() {}
                    refused.push((file_name, DocumentError::OverBudget));
                    continue;
                }
                match upload.finish(&file_name).await {
                    Ok(done) => uploads.push(done),
                    Err(FileError::Refused(why)) => refused.push((file_name, why)),
                    Err(e) => return Err(FormError::Store(e)),
                }
            }
            _ => {
                let mut bytes = Vec::new();
                while let Some(chunk) = arriving(field.chunk(), failed).await? {
                    let room = TEXT_FIELD_MAX.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
                }
                text_bytes += bytes.len();
                if text_bytes > TEXT_TOTAL_MAX {
                    return Err(FormError::TooLarge);
                }
                // Bytes that are not UTF-8 (no browser sends them) become a control character,
                // which the checks refuse by the field's name.
                let value = String::from_utf8(bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).replace('\u{FFFD}', "\u{0}"));
                text.insert(name, serde_json::Value::String(value));
            }
        }
    }
    let form = serde_json::from_value(serde_json::Value::Object(text)).map_err(|_| FormError::Unreadable)?;
    Ok((form, uploads, refused))
}
