//! `harta serve`: set up on first start, serve until SIGTERM or Ctrl-C, then finish in-flight
//! requests and write everything already accepted before exiting.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use harta_app::App;
use harta_app::files::Files;
use harta_app::letters::LetterSetup;
use harta_app::outbox::Delivery;
use harta_channels::mail::Outgoing;
use harta_web::mail::MailWords;
use jiff::Timestamp;
use tracing_subscriber::EnvFilter;

use crate::config::Settings;

fn init_logging() {
    let filter =
        EnvFilter::try_from_env("HARTA_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn"));
    let json = std::env::var("HARTA_LOG_FORMAT").is_ok_and(|f| f == "json");
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi);
    let _ = if json { builder.json().try_init() } else { builder.try_init() };
}

/// Runs the server.
pub async fn run(settings: &Settings, bind: Option<&str>) -> Result<()> {
    init_logging();
    let addr = settings.bind(bind)?;
    let (text, charter, catalogue) = settings.charter()?;
    let name = charter.administration.name.bg.clone();
    let db = settings.open_store().await?;
    let key = settings.secret_key()?;
    let (app, writer) =
        App::start(db.clone(), charter, catalogue, Files::new(&settings.data), key, Arc::new(Timestamp::now)).await?;
    if let Some(n) = settings.submissions_per_hour {
        app.set_submission_quota(n);
    }
    if let Some(seconds) = settings.job_lease_seconds {
        app.set_job_lease(jiff::SignedDuration::from_secs(i64::try_from(seconds).unwrap_or(3600)));
    }
    let first = app.set_up(&text).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    let addr = listener.local_addr().context("the listening address")?;
    let where_ = match &settings.database_url {
        Some(_) => "PostgreSQL (HARTA_DATABASE_URL)".to_string(),
        None => settings.sqlite_path().display().to_string(),
    };
    println!("harta serves {name} at http://{addr}/  (store: {where_})");
    match first {
        Some(login) => println!("{}", crate::first_login(&login)),
        None => println!(
            "Administrator login \"{}\" (its password was shown at the first start)",
            harta_app::administration::FIRST_ADMIN_LOGIN
        ),
    }

    let refresher = {
        let app = app.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            for second in 0u64.. {
                tick.tick().await;
                if let Err(e) = app.refresh_calendar().await {
                    tracing::warn!(error = %e, "calendar refresh failed");
                }
                if let Err(e) = app.refresh_charter().await {
                    tracing::warn!(error = %e, "charter refresh failed");
                }
                if let Err(e) = app.refresh_catalogue().await {
                    tracing::warn!(error = %e, "catalogue refresh failed");
                }
                // Each minute: the morning digests and reminders, once the day's hour has come.
                if second % 60 == 0
                    && let Err(e) = app.morning_run().await
                {
                    tracing::warn!(error = %e, "the morning run failed");
                }
                // At start and daily: a signed checkpoint of the audit trail leaves the database
                // through the log, so that cutting the trail's end can be found out.
                if second % 86_400 == 0 {
                    let operator = harta_app::Principal {
                        actor: harta_domain::case::Actor::System,
                        role: harta_app::Role::Auditor,
                        unit: None,
                    };
                    match app.audit_checkpoint(&operator).await {
                        Ok(line) => tracing::info!(checkpoint = %line, "audit trail checkpoint"),
                        Err(e) => tracing::warn!(error = %e, "the audit checkpoint failed"),
                    }
                }
                // Hourly: uploads of forms never sent, older than a day, are deleted.
                if second % 3600 == 0 {
                    match app.files().sweep(Duration::from_secs(24 * 3600)).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(removed = n, "old uploads swept"),
                        Err(e) => tracing::warn!(error = %e, "sweeping old uploads failed"),
                    }
                    if let Err(e) = app.sweep_counts().await {
                        tracing::warn!(error = %e, "sweeping old quota counts failed");
                    }
                }
            }
        })
    };
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    app.set_morning(settings.morning_at);
    app.set_letters(LetterSetup {
        typeset: harta_letters::Letters::shared(),
        public_url: public_url.clone(),
        fax_gateway: settings.fax_gateway.clone(),
    });
    let delivery = delivery(settings, &app.charter(), &public_url)?;
    let (stop_jobs, jobs_stopped) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn(run_jobs(app.clone(), delivery, jobs_stopped.clone()));
    let mailbox = match &settings.imap_url {
        Some(url) => {
            let mailbox = harta_channels::imap::Mailbox::parse(url, settings.imap_done_folder.as_deref())
                .context("HARTA_IMAP_URL is not usable")?;
            println!("Reading the mailbox {mailbox:?} for incoming letters");
            Some(tokio::spawn({
                let app = app.clone();
                async move { mailbox.run(app, jobs_stopped).await }
            }))
        }
        None => None,
    };
    let router = harta_web::router(app, settings.trusted_proxies.clone());
    serve_http(listener, router, shutdown_signal()).await;
    refresher.abort();
    let _ = refresher.await;
    // The job worker finishes the batch in hand (a mail half-sent is sent) and stops.
    let _ = stop_jobs.send(true);
    let _ = jobs.await;
    if let Some(mailbox) = mailbox {
        let _ = mailbox.await;
    }
    // The router (and with it every App clone) is gone: the registrar writes what it holds and
    // stops; only then is the store closed.
    writer.await.context("the registrar stopped abnormally")?;
    db.close().await;
    println!("harta stopped");
    Ok(())
}

/// How mail leaves: through the configured SMTP server, or into `DATA/mail/`.
fn delivery(settings: &Settings, charter: &harta_domain::charter::Charter, public_url: &str) -> Result<Delivery> {
    let admin = &charter.administration;
    let from = match &settings.mail_from {
        Some(from) => from.clone(),
        None => format!("\"{}\" <{}>", admin.name.bg.replace('"', "'"), admin.email.as_str()),
    };
    let mailer = match &settings.smtp_url {
        Some(url) => Outgoing::smtp(url, &from).context("HARTA_SMTP_URL (or smtp_url, or mail_from) is not usable")?,
        None => {
            let dir = settings.data.join("mail");
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            println!("No SMTP server configured (HARTA_SMTP_URL): mail is written to {}", dir.display());
            Outgoing::directory(&dir, &from).context("mail_from is not an address")?
        }
    };
    Ok(Delivery { mailer: Arc::new(mailer), compose: Arc::new(MailWords::new(public_url)) })
}

/// Does the jobs that are due, every second, until told to stop.
async fn run_jobs(app: App, delivery: Delivery, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        // A full batch means more may be due: take the next at once.
        loop {
            match app.run_jobs(&delivery).await {
                Ok(n) if n > 0 && !*stop.borrow() => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "running jobs failed");
                    break;
                }
            }
        }
    }
}

/// How long a client may take to send a request's headers before its connection is closed.
const HEADER_TIME: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` resolves, then lets the requests in flight
/// finish. hyper's own connection loop rather than `axum::serve`, because only it takes a timer
/// and so a deadline for the request headers: a client that sends them a byte at a time to
/// hold connections open ("slowloris") is cut off after [`HEADER_TIME`].
async fn serve_http(listener: tokio::net::TcpListener, router: axum::Router, shutdown: impl Future<Output = ()>) {
    use tower_service::Service as _;
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors, say: wait a moment rather than spin.
                Err(e) => {
                    tracing::warn!(error = %e, "a connection could not be accepted");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let mut router = router.clone();
            async move { router.call(request.map(axum::body::Body::new)).await }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_TIME);
        let connection = graceful.watch(builder.serve_connection(hyper_util::rt::TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
