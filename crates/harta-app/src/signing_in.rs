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

    /// Signs a member of staff in; returns the session token for the cookie. A wrong login and
    /// a wrong password get the same answer; after [`FAILURE_LIMIT`] failures a login is locked
    /// for [`LOCK_OUT`] whatever is typed.
    pub async fn sign_in(&self, login: &str, password: &str, from: &str) -> Result<String, AppError> {
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
        let staff = found.filter(|c| c.active && matches);
        let Some(staff) = staff else {
            sessions.fail(login, now, FAILURE_WINDOW, FAILURE_LIMIT, LOCK_OUT).await?;
            audit.record(now, &format!("login:{login}"), "sign_in_failed", login, &format!("from {from}")).await?;
            return Err(AppError::Unauthenticated);
        };
        sessions.clear_failures(login).await?;
        let secret = |e: crate::secrets::KeyError| AppError::Conflict(e.to_string());
        let token = hex(&random_bytes::<32>().map_err(secret)?);
        let csrf = hex(&random_bytes::<16>().map_err(secret)?);
        sessions.create(&hash(&token), staff.staff_id, &csrf, from, now, now + SESSION_IDLE).await?;
        audit.record(now, &format!("staff:{}", staff.staff_id), "sign_in", login, &format!("from {from}")).await?;
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
