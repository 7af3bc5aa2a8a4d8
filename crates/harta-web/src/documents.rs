//! Files served for download: a case's documents and letters. Never shown inline and never
//! sniffed, so a document cannot run as a page of ours whatever its content.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use harta_app::documents::OpenedDocument;

/// A file as a download under `name` (its original name, in UTF-8; an ASCII form is given too
/// for clients that read only `filename`).
pub(crate) fn download(name: &str, media_type: &str, content: Vec<u8>) -> Response {
    let ascii: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') { c } else { '_' }).collect();
    let disposition =
        format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{}", crate::public::percent_encode(name));
    let mut response = content.into_response();
    let headers = response.headers_mut();
    let media_type = HeaderValue::from_str(media_type).unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(header::CONTENT_TYPE, media_type);
    if let Ok(value) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}

/// A case's document as a download.
pub(crate) fn served(opened: OpenedDocument) -> Response {
    download(&opened.record.name, &opened.record.media_type, opened.content)
}
