//! The catalogue of services in force: read from the store (where staff edit it), filled from
//! the catalogue file on first start, and noticed when another replica changes it.

use std::sync::{Arc, PoisonError, RwLock};

use harta_domain::catalogue::{Catalogue, Service};
use harta_domain::charter::Charter;
use harta_store::services::Services;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// The catalogue as last read, with the store's version of it.
pub(crate) struct CatalogueCache {
    current: RwLock<(Arc<Catalogue>, (i64, i64))>,
}

impl CatalogueCache {
    /// The stored catalogue, or `file` while the store has none.
    pub(crate) async fn load(services: &Services, charter: &Charter, file: Catalogue) -> Result<Self, AppError> {
        let version = services.version().await?;
        let catalogue = if version.0 == 0 { file } else { read(services, charter).await? };
        Ok(Self { current: RwLock::new((Arc::new(catalogue), version)) })
    }

    fn get(&self) -> Arc<Catalogue> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).0.clone()
    }

    fn set(&self, catalogue: Catalogue, version: (i64, i64)) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = (Arc::new(catalogue), version);
    }

    fn version(&self) -> (i64, i64) {
        self.current.read().unwrap_or_else(PoisonError::into_inner).1
    }
}

/// Every stored service, checked against the charter as it is now; one that no longer fits
/// (its unit was removed) is left out with a warning rather than stopping the site.
async fn read(services: &Services, charter: &Charter) -> Result<Catalogue, AppError> {
    let mut list = Vec::new();
    for json in services.all().await? {
        let mut from = serde_json::Deserializer::from_str(&json);
        match Service::deserialize_checked(&mut from, charter) {
            Ok(s) => list.push(s),
            Err(e) => {
                let why: Vec<String> = e.iter().map(ToString::to_string).collect();
                tracing::warn!(error = %why.join("; "), "a stored service is left out of the catalogue");
            }
        }
    }
    Ok(Catalogue::new(list))
}

impl App {
    /// The catalogue in force.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.inner.catalogue.get()
    }

    /// Fills the store from the catalogue file the first time (so staff edit from there on).
    pub(crate) async fn seed_catalogue(&self) -> Result<(), AppError> {
        let services = &self.inner.services;
        if services.version().await?.0 > 0 {
            return self.migrate_catalogue().await;
        }
        let now = self.now();
        for s in self.catalogue().services() {
            services.put(&s.code, &to_json(s)?, now, "system").await?;
        }
        self.refresh_catalogue().await
    }

    /// Writes back, in the current shape, every stored service that was read from an older one
    /// (fees in leva as words, before tiers), so the store holds what the site shows.
    async fn migrate_catalogue(&self) -> Result<(), AppError> {
        let services = &self.inner.services;
        let charter = self.charter();
        let now = self.now();
        let mut migrated = 0;
        for json in services.all().await? {
            let mut from = serde_json::Deserializer::from_str(&json);
            let Ok(service) = Service::deserialize_checked(&mut from, &charter) else { continue };
            let current = to_json(&service)?;
            let stored: Option<serde_json::Value> = serde_json::from_str(&json).ok();
            if stored != serde_json::from_str(&current).ok() {
                services.put(&service.code, &current, now, "system").await?;
                migrated += 1;
            }
        }
        if migrated > 0 {
            tracing::info!(services = migrated, "stored services rewritten with tiers and fees in euro");
            self.refresh_catalogue().await?;
        }
        Ok(())
    }

    /// Re-reads the catalogue if the store's changed (run every second by the server, so an
    /// edit on one replica shows on all).
    pub async fn refresh_catalogue(&self) -> Result<(), AppError> {
        let version = self.inner.services.version().await?;
        if version != self.inner.catalogue.version() && version.0 > 0 {
            let catalogue = read(&self.inner.services, &self.charter()).await?;
            self.inner.catalogue.set(catalogue, version);
        }
        Ok(())
    }

    /// Adds or replaces a service (administrators and managers). `service` is in the catalogue
    /// file's shape; every field is checked as at start-up, and the audit trail records who.
    pub async fn put_service(&self, who: &Principal, service: Service) -> Result<(), AppError> {
        who.require(Action::EditCatalogue)?;
        let now = self.now();
        self.inner.services.put(&service.code, &to_json(&service)?, now, &who.audit_name()).await?;
        self.inner
            .audit
            .record(now, &who.audit_name(), "put_service", &format!("service {}", service.code), "")
            .await?;
        self.refresh_catalogue().await
    }

    /// Checks a service as sent (any serde format), with errors named by field; for those who
    /// may edit the catalogue only, so nobody else learns anything from the checks.
    pub fn check_service<'de, D: serde::Deserializer<'de>>(
        &self,
        who: &Principal,
        from: D,
    ) -> Result<Service, AppError> {
        who.require(Action::EditCatalogue)?;
        Service::deserialize_checked(from, &self.charter()).map_err(|e| {
            AppError::Invalid(e.into_iter().map(|e| FieldError::new(e.field, e.message).with_code(e.code)).collect())
        })
    }
}

fn to_json(service: &Service) -> Result<String, AppError> {
    serde_json::to_string(service).map_err(AppError::internal)
}
