//! Staff sign-in: argon2id passwords, sessions kept in the database (any replica knows them),
//! a lock-out after repeated failures that also holds across replicas, and every sign-in, failure
//! and sign-out in the audit trail.

use harta_domain::case::{Actor, StaffId};
use harta_store::sessions::Sessions;
use jiff::SignedDuration;

use crate::access::{Principal, Role};
use crate::secrets::{hex, random_bytes};
use crate::tokens::hash;
use crate::{App, AppError, FieldError, passwords};

/// A session ends after this long unused.
pub const SESSION_IDLE: SignedDuration = SignedDuration::from_hours(8);
/// Failed sign-ins within [`FAILURE_WINDOW`] that lock a login out.
pub const FAILURE_LIMIT: i64 = 5;
/// The window in which failures add up.
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);
/// How long a login stays locked.
pub const LOCK_OUT: SignedDuration = SignedDuration::from_mins(15);
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
    totp_rs::Builder::new().with_secret(secret.to_vec()).build().map_err(|e| AppError::Conflict(format!("TOTP: {e}")))
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
}

impl App {
    fn sessions(&self) -> Sessions {
        Sessions::new(self.inner.db.clone())
    }

    /// The first step of signing in: the password. A wrong login and a wrong password get the
    /// same answer; after [`FAILURE_LIMIT`] failures a login is locked for [`LOCK_OUT`] whatever
    /// is typed. Staff enrolled in TOTP, and every administrator and auditor (for whom it is
    /// mandatory), go on to the second step with a sealed ticket; others get their session.
    pub async fn sign_in(&self, login: &str, password: &str, from: &str) -> Result<SignIn, AppError> {
        let login = login.trim();
        let sessions = self.sessions();
        let now = self.now();
        let audit = &self.inner.audit;
        if sessions.locked_until(login, now).await?.is_some() {
            audit.record(now, &format!("login:{login}"), "sign_in_locked", login, &format!("from {from}")).await?;
            return Err(AppError::TooMany);
        }
        let found = sessions.credentials(login).await?;
        // Verify against something even for an unknown login, so time does not tell them apart.
        const NOBODY: &str =
            "$argon2id$v=19$m=19456,t=2,p=1$arW+PG+w55OPlShl4kaO0w$28oEkXFoyKR1XD21O+EPQDmb/k6tAfpWgfA+3SgR73E";
        let stored = found.as_ref().and_then(|c| c.password_hash.clone()).unwrap_or_else(|| NOBODY.into());
        let matches = passwords::verify(password.to_string(), stored).await;
        let Some(staff) = found.filter(|c| c.active && matches) else {
            return Err(self.failed(login, from, "sign_in_failed").await?);
        };
        let mandatory = matches!(Role::parse(&staff.role), Some(Role::Administrator | Role::Auditor));
        match (&staff.totp_sealed, mandatory) {
            (Some(_), _) => Ok(SignIn::Code { ticket: self.ticket(login, staff.staff_id, None)? }),
            (None, true) => {
                let (ticket, secret, uri) = self.new_key(login, staff.staff_id)?;
                Ok(SignIn::Enrol { ticket, secret, uri })
            }
            (None, false) => {
                sessions.clear_failures(login).await?;
                Ok(SignIn::Session(self.open_session(login, staff.staff_id, from).await?))
            }
        }
    }

    /// The second step: the code from the authenticator app, checked within a step either way
    /// and accepted only once. When enrolling, the first good code also stores the secret.
    pub async fn second_factor(&self, ticket: &str, code: &str, from: &str) -> Result<String, AppError> {
        let now = self.now();
        let opened = self.inner.key.open_from_browser(ticket).ok_or(AppError::Unauthenticated)?;
        let mut parts = opened.split(' ');
        let (Some(until), Some(staff_id), Some(login)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(AppError::Unauthenticated);
        };
        let enrolling = parts.next().map(str::to_string);
        let until: i64 = until.parse().map_err(|_| AppError::Unauthenticated)?;
        let staff_id: i64 = staff_id.parse().map_err(|_| AppError::Unauthenticated)?;
        if now.as_millisecond() > until {
            return Err(AppError::Unauthenticated);
        }
        let sessions = self.sessions();
        if sessions.locked_until(login, now).await?.is_some() {
            return Err(AppError::TooMany);
        }
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
            return Err(self.failed(login, from, "second_factor_failed").await?);
        }
        if enrolling.is_some() {
            self.enrol(staff_id, login, &secret).await?;
        }
        sessions.clear_failures(login).await?;
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
        let sealed = self.inner.key.seal(&hex(secret)).map_err(|e| AppError::Conflict(e.to_string()))?;
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
        let secret = random_bytes::<20>().map_err(|e| AppError::Conflict(e.to_string()))?;
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
        let parts: Vec<&str> = opened.split(' ').collect();
        let [until, staff_id, login, base32] = parts[..] else { return Err(wrong()) };
        let fresh = until.parse::<i64>().is_ok_and(|u| self.now().as_millisecond() <= u);
        if !fresh || staff_id != id.0.to_string() || login != who.login {
            return Err(wrong());
        }
        let secret = totp_rs::Secret::try_from_base32(base32).map_err(|_| wrong())?.to_vec();
        if !self.code_accepted(id.0, &secret, code).await? {
            return Err(wrong());
        }
        self.enrol(id.0, login, &secret).await
    }

    /// Counts and audits a failed step; the error to answer with.
    async fn failed(&self, login: &str, from: &str, action: &str) -> Result<AppError, AppError> {
        let now = self.now();
        self.sessions().fail(login, now, FAILURE_WINDOW, FAILURE_LIMIT, LOCK_OUT).await?;
        self.inner.audit.record(now, &format!("login:{login}"), action, login, &format!("from {from}")).await?;
        Ok(AppError::Unauthenticated)
    }

    /// A sealed ticket saying the password was right, for [`SECOND_STEP`].
    fn ticket(&self, login: &str, staff_id: i64, enrolling: Option<&str>) -> Result<String, AppError> {
        let until = (self.now() + SECOND_STEP).as_millisecond();
        let plain = format!("{until} {staff_id} {login}{}", enrolling.map(|s| format!(" {s}")).unwrap_or_default());
        self.inner.key.seal_for_browser(&plain).map_err(|e| AppError::Conflict(e.to_string()))
    }

    async fn open_session(&self, login: &str, staff_id: i64, from: &str) -> Result<String, AppError> {
        let now = self.now();
        let secret = |e: crate::secrets::KeyError| AppError::Conflict(e.to_string());
        let token = hex(&random_bytes::<32>().map_err(secret)?);
        let csrf = hex(&random_bytes::<16>().map_err(secret)?);
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
        let role = Role::parse(&record.role).ok_or(AppError::Unauthenticated)?;
        if now.duration_since(record.seen_at) > TOUCH_EVERY {
            sessions.touch(&key, now, now + SESSION_IDLE).await?;
        }
        Ok(StaffSession {
            principal: Principal { actor: Actor::Staff { id: StaffId(record.staff_id) }, role, unit: record.unit },
            name: record.name,
            login: record.login,
            csrf: record.csrf,
        })
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
        let hashed = passwords::hash(new.to_string()).await.map_err(|e| AppError::Conflict(e.to_string()))?;
        sessions.set_password(found.staff_id, &hashed).await?;
        self.inner.audit.record(self.now(), &who.principal.audit_name(), "change_password", &who.login, "").await?;
        Ok(())
    }
}
