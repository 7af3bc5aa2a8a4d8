//! Who is asking: the client's address and whether it came over HTTPS. Behind the TLS proxy the
//! README requires, every connection comes from the proxy; the proxy's `X-Forwarded-For` (and
//! `X-Forwarded-Proto`) say whom it forwards, but anybody can send those headers, so they are
//! read only when the connection comes from a proxy named in `HARTA_TRUSTED_PROXIES`, and the
//! address taken is the rightmost one that is not itself a trusted proxy (what the last proxy
//! we trust saw). Parsing the list is left to `http-ip`. `Forwarded` (RFC 7239) is not read:
//! proxies that only append `X-Forwarded-For` pass a client's own `Forwarded` along unchanged,
//! and `http-ip` 0.1 skips its entries that follow a comma and a space.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::Next;
use axum::response::Response;
use http_ip::filter::{Cidr, Filter};

/// The proxies whose forwarding headers are believed: addresses or CIDR ranges.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<Vec<Cidr>>);

/// A `HARTA_TRUSTED_PROXIES` entry that is neither an address nor a range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not an IP address or a CIDR range such as 10.0.0.0/8")]
pub struct NotAProxy(pub String);

impl TrustedProxies {
    /// None: forwarding headers are never believed.
    pub fn none() -> Self {
        Self::default()
    }

    /// Parses a list separated by commas or spaces (`127.0.0.1, 10.0.0.0/8, ::1`).
    pub fn parse(text: &str) -> Result<Self, NotAProxy> {
        let mut ranges = Vec::new();
        for entry in text.split([',', ' ']).map(str::trim).filter(|e| !e.is_empty()) {
            let range = match entry.parse::<IpAddr>() {
                Ok(ip) => Cidr::new(ip, if ip.is_ipv4() { 32 } else { 128 }).ok(),
                Err(_) => Cidr::from_text(entry).ok(),
            };
            ranges.push(range.ok_or_else(|| NotAProxy(entry.to_string()))?);
        }
        Ok(Self(Arc::new(ranges)))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|range| range.is_match(ip))
    }
}

impl Filter for &TrustedProxies {
    fn is_match(&self, ip: IpAddr) -> bool {
        self.trusts(ip)
    }
}

/// The client as resolved for this request, in the request's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    /// The client's address; `None` when the server was not told the connection's peer.
    pub ip: Option<IpAddr>,
    /// Whether the client reached us over HTTPS (through a trusted TLS proxy).
    pub https: bool,
}

impl Client {
    /// The address as written in the audit trail and counted by quotas.
    pub fn address(&self) -> String {
        self.ip.map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
    }
}

/// Resolves the client of a request from its connection and, from a trusted proxy, its
/// forwarding headers.
pub fn resolve(proxies: &TrustedProxies, peer: Option<SocketAddr>, headers: &axum::http::HeaderMap) -> Client {
    let Some(peer) = peer.map(|p| p.ip()) else { return Client { ip: None, https: false } };
    if !proxies.trusts(peer) {
        return Client { ip: Some(peer), https: false };
    }
    let https = headers.get("x-forwarded-proto").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
    // Every X-Forwarded-For line, last first, each read from its end.
    let nodes = headers
        .get_all("x-forwarded-for")
        .into_iter()
        .rev()
        .filter_map(|v| v.to_str().ok())
        .flat_map(http_ip::forwarded::parse_x_forwarded_for_rev);
    // A trusted proxy that forwards nobody (a health check) is the client itself; one that
    // forwards something that is not an address is not believed.
    let ip = http_ip::find_next_ip_after_filter(nodes, &proxies).unwrap_or(peer);
    Client { ip: Some(ip), https }
}

/// The layer that puts each request's [`Client`] in its extensions.
pub async fn layer(proxies: axum::extract::State<TrustedProxies>, mut request: Request, next: Next) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(a)| *a);
    let client = resolve(&proxies, peer, request.headers());
    request.extensions_mut().insert(client);
    next.run(request).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use axum::http::HeaderMap;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    fn peer(ip: &str) -> Option<SocketAddr> {
        Some(SocketAddr::new(ip.parse().unwrap(), 40000))
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-proto", "https")]);
        let stranger = resolve(&proxies, peer("203.0.113.9"), &forged);
        assert_eq!(stranger, Client { ip: Some("203.0.113.9".parse().unwrap()), https: false });
        let through = resolve(&proxies, peer("10.1.2.3"), &forged);
        assert_eq!(through, Client { ip: Some("1.2.3.4".parse().unwrap()), https: true });
    }

    #[test]
    fn the_rightmost_address_that_is_not_a_trusted_proxy_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // The client put a forged address first; two of our proxies appended what they saw.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")]);
        assert_eq!(resolve(&proxies, peer("10.0.0.9"), &chain).ip, Some("198.51.100.7".parse().unwrap()));
        let lines = headers(&[("x-forwarded-for", "6.6.6.6"), ("x-forwarded-for", "2001:db8::7, 10.0.0.5")]);
        assert_eq!(resolve(&proxies, peer("10.0.0.9"), &lines).ip, Some("2001:db8::7".parse().unwrap()));
        // A client's own `Forwarded`, passed along by the proxy, is not believed.
        let rfc = headers(&[("forwarded", "for=6.6.6.6"), ("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(resolve(&proxies, peer("10.0.0.9"), &rfc).ip, Some("198.51.100.7".parse().unwrap()));
        // Nobody forwarded: the proxy itself.
        assert_eq!(resolve(&proxies, peer("10.0.0.9"), &HeaderMap::new()).ip, Some("10.0.0.9".parse().unwrap()));
    }

    #[test]
    fn without_trusted_proxies_headers_are_ignored_and_bad_entries_are_named() {
        let none = TrustedProxies::none();
        let forged = headers(&[("x-forwarded-for", "1.2.3.4")]);
        assert_eq!(resolve(&none, peer("127.0.0.1"), &forged).ip, Some("127.0.0.1".parse().unwrap()));
        assert_eq!(TrustedProxies::parse("10.0.0.0/8, proxy").unwrap_err(), NotAProxy("proxy".into()));
        assert_eq!(TrustedProxies::parse("10.0.0.0/33").unwrap_err(), NotAProxy("10.0.0.0/33".into()));
        assert!(TrustedProxies::parse("::1 fd00::/8").is_ok());
    }
}
