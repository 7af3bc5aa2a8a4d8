//! Setting up an administration from its charter, and its first administrator.

use harta_store::admin::NewStaff;
pub use harta_store::admin::StaffRecord;

use crate::access::{Action, Principal, Role};
use crate::passwords;
use crate::{App, AppError, FieldError};

/// The first administrator's sign-in, shown once.
#[derive(Debug, Clone)]
pub struct FirstLogin {
    /// The login (employee number).
    pub login: String,
    /// The generated password.
    pub password: String,
}

/// The login of the administrator created on first start.
pub const FIRST_ADMIN_LOGIN: &str = "admin";

impl App {
    /// Brings the stored administration and units in line with the charter. On the very first
    /// start it also creates an administrator with a generated password, returned once.
    pub async fn set_up(&self, charter_text: &str) -> Result<Option<FirstLogin>, AppError> {
        let admin = &self.inner.admin;
        let first = !admin.is_set_up().await?;
        // A charter edited from the workspace stays in force over the file.
        self.refresh_charter().await?;
        admin.set_up(&self.charter(), charter_text, self.now()).await?;
        admin.set_key_check(&self.inner.key.check_value()).await?;
        self.seed_catalogue().await?;
        // Cases stored before the search index existed join it now.
        let mut indexed = 0;
        loop {
            let n = self.inner.cases.index_missing(5000).await?;
            if n == 0 {
                break;
            }
            indexed += n;
        }
        if indexed > 0 {
            tracing::info!(cases = indexed, "cases added to the search index");
        }
        if !first {
            return Ok(None);
        }
        let password = passwords::generate()?;
        let hash = passwords::hash(password.clone()).await?;
        let staff = NewStaff {
            employee_number: FIRST_ADMIN_LOGIN,
            name: "Администратор",
            role: Role::Administrator.as_str(),
            unit: None,
            email: None,
            phone: None,
            position: Some("системен администратор"),
            password_hash: Some(&hash),
        };
        admin.add_staff(&staff, self.now()).await?;
        Ok(Some(FirstLogin { login: FIRST_ADMIN_LOGIN.to_string(), password }))
    }
}

impl App {
    /// Activates or deactivates a member of staff (administrators; audited). A deactivated
    /// member cannot sign in, their sessions end, and they cannot be assigned cases.
    pub async fn set_staff_active(&self, who: &Principal, id: i64, active: bool) -> Result<(), AppError> {
        who.require(Action::ManageStaff)?;
        if !active {
            let staff = self.inner.admin.staff().await?;
            let administrator =
                |s: &&harta_store::admin::StaffRecord| s.active && s.role == Role::Administrator.as_str();
            let (target, others): (Vec<_>, Vec<_>) = staff.iter().filter(administrator).partition(|s| s.id == id);
            if !target.is_empty() && others.is_empty() {
                let why = "is the only active administrator: another must be there first";
                return Err(AppError::Invalid(vec![FieldError::new("active", why).with_code("last_administrator")]));
            }
        }
        if !self.inner.admin.set_active(id, active, self.now()).await? {
            return Err(AppError::NotFound(format!("staff {id}")));
        }
        let action = if active { "activate_staff" } else { "deactivate_staff" };
        self.inner.audit.record(self.now(), &who.audit_name(), action, &format!("staff:{id}"), "").await?;
        Ok(())
    }

    /// Sets a member's direct phone, e-mail and position, which every letter they issue
    /// carries (C19): administrators for anyone, every member for themselves. Each checked,
    /// all audited.
    pub async fn set_staff_contact(&self, who: &Principal, id: i64, input: &ContactInput) -> Result<(), AppError> {
        use harta_domain::identifiers::{Email, Phone};
        use harta_domain::text::Position;

        use crate::FieldError;
        let own = matches!(&who.actor, harta_domain::case::Actor::Staff { id: me } if me.0 == id);
        if !own && !who.may(Action::ManageStaff) {
            return Err(AppError::Forbidden("change another member's contact details"));
        }
        let mut errors = Vec::new();
        let phone = Some(input.phone.trim()).filter(|p| !p.is_empty()).map(Phone::parse).transpose();
        let phone = phone.map_err(|e| errors.push(FieldError::coded("phone", &e))).ok().flatten();
        let email = Some(input.email.trim()).filter(|e| !e.is_empty()).map(Email::parse).transpose();
        let email = email.map_err(|e| errors.push(FieldError::coded("email", &e))).ok().flatten();
        let position = Some(input.position.trim()).filter(|p| !p.is_empty()).map(Position::parse).transpose();
        let position = position.map_err(|e| errors.push(FieldError::coded("position", &e))).ok().flatten();
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let contact = harta_store::admin::StaffContact {
            phone: phone.as_ref().map(|p| p.as_str()),
            email: email.as_ref().map(|e| e.as_str()),
            position: position.as_ref().map(|p| p.as_str()),
        };
        if !self.inner.admin.set_contact(id, &contact).await? {
            return Err(AppError::NotFound(format!("staff {id}")));
        }
        self.inner
            .audit
            .record(self.now(), &who.audit_name(), "change_staff_contact", &format!("staff:{id}"), "")
            .await?;
        Ok(())
    }

    /// Gives a member of staff a new generated password (for a first sign-in, or one
    /// forgotten), returned once and to be changed at their next sign-in; administrators only,
    /// and audited. Their sessions end and the addresses stopped from signing in as them may
    /// try again.
    pub async fn reset_password(&self, who: &Principal, login: &str) -> Result<String, AppError> {
        who.require(Action::ManageStaff)?;
        let sessions = harta_store::sessions::Sessions::new(self.inner.db.clone());
        let staff = sessions.credentials(login).await?.ok_or_else(|| AppError::NotFound(format!("staff {login}")))?;
        let password = passwords::generate()?;
        let hash = passwords::hash(password.clone()).await?;
        sessions.set_temporary_password(staff.staff_id, &hash).await?;
        sessions.revoke_others(staff.staff_id, None, self.now()).await?;
        self.clear_sign_ins(who, staff.staff_id).await?;
        self.inner.audit.record(self.now(), &who.audit_name(), "reset_password", login, "").await?;
        Ok(password)
    }

    /// Forgets a member's second factor when their authenticator is lost (administrators
    /// only, audited): their sessions end, and at their next sign-in they enrol a new one.
    pub async fn reset_second_factor(&self, who: &Principal, login: &str) -> Result<(), AppError> {
        who.require(Action::ManageStaff)?;
        let sessions = harta_store::sessions::Sessions::new(self.inner.db.clone());
        let staff = sessions.credentials(login).await?.ok_or_else(|| AppError::NotFound(format!("staff {login}")))?;
        sessions.clear_totp(staff.staff_id).await?;
        sessions.revoke_others(staff.staff_id, None, self.now()).await?;
        self.inner.audit.record(self.now(), &who.audit_name(), "reset_second_factor", login, "").await?;
        Ok(())
    }
}

/// A member's contact details as typed: each may be left empty.
#[derive(Debug, Clone, Default)]
pub struct ContactInput {
    /// Direct telephone.
    pub phone: String,
    /// Work e-mail.
    pub email: String,
    /// Position (`главен експерт`).
    pub position: String,
}

/// A new member of staff, unchecked.
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    /// Employee number (unique).
    pub employee_number: Option<String>,
    /// Full name.
    pub name: Option<String>,
    /// Role name.
    pub role: Option<String>,
    /// Unit code (needed by unit-scoped roles).
    pub unit: Option<String>,
    /// Work e-mail.
    pub email: Option<String>,
    /// Direct telephone.
    pub phone: Option<String>,
    /// Position.
    pub position: Option<String>,
}

impl App {
    /// Adds a member of staff (administrators only); returns the id.
    pub async fn add_staff(&self, who: &crate::Principal, input: &StaffInput) -> Result<i64, AppError> {
        use harta_domain::identifiers::{Email, Phone};
        use harta_domain::text::{Name, Position};

        use crate::FieldError;
        who.require(Action::ManageStaff)?;
        let mut errors = Vec::new();
        let mut need =
            |field: &str, value: &Option<String>| match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                Some(v) => Some(v.to_string()),
                None => {
                    errors.push(FieldError::required(field));
                    None
                }
            };
        let number = need("employee_number", &input.employee_number);
        let name = need("name", &input.name);
        let role = need("role", &input.role);
        let name = name.and_then(|n| Name::parse(&n).map_err(|e| errors.push(FieldError::coded("name", &e))).ok());
        let role = role.and_then(|r| {
            let known: Vec<&str> = Role::ALL.iter().map(|r| r.as_str()).collect();
            Role::parse(&r).or_else(|| {
                errors.push(
                    FieldError::new("role", format!("\"{r}\" is not a role (one of: {})", known.join(", ")))
                        .with_code("unknown"),
                );
                None
            })
        });
        let unit = input.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
        if let Some(u) = unit
            && self.charter().unit(u).is_none()
        {
            errors.push(FieldError::new("unit", format!("there is no unit {u}")).with_code("unknown"));
        }
        if role.is_some_and(|r| r.is_unit_scoped()) && unit.is_none() {
            errors.push(FieldError::new("unit", "this role needs a unit").with_code("required"));
        }
        let email = input.email.as_deref().filter(|e| !e.trim().is_empty()).map(Email::parse).transpose();
        let email = email.map_err(|e| errors.push(FieldError::coded("email", &e))).ok().flatten();
        let phone = input.phone.as_deref().filter(|p| !p.trim().is_empty()).map(Phone::parse).transpose();
        let phone = phone.map_err(|e| errors.push(FieldError::coded("phone", &e))).ok().flatten();
        let position = input.position.as_deref().filter(|p| !p.trim().is_empty()).map(Position::parse).transpose();
        let position = position.map_err(|e| errors.push(FieldError::coded("position", &e))).ok().flatten();
        let (Some(number), Some(name), Some(role)) = (number, name, role) else {
            return Err(AppError::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        let staff = NewStaff {
            employee_number: &number,
            name: name.as_str(),
            role: role.as_str(),
            unit,
            email: email.as_ref().map(|e| e.as_str()),
            phone: phone.as_ref().map(|p| p.as_str()),
            position: position.as_ref().map(|p| p.as_str()),
            password_hash: None,
        };
        let id = self.inner.admin.add_staff(&staff, self.now()).await.map_err(|e| match e {
            harta_store::StoreError::Duplicate(_) => AppError::Invalid(vec![
                FieldError::new("employee_number", format!("{number} is already in the directory")).with_code("taken"),
            ]),
            other => other.into(),
        })?;
        self.inner.audit.record(self.now(), &who.audit_name(), "add_staff", &format!("staff:{id}"), &number).await?;
        Ok(id)
    }

    /// The staff directory.
    pub async fn staff(&self) -> Result<Vec<harta_store::admin::StaffRecord>, AppError> {
        Ok(self.inner.admin.staff().await?)
    }

    /// The staff directory for a download (CSV, XLSX), recorded in the audit trail.
    pub async fn export_staff(&self, who: &Principal) -> Result<Vec<harta_store::admin::StaffRecord>, AppError> {
        let staff = self.inner.admin.staff().await?;
        let detail = format!("{} members", staff.len());
        self.inner.audit.record(self.now(), &who.audit_name(), "export_directory", "directory", &detail).await?;
        Ok(staff)
    }

    /// One member of staff, if there is one with this id.
    pub async fn staff_member(&self, id: i64) -> Result<Option<harta_store::admin::StaffRecord>, AppError> {
        Ok(self.inner.admin.member(id).await?)
    }
}
