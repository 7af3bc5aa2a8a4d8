//! The administration, its units, its staff and API tokens.

use harta_domain::charter::Charter;
use jiff::Timestamp;
use sqlx::Row;

use crate::rows::millis;
use crate::{Db, Result, StoreError, constraint, on_db};

/// A staff member or token's role, as stored (the app decides what each may do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRecord {
    /// The token's id.
    pub id: i64,
    /// The role name.
    pub role: String,
    /// The unit it is bound to, if any.
    pub unit: Option<String>,
    /// What it is for.
    pub label: String,
}

/// An API token as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenListing {
    /// Its id (what events made through it name).
    pub id: i64,
    /// The role it acts as.
    pub role: String,
    /// Its unit, for unit-scoped roles.
    pub unit: Option<String>,
    /// What it is for.
    pub label: String,
    /// When it was made.
    pub created_at: Timestamp,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// A member of staff as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRecord {
    /// Id (what `assigned` events name).
    pub id: i64,
    /// Employee number.
    pub employee_number: String,
    /// Full name.
    pub name: String,
    /// Role name.
    pub role: String,
    /// Unit code.
    pub unit: Option<String>,
    /// Work e-mail.
    pub email: Option<String>,
    /// Direct telephone (E.164).
    pub phone: Option<String>,
    /// Position (`главен експерт`), under their signature on letters.
    pub position: Option<String>,
    /// Whether the person works here now.
    pub active: bool,
}

/// A new staff member.
#[derive(Debug, Clone)]
pub struct NewStaff<'a> {
    /// Employee number, unique.
    pub employee_number: &'a str,
    /// Full name.
    pub name: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Unit code, if the role has one.
    pub unit: Option<&'a str>,
    /// Work e-mail.
    pub email: Option<&'a str>,
    /// Direct telephone (E.164).
    pub phone: Option<&'a str>,
    /// Position.
    pub position: Option<&'a str>,
    /// Password hash (argon2id PHC string), if the person signs in.
    pub password_hash: Option<&'a str>,
}

/// What a member's letters carry about them besides their name and unit.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffContact<'a> {
    /// Direct telephone (E.164).
    pub phone: Option<&'a str>,
    /// Work e-mail.
    pub email: Option<&'a str>,
    /// Position.
    pub position: Option<&'a str>,
}

/// Administration-level records.
#[derive(Debug, Clone)]
pub struct Admin {
    db: Db,
}

impl Admin {
    /// Over a store.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The check value of the secret key the store was set up with, once recorded; and one
    /// value sealed under it, if any, to recognise the key by in a store from before check
    /// values were kept.
    pub async fn key_check(&self) -> Result<(Option<String>, Option<Vec<u8>>)> {
        on_db!(read & self.db, |pool| {
            let check: Option<Option<String>> =
                sqlx::query_scalar("SELECT key_check FROM administration WHERE id = 1").fetch_optional(pool).await?;
            let sealed: Option<Vec<u8>> = sqlx::query_scalar(
                "SELECT national_id_sealed FROM parties WHERE national_id_sealed IS NOT NULL LIMIT 1",
            )
            .fetch_optional(pool)
            .await?;
            Ok((check.flatten(), sealed))
        })
    }

    /// Records the key's check value, unless one is recorded already.
    pub async fn set_key_check(&self, check: &str) -> Result<()> {
        on_db!(&self.db, |pool| {
            sqlx::query("UPDATE administration SET key_check = $1 WHERE id = 1 AND key_check IS NULL")
                .bind(check)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Whether the administration has been set up (the first start has happened).
    pub async fn is_set_up(&self) -> Result<bool> {
        let n: i64 = on_db!(read & self.db, |pool| sqlx::query_scalar("SELECT COUNT(*) FROM administration")
            .fetch_one(pool)
            .await?);
        Ok(n > 0)
    }

    /// Records the administration and creates or updates its units from the charter, in one
    /// transaction. Units are never deleted: cases refer to them. The text is stored only while
    /// nobody has edited the stored one (see [`Admin::put_charter`]).
    pub async fn set_up(&self, charter: &Charter, charter_text: &str, now: Timestamp) -> Result<()> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO administration (id, code, charter, created_at) VALUES (1, $1, $2, $3)
                 ON CONFLICT (id) DO UPDATE SET code = $1,
                    charter = CASE WHEN administration.charter_version = 0 THEN $2 ELSE administration.charter END",
            )
            .bind(&charter.administration.code)
            .bind(charter_text)
            .bind(millis(now))
            .execute(&mut *tx)
            .await?;
            upsert_units!(&mut *tx, charter);
            tx.commit().await?;
            Ok(())
        })
    }

    /// The stored charter and its version (0 while never edited from a page).
    pub async fn stored_charter(&self) -> Result<Option<(i64, String)>> {
        on_db!(read & self.db, |pool| {
            Ok(sqlx::query_as("SELECT charter_version, charter FROM administration WHERE id = 1")
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The stored charter's version (0 while never edited from a page): a cheap check, run
    /// every second, before the text is read.
    pub async fn charter_version(&self) -> Result<i64> {
        on_db!(read & self.db, |pool| {
            let version: Option<i64> = sqlx::query_scalar("SELECT charter_version FROM administration WHERE id = 1")
                .fetch_optional(pool)
                .await?;
            Ok(version.unwrap_or(0))
        })
    }

    /// Stores an edited charter (already checked) with its units, as the next version; returns it.
    pub async fn put_charter(
        &self,
        charter: &Charter,
        charter_text: &str,
        based_on: Option<i64>,
    ) -> Result<Option<i64>> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let version: Option<i64> = sqlx::query_scalar(
                "UPDATE administration SET charter = $1, charter_version = charter_version + 1
                 WHERE id = 1 AND ($2 IS NULL OR charter_version = $2) RETURNING charter_version",
            )
            .bind(charter_text)
            .bind(based_on)
            .fetch_optional(&mut *tx)
            .await?;
            if version.is_some() {
                upsert_units!(&mut *tx, charter);
                tx.commit().await?;
            }
            Ok(version)
        })
    }
}

/// Creates or updates the charter's units. A macro so that it runs inside either backend's
/// transaction.
macro_rules! upsert_units {
    ($ex:expr, $charter:expr) => {{
        let charter: &Charter = $charter;
        for unit in &charter.units {
            sqlx::query(
                "INSERT INTO units (code, name_bg, name_en, phone) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (code) DO UPDATE SET name_bg = $2, name_en = $3, phone = $4",
            )
            .bind(&unit.code)
            .bind(&unit.name.bg)
            .bind(&unit.name.en)
            .bind(unit.phone.as_ref().map(|p| p.as_str().to_string()))
            .execute($ex)
            .await?;
        }
    }};
}
use upsert_units;

impl Admin {
    /// Adds a staff member; returns the id.
    pub async fn add_staff(&self, s: &NewStaff<'_>, now: Timestamp) -> Result<i64> {
        on_db!(&self.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO staff (employee_number, name, role, unit_code, email, phone, position, password_hash,
                    created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(s.employee_number)
            .bind(s.name)
            .bind(s.role)
            .bind(s.unit)
            .bind(s.email)
            .bind(s.phone)
            .bind(s.position)
            .bind(s.password_hash)
            .bind(millis(now))
            .fetch_one(pool)
            .await
            .map_err(|e| constraint(e, &format!("employee number {} or unit", s.employee_number)))
        })
    }

    /// Lets a member of staff sign in and be named on cases again, or stops that (staff are
    /// never deleted: their names stay on the cases they handled). Ends their sessions when
    /// deactivated. Returns whether there was such a member.
    pub async fn set_active(&self, id: i64, active: bool, now: Timestamp) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query("UPDATE staff SET active = $1 WHERE id = $2")
                .bind(i64::from(active))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if !active {
                sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE staff_id = $2 AND revoked_at IS NULL")
                    .bind(millis(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Sets a member's direct phone, e-mail and position (the contact block and signature of
    /// their letters, C19). Returns whether there was such a member.
    pub async fn set_contact(&self, id: i64, contact: &StaffContact<'_>) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let done = sqlx::query("UPDATE staff SET phone = $1, email = $2, position = $3 WHERE id = $4")
                .bind(contact.phone)
                .bind(contact.email)
                .bind(contact.position)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// The staff directory, by employee number.
    pub async fn staff(&self) -> Result<Vec<StaffRecord>> {
        on_db!(read & self.db, |pool| {
            let sql = format!("SELECT {STAFF_COLUMNS} FROM staff ORDER BY employee_number");
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?;
            rows.iter().map(staff_record).collect()
        })
    }

    /// One member of staff.
    pub async fn member(&self, id: i64) -> Result<Option<StaffRecord>> {
        on_db!(read & self.db, |pool| {
            let sql = format!("SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?;
            row.as_ref().map(staff_record).transpose()
        })
    }

    /// Staff ids by unit and role, for spreading demo work and finding unit heads.
    pub async fn staff_ids(&self) -> Result<Vec<(i64, String, Option<String>)>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query("SELECT id, role, unit_code FROM staff WHERE active = 1 ORDER BY id")
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get("id")?, r.try_get("role")?, r.try_get("unit_code")?))).collect()
        })
    }

    /// The unit of an active member of staff: `None` if there is no such active member,
    /// `Some(None)` for staff of no unit.
    pub async fn active_staff_unit(&self, id: i64) -> Result<Option<Option<String>>> {
        on_db!(read & self.db, |pool| {
            let unit: Option<Option<String>> =
                sqlx::query_scalar("SELECT unit_code FROM staff WHERE id = $1 AND active = 1")
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            Ok(unit)
        })
    }

    /// The unit codes known to the store.
    pub async fn unit_codes(&self) -> Result<Vec<String>> {
        on_db!(read & self.db, |pool| Ok(sqlx::query_scalar("SELECT code FROM units ORDER BY code")
            .fetch_all(pool)
            .await?))
    }

    /// Every API token (never the secret: only what it is for), newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenListing>> {
        on_db!(read & self.db, |pool| {
            let rows = sqlx::query(
                "SELECT id, role, unit_code, label, created_at, revoked_at FROM api_tokens ORDER BY id DESC",
            )
            .fetch_all(pool)
            .await?;
            rows.iter()
                .map(|r| {
                    Ok(TokenListing {
                        id: r.try_get("id")?,
                        role: r.try_get("role")?,
                        unit: r.try_get("unit_code")?,
                        label: r.try_get("label")?,
                        created_at: crate::rows::timestamp(r.try_get("created_at")?)?,
                        revoked: r.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
                    })
                })
                .collect()
        })
    }

    /// Revokes a token; whether there was such a live token.
    pub async fn revoke_token(&self, id: i64, now: Timestamp) -> Result<bool> {
        on_db!(&self.db, |pool| {
            let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(millis(now))
                .bind(id)
                .execute(pool)
                .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Stores a new API token's hash; returns its id.
    pub async fn add_token(
        &self,
        hash: &str,
        role: &str,
        unit: Option<&str>,
        label: &str,
        now: Timestamp,
    ) -> Result<i64> {
        on_db!(&self.db, |pool| {
            sqlx::query_scalar(
                "INSERT INTO api_tokens (token_hash, role, unit_code, label, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
            )
            .bind(hash)
            .bind(role)
            .bind(unit)
            .bind(label)
            .bind(millis(now))
            .fetch_one(pool)
            .await
            .map_err(|e| constraint(e, &format!("unit {}", unit.unwrap_or("-"))))
        })
    }

    /// The live token with this hash.
    pub async fn token_by_hash(&self, hash: &str) -> Result<Option<TokenRecord>> {
        on_db!(read & self.db, |pool| {
            let row = sqlx::query(
                "SELECT id, role, unit_code, label FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await?;
            row.map(|r| {
                Ok::<_, StoreError>(TokenRecord {
                    id: r.try_get("id")?,
                    role: r.try_get("role")?,
                    unit: r.try_get("unit_code")?,
                    label: r.try_get("label")?,
                })
            })
            .transpose()
        })
    }
}

/// The columns [`staff_record`] reads.
const STAFF_COLUMNS: &str = "id, employee_number, name, role, unit_code, email, phone, position, active";

/// A staff row as a record.
fn staff_record<R: Row>(r: &R) -> Result<StaffRecord>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    i64: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    String: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    Option<String>: for<'r> sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(StaffRecord {
        id: r.try_get("id")?,
        employee_number: r.try_get("employee_number")?,
        name: r.try_get("name")?,
        role: r.try_get("role")?,
        unit: r.try_get("unit_code")?,
        email: r.try_get("email")?,
        phone: r.try_get("phone")?,
        position: r.try_get("position")?,
        active: r.try_get::<i64, _>("active")? != 0,
    })
}
