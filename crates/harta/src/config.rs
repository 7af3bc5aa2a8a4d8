//! Settings: command-line flags over `HARTA_*` environment variables over the config file over
//! defaults. Every subcommand resolves them the same way, so `harta admin …` works on the store
//! that `harta serve` uses.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use harta_app::secrets::PersonalDataKey;
use harta_domain::catalogue::Catalogue;
use harta_domain::charter::Charter;
use harta_store::{Db, Sizing};
use serde::Deserialize;

/// The charter shipped with harta, used when no other is configured.
pub const DEFAULT_CHARTER: &str = include_str!("../../../charters/krasno-selo.toml");
/// The catalogue of services shipped with harta, used when no other is configured.
pub const DEFAULT_CATALOGUE: &str = include_str!("../../../charters/krasno-selo.services.toml");

/// The flags every subcommand shares.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Directory for the SQLite store and the secret key [default: ./data]
    #[arg(long, global = true, env = "HARTA_DATA", value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// harta's configuration file (TOML: bind, data, database_url, charter, catalogue)
    #[arg(long, global = true, env = "HARTA_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// The configuration file's keys (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    bind: Option<String>,
    data: Option<PathBuf>,
    database_url: Option<String>,
    charter: Option<PathBuf>,
    catalogue: Option<PathBuf>,
    submissions_per_hour: Option<u32>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    fax_gateway: Option<String>,
    imap_url: Option<String>,
    imap_done_folder: Option<String>,
    morning_at: Option<String>,
    public_url: Option<String>,
    trusted_proxies: Option<String>,
}

/// A whole number from an environment variable `name`, of `what`, within `range`.
fn within(value: Option<String>, name: &str, what: &str, range: std::ops::RangeInclusive<u32>) -> Result<Option<u32>> {
    match value {
        Some(v) => match v.trim().parse::<u32>() {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => bail!("{name}: \"{v}\" is not a number of {what} from {} to {}", range.start(), range.end()),
        },
        None => Ok(None),
    }
}

/// A configured file's name and text, or the built-in one's.
fn read_or(path: Option<&std::path::Path>, shipped: &str, text: &str) -> Result<(String, String)> {
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
            Ok((path.display().to_string(), text))
        }
        None => Ok((format!("{shipped} (built in)"), text.to_string())),
    }
}

/// Resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The data directory.
    pub data: PathBuf,
    /// `postgres://…` to use PostgreSQL instead of the SQLite file.
    pub database_url: Option<String>,
    /// Where to listen, unless `--bind` says otherwise.
    pub bind: Option<String>,
    /// The charter file, if not the shipped one.
    pub charter: Option<PathBuf>,
    /// The service catalogue file, if not the shipped one.
    pub catalogue: Option<PathBuf>,
    /// Online submissions one address may send in an hour.
    pub submissions_per_hour: Option<u32>,
    /// How long a claimed job is a worker's alone (`HARTA_JOB_LEASE`, seconds, 5 to 3600).
    pub job_lease_seconds: Option<u64>,
    /// SQLite's page cache in MiB (`HARTA_DB_CACHE_MIB`, 2 to 65536).
    pub db_cache_mib: Option<u32>,
    /// The store's connections (`HARTA_DB_CONNECTIONS`, 2 to 256).
    pub db_connections: Option<u32>,
    /// The SMTP server for mail out (`smtp://host:587`, `smtps://user:password@host`); without
    /// one, mail is written into `DATA/mail/` as `.eml` files.
    pub smtp_url: Option<String>,
    /// The sender of mail; the charter's e-mail address under the administration's name if unset.
    pub mail_from: Option<String>,
    /// When the morning digests and reminders go out, Sofia time, on working days.
    pub morning_at: jiff::civil::Time,
    /// The administration's mailbox, read for incoming letters (`imaps://user:password@host/INBOX`).
    pub imap_url: Option<String>,
    /// Where taken messages are moved; they are flagged in place if unset.
    pub imap_done_folder: Option<String>,
    /// The e-mail-to-fax gateway, `{number}` standing for the fax number's digits
    /// (`{number}@fax.example.bg`); without one, letters for fax are not delivered.
    pub fax_gateway: Option<String>,
    /// The public site's address as citizens reach it, for links in mail; the listening address
    /// if unset.
    pub public_url: Option<String>,
    /// The proxies whose `Forwarded` / `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: harta_web::TrustedProxies,
}

impl Settings {
    /// Resolves the settings.
    pub fn resolve(common: &Common) -> Result<Self> {
        let file = match &common.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.to_string().trim()))?
            }
            None => FileConfig::default(),
        };
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        Ok(Self {
            data: common.data.clone().or(file.data).unwrap_or_else(|| PathBuf::from("data")),
            database_url: env("HARTA_DATABASE_URL").or(file.database_url),
            bind: env("HARTA_BIND").or(file.bind),
            charter: env("HARTA_CHARTER").map(PathBuf::from).or(file.charter),
            catalogue: env("HARTA_CATALOGUE").map(PathBuf::from).or(file.catalogue),
            submissions_per_hour: match env("HARTA_SUBMISSIONS_PER_HOUR") {
                Some(v) => Some(
                    v.trim()
                        .parse()
                        .with_context(|| format!("HARTA_SUBMISSIONS_PER_HOUR: \"{v}\" is not a whole number"))?,
                ),
                None => file.submissions_per_hour,
            },
            job_lease_seconds: within(env("HARTA_JOB_LEASE"), "HARTA_JOB_LEASE", "seconds", 5..=3600)?.map(u64::from),
            db_cache_mib: within(env("HARTA_DB_CACHE_MIB"), "HARTA_DB_CACHE_MIB", "MiB", 2..=65536)?,
            db_connections: within(env("HARTA_DB_CONNECTIONS"), "HARTA_DB_CONNECTIONS", "connections", 2..=256)?,
            smtp_url: env("HARTA_SMTP_URL").or(file.smtp_url),
            mail_from: env("HARTA_MAIL_FROM").or(file.mail_from),
            morning_at: match env("HARTA_MORNING_AT").or(file.morning_at) {
                Some(t) => t
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("HARTA_MORNING_AT: \"{t}\" is not a time of day such as 08:00"))?,
                None => harta_app::morning::DEFAULT_MORNING,
            },
            imap_url: env("HARTA_IMAP_URL").or(file.imap_url),
            imap_done_folder: env("HARTA_IMAP_DONE_FOLDER").or(file.imap_done_folder),
            fax_gateway: match env("HARTA_FAX_GATEWAY").or(file.fax_gateway) {
                Some(g) if !g.contains("{number}") || !g.contains('@') => {
                    bail!(
                        "HARTA_FAX_GATEWAY: \"{g}\" must be an address with {{number}} in it, such as {{number}}@fax.example.bg"
                    )
                }
                other => other,
            },
            public_url: env("HARTA_PUBLIC_URL").or(file.public_url),
            trusted_proxies: match env("HARTA_TRUSTED_PROXIES").or(file.trusted_proxies) {
                Some(list) => harta_web::TrustedProxies::parse(&list)
                    .map_err(|e| anyhow::anyhow!("HARTA_TRUSTED_PROXIES: {e}"))?,
                None => harta_web::TrustedProxies::none(),
            },
        })
    }

    /// The charter text, its checked form and the checked service catalogue; a wrong value
    /// stops here with the file and field.
    pub fn charter(&self) -> Result<(String, Charter, Catalogue)> {
        let (name, text) = read_or(self.charter.as_deref(), "charters/krasno-selo.toml", DEFAULT_CHARTER)?;
        let charter = Charter::from_toml(&text).map_err(|e| anyhow::anyhow!("{name}: {}: {}", e.field, e.message))?;
        let (name, services) =
            read_or(self.catalogue.as_deref(), "charters/krasno-selo.services.toml", DEFAULT_CATALOGUE)?;
        let catalogue = Catalogue::from_toml(&services, &charter)
            .map_err(|e| anyhow::anyhow!("{name}: {}: {}", e.field, e.message))?;
        Ok((text, charter, catalogue))
    }

    /// Where to listen: `--bind`, then the environment and file, then 127.0.0.1:8080.
    pub fn bind(&self, flag: Option<&str>) -> Result<SocketAddr> {
        let text = flag.or(self.bind.as_deref()).unwrap_or("127.0.0.1:8080");
        text.parse().with_context(|| format!("--bind: \"{text}\" is not an address such as 127.0.0.1:8080"))
    }

    /// Opens and migrates the store.
    pub async fn open_store(&self) -> Result<Db> {
        let db = match &self.database_url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                let sizing = Sizing {
                    connections: self.db_connections.unwrap_or(Sizing::POSTGRES.connections),
                    ..Sizing::POSTGRES
                };
                Db::open_postgres_sized(url, sizing)
                    .await
                    .context("cannot connect to PostgreSQL (HARTA_DATABASE_URL)")?
            }
            Some(url) => {
                bail!("HARTA_DATABASE_URL must start with postgres://, not {:?}", url.split(':').next().unwrap_or(""))
            }
            None => {
                private_dir(&self.data)?;
                let path = self.sqlite_path();
                let sizing = Sizing {
                    cache_mib: self.db_cache_mib.unwrap_or(Sizing::SQLITE.cache_mib),
                    connections: self.db_connections.unwrap_or(Sizing::SQLITE.connections),
                };
                Db::open_sqlite_sized(&path, sizing).await.with_context(|| format!("cannot open {}", path.display()))?
            }
        };
        db.migrate().await.context("cannot apply the database migrations")?;
        Ok(db)
    }

    /// The SQLite file.
    pub fn sqlite_path(&self) -> PathBuf {
        self.data.join("harta.db")
    }

    /// Whether a store already exists (so that read-only commands need not create one).
    pub fn store_exists(&self) -> bool {
        self.database_url.is_some() || self.sqlite_path().exists()
    }

    /// The key for personal numbers: `HARTA_SECRET_KEY`, else `DATA/secret.key`, created on
    /// first use (readable by the owner only). Replicas on PostgreSQL must share one key:
    /// set `HARTA_SECRET_KEY` on each.
    pub fn secret_key(&self) -> Result<PersonalDataKey> {
        if let Ok(text) = std::env::var("HARTA_SECRET_KEY") {
            return PersonalDataKey::from_hex(&text).context("HARTA_SECRET_KEY");
        }
        let path = self.data.join("secret.key");
        if !path.exists() {
            private_dir(&self.data)?;
            write_private(&path, &PersonalDataKey::generate()?)?;
        }
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        PersonalDataKey::from_hex(&text).with_context(|| path.display().to_string())
    }
}

/// The data directory, created if needed and made its owner's alone (0700), also when an
/// earlier version left it readable by others.
fn private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", dir.display()))?;
    }
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot create {}", path.display()))
}
