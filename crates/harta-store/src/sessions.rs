//! Staff sessions and the count of failed sign-ins, shared by every replica.

use jiff::Timestamp;
use sqlx::Row;

use crate::rows::{millis, timestamp};
use crate::{Db, Result, on_db};

/// A live session with who it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The member of staff.
    pub staff_id: i64,
    /// Their employee number (their login).
    pub login: String,
    /// Their name.
    pub name: String,
    /// Their role's name.
    pub role: String,
    /// Their unit.
    pub unit: Option<String>,
    /// The session's anti-forgery token.
    pub csrf: String,
    /// When it was last used.
    pub seen_at: Timestamp,
    /// When it was opened (the sign-in).
    pub created_at: Timestamp,
    /// Whether the member signed in with a password an administrator set, to be changed first.
    pub password_temporary: bool,
}

/// A member of staff's sign-in details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// Their id.
    pub staff_id: i64,
    /// The argon2id hash of their password, if they have one.
    pub password_hash: Option<String>,
    /// Whether they may sign in at all.
    pub active: bool,
    /// Their role's name.
    pub role: String,
    /// Their TOTP secret, sealed, once they have enrolled.
    pub totp_sealed: Option<Vec<u8>>,
}

/// Sessions and sign-in failures.
#[derive(Debug, Clone)]
pub struct Sessions {
    db: Db,
}

impl Sessions {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The sign-in details of a login (an employee number).
    pub async fn credentials(&self, login: &str) -> Result<Option<Credentials>> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT id, password_hash, active, role, totp_sealed FROM staff WHERE employee_number = $1",
            )
            .bind(login)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(Credentials {
                    staff_id: r.try_get("id")?,
                    password_hash: r.try_get("password_hash")?,
                    active: r.try_get::<i64, _>("active")? == 1,
                    role: r.try_get("role")?,
                    totp_sealed: r.try_get("totp_sealed")?,
                })
            })
            .transpose()
        })
    }

    /// Sets a member of staff's own password hash.
    pub async fn set_password(&self, staff_id: i64, hash: &str) -> Result<()> {
        self.store_password(staff_id, hash, false).await
    }

    /// Sets a password an administrator chose for a member (a first one, or after a reset):
    /// the member must change it at their next sign-in.
    pub async fn set_temporary_password(&self, staff_id: i64, hash: &str) -> Result<()> {
        self.store_password(staff_id, hash, true).await
    }

    async fn store_password(&self, staff_id: i64, hash: &str, temporary: bool) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE staff SET password_hash = $1, password_temporary = $2 WHERE id = $3")
                .bind(hash)
                .bind(i64::from(temporary))
                .bind(staff_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends every live session of a member of staff but the one whose token hash is `keep`
    /// (after a new password: whoever knew the old one is out).
    pub async fn revoke_others(&self, staff_id: i64, keep: Option<&str>, now: Timestamp) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $1
                 WHERE staff_id = $2 AND revoked_at IS NULL AND token_hash <> COALESCE($3, '')",
            )
            .bind(millis(now))
            .bind(staff_id)
            .bind(keep)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Enrols a member of staff in TOTP with a sealed secret.
    pub async fn set_totp(&self, staff_id: i64, sealed: &[u8]) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE staff SET totp_sealed = $1 WHERE id = $2")
                .bind(sealed)
                .bind(staff_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Forgets a member's second factor (a lost authenticator): they enrol again at their next
    /// sign-in where their role requires it.
    pub async fn clear_totp(&self, staff_id: i64) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE staff SET totp_sealed = NULL WHERE id = $1").bind(staff_id).execute(pool).await?;
            Ok(())
        })
    }

    /// Accepts a TOTP time step for a member of staff once: false if that step (or a later
    /// one) was already used, which is how a replayed code is refused on every replica.
    pub async fn use_totp_step(&self, staff_id: i64, step: i64) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let done = sqlx::query("UPDATE staff SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1")
                .bind(step)
                .bind(staff_id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Starts a session.
    pub async fn create(
        &self,
        token_hash: &str,
        staff_id: i64,
        csrf: &str,
        address: &str,
        now: Timestamp,
        expires: Timestamp,
    ) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query(
                "INSERT INTO sessions (token_hash, staff_id, csrf, address, created_at, seen_at, expires_at)
                 VALUES ($1, $2, $3, $4, $5, $5, $6)",
            )
            .bind(token_hash)
            .bind(staff_id)
            .bind(csrf)
            .bind(address)
            .bind(millis(now))
            .bind(millis(expires))
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The live session with this token hash: not revoked, not expired, its staff active.
    pub async fn find(&self, token_hash: &str, now: Timestamp) -> Result<Option<SessionRecord>> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT s.staff_id, s.csrf, s.seen_at, s.created_at, f.employee_number, f.name, f.role, f.unit_code,
                        f.password_temporary
                 FROM sessions s JOIN staff f ON f.id = s.staff_id
                 WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 AND f.active = 1",
            )
            .bind(token_hash)
            .bind(millis(now))
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok(SessionRecord {
                    staff_id: r.try_get("staff_id")?,
                    login: r.try_get("employee_number")?,
                    name: r.try_get("name")?,
                    role: r.try_get("role")?,
                    unit: r.try_get("unit_code")?,
                    csrf: r.try_get("csrf")?,
                    seen_at: timestamp(r.try_get("seen_at")?)?,
                    created_at: timestamp(r.try_get("created_at")?)?,
                    password_temporary: r.try_get::<i64, _>("password_temporary")? == 1,
                })
            })
            .transpose()
        })
    }

    /// Leaves a note for the session's next page (a refused form's errors and text).
    pub async fn set_flash(&self, token_hash: &str, flash: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE sessions SET flash = $1 WHERE token_hash = $2")
                .bind(flash)
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Takes the note left for this page, clearing it: it is shown once.
    pub async fn take_flash(&self, token_hash: &str) -> Result<Option<String>> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let flash: Option<Option<String>> = sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
            sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = $1 AND flash IS NOT NULL")
                .bind(token_hash)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(flash.flatten())
        })
    }

    /// Extends a session that is in use.
    pub async fn touch(&self, token_hash: &str, now: Timestamp, expires: Timestamp) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE sessions SET seen_at = $1, expires_at = $2 WHERE token_hash = $3")
                .bind(millis(now))
                .bind(millis(expires))
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends a session.
    pub async fn revoke(&self, token_hash: &str, now: Timestamp) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL")
                .bind(millis(now))
                .bind(token_hash)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
