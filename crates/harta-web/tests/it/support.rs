use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use harta_app::files::Files;
use harta_app::secrets::PersonalDataKey;
use harta_app::{App, Principal, Role};
use harta_domain::catalogue::Catalogue;
use harta_domain::charter::Charter;
use harta_store::testing::TestDb;
use jiff::Timestamp;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const CHARTER: &str = include_str!("../../../../charters/krasno-selo.toml");
pub const CATALOGUE: &str = include_str!("../../../../charters/krasno-selo.services.toml");

/// A running server over a fresh store, with a clock the test moves.
pub struct Server {
    pub addr: SocketAddr,
    /// The data directory's stand-in for documents (uploads/ and documents/).
    pub files: std::path::PathBuf,
    pub app: App,
    pub db: TestDb,
    clock: Arc<AtomicI64>,
    /// The secret key, as its text.
    key: String,
}

/// Starts the router on a free port, over `db`, with the clock fixed at `now`.
pub async fn start(db: TestDb, now: &str) -> Server {
    let charter = Charter::from_toml(CHARTER).unwrap();
    let files = std::env::temp_dir()
        .join(format!("harta-files-{}", harta_app::secrets::hex(&harta_app::secrets::random_bytes::<8>().unwrap())));
    let catalogue = Catalogue::from_toml(CATALOGUE, &charter).unwrap();
    let key_hex = PersonalDataKey::generate().unwrap();
    let key = PersonalDataKey::from_hex(&key_hex).unwrap();
    let clock = Arc::new(AtomicI64::new(now.parse::<Timestamp>().unwrap().as_millisecond()));
    let read = clock.clone();
    let now = move || Timestamp::from_millisecond(read.load(Ordering::SeqCst)).unwrap();
    let (app, _writer) =
        App::start(db.db.clone(), charter, catalogue, Files::new(&files), key, Arc::new(now)).await.unwrap();
    app.set_up(CHARTER).await.unwrap();
    app.set_letters(harta_app::letters::LetterSetup {
        typeset: harta_letters::Letters::shared(),
        public_url: "https://harta.example.bg".into(),
        fax_gateway: Some("{number}@fax.example.bg".into()),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // The tests' own connections stand for a TLS proxy, so they can speak for other addresses.
    let proxies = harta_web::TrustedProxies::parse("127.0.0.1").unwrap();
    let router = harta_web::router(app.clone(), proxies);
    tokio::spawn(
        async move { axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await },
    );
    Server { addr, files, app, db, clock, key: key_hex }
}

/// A second App over the same store (another replica), with the shipped files, the server's
/// key (replicas share it) and the server's clock.
pub async fn replica(s: &Server) -> App {
    let charter = Charter::from_toml(CHARTER).unwrap();
    let catalogue = Catalogue::from_toml(CATALOGUE, &charter).unwrap();
    let key = PersonalDataKey::from_hex(&s.key).unwrap();
    let read = s.clock.clone();
    let now = move || Timestamp::from_millisecond(read.load(Ordering::SeqCst)).unwrap();
    let (app, _writer) =
        App::start(s.db.db.clone(), charter, catalogue, Files::new(&s.files), key, Arc::new(now)).await.unwrap();
    app
}

impl Server {
    pub fn set_now(&self, now: &str) {
        self.clock.store(now.parse::<Timestamp>().unwrap().as_millisecond(), Ordering::SeqCst);
    }

    pub async fn token(&self, role: Role, unit: Option<&str>) -> String {
        let admin = Principal { actor: harta_domain::case::Actor::System, role: Role::Administrator, unit: None };
        self.app.issue_token(&admin, role.as_str(), unit, "test").await.unwrap()
    }
}

/// A response: status, headers (lower-case names) and body.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request on its own connection, written by hand so that tests can send exactly
/// the bytes they mean (invalid UTF-8, wrong types, oversized bodies).
pub async fn request(addr: SocketAddr, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) before reading a large body; a broken pipe is then expected.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw).await;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response { status, headers, body: raw[split + 4..].to_vec() }
}

pub async fn post_json(addr: SocketAddr, token: &str, body: &str) -> Response {
    let auth = format!("Bearer {token}");
    request(
        addr,
        "POST",
        "/api/v1/cases",
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        body.as_bytes(),
    )
    .await
}

pub async fn post_event(addr: SocketAddr, token: &str, url: &str, body: serde_json::Value) -> Response {
    let auth = format!("Bearer {token}");
    let path = format!("{url}/events");
    request(
        addr,
        "POST",
        &path,
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await
}

pub async fn get(addr: SocketAddr, token: &str, path: &str) -> Response {
    let auth = format!("Bearer {token}");
    request(addr, "GET", path, &[("Authorization", &auth)], b"").await
}

pub fn letter(unit: &str) -> String {
    serde_json::json!({
        "kind": "letter",
        "channel": "post",
        "subject": "Неработещо улично осветление",
        "text": "На ул. „Дебър“ не свети от седмица.",
        "unit": unit,
        "party": {"type": "person", "name": "Мария Иванова", "email": "maria@example.bg", "phone": "0888 123 456",
                  "preferred_channel": "email", "egn": "7503146242"}
    })
    .to_string()
}

/// Mail through a real SMTP server of the test's own, in the words of the pages.
pub fn delivery(peer: &harta_channels::testing::SmtpPeer) -> harta_app::outbox::Delivery {
    mail_through(&peer.url)
}

/// Mail through the SMTP server at `url` (one that is down, say).
pub fn mail_through(url: &str) -> harta_app::outbox::Delivery {
    let out = harta_channels::mail::Outgoing::smtp(url, "Район „Красно село“ <office@krasnoselo.net>").unwrap();
    harta_app::outbox::Delivery {
        mailer: Arc::new(out),
        compose: Arc::new(harta_web::mail::MailWords::new("https://harta.example.bg/")),
    }
}
