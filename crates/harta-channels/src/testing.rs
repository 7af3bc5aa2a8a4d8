//! Real mail servers for tests, each started on a free loopback port with a directory of its
//! own and stopped when dropped: Python's aiosmtpd as a recording SMTP server ([`SmtpPeer`]) and
//! Debian's dovecot for IMAP ([`ImapPeer`]). Each is `None` when its program is not installed;
//! `HARTA_REQUIRE_MAIL=1` (as `.ci/run` sets) makes that a failure instead.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The recording SMTP server's program, shared with `bench/mail`.
const SMTP_PEER: &str = include_str!("smtp_peer.py");

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

/// Whether a test may go on without a server it needs (it is skipped), or must fail.
fn missing(what: &str) -> Option<std::convert::Infallible> {
    assert!(std::env::var("HARTA_REQUIRE_MAIL").is_err(), "{what} is required");
    None
}

/// The SMTP server of a test: aiosmtpd in its own process, keeping every message it accepts
/// and refusing for good the mailboxes that start with `nobody@`, as a server refuses an
/// unknown user.
pub struct SmtpPeer {
    /// `smtp://127.0.0.1:PORT`, for [`crate::mail::Outgoing::smtp`].
    pub url: String,
    dir: PathBuf,
    child: Child,
}

impl SmtpPeer {
    /// Starts a server on a free port.
    pub fn start() -> Option<Self> {
        let found = Command::new("python3").args(["-c", "import aiosmtpd"]).status();
        if !found.is_ok_and(|s| s.success()) {
            missing("Python's aiosmtpd (python3 -m pip install aiosmtpd)")?;
        }
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("harta-smtp-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let child = Command::new("python3")
            .args(["-c", SMTP_PEER, &port.to_string()])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("aiosmtpd: {e}"));
        // Held from here, so that however the start ends, the server is stopped (on drop).
        let mut peer = Self { url: format!("smtp://127.0.0.1:{port}"), dir, child };
        let mut ready = String::new();
        if let Some(stdout) = peer.child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut ready);
        }
        assert_eq!(ready.trim(), "ready", "aiosmtpd did not start");
        Some(peer)
    }

    /// Everything received so far, in the order it arrived.
    pub fn received(&self) -> Vec<Received> {
        let mut kept: Vec<(u64, PathBuf)> = std::fs::read_dir(&self.dir)
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .filter_map(|p| Some((p.file_stem()?.to_str()?.parse().ok()?, p)))
            .collect();
        kept.sort();
        kept.into_iter()
            .map(|(_, eml)| {
                let raw = std::fs::read(&eml).unwrap_or_default();
                let to = std::fs::read_to_string(eml.with_extension("rcpt")).unwrap_or_default();
                Received {
                    to: to.lines().map(str::to_string).collect(),
                    raw: String::from_utf8_lossy(&raw).into_owned(),
                }
            })
            .collect()
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        // Its standard input closes: the server stops.
        drop(self.child.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The IMAP server of a test: Debian's dovecot, with a configuration, one user and a mailbox of
/// the test's own.
pub struct ImapPeer {
    /// `imap://harta:secret@127.0.0.1:PORT/INBOX`.
    pub url: String,
    dir: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
}

impl ImapPeer {
    /// Starts a server.
    pub fn start() -> Option<Self> {
        let dovecot = std::path::Path::new("/usr/sbin/dovecot");
        if !dovecot.exists() {
            missing("dovecot (apt-get install dovecot-imapd)")?;
        }
        let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let dir = std::env::temp_dir().join(format!("harta-imap-{port}-{}", std::process::id()));
        let home = dir.join("home");
        std::fs::create_dir_all(dir.join("run")).ok()?;
        std::fs::create_dir_all(dir.join("state")).ok()?;
        std::fs::create_dir_all(&home).ok()?;
        // Mail is kept as dovecot's own user: dovecot never gives root a mailbox.
        let owner = Command::new("id").args(["-u", "dovecot"]).output().ok()?;
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
        let child = Command::new("/usr/sbin/dovecot")
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
            let _ = Command::new("kill").arg(child.id().to_string()).status();
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
