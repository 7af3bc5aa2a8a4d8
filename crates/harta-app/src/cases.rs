//! Registering, reading and listing cases.

use harta_domain::Coded;
use harta_domain::access_code::AccessCode;
use harta_domain::case::Actor;
use harta_domain::case::{CaseKind, Channel, PreferredChannel, State};
use harta_domain::catalogue::TierKind;
use harta_domain::deadline::DeadlineRule;
use harta_domain::deadline::DeadlineStatus;
use harta_domain::format::in_sofia;
use harta_domain::identifiers::{Egn, Eik, Email, Lnch, Phone};
use harta_domain::party::{NationalIdKind, PartyKind};
use harta_domain::registry::RegistryNumber;
use harta_domain::text::{Address, Body, Name, Subject};
use harta_store::StoreError;
use harta_store::cases::{
    CaseFilter, CaseRecord, CaseSummary, Contact, NewCase, NewDocument, NewParty, PartyRecord, RecordedEvent,
    SealedNationalId, ServiceRef,
};
use harta_store::limits::Bucket;
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};

use crate::access::Principal;
use crate::files::PendingDocument;
use crate::secrets::random_bytes;
use crate::{App, AppError, FieldError};
use harta_domain::documents::{DocumentError, FileName, MediaType};

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

/// A case as a caller may see it, with how its deadline stands today.
#[derive(Debug, Clone)]
pub struct CaseView {
    /// The case and its party.
    pub case: CaseRecord,
    /// Its history.
    pub events: Vec<RecordedEvent>,
    /// How the deadline stands today (open cases only).
    pub deadline: Option<DeadlineStatus>,
}

/// Filters for listing cases, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ListInput {
    /// State name.
    pub state: Option<String>,
    /// Kind name.
    pub kind: Option<String>,
    /// Unit code.
    pub unit: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_before: Option<String>,
    /// Page number from 1.
    pub page: Option<String>,
    /// Page size, 1–100.
    pub per_page: Option<String>,
    /// Words to find in the number, subject, text or name (at most 200 characters).
    pub search: Option<String>,
    /// Only open cases (when no state is asked for).
    pub open_only: bool,
    /// Only cases of this responsible officer (a staff id).
    pub officer: Option<String>,
    /// Received on or after this day, `YYYY-MM-DD` (Sofia time).
    pub received_from: Option<String>,
    /// Received on or before this day, `YYYY-MM-DD` (Sofia time).
    pub received_until: Option<String>,
}

/// A page of cases.
#[derive(Debug, Clone)]
pub struct CasePage {
    /// The cases.
    pub items: Vec<CaseSummary>,
    /// This page's number.
    pub page: u32,
    /// The page size.
    pub per_page: u32,
}

/// How a person is reached, unchecked.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// E-mail.
    pub email: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// `email`, `post`, `phone`, `fax` or `in_person`.
    pub preferred_channel: Option<String>,
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

/// Parses how a person is reached (fields named with `prefix`). C20: the answer goes the way
/// the person prefers, so that way must be reachable: e-mail needs an address, post a postal
/// address, telephone and fax a number.
pub(crate) fn parse_contact(
    f: &mut Fields,
    prefix: &str,
    email: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    preferred: Option<String>,
) -> Contact {
    let email = f.optional(&format!("{prefix}email"), email.as_deref(), Email::parse);
    let phone = f.optional(&format!("{prefix}phone"), phone.as_deref(), Phone::parse);
    let address = f.optional(&format!("{prefix}address"), address.as_deref(), Address::parse);
    let preferred_channel = f.optional(
        &format!("{prefix}preferred_channel"),
        preferred.as_deref(),
        one_of("channel", PreferredChannel::ALL, |c| c.as_str(), PreferredChannel::parse),
    );
    let (needed, given) = match preferred_channel {
        Some(PreferredChannel::Email) => ("email", email.is_some()),
        Some(PreferredChannel::Post) => ("address", address.is_some()),
        Some(PreferredChannel::Phone | PreferredChannel::Fax) => ("phone", phone.is_some()),
        _ => ("", true),
    };
    let needed = format!("{prefix}{needed}");
    if !given && !f.0.iter().any(|e| e.field == needed) {
        f.0.push(FieldError::new(needed, "is required for the chosen way of answering").with_code("required"));
    }
    Contact { email, phone, address, preferred_channel }
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

/// Collects field errors while parsing, so the caller hears about every field at once.
#[derive(Default)]
pub(crate) struct Fields(pub(crate) Vec<FieldError>);

impl Fields {
    pub(crate) fn required<T, E: Coded>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None => {
                self.0.push(FieldError::required(field));
                None
            }
            Some(v) => self.check(field, parse(v)),
        }
    }

    pub(crate) fn optional<T, E: Coded>(
        &mut self,
        field: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> Option<T> {
        value.map(str::trim).filter(|v| !v.is_empty()).and_then(|v| self.check(field, parse(v)))
    }

    fn check<T, E: Coded>(&mut self, field: &str, result: Result<T, E>) -> Option<T> {
        result.map_err(|e| self.0.push(FieldError::coded(field, &e))).ok()
    }
}

/// A value that is not one of the known names.
#[derive(Debug)]
pub(crate) struct Unknown(String);

impl std::fmt::Display for Unknown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Coded for Unknown {
    fn code(&self) -> &'static str {
        "unknown"
    }
}

pub(crate) fn one_of<T>(
    what: &str,
    all: &[T],
    name: fn(&T) -> &'static str,
    parse: fn(&str) -> Option<T>,
) -> impl FnOnce(&str) -> Result<T, Unknown> {
    let names: Vec<&str> = all.iter().map(name).collect();
    let message = format!("is not a known {what} (one of: {})", names.join(", "));
    move |s| parse(s).ok_or(Unknown(message))
}

impl App {
    /// Registers a case from any channel: checks every field (reporting all problems at once),
    /// seals personal numbers, and returns the registry number once the case is committed.
    pub async fn register_case(&self, who: &Principal, input: RegisterCaseInput) -> Result<Registration, AppError> {
        if !who.role.may_register() {
            return Err(AppError::Forbidden("register cases"));
        }
        let code = AccessCode::from_bytes(&random_bytes::<20>().map_err(|e| AppError::Conflict(e.to_string()))?);
        self.register_with(Registrant::Staff(who), &input, code, None, Vec::new(), None).await
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
        self.register_once(Registrant::Citizen, input, key, documents, Some(bucket)).await
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
        if !who.role.may_register() {
            return Err(AppError::Forbidden("register cases"));
        }
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
        quota: Option<Bucket>,
    ) -> Result<Registration, AppError> {
        let code = self.inner.key.submission_code(key);
        if let Some(done) = self.inner.cases.by_submission_key(key).await? {
            return self.registration_of(done, code);
        }
        let kept = self.keep_documents(documents).await?;
        match self.register_with(who, input, code.clone(), Some(key), kept, quota).await {
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
        submission_key: Option<&str>,
        documents: Vec<NewDocument>,
        counts_against: Option<Bucket>,
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
            submission_key: submission_key.map(str::to_string),
            documents,
            ..case
        };
        let done = self.inner.registrar.register(case).await.map_err(|e| match e {
            StoreError::Missing(what) => AppError::field("unit", format!("{what} does not exist")),
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
                for field in ["service", "tier"] {
                    let given = if field == "service" { &input.service } else { &input.tier };
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
        if back > limit && !role.may_approve_backdating() {
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

    /// A case by registry number, if the caller may see it; records the read of personal data
    /// in the audit trail. Another unit's case is "not found", never "forbidden".
    pub async fn view_case(&self, who: &Principal, number: &str) -> Result<CaseView, AppError> {
        let case = self.find_case(who, number).await?;
        let events = self.inner.cases.events(case.id).await?;
        let now = self.now();
        self.inner
            .audit
            .record(now, &who.audit_name(), "view_case", &case.registry_number, "case and party details")
            .await?;
        let deadline = if case.state.is_open() {
            let today = in_sofia(now).date();
            let calendar = self.inner.calendar.current();
            DeadlineStatus::of(&calendar, case.due, today, self.charter().at_risk_working_days).ok()
        } else {
            None
        };
        Ok(CaseView { case, events, deadline })
    }

    /// People and organisations already known, for the counter (roles that register): by ЕГН
    /// or ЛНЧ (through the keyed index, never in clear), e-mail, telephone, or name. The same
    /// details seen on several cases are shown once. The look-up is in the audit trail (what
    /// was looked up by, not the number itself).
    pub async fn find_people(&self, who: &Principal, query: &str) -> Result<Vec<PartyRecord>, AppError> {
        use harta_store::cases::PersonKey;
        if !who.role.may_register() {
            return Err(AppError::Forbidden("look people up"));
        }
        let query = query.trim();
        if query.chars().count() < 3 || query.chars().count() > 200 {
            return Ok(Vec::new());
        }
        let today = in_sofia(self.now()).date();
        let digits: String = query.chars().filter(|c| !c.is_whitespace()).collect();
        let cases = &self.inner.cases;
        let (by, found) = if let Ok(egn) = Egn::parse(&digits, today) {
            let index = self.inner.key.blind_index(NationalIdKind::Egn.as_str(), egn.as_str());
            ("egn", cases.find_people(PersonKey::NationalIdIndex(&index), 50).await?)
        } else if let Ok(lnch) = Lnch::parse(&digits) {
            let index = self.inner.key.blind_index(NationalIdKind::Lnch.as_str(), lnch.as_str());
            ("lnch", cases.find_people(PersonKey::NationalIdIndex(&index), 50).await?)
        } else if let Ok(email) = Email::parse(query) {
            ("email", cases.find_people(PersonKey::Email(email.as_str()), 50).await?)
        } else if let Ok(phone) = Phone::parse(query) {
            ("phone", cases.find_people(PersonKey::Phone(phone.as_str()), 50).await?)
        } else {
            ("name", cases.find_people(PersonKey::Words(query), 50).await?)
        };
        self.inner
            .audit
            .record(self.now(), &who.audit_name(), "find_person", by, &format!("{} found", found.len()))
            .await?;
        let mut seen = std::collections::BTreeSet::new();
        Ok(found
            .into_iter()
            .filter(|p| seen.insert((p.name.clone(), p.email.clone(), p.phone.clone(), p.national_id_masked.clone())))
            .take(20)
            .collect())
    }

    /// How a due date stands today (for an open case's row in a list).
    pub fn deadline_of(&self, due: Date) -> Option<DeadlineStatus> {
        let today = in_sofia(self.now()).date();
        DeadlineStatus::of(&self.inner.calendar.current(), due, today, self.charter().at_risk_working_days).ok()
    }

    /// A case the caller may see, by its number as written. A number that does not parse, a
    /// case that does not exist and another unit's case all answer the same "not found".
    pub(crate) async fn find_case(&self, who: &Principal, number: &str) -> Result<CaseRecord, AppError> {
        let not_found = || AppError::NotFound(format!("case {number}"));
        let number = self.charter().registry.parse(number).map_err(|_| not_found())?;
        self.inner.cases.by_number(&number, who.unit_scope()).await?.ok_or_else(not_found)
    }

    /// A page of the cases the caller may see, soonest due first.
    pub async fn list_cases(&self, who: &Principal, input: &ListInput) -> Result<CasePage, AppError> {
        let mut f = Fields::default();
        let state =
            f.optional("state", input.state.as_deref(), one_of("state", State::ALL, |s| s.as_str(), State::parse));
        let kind =
            f.optional("kind", input.kind.as_deref(), one_of("kind", CaseKind::ALL, |k| k.as_str(), CaseKind::parse));
        let unit = f.optional("unit", input.unit.as_deref(), |u| {
            self.charter().unit(u).map(|u| u.code.clone()).ok_or_else(|| format!("there is no unit {u}"))
        });
        let due_before = f.optional("due_before", input.due_before.as_deref(), |d| {
            d.parse::<Date>().map_err(|_| format!("\"{d}\" is not a date as YYYY-MM-DD"))
        });
        let page = f.optional("page", input.page.as_deref(), |p| match p.parse::<u32>() {
            Ok(n) if (1..=100_000).contains(&n) => Ok(n),
            _ => Err("must be a whole number from 1".to_string()),
        });
        let per_page = f.optional("per_page", input.per_page.as_deref(), |p| match p.parse::<u32>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            _ => Err("must be a whole number from 1 to 100".to_string()),
        });
        let officer = f.optional("officer", input.officer.as_deref(), |o| {
            o.parse::<i64>().map_err(|_| format!("\"{o}\" is not a staff id"))
        });
        let sofia_day = |d: &str| d.parse::<Date>().map_err(|_| format!("\"{d}\" is not a date as YYYY-MM-DD"));
        // A day in Sofia lasts 23 or 25 hours twice a year: "until" ends where the next day starts.
        let received_from = f
            .optional("received_from", input.received_from.as_deref(), sofia_day)
            .map(harta_domain::format::start_of_day);
        let received_until = f
            .optional("received_until", input.received_until.as_deref(), sofia_day)
            .map(|d| harta_domain::format::days_in_sofia(d, d).1);
        let search = input.search.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if search.is_some_and(|q| q.chars().count() > 200) {
            f.0.push(FieldError::new("search", "must be at most 200 characters").with_code("too_long"));
        }
        if !f.0.is_empty() {
            return Err(AppError::Invalid(f.0));
        }
        let (page, per_page) = (page.unwrap_or(1), per_page.unwrap_or(50));
        let filter = CaseFilter {
            state,
            kind,
            unit,
            due_before,
            unit_scope: who.unit_scope().map(str::to_string),
            search: search.map(str::to_string),
            open_only: input.open_only && state.is_none(),
            responsible: officer,
            received_from,
            received_until,
            limit: per_page,
            offset: (page - 1) * per_page,
        };
        Ok(CasePage { items: self.inner.cases.list(&filter).await?, page, per_page })
    }
}
