//! E-mail in: the administration's mailbox read over IMAP (`imaps://user:password@host/INBOX`,
//! or plain `imap://` on loopback). Every message not yet taken is handed to harta-app, then
//! flagged on the server (`\Seen` and the keyword `$HartaDone`, or moved to a folder): never
//! deleted. A message is flagged only after harta has stored what it made of it, so a crash in
//! between fetches it again, and harta-app recognises it by its `Message-ID`. The reader waits
//! with IDLE where the server offers it and polls otherwise; a lost connection is opened again.

use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use async_imap::types::UnsolicitedResponse;
use futures_util::TryStreamExt;
use harta_app::mail_in::Received;
use harta_app::{App, AppError};
use tokio::io::{AsyncRead, AsyncWrite};

/// The keyword of a message harta has taken.
const DONE: &str = "$HartaDone";
/// The keyword of a message harta kept out of the registry (also `$HartaDone`).
const SET_ASIDE: &str = "$HartaSetAside";
/// Messages fetched in one command: at most this many…
const CHUNK: usize = 32;
/// …and, by the sizes the server gives, at most this many bytes (one message always).
const CHUNK_BYTES: u64 = 64 * 1024 * 1024;
/// The largest message fetched; a larger one is set aside unread.
const MAX_MESSAGE: u32 = 100 * 1024 * 1024;
/// How often a server without IDLE is asked for new mail.
const POLL: Duration = Duration::from_secs(30);
/// How long one IDLE lasts before it is renewed and the mailbox searched again: well within the
/// 30 minutes after which servers end it, and short enough that a notification a server failed
/// to send delays a message by minutes, not half an hour.
const IDLE: Duration = Duration::from_secs(5 * 60);

/// A mailbox that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// The URL is not an IMAP mailbox URL.
    #[error("the IMAP URL is not valid: {0}")]
    Url(String),
    /// The connection or the server failed.
    #[error("IMAP: {0}")]
    Server(String),
    /// harta could not store what it read (the message stays for the next attempt).
    #[error("storing a message failed: {0}")]
    Store(#[from] AppError),
}

fn server(e: impl std::fmt::Display) -> ImapError {
    ImapError::Server(e.to_string())
}

/// Where the mailbox is.
#[derive(Clone)]
pub struct Mailbox {
    tls: bool,
    host: String,
    port: u16,
    user: String,
    password: String,
    folder: String,
    /// Where taken messages are moved, instead of being flagged where they are.
    done_folder: Option<String>,
}

impl Debug for Mailbox {
    // Never the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}://{}@{}:{}/{}",
            if self.tls { "imaps" } else { "imap" },
            self.user,
            self.host,
            self.port,
            self.folder
        )
    }
}

/// A stream IMAP runs over: TCP, or TLS over TCP.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + Debug> Stream for T {}

type Session = async_imap::Session<Box<dyn Stream>>;

impl Mailbox {
    /// The mailbox at `url`: `imaps://user:password@host[:993]/FOLDER` (TLS) or
    /// `imap://…[:143]/FOLDER` (plain, for loopback); the folder is `INBOX` if the path is
    /// empty. `done_folder`, if given, is where taken messages are moved.
    pub fn parse(url: &str, done_folder: Option<&str>) -> Result<Self, ImapError> {
        let parsed = url::Url::parse(url).map_err(|e| ImapError::Url(e.to_string()))?;
        let tls = match parsed.scheme() {
            "imaps" => true,
            "imap" => false,
            other => return Err(ImapError::Url(format!("{other}: only imaps:// and imap:// are read"))),
        };
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        let host = parsed.host_str().ok_or_else(|| ImapError::Url("no host".into()))?.to_string();
        let user = decode(parsed.username());
        let password = decode(parsed.password().unwrap_or(""));
        if user.is_empty() {
            return Err(ImapError::Url("no user name".into()));
        }
        let folder = match decode(parsed.path().trim_start_matches('/')) {
            f if f.is_empty() => "INBOX".to_string(),
            f => f,
        };
        let port = parsed.port().unwrap_or(if tls { 993 } else { 143 });
        let done_folder = done_folder.map(str::trim).filter(|f| !f.is_empty()).map(str::to_string);
        Ok(Self { tls, host, port, user, password, folder, done_folder })
    }

    async fn connect(&self) -> Result<Session, ImapError> {
        let tcp = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::net::TcpStream::connect((self.host.as_str(), self.port)),
        )
        .await
        .map_err(|_| ImapError::Server(format!("{}:{} does not answer", self.host, self.port)))?
        .map_err(server)?;
        let stream: Box<dyn Stream> = if self.tls {
            let mut roots = rustls::RootCertStore::empty();
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let config =
                rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                    .with_safe_default_protocol_versions()
                    .map_err(server)?
                    .with_root_certificates(roots)
                    .with_no_client_auth();
            let name = rustls::pki_types::ServerName::try_from(self.host.clone()).map_err(server)?;
            Box::new(tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.map_err(server)?)
        } else {
            Box::new(tcp)
        };
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.map_err(server)?;
        let mut session = client.login(&self.user, &self.password).await.map_err(|(e, _)| server(e))?;
        session.select(&self.folder).await.map_err(server)?;
        Ok(session)
    }

    /// Takes every message not taken yet, oldest first; returns how many.
    pub async fn take_new(&self, app: &App) -> Result<usize, ImapError> {
        let mut session = self.connect().await?;
        let taken = self.take(&mut session, app).await;
        let _ = session.logout().await;
        taken
    }

    /// Takes the messages in chunks: one command fetches a chunk's messages and one flags
    /// them, so a message costs its registration and not four round trips. A chunk's messages
    /// are registered one after the other, in the order they arrived.
    async fn take(&self, session: &mut Session, app: &App) -> Result<usize, ImapError> {
        let mut uids: Vec<u32> =
            session.uid_search(format!("UNDELETED NOT KEYWORD {DONE}")).await.map_err(server)?.into_iter().collect();
        uids.sort_unstable();
        if uids.is_empty() {
            return Ok(0);
        }
        let sizes: HashMap<u32, u64> = fetch(session, &uids, "(UID RFC822.SIZE)")
            .await?
            .iter()
            .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
            .collect();
        let size = |uid: &u32| sizes.get(uid).copied().unwrap_or(0);
        let mut waiting = uids.as_slice();
        while !waiting.is_empty() {
            let (mut n, mut bytes) = (0, 0);
            while n < waiting.len() && n < CHUNK && (n == 0 || bytes + size(&waiting[n]) <= CHUNK_BYTES) {
                bytes += size(&waiting[n]).min(u64::from(MAX_MESSAGE));
                n += 1;
            }
            let (chunk, rest) = waiting.split_at(n);
            waiting = rest;
            let readable: Vec<u32> = chunk.iter().copied().filter(|uid| size(uid) <= u64::from(MAX_MESSAGE)).collect();
            let fetched =
                if readable.is_empty() { Vec::new() } else { fetch(session, &readable, "(UID BODY.PEEK[])").await? };
            let bodies: HashMap<u32, &[u8]> = fetched.iter().filter_map(|f| Some((f.uid?, f.body()?))).collect();
            let mut taken = Vec::with_capacity(chunk.len());
            let mut failed = None;
            for &uid in chunk {
                let received = if size(&uid) > u64::from(MAX_MESSAGE) {
                    Received::SetAside("larger than 100 MB")
                } else {
                    // Gone from the server since it was listed: nothing to take.
                    let Some(raw) = bodies.get(&uid) else { continue };
                    match app.receive_mail(crate::inbound::read(raw)).await {
                        Ok(received) => received,
                        // What the message holds cannot be registered (a name too long, say):
                        // set aside, and the messages behind it go on.
                        Err(AppError::Invalid(fields)) => {
                            tracing::warn!(uid, fields = ?fields.iter().map(|f| &f.field).collect::<Vec<_>>(), "an e-mail cannot be registered");
                            Received::SetAside("cannot be registered")
                        }
                        Err(e) => {
                            failed = Some(ImapError::Store(e));
                            break;
                        }
                    }
                };
                tracing::info!(uid, outcome = ?received, "e-mail taken");
                taken.push((uid, matches!(received, Received::SetAside(_))));
            }
            // What was stored is flagged even when a later message of the chunk failed.
            self.mark(session, &taken).await?;
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(uids.len())
    }

    /// Flags taken messages (and those set aside as such), or moves them to the done folder.
    async fn mark(&self, session: &mut Session, taken: &[(u32, bool)]) -> Result<(), ImapError> {
        for (aside, flags) in
            [(false, format!("+FLAGS (\\Seen {DONE})")), (true, format!("+FLAGS (\\Seen {DONE} {SET_ASIDE})"))]
        {
            let uids: Vec<u32> = taken.iter().filter(|(_, a)| *a == aside).map(|(uid, _)| *uid).collect();
            if uids.is_empty() {
                continue;
            }
            let _: Vec<_> =
                session.uid_store(uid_set(&uids), &flags).await.map_err(server)?.try_collect().await.map_err(server)?;
        }
        if let Some(folder) = &self.done_folder {
            let all: Vec<u32> = taken.iter().map(|(uid, _)| *uid).collect();
            if !all.is_empty() {
                session.uid_mv(uid_set(&all), folder).await.map_err(server)?;
            }
        }
        Ok(())
    }

    /// Reads the mailbox until `stop` turns true: what is there, then what arrives (IDLE, or
    /// a poll every 30 s). A failure is logged and the connection opened again after a pause
    /// that doubles up to a minute.
    pub async fn run(&self, app: App, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut pause = Duration::from_secs(1);
        while !*stop.borrow() {
            match self.serve(&app, &mut stop).await {
                Ok(()) => return,
                Err(e) => {
                    tracing::warn!(mailbox = ?self, error = %e, "reading the mailbox failed; trying again");
                    tokio::select! {
                        _ = tokio::time::sleep(pause) => {}
                        _ = stop.changed() => return,
                    }
                    pause = (pause * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    async fn serve(&self, app: &App, stop: &mut tokio::sync::watch::Receiver<bool>) -> Result<(), ImapError> {
        let mut session = self.connect().await?;
        let idle = session.capabilities().await.map_err(server)?.has_str("IDLE");
        // Whether the last search was an extra one for mail announced before IDLE: the next in
        // a row waits a second, so that a server announcing with every answer cannot keep the
        // reader searching without pause.
        let mut looked_again = false;
        loop {
            self.take(&mut session, app).await?;
            if *stop.borrow() {
                let _ = session.logout().await;
                return Ok(());
            }
            if idle {
                // Mail that arrives while the mailbox is searched, or before the server has
                // confirmed IDLE, is announced as an answer to those commands: it reaches the
                // session's unsolicited responses, not the IDLE wait. Both are watched, or such
                // a message would wait for the next renewal of IDLE.
                let news = session.unsolicited_responses.clone();
                let mut arrived = false;
                while let Ok(response) = news.try_recv() {
                    arrived |= new_mail(&response);
                }
                if arrived {
                    if looked_again {
                        tokio::select! {
                            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                            _ = stop.changed() => {}
                        }
                    }
                    looked_again = true;
                    continue;
                }
                looked_again = false;
                let announced = async {
                    loop {
                        match news.recv().await {
                            Ok(response) if new_mail(&response) => return,
                            Ok(_) => {}
                            // The session is gone: the IDLE wait ends with the error.
                            Err(_) => std::future::pending::<()>().await,
                        }
                    }
                };
                let mut handle = session.idle();
                handle.init().await.map_err(server)?;
                {
                    let (wait, interrupt) = handle.wait_with_timeout(IDLE);
                    tokio::select! {
                        done = wait => { done.map_err(server)?; }
                        () = announced => {}
                        _ = stop.changed() => {}
                    }
                    drop(interrupt);
                }
                session = handle.done().await.map_err(server)?;
            } else {
                tokio::select! {
                    _ = tokio::time::sleep(POLL) => {}
                    _ = stop.changed() => {}
                }
            }
        }
    }
}

/// Whether an unsolicited response announces new mail.
fn new_mail(response: &UnsolicitedResponse) -> bool {
    matches!(response, UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_))
}

/// Fetches `items` of the messages `uids` in one command.
async fn fetch(session: &mut Session, uids: &[u32], items: &str) -> Result<Vec<async_imap::types::Fetch>, ImapError> {
    session.uid_fetch(uid_set(uids), items).await.map_err(server)?.try_collect().await.map_err(server)
}

/// An IMAP sequence set of UIDs (RFC 9051 §9, `sequence-set`), runs written as ranges:
/// `1:3,7,9:10`. Small and specific enough to write here; async-imap takes the set as text.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut set = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let start = sorted[i];
        while i + 1 < sorted.len() && sorted[i + 1] == sorted[i] + 1 {
            i += 1;
        }
        if !set.is_empty() {
            set.push(',');
        }
        set.push_str(&start.to_string());
        if sorted[i] != start {
            set.push(':');
            set.push_str(&sorted[i].to_string());
        }
        i += 1;
    }
    set
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_mailbox_url_names_the_server_the_account_and_the_folder_and_its_debug_form_no_password() {
        let m =
            Mailbox::parse("imaps://office%40krasnoselo.net:p%40ss@mail.example.bg/Входящи", Some("Archive")).unwrap();
        assert!(m.tls);
        assert_eq!((m.host.as_str(), m.port), ("mail.example.bg", 993));
        assert_eq!((m.user.as_str(), m.password.as_str()), ("office@krasnoselo.net", "p@ss"));
        assert_eq!(m.folder, "Входящи");
        assert_eq!(m.done_folder.as_deref(), Some("Archive"));
        assert!(!format!("{m:?}").contains("p@ss"), "{m:?}");
        let plain = Mailbox::parse("imap://harta:secret@127.0.0.1:14300", None).unwrap();
        assert!(!plain.tls);
        assert_eq!((plain.port, plain.folder.as_str()), (14300, "INBOX"));
        assert!(Mailbox::parse("pop3://a:b@host/", None).is_err());
        assert!(Mailbox::parse("imaps://mail.example.bg/INBOX", None).is_err(), "no account");
        assert!(Mailbox::parse("not a url", None).is_err());
    }

    #[test]
    fn a_uid_set_writes_runs_as_ranges_in_order_once_each() {
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[1, 2, 3]), "1:3");
        assert_eq!(uid_set(&[10, 9, 1, 2, 3, 7, 3]), "1:3,7,9:10");
        assert_eq!(uid_set(&[5, 7, 9]), "5,7,9");
        assert_eq!(uid_set(&[u32::MAX - 1, u32::MAX]), format!("{}:{}", u32::MAX - 1, u32::MAX));
    }
}
