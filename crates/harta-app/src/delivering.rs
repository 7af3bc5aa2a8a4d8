//! Delivering issued letters (C20): each letter starts a delivery on the person's preferred
//! channel in the transaction that issues it. E-mail and fax go by themselves through the job
//! table; the post, the telephone and the counter wait for the person who does them, who says
//! when it is done. A delivery that fails for good puts the letter on the not-delivered list,
//! where the officer chooses another channel. The case's history says "sent" only when a
//! channel has confirmed it.

use harta_domain::case::{Actor, PreferredChannel};
use harta_domain::delivery::{DeliveryState, Reach, destination, is_electronic};
use harta_domain::text::Note;
use harta_store::cases::CaseRecord;
pub use harta_store::deliveries::{DeliveryRecord, QueuedDelivery};
use harta_store::deliveries::{Listing, NewDelivery, Outcome, ReceiptRefusal, Scope, Start};
use harta_store::jobs::{Job, JobRefusal, NewJob};
pub use harta_store::jobs::{JobFilter, JobLine};

use crate::access::{Action, Principal};
use crate::letters::Receipt;
use crate::outbox::{Attachment, Delivery, MAX_ATTEMPTS, Mail, back_off};
use crate::{App, AppError, FieldError};

/// The kind of the job that sends a letter by e-mail or fax.
pub(crate) const DELIVER: &str = "deliver";

/// What a member of staff says about a delivery they did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The registry office posted the letter.
    Posted,
    /// The person collected it at the counter.
    HandedOver,
    /// The officer called and read it; `note` is what was said.
    Called {
        /// The call's outcome in the officer's words.
        note: String,
    },
    /// It could not be done (the number does not answer, nobody came): another channel is
    /// needed.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A return receipt goes only with a letter by post.
pub(crate) fn receipt_fits(return_receipt: bool, channel: PreferredChannel) -> Result<(), AppError> {
    if return_receipt && channel != PreferredChannel::Post {
        let only = format!("only a letter by post has one, not one by {channel}");
        return Err(AppError::Invalid(vec![FieldError::new("return_receipt", only).with_code("not_by_post")]));
    }
    Ok(())
}

/// Which list of deliveries a member of staff looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Letters waiting on a channel people work: `Post` is the registry office's print queue,
    /// `Phone` the officers' calls, `InPerson` the counter's letters for collection.
    Waiting(PreferredChannel),
    /// Letters whose delivery failed, for the officer to choose another channel.
    Undelivered,
}

impl App {
    /// The channel a case's letters go on: the person's choice, or, where they made none, the
    /// first they can be reached on (e-mail, then the post), else collection at the counter.
    pub(crate) fn channel_of(case: &CaseRecord) -> PreferredChannel {
        let party = &case.party;
        party.preferred_channel.unwrap_or(if party.email.is_some() {
            PreferredChannel::Email
        } else if party.address.is_some() {
            PreferredChannel::Post
        } else {
            PreferredChannel::InPerson
        })
    }

    /// How a letter's delivery on `channel` begins for this case's person.
    pub(crate) fn delivery_on(
        &self,
        case: &CaseRecord,
        channel: PreferredChannel,
        return_receipt: bool,
    ) -> NewDelivery {
        let start = match destination(channel, reach(case), self.fax_gateway()) {
            Err(why) => Start::Undeliverable(harta_domain::Coded::code(&why).to_string()),
            Ok(_) if is_electronic(channel) => Start::Job(NewJob { kind: DELIVER.into(), payload: "{}".into() }),
            Ok(_) => Start::Queue,
        };
        NewDelivery { channel, start, return_receipt }
    }

    /// The channels a case's person can be reached on with the details they gave (where a
    /// letter may be sent again).
    pub fn reachable_channels(&self, reach: Reach<'_>) -> Vec<PreferredChannel> {
        let gateway = self.fax_gateway();
        PreferredChannel::ALL.iter().copied().filter(|&ch| destination(ch, reach, gateway).is_ok()).collect()
    }

    pub(crate) fn fax_gateway(&self) -> Option<&str> {
        self.inner.letter_setup.get().and_then(|s| s.fax_gateway.as_deref())
    }

    /// The deliveries of a case's letters, oldest first.
    pub async fn deliveries(&self, who: &Principal, number: &str) -> Result<Vec<DeliveryRecord>, AppError> {
        let case = self.find_case(who, number).await?;
        Ok(self.inner.deliveries.of_case(case.id).await?)
    }

    /// A list of deliveries within what the caller sees (a case officer's undelivered letters
    /// are those of their own cases). It names people and their addresses: the view is audited.
    pub async fn delivery_queue(&self, who: &Principal, queue: Queue) -> Result<Vec<QueuedDelivery>, AppError> {
        self.queued(who, queue, "view_deliveries").await
    }

    /// The same list for a download (CSV, XLSX), recorded in the audit trail as one.
    pub async fn export_delivery_queue(&self, who: &Principal, queue: Queue) -> Result<Vec<QueuedDelivery>, AppError> {
        self.queued(who, queue, "export_deliveries").await
    }

    async fn queued(&self, who: &Principal, queue: Queue, action: &str) -> Result<Vec<QueuedDelivery>, AppError> {
        who.require(Action::DeliverLetters)?;
        let responsible = match (&who.actor, who.role, queue) {
            (
                Actor::Staff { id },
                crate::Role::CaseOfficer,
                Queue::Undelivered | Queue::Waiting(PreferredChannel::Phone),
            ) => Some(id.0),
            _ => None,
        };
        let scope = Scope { unit: who.unit_scope(), responsible };
        let (listing, name) = match queue {
            Queue::Waiting(channel) => (Listing::Waiting(channel), channel.as_str()),
            Queue::Undelivered => (Listing::Undelivered, "undelivered"),
        };
        let found = self.inner.deliveries.list(listing, scope).await?;
        self.inner.audit.record(self.now(), &who.audit_name(), action, name, &found.len().to_string()).await?;
        Ok(found)
    }

    /// One PDF of the letters waiting for the post among `ids` (the print queue's "print"),
    /// in the order of the queue; audited.
    pub async fn print_run(&self, who: &Principal, ids: &[i64]) -> Result<(Vec<i64>, Vec<u8>), AppError> {
        who.require(Action::DeliverLetters)?;
        let scope = Scope { unit: who.unit_scope(), responsible: None };
        let queued = self.inner.deliveries.list(Listing::These(ids), scope).await?;
        let posted: Vec<i64> = queued.iter().filter(|d| d.channel == PreferredChannel::Post).map(|d| d.id).collect();
        if posted.is_empty() {
            return Err(AppError::field("ids", "none of these letters is waiting for the post"));
        }
        // A letter that goes with a return receipt is followed by the receipt's card.
        let receipts: Vec<(i64, Receipt)> =
            queued.iter().filter(|d| d.return_receipt).map(|d| (d.id, self.receipt_for(d))).collect();
        let letters = self.inner.deliveries.pdfs(&posted).await?;
        let typeset = self.letter_setup()?.typeset.clone();
        let pdf = tokio::task::spawn_blocking(move || {
            let mut pdfs = Vec::with_capacity(letters.len() + receipts.len());
            for (id, letter) in letters {
                pdfs.push(letter);
                if let Some((_, receipt)) = receipts.iter().find(|(with, _)| *with == id) {
                    pdfs.push(typeset.receipt(receipt)?);
                }
            }
            typeset.bundle(&pdfs)
        })
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
        let detail = format!("{} letters", posted.len());
        self.inner.audit.record(self.now(), &who.audit_name(), "print_letters", "post", &detail).await?;
        Ok((posted, pdf))
    }

    /// The return receipt of a letter in the print queue.
    fn receipt_for(&self, d: &QueuedDelivery) -> Receipt {
        let admin = &self.charter().administration;
        Receipt {
            administration: admin.name.bg.clone(),
            address: admin.address.bg.clone(),
            to: std::iter::once(d.name.clone()).chain(d.address.clone()).collect(),
            letter_number: d.letter_number.clone(),
            issued_on: harta_domain::format::in_sofia(d.issued_at).date(),
            case_number: d.registry_number.clone(),
        }
    }

    /// Records that the return receipt of a posted letter came back, signed by the person on
    /// `signed_on` (`2026-11-25`): the delivery is then confirmed in the
    /// person's own hand. Returns the case's registry number.
    pub async fn receipt_returned(&self, who: &Principal, id: i64, signed_on: &str) -> Result<String, AppError> {
        who.require(Action::DeliverLetters)?;
        let number = self.delivery_case(who, id).await?;
        let today = harta_domain::format::in_sofia(self.now()).date();
        let signed: jiff::civil::Date = signed_on.trim().parse().map_err(|_| {
            AppError::Invalid(vec![
                FieldError::new("signed_on", format!("\"{}\" is not a date as YYYY-MM-DD", signed_on.trim()))
                    .with_code("not_a_date"),
            ])
        })?;
        if signed > today {
            return Err(AppError::Invalid(vec![FieldError::new("signed_on", "is after today").with_code("in_future")]));
        }
        let task = self.inner.deliveries.task(id).await?.ok_or_else(|| AppError::NotFound(format!("delivery {id}")))?;
        if task.return_receipt && task.state == DeliveryState::Sent {
            let posted = self.inner.deliveries.of_case(task.case_id).await?;
            let posted_on = posted
                .iter()
                .find(|d| d.id == id)
                .and_then(|d| d.finished_at)
                .map(|at| harta_domain::format::in_sofia(at).date());
            if posted_on.is_some_and(|on| signed < on) {
                let early = FieldError::new("signed_on", "is before the letter was posted").with_code("before_posting");
                return Err(AppError::Invalid(vec![early]));
            }
        }
        let now = self.now();
        match self.inner.deliveries.receipt_returned(id, signed, now, &who.actor).await? {
            Ok(()) => {}
            Err(ReceiptRefusal::NoReceipt) => {
                return Err(AppError::conflict("no_receipt", format!("delivery {id} went without a return receipt")));
            }
            Err(ReceiptRefusal::NotPosted) => {
                return Err(AppError::conflict("not_posted", format!("delivery {id} has not been posted")));
            }
            Err(ReceiptRefusal::Recorded) => {
                return Err(AppError::conflict("already_done", format!("the receipt of delivery {id} is recorded")));
            }
        }
        self.inner.audit.record(now, &who.audit_name(), "receipt_returned", &number, &signed.to_string()).await?;
        Ok(number)
    }

    /// Records that a member of staff did (or could not do) a delivery that waits for people:
    /// posted, handed over, read on the telephone. The channel must be the one that needs it.
    /// Returns the case's registry number.
    pub async fn delivery_done(&self, who: &Principal, id: i64, done: Done) -> Result<String, AppError> {
        who.require(Action::DeliverLetters)?;
        let not_found = || AppError::NotFound(format!("delivery {id}"));
        let task = self.inner.deliveries.task(id).await?.ok_or_else(not_found)?;
        let case = self.inner.cases.by_id(task.case_id).await?.ok_or_else(not_found)?;
        // Within what the caller may see, as the case itself.
        let case = self.find_case(who, &case.registry_number).await?;
        let fits = match &done {
            Done::Posted => task.channel == PreferredChannel::Post,
            Done::HandedOver => task.channel == PreferredChannel::InPerson,
            Done::Called { .. } => task.channel == PreferredChannel::Phone,
            Done::Failed { .. } => !is_electronic(task.channel),
        };
        if !fits {
            return Err(AppError::field("outcome", format!("does not fit a delivery by {}", task.channel)));
        }
        if task.state != DeliveryState::Pending {
            return Err(AppError::conflict("already_done", format!("delivery {id} is already {}", task.state)));
        }
        let outcome = match done {
            Done::Posted | Done::HandedOver => {
                Outcome::Sent { to: destination_of(self, &case, task.channel), detail: String::new() }
            }
            Done::Called { note } => {
                let note = Note::parse(&note).map_err(|e| AppError::Invalid(vec![FieldError::coded("note", &e)]))?;
                Outcome::Sent { to: destination_of(self, &case, task.channel), detail: note.as_str().to_string() }
            }
            Done::Failed { reason } => {
                let reason =
                    Note::parse(&reason).map_err(|e| AppError::Invalid(vec![FieldError::coded("reason", &e)]))?;
                Outcome::Failed { reason: reason.as_str().to_string() }
            }
        };
        let now = self.now();
        if !self.inner.deliveries.settle(id, now, &who.actor, &outcome, None).await? {
            return Err(AppError::conflict("already_done", format!("delivery {id} is already done")));
        }
        self.inner
            .audit
            .record(now, &who.audit_name(), "delivery_done", &case.registry_number, task.channel.as_str())
            .await?;
        Ok(case.registry_number)
    }

    /// The registry number of a delivery's case, if the caller may see the case.
    pub async fn delivery_case(&self, who: &Principal, id: i64) -> Result<String, AppError> {
        let not_found = || AppError::NotFound(format!("delivery {id}"));
        let task = self.inner.deliveries.task(id).await?.ok_or_else(not_found)?;
        let case = self.inner.cases.by_id(task.case_id).await?.ok_or_else(not_found)?;
        Ok(self.find_case(who, &case.registry_number).await?.registry_number)
    }

    /// Sends an issued letter again, on another channel (or the same, once the person's
    /// details are corrected). Returns the new delivery's id.
    pub async fn deliver_again(
        &self,
        who: &Principal,
        number: &str,
        letter_n: i64,
        channel: &str,
        return_receipt: bool,
    ) -> Result<i64, AppError> {
        who.require(Action::DeliverLetters)?;
        let channel = PreferredChannel::parse(channel.trim()).ok_or_else(|| {
            let known: Vec<&str> = PreferredChannel::ALL.iter().map(|c| c.as_str()).collect();
            AppError::Invalid(vec![
                FieldError::new("channel", format!("is not a channel (one of: {})", known.join(", ")))
                    .with_code("unknown"),
            ])
        })?;
        let case = self.find_case(who, number).await?;
        let deliveries = self.inner.deliveries.of_case(case.id).await?;
        if deliveries.iter().any(|d| d.letter_n == letter_n && d.state == DeliveryState::Pending) {
            return Err(AppError::conflict("delivery_pending", format!("letter {letter_n} is still on its way")));
        }
        receipt_fits(return_receipt, channel)?;
        let delivery = self.delivery_on(&case, channel, return_receipt);
        let now = self.now();
        let id = match self.inner.deliveries.add(case.id, letter_n, &delivery, now, &who.actor).await {
            Err(harta_store::StoreError::Missing(what)) => return Err(AppError::NotFound(what)),
            done => done?,
        };
        self.inner
            .audit
            .record(now, &who.audit_name(), "deliver_again", &case.registry_number, channel.as_str())
            .await?;
        Ok(id)
    }

    /// Jobs for an administrator.
    pub async fn jobs(&self, who: &Principal, filter: JobFilter) -> Result<Vec<JobLine>, AppError> {
        who.require(Action::ManageJobs)?;
        Ok(self.inner.jobs.list(filter, 500).await?)
    }

    /// Runs a failed job again now (audited).
    pub async fn retry_job(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        who.require(Action::ManageJobs)?;
        self.inner.jobs.retry_now(id, self.now()).await?.map_err(|r| refused_job(id, r))?;
        self.inner.audit.record(self.now(), &who.audit_name(), "retry_job", &id.to_string(), "").await?;
        Ok(())
    }

    /// Cancels a job that has not finished; a letter it was delivering shows as not delivered
    /// (audited).
    pub async fn cancel_job(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        who.require(Action::ManageJobs)?;
        let now = self.now();
        self.inner.jobs.cancel(id, now, &who.actor, "cancelled").await?.map_err(|r| refused_job(id, r))?;
        self.inner.audit.record(now, &who.audit_name(), "cancel_job", &id.to_string(), "").await?;
        Ok(())
    }

    /// Does a delivery job: the letter, with its PDF, to the person's e-mail address or through
    /// the fax gateway. Retried with back-off while the server is away; a refusal for good
    /// fails the delivery.
    pub(crate) async fn deliver_letter(&self, job: &Job, delivery: &Delivery) -> Result<(), AppError> {
        let jobs = &self.inner.jobs;
        let task = match job.delivery_id {
            Some(id) => self.inner.deliveries.task(id).await?,
            None => None,
        };
        let Some(task) = task.filter(|t| t.state == DeliveryState::Pending) else {
            // Done or failed another way meanwhile: nothing left to send.
            return Ok(jobs.finish(job, self.now(), None, None).await?);
        };
        let case = self.inner.cases.by_id(task.case_id).await?;
        let letter = self.inner.letters.issued(task.case_id, task.letter_n).await?;
        let settle = |outcome: Outcome| async move {
            self.inner.deliveries.settle(task.id, self.now(), &Actor::System, &outcome, Some(job)).await
        };
        let (Some(case), Some(letter)) = (case, letter) else {
            settle(Outcome::Failed { reason: "the letter does not exist".into() }).await?;
            return Ok(());
        };
        // The person may have changed their details since the letter was issued (C12).
        let to = match destination(task.channel, reach(&case), self.fax_gateway()) {
            Ok(to) => to,
            Err(why) => {
                settle(Outcome::Failed { reason: harta_domain::Coded::code(&why).to_string() }).await?;
                return Ok(());
            }
        };
        let subject = format!("{}: {}", case.registry_number, letter.subject);
        let text = plain_text(&letter);
        let attachment = Attachment {
            name: format!("{}.pdf", letter.number.replace('/', "-")),
            media_type: "application/pdf".into(),
            bytes: letter.pdf,
        };
        let mail = if task.channel == PreferredChannel::Fax {
            let text = format!("Изх. № {}\n{}", letter.number, letter.subject);
            Mail { to: to.clone(), subject, text, html: None, attachments: vec![attachment] }
        } else {
            let html = format!(
                "<!DOCTYPE html><html lang=\"bg\"><head><meta charset=\"utf-8\"><title>{}</title></head><body>{}</body></html>",
                letter.number, letter.html
            );
            Mail { to: to.clone(), subject, text, html: Some(html), attachments: vec![attachment] }
        };
        let shown_to = if task.channel == PreferredChannel::Fax { case.party.phone.clone().unwrap_or(to) } else { to };
        match delivery.mailer.send(&mail).await {
            Ok(message_id) => {
                settle(Outcome::Sent { to: shown_to, detail: message_id }).await?;
            }
            Err(e) if e.permanent || job.attempts >= MAX_ATTEMPTS => {
                tracing::warn!(job = job.id, case = %case.registry_number, error = %e, "letter not delivered");
                settle(Outcome::Failed { reason: e.message.clone() }).await?;
            }
            Err(e) => {
                tracing::info!(job = job.id, attempt = job.attempts, error = %e, "letter not sent yet; will retry");
                let (now, again) = (self.now(), self.now() + back_off(job.attempts));
                if !self.inner.deliveries.attempt_failed(task.id, job, now, again, &e.message).await? {
                    // Done another way meanwhile: the job has nothing left to do.
                    jobs.finish(job, now, None, None).await?;
                }
            }
        }
        Ok(())
    }
}

/// A letter as the plain-text part of its e-mail: the same words as on paper.
fn plain_text(l: &harta_store::letters::IssuedLetter) -> String {
    let mut parts = vec![format!("Изх. № {}", l.number), format!("Относно: {}", l.subject), l.body.clone()];
    parts.push(format!("Какво трябва да направите\n{}", l.next_steps));
    if let Some(appeal) = &l.appeal {
        parts.push(format!("Обжалване\n{appeal}"));
    }
    let c = &l.contact;
    parts.push(format!("С уважение,\n{}\n{}", c.officer, c.position));
    parts.push(format!(
        "За контакт\n{}, {}\nПряк телефон: {}\nЦентрала: {}\nЕлектронна поща: {}\n{}",
        c.officer, c.unit, c.direct_phone, c.switchboard, c.email, c.website
    ));
    parts.join("\n\n")
}

/// How a case's person can be reached, as their record holds it.
pub fn reach(case: &CaseRecord) -> Reach<'_> {
    let p = &case.party;
    Reach { email: p.email.as_deref(), phone: p.phone.as_deref(), address: p.address.as_deref() }
}

/// Where a delivery done by a person went, for the history (the address, the number).
fn destination_of(app: &App, case: &CaseRecord, channel: PreferredChannel) -> String {
    destination(channel, reach(case), app.fax_gateway()).unwrap_or_default()
}

fn refused_job(id: i64, refusal: JobRefusal) -> AppError {
    match refusal {
        JobRefusal::Missing => AppError::NotFound(format!("job {id}")),
        JobRefusal::WrongState => AppError::conflict("job_state", format!("job {id} is not in a state for that")),
        JobRefusal::SecretGone => AppError::conflict(
            "secret_gone",
            format!(
                "job {id} carried an access code that is not kept after a failure; issue the acknowledgement letter from the case page"
            ),
        ),
        JobRefusal::Superseded => {
            AppError::conflict("superseded", format!("the letter of job {id} has gone another way since"))
        }
    }
}
