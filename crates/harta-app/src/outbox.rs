//! Mail to citizens, sent after the commit that causes it. A registration with an e-mail address
//! writes an acknowledgement job in its own transaction; a worker later claims the job, writes
//! the message in the person's language, hands it to the mail server and records in the case's
//! history that it went (or, when the server refuses it for good, that it did not, so that
//! somebody reaches the person another way). A server that is down only delays the mail.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use harta_domain::access_code::AccessCode;
use harta_domain::case::{Actor, CaseEvent};
use harta_domain::charter::Charter;
use harta_store::cases::CaseRecord;
use harta_store::jobs::{Job, NewJob};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

use crate::secrets::{hex, unhex};
use crate::{App, AppError};

/// One e-mail to one person: plain text, and for a letter also HTML and its PDF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mail {
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The text.
    pub text: String,
    /// The same as HTML (a complete document), sent beside the text.
    pub html: Option<String>,
    /// Files attached.
    pub attachments: Vec<Attachment>,
}

/// A file attached to a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name.
    pub name: String,
    /// Its media type (`application/pdf`).
    pub media_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// Why a mail did not go.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// What the server (or the connection) said.
    pub message: String,
    /// The server refused the message for good (an unknown mailbox): trying again will not help.
    pub permanent: bool,
}

/// A mail being sent; done with its `Message-ID` once the server has accepted it.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<String, SendError>> + Send + 'a>>;

/// Hands mail to a mail server (SMTP, or a directory of `.eml` files when none is configured).
pub trait Mailer: Send + Sync {
    /// Sends one mail; done, with the `Message-ID` it was given, when the server has accepted it.
    fn send<'a>(&'a self, mail: &'a Mail) -> Sending<'a>;
}

/// What an acknowledgement tells the person.
#[derive(Debug)]
pub struct Acknowledgement<'a> {
    /// The language the person used (`bg` or `en`).
    pub lang: &'a str,
    /// The case as registered.
    pub case: &'a CaseRecord,
    /// How the case's deadline was counted (the service tier's rule, or the commitment's
    /// working days).
    pub deadline: harta_domain::deadline::DeadlineRule,
    /// The code with which the person follows the case online.
    pub access_code: &'a AccessCode,
    /// The charter (the administration's name and contacts).
    pub charter: &'a Charter,
}

/// A case in a morning digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestLine {
    /// Its registry number.
    pub number: String,
    /// Its subject.
    pub subject: String,
    /// Its due date.
    pub due: jiff::civil::Date,
    /// How its deadline stands: `at_risk`, `due_today`, `overdue` or `on_track`.
    pub status: String,
    /// Working days left (at risk) or late (overdue).
    pub days: u32,
}

/// A morning digest for one member of staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Their name.
    pub name: String,
    /// The day it is for.
    pub day: jiff::civil::Date,
    /// Their own cases at risk, due today or overdue.
    pub mine: Vec<DigestLine>,
    /// Their unit's overdue cases (heads of unit).
    pub overdue: Vec<DigestLine>,
    /// Their unit's cases nobody is responsible for (heads of unit).
    pub unassigned: Vec<DigestLine>,
    /// The citizens to call today about the information asked of them (by the date given
    /// them tomorrow or after the weekend), who cannot be reminded by e-mail.
    #[serde(default)]
    pub calls: Vec<ReminderCall>,
}

/// A citizen an officer reminds by telephone of the information asked of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReminderCall {
    /// The case's registry number.
    pub number: String,
    /// The citizen's name.
    pub name: String,
    /// Their telephone number as they gave it (E.164).
    pub phone: String,
    /// What was asked of them.
    pub what: String,
    /// By when.
    pub by: jiff::civil::Date,
}

/// A reminder to a citizen of the information they were asked for.
#[derive(Debug)]
pub struct Reminder<'a> {
    /// The case.
    pub case: &'a CaseRecord,
    /// What was asked for.
    pub what: &'a str,
    /// By when.
    pub by: jiff::civil::Date,
    /// The charter (the administration's name and contacts).
    pub charter: &'a Charter,
}

/// Puts messages into words; the web layer holds the languages and implements it.
pub trait Compose: Send + Sync {
    /// The subject and text of an acknowledgement.
    fn acknowledgement(&self, ack: &Acknowledgement<'_>) -> (String, String);
    /// The subject and text of a morning digest (in Bulgarian: staff read the workspace in it).
    fn digest(&self, digest: &Digest) -> (String, String);
    /// The subject and text of a reminder of information asked for.
    fn reminder(&self, reminder: &Reminder<'_>) -> (String, String);
}

/// What the job worker needs from outside: a mail server and the words.
#[derive(Clone)]
pub struct Delivery {
    /// The mail server.
    pub mailer: Arc<dyn Mailer>,
    /// The words.
    pub compose: Arc<dyn Compose>,
}

/// Attempts before a mail is given up: with the back-off below, about two days.
pub(crate) const MAX_ATTEMPTS: i64 = 16;

/// A job's details as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Work {
    /// Acknowledge a registration by e-mail. The access code is sealed: the table is not a place
    /// to read it from, and it is emptied once the job is over.
    Acknowledge { lang: String, sealed_code: String },
    /// A morning digest to a member of staff's work address.
    Digest { to: String, digest: Digest },
    /// Remind the case's person of the information asked of them by `by`.
    Remind { what: String, by: jiff::civil::Date },
}

/// How long a claimed job is a worker's alone by default: a worker that dies with it (a crash,
/// a kill) leaves it to be tried again after this long.
pub const DEFAULT_LEASE: SignedDuration = SignedDuration::from_mins(5);
/// Jobs under way at once.
const IN_FLIGHT: usize = 64;
/// How long to wait after the `attempt`-th failure: 30 s doubling, at most 6 hours.
pub(crate) fn back_off(attempt: i64) -> SignedDuration {
    let exponent = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    SignedDuration::from_secs((30i64 << exponent).min(6 * 3600))
}

impl App {
    /// The acknowledgement job for a new case whose person gave an e-mail address.
    pub(crate) fn acknowledgement_job(&self, lang: &str, code: &AccessCode) -> Result<NewJob, AppError> {
        let sealed = self.inner.key.seal(code.as_compact())?;
        let lang = if lang == "en" { "en" } else { "bg" };
        let work = Work::Acknowledge { lang: lang.to_string(), sealed_code: hex(&sealed) };
        let payload = serde_json::to_string(&work).map_err(AppError::internal)?;
        Ok(NewJob { kind: "acknowledge".into(), payload })
    }

    /// Claims the jobs that are due and does them, until none is left that was due when it
    /// looked; returns how many it took. The server calls this every second; a job that fails
    /// is tried again later with back-off. Up to [`IN_FLIGHT`] jobs run side by side, and more
    /// are claimed whenever half of them are done: a slow mail server or one large letter is
    /// waited for once, not once per batch.
    pub async fn run_jobs(&self, delivery: &Delivery) -> Result<usize, AppError> {
        let mut running = tokio::task::JoinSet::new();
        let (mut taken, mut drained, mut first_error) = (0, false, None);
        loop {
            if !drained && running.len() <= IN_FLIGHT / 2 {
                let want = IN_FLIGHT - running.len();
                match self.inner.jobs.claim(self.now(), self.job_lease(), want as i64).await {
                    Ok(jobs) => {
                        drained = jobs.len() < want;
                        taken += jobs.len();
                        for job in jobs {
                            let (app, delivery) = (self.clone(), delivery.clone());
                            running.spawn(async move { app.run_job(&job, &delivery).await });
                        }
                    }
                    // The jobs under way still finish: a mail sent is recorded as sent.
                    Err(e) => {
                        drained = true;
                        first_error.get_or_insert(AppError::from(e));
                    }
                }
            }
            let Some(done) = running.join_next().await else { break };
            if let Err(e) = done.map_err(AppError::internal).and_then(|r| r) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(taken), Err)
    }

    /// Sets how long a claimed job is a worker's alone (the server's `HARTA_JOB_LEASE`): longer
    /// than any one mail takes to send, short enough that a job of a worker that died is tried
    /// again soon.
    pub fn set_job_lease(&self, lease: SignedDuration) {
        let seconds = u64::try_from(lease.as_secs()).unwrap_or(0);
        self.inner.job_lease.store(seconds, std::sync::atomic::Ordering::Relaxed);
    }

    fn job_lease(&self) -> SignedDuration {
        let seconds = self.inner.job_lease.load(std::sync::atomic::Ordering::Relaxed);
        SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(i64::MAX))
    }

    /// How many jobs wait to be done.
    pub async fn jobs_waiting(&self) -> Result<i64, AppError> {
        Ok(self.inner.jobs.waiting().await?)
    }

    async fn run_job(&self, job: &Job, delivery: &Delivery) -> Result<(), AppError> {
        if job.kind == crate::delivering::DELIVER {
            return self.deliver_letter(job, delivery).await;
        }
        let give_up = |why: &'static str| self.inner.jobs.finish(job, self.now(), Some(why), None);
        let work = match serde_json::from_str::<Work>(&job.payload) {
            Ok(work) => work,
            Err(_) => {
                tracing::error!(job = job.id, kind = %job.kind, "a job harta cannot read");
                return Ok(give_up("unreadable job").await?);
            }
        };
        if let Work::Digest { to, digest } = &work {
            let (subject, text) = delivery.compose.digest(digest);
            let mail = Mail { to: to.clone(), subject, text, ..Mail::default() };
            return self.send_job_mail(job, delivery, &mail, None).await;
        }
        let case = match job.case_id {
            Some(id) => self.inner.cases.by_id(id).await?,
            None => None,
        };
        let Some(case) = case else {
            return Ok(give_up("the case does not exist").await?);
        };
        // The person may have removed the address since (C12): nothing to send then.
        let Some(to) = case.party.email.clone() else {
            return Ok(give_up("the person has no e-mail address any more").await?);
        };
        let charter = self.charter();
        let (subject, text) = match &work {
            Work::Acknowledge { lang, sealed_code } => {
                let code = unhex(sealed_code)
                    .and_then(|sealed| self.inner.key.open(&sealed).ok())
                    .and_then(|plain| AccessCode::parse(&plain).ok());
                let Some(code) = code else {
                    return Ok(give_up("the sealed access code does not open").await?);
                };
                let deadline = self.deadline_rule(case.kind, case.service.as_ref());
                let ack = Acknowledgement { lang, case: &case, deadline, access_code: &code, charter: &charter };
                delivery.compose.acknowledgement(&ack)
            }
            Work::Remind { what, by } => {
                // Only while the information is still awaited.
                if case.state != harta_domain::case::State::InformationRequested {
                    return Ok(self.inner.jobs.finish(job, self.now(), None, None).await?);
                }
                delivery.compose.reminder(&Reminder { case: &case, what, by: *by, charter: &charter })
            }
            Work::Digest { .. } => unreachable!("sent above"),
        };
        let mail = Mail { to, subject, text, ..Mail::default() };
        self.send_job_mail(job, delivery, &mail, Some(&case)).await
    }

    /// Sends a job's mail and ends the job by the outcome: sent (recorded on the case, if it is
    /// about one), refused for good or too often (recorded as failed), or tried again later.
    async fn send_job_mail(
        &self,
        job: &Job,
        delivery: &Delivery,
        mail: &Mail,
        case: Option<&CaseRecord>,
    ) -> Result<(), AppError> {
        let (to, subject) = (mail.to.clone(), mail.subject.clone());
        match delivery.mailer.send(mail).await {
            Ok(_) => {
                let sent = CaseEvent::MailSent { to, subject };
                let event = case.map(|_| (&Actor::System, &sent));
                self.inner.jobs.finish(job, self.now(), None, event).await?;
            }
            Err(e) if e.permanent || job.attempts >= MAX_ATTEMPTS => {
                let number = case.map_or("-", |c| c.registry_number.as_str());
                tracing::warn!(job = job.id, case = %number, error = %e, "mail given up");
                let failed = CaseEvent::MailFailed { to, subject, reason: e.message.clone() };
                let event = case.map(|_| (&Actor::System, &failed));
                self.inner.jobs.finish(job, self.now(), Some(&e.message), event).await?;
            }
            Err(e) => {
                tracing::info!(job = job.id, attempt = job.attempts, error = %e, "mail not sent yet; will retry");
                self.inner.jobs.retry(job, self.now() + back_off(job.attempts), &e.message).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_from_half_a_minute_up_to_six_hours() {
        assert_eq!(back_off(1), SignedDuration::from_secs(30));
        assert_eq!(back_off(2), SignedDuration::from_secs(60));
        assert_eq!(back_off(5), SignedDuration::from_secs(480));
        assert_eq!(back_off(12), SignedDuration::from_hours(6));
        assert_eq!(back_off(MAX_ATTEMPTS), SignedDuration::from_hours(6));
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| back_off(a).as_secs()).sum();
        assert!((24 * 3600..72 * 3600).contains(&total), "{total}");
    }
}
