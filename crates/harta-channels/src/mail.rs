//! E-mail out: to an SMTP server (`smtp://host:587`, `smtps://user:password@host`), or, where
//! no server is configured (a demo, a laptop), into a directory as one `.eml` file per message
//! that any mail program opens; such a message is reported as not sent, since nobody got it.

use std::path::Path;

use harta_app::outbox::{Mail, Mailer, SendError, Sending};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, Message, MultiPart, SinglePart};
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
    /// The domain of `Message-ID`s: the sender's.
    domain: String,
}

impl Outgoing {
    /// Mail through the SMTP server at `url` (lettre's URL form: `smtp://host:port`,
    /// `smtp://host?tls=required`, `smtps://user:password@host`).
    /// Call it inside the Tokio runtime: the connection pool starts a task.
    pub fn smtp(url: &str, from: &str) -> Result<Self, MailError> {
        let from = mailbox(from)?;
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|e| MailError::Url(e.to_string()))?.build();
        Ok(Self::new(Transport::Smtp(transport), from))
    }

    /// Mail written as `.eml` files into `dir` (which must exist).
    pub fn directory(dir: &Path, from: &str) -> Result<Self, MailError> {
        Ok(Self::new(Transport::Directory(AsyncFileTransport::new(dir)), mailbox(from)?))
    }

    fn new(transport: Transport, from: Mailbox) -> Self {
        let domain = from.email.domain().to_string();
        Self { transport, from, domain }
    }

    /// The message in MIME: plain text alone, or text and HTML as alternatives, with any
    /// attachments beside them.
    fn message(&self, to: Mailbox, mail: &Mail, message_id: &str) -> Result<Message, SendError> {
        let refused = |e: lettre::error::Error| SendError { message: e.to_string(), permanent: true };
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.as_str())
            .message_id(Some(message_id.to_string()));
        if mail.html.is_none() && mail.attachments.is_empty() {
            return builder.header(ContentType::TEXT_PLAIN).body(mail.text.clone()).map_err(refused);
        }
        let text = SinglePart::plain(mail.text.clone());
        let body = match &mail.html {
            Some(html) => MultiPart::alternative().singlepart(text).singlepart(SinglePart::html(html.clone())),
            None => MultiPart::mixed().singlepart(text),
        };
        let mut mixed = MultiPart::mixed().multipart(body);
        for file in &mail.attachments {
            let media_type = ContentType::parse(&file.media_type)
                .map_err(|e| SendError { message: format!("{}: {e}", file.media_type), permanent: true })?;
            mixed = mixed.singlepart(Attachment::new(file.name.clone()).body(file.bytes.clone(), media_type));
        }
        builder.multipart(mixed).map_err(refused)
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
            // Our own Message-ID, so that it can be recorded and a reply or a bounce found by it.
            let random = harta_app::secrets::random_bytes::<16>()
                .map_err(|e| SendError { message: e.to_string(), permanent: false })?;
            let message_id = format!("<{}@{}>", harta_app::secrets::hex(&random), self.domain);
            let message = self.message(to, mail, &message_id)?;
            match &self.transport {
                Transport::Smtp(smtp) => smtp
                    .send(message)
                    .await
                    .map(|_| message_id)
                    .map_err(|e| SendError { message: e.to_string(), permanent: e.is_permanent() }),
                // Written into a directory, a message has reached nobody: it is kept for the
                // operator to read, and reported as not sent so that nothing says otherwise.
                Transport::Directory(dir) => match dir.send(message).await {
                    Ok(file) => Err(SendError {
                        message: format!(
                            "no SMTP server is configured (HARTA_SMTP_URL); the message was kept as {file}.eml"
                        ),
                        permanent: true,
                    }),
                    Err(e) => Err(SendError { message: e.to_string(), permanent: false }),
                },
            }
        })
    }
}
