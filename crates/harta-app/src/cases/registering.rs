//! Registering a case from any channel: the web form, the counter, the API. One use case
//! parses every field, decides what a service request's service implies (subject, unit,
//! deadline, a required personal number) and the date of receipt, and commits the case.

use harta_domain::access_code::AccessCode;
use harta_domain::case::Actor;
use harta_domain::case::{CaseKind, Channel, State};
use harta_domain::catalogue::TierKind;
use harta_domain::deadline::DeadlineRule;
use harta_domain::format::in_sofia;
use harta_domain::identifiers::{Egn, Eik, Lnch};
use harta_domain::party::{NationalIdKind, PartyKind};
use harta_domain::registry::RegistryNumber;
use harta_domain::text::{Body, Name, Subject};
use harta_store::StoreError;
use harta_store::cases::{CaseRecord, Contact, NewCase, NewDocument, NewParty, SealedNationalId, ServiceRef};
use harta_store::limits::Bucket;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::access::{Action, Principal};
use crate::files::PendingDocument;
use crate::secrets::random_bytes;
use crate::{App, AppError, FieldError};
use harta_domain::documents::{DocumentError, FileName, MediaType};

use super::{ContactInput, Fields, one_of, parse_contact};

/// A registration as it arrives from any channel: unchecked text, one field per input.
#[derive(Debug, Clone, Default)]
pub struct RegisterCaseInput {
    /// `service_request`, `letter`, `complaint` or `suggestion`.
    pub kind: Option<String>,
    /// `counter`, `post`, `fax`, `email`, `web`, `phone` or `forum`.
    pub channel: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// Unit code; the charter's default unit when absent.
    pub unit: Option<String>,
    /// For a suggestion: its author agrees that it may be published once approved (C3).
    pub publish: bool,
    /// The person or organisation.
    pub party: PartyInput,
    /// The language the person wrote in (`bg`, the default, or `en`): acknowledgements and
    /// letters speak it.
    pub language: Option<String>,
    /// A service request's service: its number in the catalogue (`2079`). Required for a
    /// service request, refused for other kinds.
    pub service: Option<String>,
    /// The tier asked for (`ordinary`, `fast`, `express`); the service's first tier if absent.
    pub tier: Option<String>,
    /// The day of receipt as the registry has it (`YYYY-MM-DD`, the date on the envelope or
    /// the fax), when earlier than today; staff only.
    pub received_on: Option<String>,
}

/// The person or organisation, unchecked.
#[derive(Debug, Clone, Default)]
pub struct PartyInput {
    /// `person` or `organisation`.
    pub kind: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// `email`, `post`, `phone`, `fax` or `in_person`.
    pub preferred_channel: Option<String>,
    /// ЕГН (citizens).
    pub egn: Option<String>,
    /// ЛНЧ (foreign residents).
    pub lnch: Option<String>,
    /// ЕИК (organisations).
    pub eik: Option<String>,
}

/// A registered case, as acknowledged to the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// The registry number.
    pub number: RegistryNumber,
    /// When it was received.
    pub received_at: Timestamp,
    /// The due date.
    pub due: Date,
    /// Its state.
    pub state: State,
    /// Its kind.
    pub kind: CaseKind,
    /// The responsible unit's code.
    pub unit: String,
    /// The code with which the citizen follows the case online (shown once, stored digested).
    pub access_code: AccessCode,
    /// The service and tier of a service request.
    pub service: Option<ServiceRef>,
    /// How its deadline was counted: the tier's rule, or the commitment's working days.
    pub deadline: DeadlineRule,
    /// The day of receipt, when earlier than the registration.
    pub received_on: Option<Date>,
    /// Its subject, as registered (a service request's is its service).
    pub subject: String,
    /// Who it is from.
    pub applicant: String,
}

impl PartyInput {
    fn contact(&self) -> ContactInput {
        ContactInput {
            email: self.email.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            preferred_channel: self.preferred_channel.clone(),
        }
    }
}

/// Who registers a case: a citizen online, or staff (at the counter, through the API).
#[derive(Clone, Copy)]
enum Registrant<'a> {
    Citizen,
    Staff(&'a Principal),
}

impl Registrant<'_> {
    fn actor(self) -> Actor {
        match self {
            Self::Citizen => Actor::Citizen,
            Self::Staff(who) => who.actor.clone(),
        }
    }

    fn audit_name(self) -> String {
        match self {
            Self::Citizen => "citizen".into(),
            Self::Staff(who) => who.audit_name(),
        }
    }
}

impl App {
    /// Registers a case from any channel: checks every field (reporting all problems at once),
    /// seals personal numbers, and returns the registry number once the case is committed.
    pub async fn register_case(&self, who: &Principal, input: RegisterCaseInput) -> Result<Registration, AppError> {
        who.require(Action::RegisterCase)?;
        let code = AccessCode::from_bytes(&random_bytes::<20>()?);
        self.register_with(Registrant::Staff(who), &input, code, None, Vec::new(), None).await
    }

    /// Registers a case from an API client once per `Idempotency-Key`: a retry with the same
    /// key and the same request (its bytes) answers the first registration, with the same
    /// access code, and registers nothing more; the same key with another request is an
    /// invalid `Idempotency-Key`. Keys are the client's own: two tokens never share one.
    pub async fn register_case_once(
        &self,
        who: &Principal,
        input: RegisterCaseInput,
        idempotency_key: &str,
        request: &[u8],
    ) -> Result<Registration, AppError> {
        use sha2::Digest;
        who.require(Action::RegisterCase)?;
        let digest = crate::secrets::hex(&sha2::Sha256::digest(request));
        let digest = digest.as_str();
        let key = {
            let scoped = format!("api {} {idempotency_key}", who.audit_name());
            format!("api {}", crate::secrets::hex(&sha2::Sha256::digest(scoped.as_bytes())))
        };
        let code = self.inner.key.submission_code(&key);
        let reused = || {
            let why = "was used before with a different request";
            AppError::Invalid(vec![FieldError::new("Idempotency-Key", why).with_code("idempotency_key_reused")])
        };
        let replay = |stored: &Option<String>| stored.as_deref().is_none_or(|d| d == digest);
        if let Some(stored) = self.inner.cases.request_digest(&key).await? {
            let done =
                self.inner.cases.by_submission_key(&key).await?.ok_or_else(|| AppError::NotFound(key.clone()))?;
            return if replay(&stored) { self.registration_of(done, code) } else { Err(reused()) };
        }
        match self
            .register_with(Registrant::Staff(who), &input, code.clone(), Some((&key, Some(digest))), Vec::new(), None)
            .await
        {
            Ok(done) => Ok(done),
            // Two sends with one key raced: the other one registered.
            Err(AppError::Store(e)) => match self.inner.cases.request_digest(&key).await? {
                Some(stored) if replay(&stored) => {
                    let done = self.inner.cases.by_submission_key(&key).await?.ok_or(AppError::Store(e))?;
                    self.registration_of(done, code)
                }
                Some(_) => Err(reused()),
                None => Err(AppError::Store(e)),
            },
            Err(other) => Err(other),
        }
    }

    /// Checks a citizen's online submission without registering it (the check-your-answers
    /// step): the same rules as registration, all problems at once.
    pub fn check_submission(&self, input: &RegisterCaseInput) -> Result<(), AppError> {
        self.parse_case(Registrant::Citizen, input, self.now()).map(|_| ())
    }

    /// Registers a citizen's online submission. The key identifies the filled-in form: sending
    /// it again (a reload, a double click, a lost answer) returns the case already registered,
    /// with the same access code, instead of a second case.
    /// One address may register at most its quota of new submissions an hour (a resent form
    /// does not count again).
    pub async fn submit_online(
        &self,
        input: &RegisterCaseInput,
        key: &str,
        documents: &[PendingDocument],
        from: &str,
    ) -> Result<Registration, AppError> {
        let quota = i64::from(self.inner.submission_quota.load(std::sync::atomic::Ordering::Relaxed));
        // Counted per clock hour in the store, so the quota holds across replicas.
        let bucket = Bucket::at(format!("submit {from}"), self.now(), SignedDuration::from_hours(1));
        // An address at its quota: a form it sent before still shows its receipt, a new one is
        // refused.
        if self.inner.limits.count(&bucket).await? >= quota {
            let code = self.inner.key.submission_code(key);
            return match self.inner.cases.by_submission_key(key).await? {
                Some(done) => self.registration_of(done, code),
                None => Err(AppError::TooMany),
            };
        }
        let quota = harta_store::limits::Quota { bucket, limit: quota };
        self.register_once(Registrant::Citizen, input, key, documents, Some(quota)).await
    }

    /// Registers a message from the administration's mailbox once per message (`key` names
    /// it): taken again after a crash, it answers the registration it made.
    pub(crate) async fn register_mail(
        &self,
        input: &RegisterCaseInput,
        key: &str,
        documents: &[PendingDocument],
    ) -> Result<Registration, AppError> {
        self.register_once(Registrant::Citizen, input, key, documents, None).await
    }

    /// Registers a case at the counter (or from the post, a call, a fax) once per filled-in
    /// form, like [`App::submit_online`]: printing the receipt again after a reload shows the
    /// same number and access code.
    pub async fn register_at_counter(
        &self,
        who: &Principal,
        input: &RegisterCaseInput,
        key: &str,
    ) -> Result<Registration, AppError> {
        who.require(Action::RegisterCase)?;
        self.register_once(Registrant::Staff(who), input, key, &[], None).await
    }

    /// Registers a filled-in form once: sent again, it shows the registration it made. A new
    /// registration counts against `quota` in its own transaction.
    async fn register_once(
        &self,
        who: Registrant<'_>,
        input: &RegisterCaseInput,
        key: &str,
        documents: &[PendingDocument],
        quota: Option<harta_store::limits::Quota>,
    ) -> Result<Registration, AppError> {
        let code = self.inner.key.submission_code(key);
        if let Some(done) = self.inner.cases.by_submission_key(key).await? {
            return self.registration_of(done, code);
        }
        let kept = self.keep_documents(documents).await?;
        match self.register_with(who, input, code.clone(), Some((key, None)), kept, quota).await {
            Ok(done) => Ok(done),
            // Two sends of one form raced: the other one registered it.
            Err(AppError::Store(e)) => match self.inner.cases.by_submission_key(key).await? {
                Some(done) => self.registration_of(done, code),
                None => Err(AppError::Store(e)),
            },
            Err(other) => Err(other),
        }
    }

    /// Moves accepted uploads to their place among the documents, ready to record with a case.
    pub(crate) async fn keep_documents(&self, documents: &[PendingDocument]) -> Result<Vec<NewDocument>, AppError> {
        if documents.len() > harta_domain::documents::MAX_FILES {
            return Err(AppError::Invalid(vec![FieldError::coded("documents", &DocumentError::TooMany)]));
        }
        let mut kept = Vec::with_capacity(documents.len());
        for d in documents {
            let (Ok(name), Some(media_type)) = (FileName::parse(&d.name), MediaType::parse(&d.media_type)) else {
                return Err(AppError::field("documents", format!("{} is not a document harta accepted", d.name)));
            };
            // The upload is gone (swept after a day): the form has to be sent again.
            self.inner.files.keep(d).await.map_err(|e| AppError::field("documents", e))?;
            kept.push(NewDocument { name, media_type, size: d.size, sha256: d.sha256.clone() });
        }
        Ok(kept)
    }

    fn registration_of(&self, case: CaseRecord, access_code: AccessCode) -> Result<Registration, AppError> {
        let number = self.charter().registry.parse(&case.registry_number).map_err(|e| {
            AppError::Store(StoreError::Corrupt(format!("stored number {}: {e}", case.registry_number)))
        })?;
        let deadline = self.deadline_rule(case.kind, case.service.as_ref());
        Ok(Registration {
            service: case.service,
            deadline,
            received_on: case.received_on,
            subject: case.subject,
            applicant: case.party.name,
            number,
            received_at: case.received_at,
            due: case.due,
            state: case.state,
            kind: case.kind,
            unit: case.unit,
            access_code,
        })
    }

    async fn register_with(
        &self,
        who: Registrant<'_>,
        input: &RegisterCaseInput,
        access_code: AccessCode,
        once: Option<(&str, Option<&str>)>,
        documents: Vec<NewDocument>,
        counts_against: Option<harta_store::limits::Quota>,
    ) -> Result<Registration, AppError> {
        let now = self.now();
        let case = self.parse_case(who, input, now)?;
        let (kind, unit, service, received_on) = (case.kind, case.unit.clone(), case.service.clone(), case.received_on);
        let (subject, applicant) = (case.subject.as_str().to_string(), case.party.name.as_str().to_string());
        let deadline = self.deadline_rule(kind, service.as_ref());
        // Whoever gives an e-mail address gets the acknowledgement there too.
        let jobs = match case.party.email {
            Some(_) => vec![self.acknowledgement_job(input.language.as_deref().unwrap_or("bg"), &access_code)?],
            None => Vec::new(),
        };
        let case = NewCase {
            jobs,
            counts_against,
            actor: who.actor(),
            access_digest: Some(self.inner.key.access_digest(&access_code)),
            submission_key: once.map(|(key, _)| key.to_string()),
            request_digest: once.and_then(|(_, digest)| digest.map(str::to_string)),
            documents,
            ..case
        };
        let done = self.inner.registrar.register(case).await.map_err(|e| match e {
            StoreError::Missing(what) => AppError::field("unit", format!("{what} does not exist")),
            StoreError::QuotaSpent => AppError::TooMany,
            other => AppError::Store(other),
        })?;
        if let Some(on) = received_on {
            // Who set an earlier date of receipt, which moves the deadline (C5: accountable).
            let detail = format!("received on {on}, registered {}", in_sofia(done.received_at).date());
            self.inner.audit.record(now, &who.audit_name(), "set_received_on", done.number.as_str(), &detail).await?;
        }
        Ok(Registration {
            number: done.number,
            received_at: done.received_at,
            due: done.due,
            state: State::Registered,
            kind,
            unit,
            access_code,
            service,
            deadline,
            received_on,
            subject,
            applicant,
        })
    }

    /// How a case's deadline is counted: a service tier's rule where it states one, otherwise
    /// the charter's commitment for the kind (C16).
    pub fn deadline_rule(&self, kind: CaseKind, service: Option<&ServiceRef>) -> DeadlineRule {
        let stated = service.and_then(|s| {
            let catalogue = self.catalogue();
            catalogue.service(&s.code).and_then(|found| found.tier(Some(s.tier))).and_then(|t| t.deadline)
        });
        stated.unwrap_or(DeadlineRule::WorkingDays(self.charter().commitment(kind).working_days))
    }

    /// Parses a registration: every field checked, every problem reported. A service request
    /// takes its subject, unit, deadline and whether a personal number is required from its
    /// service, whichever channel it came by.
    fn parse_case(&self, who: Registrant<'_>, input: &RegisterCaseInput, now: Timestamp) -> Result<NewCase, AppError> {
        let mut f = Fields::default();
        let kind =
            f.required("kind", input.kind.as_deref(), one_of("kind", CaseKind::ALL, |k| k.as_str(), CaseKind::parse));
        let channel = f.required(
            "channel",
            input.channel.as_deref(),
            one_of("channel", Channel::ALL, |c| c.as_str(), Channel::parse),
        );
        let catalogue = self.catalogue();
        let service = match kind {
            Some(CaseKind::ServiceRequest) => self.parse_service(&mut f, &catalogue, input),
            _ => {
                for (field, given) in [("service", &input.service), ("tier", &input.tier)] {
                    if given.as_deref().is_some_and(|s| !s.trim().is_empty()) {
                        f.0.push(FieldError::new(field, "only a service request names a service").with_code("unknown"));
                    }
                }
                None
            }
        };
        let subject = match &service {
            // The service is the subject, in the registry's language.
            Some((s, _)) => Subject::parse(&format!("{} {}", s.code, s.name.bg)).ok(),
            None => f.required("subject", input.subject.as_deref(), Subject::parse),
        };
        let body = f.required("text", input.text.as_deref(), Body::parse);
        let unit = match (&service, input.unit.as_deref().map(str::trim).filter(|u| !u.is_empty())) {
            (Some((s, _)), _) => Some(s.unit.clone()),
            (None, None) => Some(self.charter().default_unit.clone()),
            (None, Some(code)) if self.charter().unit(code).is_some() => Some(code.to_string()),
            (None, Some(code)) => {
                let charter = self.charter();
                let known: Vec<&str> = charter.units.iter().map(|u| u.code.as_str()).collect();
                f.0.push(
                    FieldError::new("unit", format!("there is no unit {code} (known: {})", known.join(", ")))
                        .with_code("unknown"),
                );
                None
            }
        };
        let received_on = self.parse_received_on(&mut f, who, input.received_on.as_deref(), now);
        let party = self.parse_party(&mut f, &input.party, now);
        if let (Some((s, _)), Some(p)) = (&service, &party)
            && s.needs_national_id
            && p.kind == PartyKind::Person
            && p.national_id.is_none()
            && !f.0.iter().any(|e| e.field == "party.egn" || e.field == "party.lnch")
        {
            let why = format!("service {} needs the person's ЕГН (or ЛНЧ for a foreign resident)", s.code);
            f.0.push(FieldError::new("party.egn", why).with_code("required"));
        }
        if let Some(language) = input.language.as_deref()
            && !matches!(language, "bg" | "en")
        {
            f.0.push(FieldError::new("language", "is not a language harta speaks (bg or en)").with_code("unknown"));
        }
        match (kind, channel, subject, body, unit, party) {
            (Some(kind), Some(channel), Some(subject), Some(body), Some(unit), Some(party)) if f.0.is_empty() => {
                Ok(NewCase {
                    kind,
                    channel,
                    subject,
                    body,
                    party,
                    unit,
                    received_at: now,
                    actor: Actor::System,
                    access_digest: None,
                    submission_key: None,
                    request_digest: None,
                    documents: Vec::new(),
                    publish_consent: input.publish && kind == CaseKind::Suggestion,
                    jobs: Vec::new(),
                    counts_against: None,
                    deadline: service.as_ref().and_then(|(_, tier)| tier.deadline),
                    service: service.map(|(s, tier)| ServiceRef { code: s.code.clone(), tier: tier.tier }),
                    received_on,
                })
            }
            _ => Err(AppError::Invalid(f.0)),
        }
    }

    /// A service request's service and tier from the catalogue in force.
    fn parse_service(
        &self,
        f: &mut Fields,
        catalogue: &harta_domain::catalogue::Catalogue,
        input: &RegisterCaseInput,
    ) -> Option<(harta_domain::catalogue::Service, harta_domain::catalogue::Tier)> {
        let code = input.service.as_deref().map(str::trim).filter(|c| !c.is_empty());
        let Some(code) = code else {
            f.0.push(
                FieldError::new("service", "a service request names its service (its number, e.g. 2079)")
                    .with_code("required"),
            );
            return None;
        };
        let Some(service) = catalogue.service(code) else {
            f.0.push(
                FieldError::new("service", format!("there is no service {code} in the catalogue")).with_code("unknown"),
            );
            return None;
        };
        let tier = match input.tier.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            None => None,
            Some(t) => match TierKind::parse(t) {
                Some(kind) => Some(kind),
                None => {
                    f.0.push(FieldError::new("tier", "is not a tier (ordinary, fast or express)").with_code("unknown"));
                    return None;
                }
            },
        };
        match service.tier(tier) {
            Some(found) => Some((service.clone(), *found)),
            None => {
                let offered: Vec<&str> = service.tiers.iter().map(|t| t.tier.as_str()).collect();
                let why = format!(
                    "service {code} is not offered as {} (offered: {})",
                    tier.map_or("", |t| t.as_str()),
                    offered.join(", ")
                );
                f.0.push(FieldError::new("tier", why).with_code("not_offered"));
                None
            }
        }
    }

    /// The day of receipt as the registry has it: never in the future, and further back than
    /// the charter allows only when a head of unit (or above) registers it. `None` is today.
    fn parse_received_on(
        &self,
        f: &mut Fields,
        who: Registrant<'_>,
        given: Option<&str>,
        now: Timestamp,
    ) -> Option<Date> {
        let given = given.map(str::trim).filter(|d| !d.is_empty())?;
        let today = in_sofia(now).date();
        let Ok(date) = given.parse::<Date>() else {
            f.0.push(
                FieldError::new("received_on", format!("\"{given}\" is not a date as YYYY-MM-DD"))
                    .with_code("not_a_date"),
            );
            return None;
        };
        let role = match who {
            Registrant::Citizen => {
                f.0.push(FieldError::new("received_on", "only staff set the date of receipt").with_code("forbidden"));
                return None;
            }
            Registrant::Staff(p) => p.role,
        };
        if date > today {
            f.0.push(
                FieldError::new("received_on", format!("must not be after today ({today})"))
                    .with_code("future_receipt"),
            );
            return None;
        }
        if date == today {
            return None;
        }
        let calendar = self.inner.calendar.current();
        let back = match calendar.working_days_between(date, today) {
            Ok(n) => n,
            Err(e) => {
                f.0.push(FieldError::coded("received_on", &e.to_string()));
                return None;
            }
        };
        let limit = i64::from(self.charter().backdate_working_days);
        if back > limit && !role.may(Action::ApproveBackdating) {
            let why = format!(
                "is {back} working days back; more than {limit} needs a head of unit's approval (a head of unit registers it)"
            );
            f.0.push(FieldError::new("received_on", why).with_code("needs_approval"));
            return None;
        }
        Some(date)
    }

    fn parse_party(&self, f: &mut Fields, p: &PartyInput, now: Timestamp) -> Option<NewParty> {
        let kind = match p.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => Some(PartyKind::Person),
            Some(k) => f.check("party.type", one_of("party type", PartyKind::ALL, |k| k.as_str(), PartyKind::parse)(k)),
        };
        let name = f.required("party.name", p.name.as_deref(), Name::parse);
        let ContactInput { email, phone, address, preferred_channel } = p.contact();
        let Contact { email, phone, address, preferred_channel } =
            parse_contact(f, "party.", email, phone, address, preferred_channel);
        let today = in_sofia(now).date();
        let egn = f.optional("party.egn", p.egn.as_deref(), |s| Egn::parse(s, today));
        let lnch = f.optional("party.lnch", p.lnch.as_deref(), Lnch::parse);
        let eik = f.optional("party.eik", p.eik.as_deref(), Eik::parse);
        if egn.is_some() && lnch.is_some() {
            f.0.push(FieldError::new("party.lnch", "give either an ЕГН or an ЛНЧ, not both"));
        }
        if kind == Some(PartyKind::Organisation) && (egn.is_some() || lnch.is_some()) {
            f.0.push(FieldError::new("party.egn", "an organisation has an ЕИК, not an ЕГН or ЛНЧ"));
        }
        let national = match (&egn, &lnch) {
            (Some(e), _) => Some((NationalIdKind::Egn, e.as_str().to_string(), e.masked())),
            (None, Some(l)) => Some((NationalIdKind::Lnch, l.as_str().to_string(), l.masked())),
            _ => None,
        };
        let national_id = match national {
            None => None,
            Some((kind, digits, masked)) => match self.inner.key.seal(&digits) {
                Ok(sealed) => Some(SealedNationalId {
                    kind,
                    sealed,
                    index: self.inner.key.blind_index(kind.as_str(), &digits),
                    masked,
                }),
                Err(e) => {
                    f.0.push(FieldError::new(format!("party.{}", kind.as_str()), e));
                    None
                }
            },
        };
        Some(NewParty { kind: kind?, name: name?, email, phone, address, preferred_channel, national_id, eik })
    }
}
