//! A real SMTP server for tests (mailin-embedded, on a free loopback port, in its own threads):
//! it speaks the protocol to lettre as any mail server would, keeps what it receives, and
//! refuses mailboxes that start with `nobody@` for good, as a server refuses an unknown user.

use std::net::TcpListener;
use std::sync::{Arc, Mutex, PoisonError};

use mailin_embedded::response::{NO_MAILBOX, OK};
use mailin_embedded::{Handler, Response, Server, SslConfig};

/// A message as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope recipients.
    pub to: Vec<String>,
    /// The raw message (headers and body, as sent).
    pub raw: String,
}

impl Received {
    /// The message's text as a mail program shows it (mail-parser undoes the transfer encoding
    /// lettre chose); empty if the message does not parse, which fails the test's assertions.
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(self.raw.as_bytes())
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }
}

/// The SMTP server of a test.
pub struct SmtpPeer {
    /// `smtp://127.0.0.1:PORT`, for [`crate::mail::Outgoing::smtp`].
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl SmtpPeer {
    /// Starts a server on a free port.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("smtp://{}", listener.local_addr()?);
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler = Keep { received: received.clone(), to: Vec::new(), raw: Vec::new() };
        let mut server = Server::new(handler);
        server
            .with_name("peer.test")
            .with_ssl(SslConfig::None)
            .map_err(|e| std::io::Error::other(e.to_string()))?
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            let _ = server.serve();
        });
        Ok(Self { url, received })
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

#[derive(Clone)]
struct Keep {
    received: Arc<Mutex<Vec<Received>>>,
    to: Vec<String>,
    raw: Vec<u8>,
}

impl Handler for Keep {
    fn rcpt(&mut self, to: &str) -> Response {
        if to.trim_start_matches('<').starts_with("nobody@") { NO_MAILBOX } else { OK }
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.raw.clear();
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.raw.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = String::from_utf8_lossy(&self.raw).into_owned();
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Received { to: std::mem::take(&mut self.to), raw });
        OK
    }
}

/// A real IMAP server for tests: Debian's dovecot, started on a free loopback port with a
/// configuration, one user and a mailbox of the test's own under a temporary directory, and
/// stopped when dropped. `None` when dovecot is not installed (then `HARTA_REQUIRE_MAIL=1`, as
/// `.ci/run` sets, makes it a failure instead).
pub struct ImapPeer {
    /// `imap://harta:secret@127.0.0.1:PORT/INBOX`.
    pub url: String,
    dir: std::path::PathBuf,
    conf: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl ImapPeer {
    /// Starts a server.
    pub fn start() -> Option<Self> {
        let dovecot = std::path::Path::new("/usr/sbin/dovecot");
        if !dovecot.exists() {
            assert!(
                std::env::var("HARTA_REQUIRE_MAIL").is_err(),
                "dovecot is required (apt-get install dovecot-imapd)"
            );
            return None;
        }
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("harta-imap-{port}-{}", std::process::id()));
        let home = dir.join("home");
        std::fs::create_dir_all(dir.join("run")).ok()?;
        std::fs::create_dir_all(dir.join("state")).ok()?;
        std::fs::create_dir_all(&home).ok()?;
        // Mail is kept as dovecot's own user: dovecot never gives root a mailbox.
        let owner = std::process::Command::new("id").args(["-u", "dovecot"]).output().ok()?;
        let uid: u32 = String::from_utf8_lossy(&owner.stdout).trim().parse().ok()?;
        std::os::unix::fs::chown(&home, Some(uid), Some(uid)).ok()?;
        std::fs::write(dir.join("users"), "harta:{PLAIN}secret\n").ok()?;
        let d = dir.display();
        let conf = dir.join("dovecot.conf");
        let text = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/log\nprotocols = imap\nlisten = 127.0.0.1\n\
             ssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\nfirst_valid_uid = 100\n\
             first_valid_gid = 100\npassdb {{\n driver = passwd-file\n args = scheme=PLAIN username_format=%u {d}/users\n}}\n\
             userdb {{\n driver = static\n args = uid={uid} gid={uid} home={d}/home/%u\n}}\n\
             mail_location = maildir:~/Maildir\nmailbox_idle_check_interval = 1 secs\n\
             service imap-login {{\n chroot =\n inet_listener imap {{\n  address = 127.0.0.1\n  port = {port}\n }}\n inet_listener imaps {{\n  port = 0\n }}\n}}\n\
             service anvil {{\n chroot =\n}}\nservice stats {{\n inet_listener http {{\n  port = 0\n }}\n}}\n"
        );
        std::fs::write(&conf, text).ok()?;
        let mut peer = Self { url: format!("imap://harta:secret@127.0.0.1:{port}/INBOX"), dir, conf, child: None };
        peer.resume();
        Some(peer)
    }

    /// Starts the server again after [`ImapPeer::pause`] (the same mailbox).
    pub fn resume(&mut self) {
        let child = std::process::Command::new("/usr/sbin/dovecot")
            .args(["-F", "-c"])
            .arg(&self.conf)
            .spawn()
            .unwrap_or_else(|e| panic!("dovecot: {e}"));
        self.child = Some(child);
        let addr = self.url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string();
        for _ in 0..100 {
            if std::net::TcpStream::connect(&addr).is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("dovecot did not start: {}", std::fs::read_to_string(self.dir.join("log")).unwrap_or_default());
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let addr = self.url.split('@').nth(1).and_then(|rest| rest.split('/').next()).unwrap_or_default().to_string();
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap_or_else(|e| panic!("imap: {e}"));
        let mut client = async_imap::Client::new(tcp);
        let _ = client.read_response().await;
        let mut session = client.login("harta", "secret").await.unwrap_or_else(|(e, _)| panic!("login: {e}"));
        session.select("INBOX").await.unwrap_or_else(|e| panic!("select: {e}"));
        session
    }

    /// Delivers a message into the mailbox, as a mail server would.
    pub async fn append(&self, raw: &[u8]) {
        let mut session = self.session().await;
        session.append("INBOX", None, None, raw).await.unwrap_or_else(|e| panic!("append: {e}"));
        let _ = session.logout().await;
    }

    /// Every message's flags, in the order they arrived; the messages are all still there.
    pub async fn flags(&self) -> Vec<Vec<String>> {
        use futures_util::TryStreamExt;
        let mut session = self.session().await;
        let fetched: Vec<_> = session
            .uid_fetch("1:*", "(UID FLAGS)")
            .await
            .unwrap_or_else(|e| panic!("fetch: {e}"))
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("fetch: {e}"));
        let mut all: Vec<(u32, Vec<String>)> =
            fetched.iter().map(|f| (f.uid.unwrap_or(0), f.flags().map(|flag| format!("{flag:?}")).collect())).collect();
        all.sort();
        let _ = session.logout().await;
        all.into_iter().map(|(_, flags)| flags).collect()
    }

    /// Stops the server (a restart, an outage); the mailbox stays.
    pub fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = std::process::Command::new("kill").arg(child.id().to_string()).status();
            let _ = child.wait();
        }
    }
}

impl Drop for ImapPeer {
    fn drop(&mut self) {
        self.pause();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
