//! Reading a posted form that may carry documents: a browser sends `multipart/form-data` when a
//! form has a file input, a plain one otherwise. Files are streamed to disk as they arrive and
//! checked by their content; text fields are capped, so no field can fill the memory.

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use harta_app::App;
use harta_app::files::{FileError, PendingDocument};
use harta_domain::documents::{DocumentError, MAX_FILES};
use serde::de::DeserializeOwned;

/// The most bytes of one text field kept: more than any field allows, so an over-long text is
/// still reported as too long, without holding a huge field in memory.
const TEXT_FIELD_MAX: usize = 1024 * 1024;

/// Why a posted form could not be read.
pub(crate) enum FormError {
    /// The body passed the route's limit.
    TooLarge,
    /// Not a well-formed form body.
    Unreadable,
    /// An upload could not be written.
    Store(FileError),
}

/// The form's fields, the documents accepted (at most [`MAX_FILES`]) and, per refused file, its
/// name and why.
pub(crate) type Read<T> = (T, Vec<PendingDocument>, Vec<(String, DocumentError)>);

/// Reads a form posted either way into `T`; files come from inputs named `documents`, and only
/// where the form takes them (`files`): elsewhere they are read past and dropped.
pub(crate) async fn read_form<T: DeserializeOwned>(
    app: &App,
    request: Request,
    files: bool,
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
    read_multipart(app, parts, files).await
}

async fn read_multipart<T: DeserializeOwned>(
    app: &App,
    mut parts: Multipart,
    accept: bool,
) -> Result<Read<T>, FormError> {
    let failed = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE { FormError::TooLarge } else { FormError::Unreadable }
    };
    let mut text = serde_json::Map::new();
    let mut uploads = Vec::new();
    let mut refused: Vec<(String, DocumentError)> = Vec::new();
    let mut files = 0;
    while let Some(mut field) = parts.next_field().await.map_err(failed)? {
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) if name == "documents" => {
                // A file input left empty still sends a part with no name and no content.
                if file_name.is_empty() || !accept {
                    while field.chunk().await.map_err(failed)?.is_some() {}
                    continue;
                }
                files += 1;
                if files > MAX_FILES {
                    while field.chunk().await.map_err(failed)?.is_some() {}
                    if files == MAX_FILES + 1 {
                        refused.push((file_name, DocumentError::TooMany));
                    }
                    continue;
                }
                let mut upload = app.files().begin().await.map_err(FormError::Store)?;
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    upload.write(&chunk).await.map_err(FormError::Store)?;
                }
                match upload.finish(&file_name).await {
                    Ok(done) => uploads.push(done),
                    Err(FileError::Refused(why)) => refused.push((file_name, why)),
                    Err(e) => return Err(FormError::Store(e)),
                }
            }
            _ => {
                let mut bytes = Vec::new();
                while let Some(chunk) = field.chunk().await.map_err(failed)? {
                    let room = TEXT_FIELD_MAX.saturating_sub(bytes.len());
                    bytes.extend_from_slice(&chunk[..room.min(chunk.len())]);
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
