//! harta's use cases. Every channel (the JSON API, the staff workspace, the counter, e-mail)
//! calls these, so each rule, and each authorisation decision, lives here once.
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::sync::Arc;

use harta_domain::calendar::WorkingDays;
use harta_domain::case::CaseKind;
use harta_domain::catalogue::Catalogue;
use harta_domain::charter::Charter;
use harta_store::Db;
use harta_store::admin::Admin;
use harta_store::audit::Audit;
use harta_store::calendar::{CalendarCache, Decisions};
use harta_store::cases::{Cases, Registrar};
use harta_store::deliveries::Deliveries;
use harta_store::jobs::Jobs;
use harta_store::letters::Letters;
use harta_store::publications::Publications;
use harta_store::services::Services;
use jiff::Timestamp;

pub mod access;
pub mod administration;
mod audit;
pub mod calendar;
pub mod cases;
mod catalogue;
mod charter_admin;
pub mod charter_fields;
pub mod delivering;
pub mod documents;
mod error;
pub mod files;
pub mod handling;
pub mod letters;
pub mod mail_in;
pub mod morning;
pub mod outbox;
pub mod passwords;
pub mod performance;
pub mod secrets;
pub mod signing_in;
pub mod suggestions;
pub mod tokens;
pub mod tracking;

pub use access::{Action, Principal, Role};
pub use error::{AppError, FieldError};
pub use harta_store::audit::{AuditEntry, AuditFilter, Verdict};
use secrets::PersonalDataKey;

/// Online submissions one address may send in an hour, unless configured otherwise.
pub const DEFAULT_SUBMISSIONS_PER_HOUR: u32 = 30;

/// Where the current time comes from (the real clock, or a fixed one in tests).
pub type Clock = Arc<dyn Fn() -> Timestamp + Send + Sync>;

/// Everything the use cases need, built once at start-up and shared by every request.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// The charter in force and the store's version of it (0: the file's, never edited).
    charter: std::sync::RwLock<(Arc<Charter>, i64)>,
    registrar: Registrar,
    calendar: Arc<CalendarCache>,
    cases: Cases,
    admin: Admin,
    audit: Audit,
    decisions: Decisions,
    key: PersonalDataKey,
    clock: Clock,
    tokens: tokens::TokenCache,
    /// Quotas and throttles, counted in the store.
    limits: harta_store::limits::Limits,
    /// Online submissions one address may send in an hour.
    submission_quota: std::sync::atomic::AtomicU32,
    /// How long a claimed job is a worker's alone, in seconds.
    job_lease: std::sync::atomic::AtomicU64,
    catalogue: catalogue::CatalogueCache,
    services: Services,
    files: files::Files,
    publications: Publications,
    jobs: Jobs,
    deliveries: Deliveries,
    letters: Letters,
    performance: harta_store::performance::Performance,
    letter_setup: std::sync::OnceLock<letters::LetterSetup>,
    /// The hour of the morning run, if configured.
    morning: std::sync::OnceLock<jiff::civil::Time>,
}

impl App {
    /// Wires the use cases over a migrated store and starts the registrar's writer task. The
    /// task ends when the last `App` clone is dropped, after writing everything already
    /// accepted: await the returned handle before closing the store.
    pub async fn start(
        db: Db,
        charter: Charter,
        catalogue: Catalogue,
        files: files::Files,
        key: PersonalDataKey,
        clock: Clock,
    ) -> Result<(Self, tokio::task::JoinHandle<()>), AppError> {
        let calendar = Arc::new(CalendarCache::load(&db).await?);
        let rules = charter_admin::registry_rules(&charter);
        let services = Services::new(db.clone());
        let catalogue = catalogue::CatalogueCache::load(&services, &charter, catalogue).await?;
        let (registrar, writer) = Registrar::start(db.clone(), rules, calendar.clone());
        let app = Self {
            inner: Arc::new(Inner {
                cases: Cases::new(db.clone()),
                admin: Admin::new(db.clone()),
                audit: Audit::with_key(db.clone(), key.audit_key()),
                decisions: Decisions::new(db.clone()),
                publications: Publications::new(db.clone()),
                limits: harta_store::limits::Limits::new(db.clone()),
                jobs: Jobs::new(db.clone()),
                deliveries: Deliveries::new(db.clone()),
                letters: Letters::new(db.clone()),
                performance: harta_store::performance::Performance::new(db.clone()),
                letter_setup: std::sync::OnceLock::new(),
                morning: std::sync::OnceLock::new(),
                db,
                charter: std::sync::RwLock::new((Arc::new(charter), 0)),
                registrar,
                calendar,
                key,
                clock,
                tokens: tokens::TokenCache::default(),
                submission_quota: std::sync::atomic::AtomicU32::new(DEFAULT_SUBMISSIONS_PER_HOUR),
                job_lease: std::sync::atomic::AtomicU64::new(outbox::DEFAULT_LEASE.as_secs().unsigned_abs()),
                catalogue,
                services,
                files,
            }),
        };
        app.check_key().await?;
        let rehashed = app.inner.audit.key_chain().await?;
        if rehashed > 0 {
            tracing::info!(entries = rehashed, "the audit trail's chain is keyed now");
        }
        Ok((app, writer))
    }

    /// Refuses a secret key that is not the one the store was set up with; records the key's
    /// check value the first time (a store from before check values were kept is recognised
    /// by a number sealed under its key, when it has one).
    async fn check_key(&self) -> Result<(), AppError> {
        let ours = self.inner.key.check_value();
        match self.inner.admin.key_check().await? {
            (Some(stored), _) if stored != ours => Err(AppError::WrongKey),
            (Some(_), _) => Ok(()),
            (None, Some(sealed)) if self.inner.key.open(&sealed).is_err() => Err(AppError::WrongKey),
            (None, _) => Ok(self.inner.admin.set_key_check(&ours).await?),
        }
    }

    /// The charter in force (administrators may change it while harta runs).
    pub fn charter(&self) -> Arc<Charter> {
        self.inner.charter.read().unwrap_or_else(std::sync::PoisonError::into_inner).0.clone()
    }

    /// Sets how many online submissions one address may send in an hour (the server's
    /// `HARTA_SUBMISSIONS_PER_HOUR`; benchmarks raise it).
    pub fn set_submission_quota(&self, per_hour: u32) {
        self.inner.submission_quota.store(per_hour, std::sync::atomic::Ordering::Relaxed);
    }

    /// Deletes quota and throttle counts of windows that ended more than an hour ago (run
    /// hourly by the server); returns how many.
    pub async fn sweep_counts(&self) -> Result<u64, AppError> {
        Ok(self.inner.limits.sweep(self.now() - jiff::SignedDuration::from_hours(2)).await?)
    }

    /// Where documents are kept.
    pub fn files(&self) -> &files::Files {
        &self.inner.files
    }

    /// The administration's keys (to seal what a form hands to a browser).
    pub fn keys(&self) -> &PersonalDataKey {
        &self.inner.key
    }

    /// The store (for health checks).
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        (self.inner.clock)()
    }

    /// Re-reads the calendar version so that a decision added on another replica takes effect
    /// here (run every second by the server).
    pub async fn refresh_calendar(&self) -> Result<(), AppError> {
        Ok(self.inner.calendar.refresh(&self.inner.db).await?)
    }

    fn commitments(&self) -> BTreeMap<CaseKind, WorkingDays> {
        self.charter().commitments.iter().map(|(k, c)| (*k, c.working_days)).collect()
    }
}
