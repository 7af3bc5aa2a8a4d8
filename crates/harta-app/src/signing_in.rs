//! Staff sign-in: argon2id passwords, sessions kept in the database (any replica knows them),
//! and every sign-in, failure and sign-out in the audit trail.
//!
//! Guessing is throttled as the OWASP authentication cheat sheet advises, in counts the store
//! keeps (so they hold across replicas) and takes atomically *before* the password hash is
//! computed (so parallel guesses cannot outrun them): [`FAILURE_LIMIT`] attempts on one login
//! from one address within [`FAILURE_WINDOW`] stop that address for that login, and
//! [`ADDRESS_LIMIT`] failures from one address stop it for every login; a success clears the
//! count of its login and address. A stranger cannot lock the owner out: from the owner's own
//! address the login still works. Administrators see the stopped addresses of a member and
//! clear them; a new password from an administrator clears them too.

use harta_domain::case::{Actor, StaffId};
use harta_store::sessions::Sessions;
use jiff::SignedDuration;

use crate::access::{Action, Principal, Role};
use crate::secrets::{hex, random_bytes};
use crate::tokens::hash;
use crate::{App, AppError, FieldError, passwords};

/// A session ends after this long unused.
pub const SESSION_IDLE: SignedDuration = SignedDuration::from_hours(8);
/// A session ends this long after the sign-in however much it is used (a working day and a
/// half): a stolen session cookie does not last for ever.
pub const SESSION_MAX: SignedDuration = SignedDuration::from_hours(12);
/// Failed sign-ins on one login from one address within [`FAILURE_WINDOW`] that stop that
/// address for that login.
pub const FAILURE_LIMIT: i64 = 5;
/// Failed sign-ins from one address, on any logins, within [`FAILURE_WINDOW`], that stop it
/// for every login (an office behind one address signs in far more often, but rarely fails).
pub const ADDRESS_LIMIT: i64 = 50;
/// The window in which attempts add up (fixed windows of the clock).
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// The most characters of a typed login the audit trail keeps for a login nobody has.
const UNKNOWN_LOGIN_SHOWN: usize = 3;
/// A session's last use is written at most this often (not on every request).
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(5);
/// The shortest password a member of staff may choose.
pub const MIN_PASSWORD: usize = 12;

/// How long the second step of a sign-in may wait after the password.
pub const SECOND_STEP: SignedDuration = SignedDuration::from_mins(5);

/// What the password step leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    /// Signed in: the session token for the cookie.
    Session(String),
    /// The code from the authenticator app is needed; the ticket carries the password step.
    Code {
        /// Sealed proof of the password step.
        ticket: String,
    },
    /// The role needs a second factor and none is set up: show the new secret, ask for a code.
    Enrol {
        /// Sealed proof of the password step, with the new secret.
        ticket: String,
        /// The secret in base32, for typing into the app.
        secret: String,
        /// The `otpauth://` address of it, for apps that take one.
        uri: String,
    },
}

/// The TOTP of a secret: SHA-1, 6 digits, 30-second steps, one step of skew either way (what
/// every authenticator app uses).
fn totp(secret: &[u8]) -> Result<totp_rs::Totp, AppError> {
    totp_rs::Builder::new().with_secret(secret.to_vec()).build().map_err(AppError::internal)
}

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// Who they are and what they may do.
    pub principal: Principal,
    /// Their name.
    pub name: String,
    /// Their login (employee number).
    pub login: String,
    /// The session's anti-forgery token, for every form of the workspace.
    pub csrf: String,
    /// The digest of the session's token (a password change keeps this session only).
    token_hash: String,
    /// The member signed in with a password an administrator set: the workspace asks for a
    /// new one before anything else.
    pub must_change_password: bool,
}

impl App {
    fn sessions(&self) -> Sessions {
        Sessions::new(self.inner.db.clone())
    }

    /// The first step of signing in: the password. A wrong login and a wrong password get the
    /// same answer; past the throttles (see the module) the answer is "too many" whatever is
    /// typed. Staff enrolled in TOTP, and every administrator and auditor (for whom it is
    /// mandatory), go on to the second step with a sealed ticket; others get their session.
    pub async fn sign_in(&self, login: &str, password: &str, from: &str) -> Result<SignIn, AppError> {
        let login = login.trim();
        let sessions = self.sessions();
        let found = sessions.credentials(login).await?;
        let attempt = Attempt::new(found.as_ref().map(|c| c.staff_id), login, from, self.now());
        self.count_attempt(&attempt).await?;
        // Verify against something even for an unknown login, so time does not tell them apart.
        const NOBODY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$arW+PG+w55OPlShl4kaO0w$28oEkXFoyKR1XD21O+EPQDmb/k6tAfpWgfA+3SgR73E";
        let stored = found.as_ref().and_then(|c| c.password_hash.clone()).unwrap_or_else(|| NOBODY.into());
        let matches = passwords::verify(password.to_string(), stored).await;
        let Some(staff) = found.filter(|c| c.active && matches) else {
            return Err(self.failed(&attempt, "sign_in_failed").await?);
        };
        let mandatory = matches!(Role::parse(&staff.role), Some(Role::Administrator | Role::Auditor));
        match (&staff.totp_sealed, mandatory) {
            (Some(_), _) => Ok(SignIn::Code { ticket: self.ticket(login, staff.staff_id, None)? }),
            (None, true) => {
                let (ticket, secret, uri) = self.new_key(login, staff.staff_id)?;
                Ok(SignIn::Enrol { ticket, secret, uri })
            }
            (None, false) => {
                self.inner.limits.clear(&attempt.pair_key()).await?;
                Ok(SignIn::Session(self.open_session(login, staff.staff_id, from).await?))
            }
        }
    }

    /// The second step: the code from the authenticator app, checked within a step either way
    /// and accepted only once. When enrolling, the first good code also stores the secret.
    pub async fn second_factor(&self, ticket: &str, code: &str, from: &str) -> Result<String, AppError> {
        let now = self.now();
        let opened = self.inner.key.open_from_browser(ticket).ok_or(AppError::Unauthenticated)?;
        let ticket = Ticket::read(&opened).ok_or(AppError::Unauthenticated)?;
        let (staff_id, login) = (ticket.staff_id, ticket.login);
        let enrolling = ticket.enrolling.map(str::to_string);
        if now.as_millisecond() > ticket.until {
            return Err(AppError::Unauthenticated);
        }
        let sessions = self.sessions();
        let attempt = Attempt::new(Some(staff_id), login, from, now);
        self.count_attempt(&attempt).await?;
        let secret = match &enrolling {
            Some(base32) => totp_rs::Secret::try_from_base32(base32).map_err(|_| AppError::Unauthenticated)?.to_vec(),
            None => {
                let staff = sessions.credentials(login).await?.ok_or(AppError::Unauthenticated)?;
                let sealed = staff.totp_sealed.ok_or(AppError::Unauthenticated)?;
                let hex = self.inner.key.open(&sealed).map_err(|_| AppError::Unauthenticated)?;
                crate::secrets::unhex(&hex).ok_or(AppError::Unauthenticated)?
            }
        };
        if !self.code_accepted(staff_id, &secret, code).await? {
            return Err(self.failed(&attempt, "second_factor_failed").await?);
        }
        // A ticket opens one session: sent again, even with the next good code, it is refused.
        let used = harta_store::limits::Bucket { key: format!("ticket {}", ticket.nonce), window_start: ticket.until };
        if self.inner.limits.take(&used, 1).await? > 1 {
            return Err(AppError::Unauthenticated);
        }
        if enrolling.is_some() {
            self.enrol(staff_id, login, &secret).await?;
        }
        self.inner.limits.clear(&attempt.pair_key()).await?;
        self.open_session(login, staff_id, from).await
    }

    /// Whether `code` is the secret's code now (a step either way) and was not used before.
    async fn code_accepted(&self, staff_id: i64, secret: &[u8], code: &str) -> Result<bool, AppError> {
        let seconds = u64::try_from(self.now().as_second()).unwrap_or_default();
        match totp(secret)?.check(code.trim(), seconds).and_then(|s| i64::try_from(s).ok()) {
            Some(step) => Ok(self.sessions().use_totp_step(staff_id, step).await?),
            None => Ok(false),
        }
    }

    /// Stores a confirmed secret, sealed.
    async fn enrol(&self, staff_id: i64, login: &str, secret: &[u8]) -> Result<(), AppError> {
        let sealed = self.inner.key.seal(&hex(secret))?;
        self.sessions().set_totp(staff_id, &sealed).await?;
        self.inner.audit.record(self.now(), &format!("staff:{staff_id}"), "totp_enrolled", login, "").await?;
        Ok(())
    }

    /// Whether the signed-in member of staff uses a second factor.
    pub async fn uses_totp(&self, who: &StaffSession) -> Result<bool, AppError> {
        Ok(self.sessions().credentials(&who.login).await?.is_some_and(|c| c.totp_sealed.is_some()))
    }

    /// A new key for a member of staff who chooses to use a second factor: the sealed ticket
    /// to confirm it with, the key in base32 and its `otpauth://` address.
    pub fn totp_offer(&self, who: &StaffSession) -> Result<(String, String, String), AppError> {
        let Actor::Staff { id } = who.principal.actor else { return Err(AppError::Unauthenticated) };
        self.new_key(&who.login, id.0)
    }

    /// A new TOTP key: the sealed ticket that carries it to the confirmation, the key in base32
    /// and its `otpauth://` address.
    fn new_key(&self, login: &str, staff_id: i64) -> Result<(String, String, String), AppError> {
        let secret = random_bytes::<20>()?;
        let base32 = totp(&secret)?.secret().to_base32();
        let uri =
            format!("otpauth://totp/harta:{login}?secret={base32}&issuer=harta&algorithm=SHA1&digits=6&period=30");
        Ok((self.ticket(login, staff_id, Some(&base32))?, base32, uri))
    }

    /// Confirms an offered key with a code from it; from then on signing in asks for a code.
    pub async fn confirm_totp(&self, who: &StaffSession, ticket: &str, code: &str) -> Result<(), AppError> {
        let wrong = || AppError::Invalid(vec![FieldError::new("code", "is not the app's code").with_code("code")]);
        let Actor::Staff { id } = who.principal.actor else { return Err(AppError::Unauthenticated) };
        let opened = self.inner.key.open_from_browser(ticket).ok_or_else(wrong)?;
        let ticket = Ticket::read(&opened).ok_or_else(wrong)?;
        let Some(base32) = ticket.enrolling else { return Err(wrong()) };
        let (fresh, login) = (self.now().as_millisecond() <= ticket.until, ticket.login);
        if !fresh || ticket.staff_id != id.0 || login != who.login {
            return Err(wrong());
        }
        let secret = totp_rs::Secret::try_from_base32(base32).map_err(|_| wrong())?.to_vec();
        if !self.code_accepted(id.0, &secret, code).await? {
            return Err(wrong());
        }
        self.enrol(id.0, login, &secret).await
    }

    /// Counts an attempt on its login before anything is computed (a success clears it), and
    /// checks the address's failures; refused (and audited once per window) past either.
    async fn count_attempt(&self, attempt: &Attempt<'_>) -> Result<(), AppError> {
        let limits = &self.inner.limits;
        let from_address = limits.count(&attempt.bucket(attempt.address_key())).await?;
        let on_login = if from_address < ADDRESS_LIMIT {
            limits.take(&attempt.bucket(attempt.pair_key()), 1).await?
        } else {
            limits.count(&attempt.bucket(attempt.pair_key())).await?
        };
        if on_login <= FAILURE_LIMIT && from_address < ADDRESS_LIMIT {
            return Ok(());
        }
        // The first refusal of a window is audited; the rest would only fill the trail.
        if on_login == FAILURE_LIMIT + 1 || from_address == ADDRESS_LIMIT {
            limits.take(&attempt.bucket(attempt.address_key()), 1).await?;
            let detail = format!("from {}", attempt.from);
            self.inner.audit.record(attempt.at, &attempt.actor(), "sign_in_stopped", &attempt.shown, &detail).await?;
        }
        Err(AppError::TooMany)
    }

    /// Counts a failed step against its address and audits it; the error to answer with.
    async fn failed(&self, attempt: &Attempt<'_>, action: &str) -> Result<AppError, AppError> {
        self.inner.limits.take(&attempt.bucket(attempt.address_key()), 1).await?;
        let detail = format!("from {}", attempt.from);
        self.inner.audit.record(attempt.at, &attempt.actor(), action, &attempt.shown, &detail).await?;
        Ok(AppError::Unauthenticated)
    }

    /// The addresses stopped from signing in as a member, with their failures this window
    /// (administrators).
    pub async fn stopped_sign_ins(&self, who: &Principal, staff_id: i64) -> Result<Vec<(String, i64)>, AppError> {
        who.require(Action::ManageStaff)?;
        let prefix = Attempt::staff_prefix(staff_id);
        let since = harta_store::limits::Bucket::at(String::new(), self.now(), FAILURE_WINDOW).window_start;
        let found = self.inner.limits.list(&prefix, since).await?;
        Ok(found
            .into_iter()
            .filter(|(_, n)| *n >= FAILURE_LIMIT)
            .map(|(b, n)| (b.key[prefix.len()..].to_string(), n.min(FAILURE_LIMIT)))
            .collect())
    }

    /// Lets every address try signing in as a member again (administrators; audited).
    pub async fn clear_sign_ins(&self, who: &Principal, staff_id: i64) -> Result<(), AppError> {
        who.require(Action::ManageStaff)?;
        self.inner.limits.clear(&Attempt::staff_prefix(staff_id)).await?;
        let subject = format!("staff:{staff_id}");
        self.inner.audit.record(self.now(), &who.audit_name(), "clear_sign_in_attempts", &subject, "").await?;
        Ok(())
    }

    /// A sealed ticket saying the password was right, for [`SECOND_STEP`], good for one session.
    fn ticket(&self, login: &str, staff_id: i64, enrolling: Option<&str>) -> Result<String, AppError> {
        let until = (self.now() + SECOND_STEP).as_millisecond();
        let nonce = hex(&random_bytes::<12>()?);
        // The login goes last: it may hold spaces.
        let plain = format!("{until} {staff_id} {nonce} {} {login}", enrolling.unwrap_or("-"));
        self.inner.key.seal_for_browser(&plain).map_err(AppError::from)
    }

    async fn open_session(&self, login: &str, staff_id: i64, from: &str) -> Result<String, AppError> {
        let now = self.now();
        let token = hex(&random_bytes::<32>()?);
        let csrf = hex(&random_bytes::<16>()?);
        self.sessions().create(&hash(&token), staff_id, &csrf, from, now, now + SESSION_IDLE).await?;
        self.inner.audit.record(now, &format!("staff:{staff_id}"), "sign_in", login, &format!("from {from}")).await?;
        Ok(token)
    }

    /// The session behind a cookie's token, if it is live; extends it while it is used.
    pub async fn staff_session(&self, token: &str) -> Result<StaffSession, AppError> {
        let sessions = self.sessions();
        let now = self.now();
        let key = hash(token);
        let record = sessions.find(&key, now).await?.ok_or(AppError::Unauthenticated)?;
        if now.duration_since(record.created_at) > SESSION_MAX {
            return Err(AppError::Unauthenticated);
        }
        let role = Role::parse(&record.role).ok_or(AppError::Unauthenticated)?;
        if now.duration_since(record.seen_at) > TOUCH_EVERY {
            sessions.touch(&key, now, now + SESSION_IDLE).await?;
        }
        Ok(StaffSession {
            principal: Principal { actor: Actor::Staff { id: StaffId(record.staff_id) }, role, unit: record.unit },
            name: record.name,
            login: record.login,
            csrf: record.csrf,
            token_hash: key,
            must_change_password: record.password_temporary,
        })
    }

    /// Leaves a note (a refused form's errors and text, as the page writes them) for this
    /// session's next page, so that the form's answer can be a redirect (post/redirect/get).
    pub async fn leave_flash(&self, session: &StaffSession, flash: &str) -> Result<(), AppError> {
        Ok(self.sessions().set_flash(&session.token_hash, flash).await?)
    }

    /// Takes the note left for this page, once.
    pub async fn take_flash(&self, session: &StaffSession) -> Result<Option<String>, AppError> {
        Ok(self.sessions().take_flash(&session.token_hash).await?)
    }

    /// Ends the session behind a token.
    pub async fn sign_out(&self, token: &str) -> Result<(), AppError> {
        let now = self.now();
        if let Ok(session) = self.staff_session(token).await {
            let who = session.principal.audit_name();
            self.inner.audit.record(now, &who, "sign_out", &session.login, "").await?;
        }
        Ok(self.sessions().revoke(&hash(token), now).await?)
    }

    /// Records a form sent in a member's session without the session's anti-forgery token (or
    /// from another site): someone may be acting in their name.
    pub async fn record_forged_form(&self, who: &Principal, path: &str) -> Result<(), AppError> {
        let path: String = path.chars().take(200).collect();
        Ok(self.inner.audit.record(self.now(), &who.audit_name(), "forged_form", &path, "").await?)
    }

    /// Changes the signed-in member of staff's password: the current one must be right, the new
    /// one at least [`MIN_PASSWORD`] characters and different.
    pub async fn change_password(&self, who: &StaffSession, current: &str, new: &str) -> Result<(), AppError> {
        let sessions = self.sessions();
        let found = sessions.credentials(&who.login).await?.ok_or(AppError::Unauthenticated)?;
        let stored = found.password_hash.unwrap_or_default();
        if !passwords::verify(current.to_string(), stored).await {
            return Err(AppError::Invalid(vec![
                FieldError::new("current", "is not your password").with_code("wrong_password"),
            ]));
        }
        if new.chars().count() < MIN_PASSWORD {
            return Err(AppError::Invalid(vec![FieldError::new("new", "is too short").with_code("password_short")]));
        }
        if new == current {
            return Err(AppError::Invalid(vec![
                FieldError::new("new", "is the same as the current one").with_code("password_same"),
            ]));
        }
        let hashed = passwords::hash(new.to_string()).await?;
        sessions.set_password(found.staff_id, &hashed).await?;
        // Whoever else knew the old password is signed out; this session goes on.
        sessions.revoke_others(found.staff_id, Some(&who.token_hash), self.now()).await?;
        self.inner.audit.record(self.now(), &who.principal.audit_name(), "change_password", &who.login, "").await?;
        Ok(())
    }
}

/// What a sealed second-step ticket says: `until staff_id nonce enrolling login`, the login
/// last because it may hold spaces, `-` for "not enrolling".
struct Ticket<'a> {
    until: i64,
    staff_id: i64,
    nonce: &'a str,
    enrolling: Option<&'a str>,
    login: &'a str,
}

impl<'a> Ticket<'a> {
    fn read(opened: &'a str) -> Option<Self> {
        let mut parts = opened.splitn(5, ' ');
        let until = parts.next()?.parse().ok()?;
        let staff_id = parts.next()?.parse().ok()?;
        let nonce = parts.next()?;
        let enrolling = Some(parts.next()?).filter(|e| *e != "-");
        Some(Self { until, staff_id, nonce, enrolling, login: parts.next()? })
    }
}

/// One sign-in attempt, as the throttles and the audit trail see it.
struct Attempt<'a> {
    /// The account tried: a member's id, or a digest of a login nobody has (so neither a
    /// mistyped password nor a megabyte of text reaches the store).
    account: String,
    /// The login as the audit trail shows it: a member's login, or the start of the unknown one
    /// with its digest.
    shown: String,
    from: &'a str,
    at: jiff::Timestamp,
}

impl<'a> Attempt<'a> {
    fn new(staff_id: Option<i64>, login: &str, from: &'a str, at: jiff::Timestamp) -> Self {
        let (account, shown) = match staff_id {
            Some(id) => (format!("staff:{id}"), login.to_string()),
            None => {
                use sha2::Digest;
                let digest = hex(&sha2::Sha256::digest(login.as_bytes())[..8]);
                // Typed into the login field, a password must not be kept: only a short start
                // of what nobody's login is, and the digest to tell attempts apart.
                let start: String = login.chars().take(UNKNOWN_LOGIN_SHOWN).collect();
                (format!("unknown:{digest}"), format!("{start}… (unknown login {digest})"))
            }
        };
        Self { account, shown, from, at }
    }

    fn staff_prefix(staff_id: i64) -> String {
        format!("sign-in staff:{staff_id} ")
    }

    fn pair_key(&self) -> String {
        format!("sign-in {} {}", self.account, self.from)
    }

    fn address_key(&self) -> String {
        format!("sign-in-from {}", self.from)
    }

    fn bucket(&self, key: String) -> harta_store::limits::Bucket {
        harta_store::limits::Bucket::at(key, self.at, FAILURE_WINDOW)
    }

    fn actor(&self) -> String {
        format!("login:{}", self.account)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_reads_back_a_login_with_spaces_and_an_enrolment() {
        let t = Ticket::read("1764074400000 7 a1b2 - Петя Колева 2").unwrap();
        assert_eq!(
            (t.until, t.staff_id, t.nonce, t.enrolling, t.login),
            (1764074400000, 7, "a1b2", None, "Петя Колева 2")
        );
        let t = Ticket::read("1 9 ff JBSWY3DPEHPK3PXP 9001").unwrap();
        assert_eq!((t.enrolling, t.login), (Some("JBSWY3DPEHPK3PXP"), "9001"));
        assert!(Ticket::read("1 9 ff").is_none());
        assert!(Ticket::read("soon 9 ff - 9001").is_none());
    }

    #[test]
    fn an_unknown_login_is_kept_only_as_its_start_and_digest() {
        let at = jiff::Timestamp::UNIX_EPOCH;
        let typed = "моята-парола-123";
        let a = Attempt::new(None, typed, "203.0.113.1", at);
        assert!(!a.shown.contains("парола") && a.shown.starts_with("моя…"), "{}", a.shown);
        assert_eq!(a.account, Attempt::new(None, typed, "10.0.0.1", at).account, "the same login counts together");
        let known = Attempt::new(Some(7), "1042", "203.0.113.1", at);
        assert_eq!((known.shown.as_str(), known.pair_key()), ("1042", "sign-in staff:7 203.0.113.1".to_string()));
        assert!(known.pair_key().starts_with(&Attempt::staff_prefix(7)));
    }
}
