//! The stylesheet and the one small script, built into the binary (no CDN, no web fonts) and
//! served with a year's caching: their address carries a hash of their content, so a new
//! release is fetched at once.

use axum::Router;
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use harta_app::App;

const CSS: &str = include_str!("../../static/site.css");
const JS: &str = include_str!("../../static/site.js");

/// A short hash of both assets, in their addresses as `?v=…`.
pub(crate) const VERSION: &str = {
    const HASH: u64 = fnv(CSS.as_bytes(), fnv(JS.as_bytes(), 0xcbf2_9ce4_8422_2325));
    const HEX: [u8; 8] = {
        let digits = b"0123456789abcdef";
        let mut out = [0u8; 8];
        let mut i = 0;
        while i < 8 {
            out[i] = digits[((HASH >> (i * 4)) & 0xf) as usize];
            i += 1;
        }
        out
    };
    match std::str::from_utf8(&HEX) {
        Ok(s) => s,
        Err(_) => panic!("hex digits are UTF-8"),
    }
};

const fn fnv(bytes: &[u8], mut hash: u64) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    hash
}

pub(crate) fn router() -> Router<App> {
    Router::new()
        .route("/static/site.css", get(|| async { asset(CSS, "text/css; charset=utf-8") }))
        .route("/static/site.js", get(|| async { asset(JS, "text/javascript; charset=utf-8") }))
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
    response
}
