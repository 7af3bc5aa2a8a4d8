//! API tokens: random, shown once, stored only as a SHA-256 hash.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use harta_domain::case::Actor;
use sha2::{Digest, Sha256};

use crate::access::{Action, Principal, Role};
use crate::secrets::{hex, random_bytes};
use crate::{App, AppError, FieldError};

/// The prefix that makes harta tokens recognisable in logs and secret scanners.
const PREFIX: &str = "harta_";

/// How long a verified token is trusted without asking the store again: the price of a token
/// look-up on every API call, against a revocation taking effect within this delay.
pub const TRUST_FOR: Duration = Duration::from_secs(5);

/// Recently verified tokens, by hash.
#[derive(Debug, Default)]
pub(crate) struct TokenCache(Mutex<HashMap<String, (Principal, Instant)>>);

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Principal> {
        let map = self.0.lock().ok()?;
        map.get(hash).filter(|(_, at)| at.elapsed() < TRUST_FOR).map(|(p, _)| p.clone())
    }

    fn put(&self, hash: String, principal: Principal) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= 10_000 {
                map.retain(|_, (_, at)| at.elapsed() < TRUST_FOR);
            }
            map.insert(hash, (principal, Instant::now()));
        }
    }
}

/// How a bearer secret (an API token, a session cookie) is stored: its SHA-256.
pub(crate) fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

impl App {
    /// Creates a token for a role (and unit, for unit-scoped roles); returns the token, which
    /// is not stored and cannot be shown again. Only through [`App::issue_token`], which checks
    /// who asks and audits it.
    async fn create_token(&self, role: Role, unit: Option<&str>, label: &str) -> Result<String, AppError> {
        let unit = match (role.is_unit_scoped(), unit) {
            (true, None) => {
                let message = format!("the role {} needs a unit", role.as_str());
                return Err(AppError::Invalid(vec![FieldError::new("unit", message).with_code("required")]));
            }
            (true, Some(u)) => Some(u),
            (false, Some(_)) if role == Role::Administrator => None,
            (false, u) => u,
        };
        if let Some(u) = unit
            && self.charter().unit(u).is_none()
        {
            let charter = self.charter();
            let known: Vec<&str> = charter.units.iter().map(|u| u.code.as_str()).collect();
            let message = format!("there is no unit {u} (known: {})", known.join(", "));
            return Err(AppError::Invalid(vec![FieldError::new("unit", message).with_code("unknown")]));
        }
        let bytes = random_bytes::<32>()?;
        let token = format!("{PREFIX}{}", hex(&bytes));
        self.inner.admin.add_token(&hash(&token), role.as_str(), unit, label, self.now()).await?;
        Ok(token)
    }

    /// Makes a token, from the workspace or the command line (administrators; audited);
    /// returns it once.
    pub async fn issue_token(
        &self,
        who: &Principal,
        role: &str,
        unit: Option<&str>,
        label: &str,
    ) -> Result<String, AppError> {
        who.require(Action::ManageTokens)?;
        let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
        let role = Role::parse(role).ok_or_else(|| {
            let message = format!("\"{role}\" is not a role (one of: {})", known.join(", "));
            AppError::Invalid(vec![FieldError::new("role", message).with_code("unknown")])
        })?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 200 {
            return Err(AppError::Invalid(vec![FieldError::required("label")]));
        }
        let token = self.create_token(role, unit, label).await?;
        self.inner.audit.record(self.now(), &who.audit_name(), "issue_token", label, role.as_str()).await?;
        Ok(token)
    }

    /// Every API token, newest first (administrators).
    pub async fn tokens(&self, who: &Principal) -> Result<Vec<harta_store::admin::TokenListing>, AppError> {
        who.require(Action::ManageTokens)?;
        Ok(self.inner.admin.tokens().await?)
    }

    /// Revokes a token (administrators; audited). A replica that verified it in the last few
    /// seconds may accept it until its cache forgets it ([`TRUST_FOR`], 5 s).
    pub async fn revoke_token(&self, who: &Principal, id: i64) -> Result<(), AppError> {
        who.require(Action::ManageTokens)?;
        if !self.inner.admin.revoke_token(id, self.now()).await? {
            return Err(AppError::NotFound(format!("token {id}")));
        }
        self.inner.audit.record(self.now(), &who.audit_name(), "revoke_token", &format!("token:{id}"), "").await?;
        Ok(())
    }

    /// The caller a bearer token stands for.
    pub async fn authenticate_token(&self, token: &str) -> Result<Principal, AppError> {
        if !token.starts_with(PREFIX) || token.len() != PREFIX.len() + 64 {
            return Err(AppError::Unauthenticated);
        }
        let hash = hash(token);
        if let Some(known) = self.inner.tokens.get(&hash) {
            return Ok(known);
        }
        let record = self.inner.admin.token_by_hash(&hash).await?.ok_or(AppError::Unauthenticated)?;
        let role = Role::parse(&record.role).ok_or(AppError::Unauthenticated)?;
        let principal = Principal { actor: Actor::ApiToken { id: record.id }, role, unit: record.unit };
        self.inner.tokens.put(hash, principal.clone());
        Ok(principal)
    }
}
