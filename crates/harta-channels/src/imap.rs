//! E-mail in: the administration's mailbox read over IMAP (`imaps://user:password@host/INBOX`,
//! or plain `imap://` on loopback). Every message not yet taken is handed to harta-app, then
//! flagged on the server (`\Seen` and the keyword `$HartaDone`, or moved to a folder): never
//! deleted. A message is flagged only after harta has stored what it made of it, so a crash in
//! between fetches it again, and harta-app recognises it by its `Message-ID`. The reader waits
//! with IDLE where the server offers it and polls otherwise; a lost connection is opened again.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use harta_app::mail_in::Received;
use harta_app::{App, AppError};
use tokio::io::{AsyncRead, AsyncWrite};

/// The keyword of a message harta has taken.
const DONE: &str = "$HartaDone";
/// The keyword of a message harta kept out of the registry (also `$HartaDone`).
const SET_ASIDE: &str = "$HartaSetAside";
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

    async fn take(&self, session: &mut Session, app: &App) -> Result<usize, ImapError> {
        let mut uids: Vec<u32> =
            session.uid_search(format!("UNDELETED NOT KEYWORD {DONE}")).await.map_err(server)?.into_iter().collect();
        uids.sort_unstable();
        for &uid in &uids {
            let sizes: Vec<_> = session
                .uid_fetch(uid.to_string(), "(UID RFC822.SIZE)")
                .await
                .map_err(server)?
                .try_collect()
                .await
                .map_err(server)?;
            let size = sizes.first().and_then(|f| f.size).unwrap_or(0);
            let received = if size > MAX_MESSAGE {
                Received::SetAside("larger than 100 MB")
            } else {
                let fetched: Vec<_> = session
                    .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
                    .await
                    .map_err(server)?
                    .try_collect()
                    .await
                    .map_err(server)?;
                let raw = fetched.first().and_then(|f| f.body()).unwrap_or_default();
                match app.receive_mail(crate::inbound::read(raw)).await {
                    Ok(received) => received,
                    // What the message holds cannot be registered (a name too long, say):
                    // set aside, and the messages behind it go on.
                    Err(AppError::Invalid(fields)) => {
                        tracing::warn!(uid, fields = ?fields.iter().map(|f| &f.field).collect::<Vec<_>>(), "an e-mail cannot be registered");
                        Received::SetAside("cannot be registered")
                    }
                    Err(e) => return Err(ImapError::Store(e)),
                }
            };
            tracing::info!(uid, outcome = ?received, "e-mail taken");
            let flags = match received {
                Received::SetAside(_) => format!("+FLAGS (\\Seen {DONE} {SET_ASIDE})"),
                _ => format!("+FLAGS (\\Seen {DONE})"),
            };
            let _: Vec<_> = session
                .uid_store(uid.to_string(), &flags)
                .await
                .map_err(server)?
                .try_collect()
                .await
                .map_err(server)?;
            if let Some(folder) = &self.done_folder {
                session.uid_mv(uid.to_string(), folder).await.map_err(server)?;
            }
        }
        Ok(uids.len())
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
        loop {
            self.take(&mut session, app).await?;
            if *stop.borrow() {
                let _ = session.logout().await;
                return Ok(());
            }
            if idle {
                let mut handle = session.idle();
                handle.init().await.map_err(server)?;
                {
                    let (wait, interrupt) = handle.wait_with_timeout(IDLE);
                    tokio::select! {
                        done = wait => { done.map_err(server)?; }
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
}
