//! E-mail in (C3): every message in the administration's mailbox becomes a letter case
//! (channel e-mail) with its attachments as documents, its sender matched to a person already
//! known by that address, acknowledged to the sender with the
//! number and due date; a reply that names a case's number and comes from that case's address
//! joins the case as the citizen's input; a bounce fails the letter delivery it is about;
//! automatic replies and list mail create nothing. The same message is registered once, by its
//! `Message-ID` (or its content's digest), also when the reader fetches it again after a crash.

use harta_domain::case::{Actor, CaseEvent, State};
use harta_domain::delivery::{fax_report_failed, from_fax_gateway};
use harta_store::cases::{CaseRecord, PersonKey};
use harta_store::deliveries::Outcome;

use crate::cases::{PartyInput, RegisterCaseInput};
use crate::files::PendingDocument;
use crate::{App, AppError};

/// A message as the mail reader hands it over: parsed, decoded, and classified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboundMail {
    /// What identifies it for good: its `Message-ID`, else the digest of its bytes.
    pub key: String,
    /// The sender's address, if the message has a usable one.
    pub from: Option<String>,
    /// The sender's name as written in `From`.
    pub name: Option<String>,
    /// The subject, decoded.
    pub subject: String,
    /// The text: the plain part, else the HTML part turned into text (never HTML).
    pub text: String,
    /// Attached files: name as sent, bytes.
    pub attachments: Vec<(String, Vec<u8>)>,
    /// What kind of message it is.
    pub kind: MailKind,
    /// The `Message-ID`s it answers (`In-Reply-To`, then `References`), with angle brackets.
    pub answers: Vec<String>,
}

/// What a message is, as its headers and structure tell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MailKind {
    /// Written by a person: a letter, or a reply to one of ours.
    #[default]
    Letter,
    /// A delivery status notification about a message of ours.
    Bounce {
        /// The `Message-ID` of our message it is about, if it says.
        original: Option<String>,
        /// What the report says went wrong.
        reason: String,
    },
    /// An automatic reply (`Auto-Submitted`, `X-Autoreply`, `Precedence: bulk`…).
    AutoReply,
    /// Mail from a mailing list (`List-Id`, `Precedence: list`).
    List,
}

/// What became of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Registered as a new case under this number.
    Registered(String),
    /// Added to this case as the citizen's input.
    Attached(String),
    /// The same message was taken before: the case it made or joined.
    Again(String),
    /// A bounce that failed this case's letter delivery.
    Bounced(String),
    /// Kept out of the registry, for this reason (logged).
    SetAside(&'static str),
}

/// How much of a message's text a case keeps.
const MAX_TEXT: usize = 20_000;

impl App {
    /// Takes one message from the mailbox. Store failures are errors (the reader keeps the
    /// message and tries again); everything about the message itself is an answer.
    pub async fn receive_mail(&self, mail: InboundMail) -> Result<Received, AppError> {
        let key = format!("mail {}", mail.key);
        let from_gateway = |gateway: &str| mail.from.as_deref().is_some_and(|f| from_fax_gateway(gateway, f));
        if self.fax_gateway().is_some_and(from_gateway) {
            return self.fax_report(&mail).await;
        }
        match &mail.kind {
            MailKind::AutoReply => return Ok(Received::SetAside("automatic reply")),
            MailKind::List => return Ok(Received::SetAside("mailing list")),
            MailKind::Bounce { original, reason } => return self.bounced(original.as_deref(), reason).await,
            MailKind::Letter => {}
        }
        if let Some(done) = self.inner.cases.by_submission_key(&key).await? {
            return Ok(Received::Again(done.registry_number));
        }
        let Some(from) = mail.from.clone() else { return Ok(Received::SetAside("no sender address")) };
        if let Some(case) = self.reply_to(&mail.subject, &from).await? {
            return self.attach_reply(case, &key, &mail).await;
        }
        let documents = self.mail_documents(&mail.attachments).await?;
        let text = match mail.text.trim() {
            "" if mail.attachments.is_empty() => "(празно писмо)".to_string(),
            "" => "(писмо без текст; вижте приложените документи)".to_string(),
            text => text.chars().take(MAX_TEXT).collect(),
        };
        let subject = match mail.subject.trim() {
            "" => "(без тема)".to_string(),
            s => s.chars().take(200).collect(),
        };
        // A person known by this address keeps the details they gave before.
        let known = self.inner.cases.find_people(PersonKey::Email(&from), None, 1).await?.into_iter().next();
        let name = mail
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| known.as_ref().map(|k| k.name.clone()))
            .unwrap_or_else(|| from.clone());
        let input = RegisterCaseInput {
            kind: Some("letter".into()),
            channel: Some("email".into()),
            subject: Some(subject),
            text: Some(text),
            party: PartyInput {
                name: Some(name),
                email: Some(from.clone()),
                phone: known.as_ref().and_then(|k| k.phone.clone()),
                address: known.as_ref().and_then(|k| k.address.clone()),
                preferred_channel: Some("email".into()),
                ..PartyInput::default()
            },
            ..RegisterCaseInput::default()
        };
        let done = self.register_mail(&input, &key, &documents).await?;
        Ok(Received::Registered(done.number.as_str().to_string()))
    }

    /// The case a reply is about: a registry number in the subject whose case's person wrote
    /// from the same address. From any other address it is a new letter that mentions it.
    async fn reply_to(&self, subject: &str, from: &str) -> Result<Option<CaseRecord>, AppError> {
        let registry = &self.charter().registry;
        let words = subject.split(|c: char| c.is_whitespace() || matches!(c, ':' | ',' | ';' | '(' | ')' | '[' | ']'));
        for word in words.filter(|w| !w.is_empty()) {
            let Ok(number) = registry.parse(word.trim_end_matches('.')) else { continue };
            if let Some(case) = self.inner.cases.by_number(&number, None).await? {
                let theirs = case.party.email.as_deref().is_some_and(|e| e.eq_ignore_ascii_case(from));
                return Ok(theirs.then_some(case));
            }
        }
        Ok(None)
    }

    /// A reply joins its case: what was asked for arrives (the case goes back to work), or,
    /// in any other state, the citizen's message is added to its history; attachments become
    /// its documents.
    async fn attach_reply(&self, case: CaseRecord, key: &str, mail: &InboundMail) -> Result<Received, AppError> {
        let number = case.registry_number.as_str();
        let digest = crate::secrets::hex(&<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
        if self.inner.cases.event_by_request(&digest).await?.is_some() {
            return Ok(Received::Again(number.to_string()));
        }
        let text: String = format!("{}\n\n{}", mail.subject.trim(), mail.text.trim()).chars().take(MAX_TEXT).collect();
        let event = if case.state == State::InformationRequested {
            self.information_received(&case, text).await?
        } else {
            CaseEvent::MailReceived { from: mail.from.clone().unwrap_or_default(), text }
        };
        let documents = self.mail_documents(&mail.attachments).await?;
        let kept = self.keep_documents(&documents).await?;
        let now = self.now();
        let request = (digest.as_str(), digest.as_str());
        match self.inner.cases.append_reply(case.id, now, &Actor::Citizen, &event, &kept, request).await? {
            Ok(_) => {}
            Err(refused) => return Err(AppError::refused(refused)),
        }
        self.inner.audit.record(now, "citizen", "mail_received", number, "a reply by e-mail").await?;
        Ok(Received::Attached(number.to_string()))
    }

    /// A bounce fails the delivery of the letter it is about (found by our `Message-ID`).
    /// A report of the fax gateway: a fax it could not send fails its delivery (the letter
    /// goes onto the not-delivered list); one that says the fax went changes nothing, since
    /// the delivery was confirmed when the gateway took it. Never a case.
    async fn fax_report(&self, mail: &InboundMail) -> Result<Received, AppError> {
        let (dsn, reason) = match &mail.kind {
            MailKind::Bounce { original, reason } => (original.clone(), Some(reason.clone())),
            _ => (None, None),
        };
        let failed = reason.is_some() || fax_report_failed(&mail.subject, &mail.text);
        for about in dsn.iter().chain(&mail.answers) {
            if self.inner.deliveries.by_message_id(about).await?.is_none() {
                continue;
            }
            if !failed {
                return Ok(Received::SetAside("the fax gateway confirms a fax"));
            }
            let said = reason.clone().unwrap_or_else(|| mail.subject.trim().to_string());
            return self.bounced(Some(about), &said).await;
        }
        Ok(Received::SetAside("a report of the fax gateway on no fax of ours"))
    }

    async fn bounced(&self, original: Option<&str>, reason: &str) -> Result<Received, AppError> {
        let Some(original) = original else { return Ok(Received::SetAside("a bounce about no message of ours")) };
        let Some((id, number)) = self.inner.deliveries.by_message_id(original).await? else {
            return Ok(Received::SetAside("a bounce about no letter of ours"));
        };
        let reason: String = reason.chars().take(500).collect();
        let failed = Outcome::Failed { reason: if reason.is_empty() { "bounced".into() } else { reason } };
        self.inner.deliveries.bounce(id, self.now(), &Actor::System, &failed).await?;
        Ok(Received::Bounced(number))
    }

    /// A message's attachments checked as uploads are (type, size, names); a file that is not
    /// accepted is left out, logged, and the rest of the message is still taken.
    async fn mail_documents(&self, attachments: &[(String, Vec<u8>)]) -> Result<Vec<PendingDocument>, AppError> {
        let mut accepted = Vec::new();
        for (name, bytes) in attachments.iter().take(harta_domain::documents::MAX_FILES) {
            let mut upload = self.inner.files.begin().await.map_err(AppError::internal)?;
            let written = upload.write(bytes).await;
            let checked = match written {
                Ok(()) => upload.finish(name).await,
                Err(e) => {
                    upload.abandon().await;
                    Err(e)
                }
            };
            match checked {
                Ok(document) => accepted.push(document),
                Err(e) => tracing::info!(name = %name, error = %e, "an attachment of an e-mail was left out"),
            }
        }
        Ok(accepted)
    }
}
