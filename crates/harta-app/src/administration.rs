//! Setting up an administration from its charter, and its first administrator.

use harta_store::admin::NewStaff;

use crate::access::Role;
use crate::passwords;
use crate::{App, AppError};

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
        admin.set_up(self.charter(), charter_text, self.now()).await?;
        if !first {
            return Ok(None);
        }
        let password = passwords::generate().map_err(|e| AppError::Conflict(e.to_string()))?;
        let hash = passwords::hash(password.clone()).await.map_err(|e| AppError::Conflict(e.to_string()))?;
        let staff = NewStaff {
            employee_number: FIRST_ADMIN_LOGIN,
            name: "Администратор",
            role: Role::Administrator.as_str(),
            unit: None,
            email: None,
            phone: None,
            password_hash: Some(&hash),
        };
        admin.add_staff(&staff, self.now()).await?;
        Ok(Some(FirstLogin { login: FIRST_ADMIN_LOGIN.to_string(), password }))
    }
}
