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
