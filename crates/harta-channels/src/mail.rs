//! E-mail out: to an SMTP server (`smtp://host:587`, `smtps://user:password@host`), or, where
//! no server is configured (a demo, a laptop), into a directory as one `.eml` file per message
//! that any mail program opens.

use std::path::Path;

use harta_app::outbox::{Mail, Mailer, SendError, Sending};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// A mail channel that cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The sender address is not an address.
    #[error("the sender address {0:?} is not valid: {1}")]
    From(String, String),
    /// The SMTP URL is not valid.
    #[error("the SMTP URL is not valid: {0}")]
    Url(String),
}

/// Where mail goes.
enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Directory(AsyncFileTransport<Tokio1Executor>),
}

/// Sends mail from the administration's address.
pub struct Outgoing {
    transport: Transport,
    from: Mailbox,
}

impl Outgoing {
    /// Mail through the SMTP server at `url` (lettre's URL form: `smtp://host:port`,
    /// `smtp://host?tls=required`, `smtps://user:password@host`).
    /// Call it inside the Tokio runtime: the connection pool starts a task.
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let from = mailbox(from)?;
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| MailError::Url(e.to_string()))?.build();
        Ok(Self { transport: Transport::Smtp(transport), from })
    }

    /// Mail written as `.eml` files into `dir` (which must exist).
    pub fn directory(dir: &Path, from: &str) -> Result<Self, MailError> {
        Ok(Self { transport: Transport::Directory(AsyncFileTransport::new(dir)), from: mailbox(from)? })
    }
}

fn mailbox(from: &str) -> Result<Mailbox, MailError> {
    from.parse().map_err(|e: lettre::address::AddressError| MailError::From(from.to_string(), e.to_string()))
}

impl Mailer for Outgoing {
    fn send<'a>(&'a self, mail: &'a Mail) -> Sending<'a> {
        Box::pin(async move {
            // An address the mail library cannot take will not become valid by waiting.
            let to: Mailbox = mail.to.parse().map_err(|e: lettre::address::AddressError| SendError {
                message: format!("{}: {e}", mail.to),
                permanent: true,
            })?;
            let message = Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(mail.subject.as_str())
                .header(ContentType::TEXT_PLAIN)
                .body(mail.text.clone())
                .map_err(|e| SendError { message: e.to_string(), permanent: true })?;
            match &self.transport {
                Transport::Smtp(smtp) => smtp
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError { message: e.to_string(), permanent: e.is_permanent() }),
                Transport::Directory(dir) => dir
                    .send(message)
                    .await
                    .map(|_| ())
                    .map_err(|e| SendError { message: e.to_string(), permanent: false }),
            }
        })
    }
}
