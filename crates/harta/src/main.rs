//! The `harta` binary: serve, migrate, administer, inspect the calendar, seed demo data.

use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use clap::{Parser, Subcommand};
use harta_app::administration::StaffInput;
use harta_app::calendar::DecisionInput;
use harta_app::files::Files;
use harta_app::{App, Principal, Role};
use harta_domain::case::Actor;
use harta_store::audit::Verdict;
use jiff::Timestamp;

/// Writes a command's output line. A reader that went away (`harta admin calendar list | head
/// -2`) is no error: the command stops there, quietly, as Unix tools do, instead of panicking
/// as `println!` does.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        if let Err(e) = writeln!(stdout, $($arg)*).and_then(|()| stdout.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                std::process::exit(0);
            }
            return Err(anyhow::Error::from(e).context("cannot write the output"));
        }
    }};
}

mod backup;
mod calendar_cmd;
mod config;
mod demo;
mod serve;

use config::{Common, Settings};

/// harta: a municipality's citizen service that keeps its Client Charter.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (and, on first start, set up the administration from its charter).
    Serve {
        /// Address to listen on [default: 127.0.0.1:8080]
        #[arg(long, value_name = "ADDR")]
        bind: Option<String>,
    },
    /// Apply the database migrations and exit.
    Migrate,
    /// Copy the store (consistently, while harta runs), the secret key and the documents into
    /// a new directory, with a manifest of checksums.
    Backup {
        /// The backup's directory (new or empty).
        dir: std::path::PathBuf,
    },
    /// Bring a backup back into an empty data directory, after checking its checksums.
    Restore {
        /// The backup's directory.
        dir: std::path::PathBuf,
    },
    /// Administration: API tokens, the calendar.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The Bulgarian working-day calendar: `harta calendar 2026`, `harta calendar due 2025-12-22 10`.
    #[command(args_conflicts_with_subcommands = true)]
    Calendar {
        /// The year to show.
        year: Option<String>,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        #[command(subcommand)]
        command: Option<CalendarCommand>,
    },
    /// Demo data.
    Demo {
        #[command(subcommand)]
        command: DemoCommand,
    },
    /// Reports: `harta report annual 2026 --pdf report.pdf`.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// The annual report on administrative service for a year, as a PDF.
    Annual {
        /// The year (YYYY).
        year: String,
        /// The PDF file to write.
        #[arg(long, value_name = "FILE")]
        pdf: std::path::PathBuf,
        /// The report's language: bg (the default) or en.
        #[arg(long, default_value = "bg")]
        lang: String,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Council of Ministers decisions (days off, worked Saturdays).
    Calendar {
        #[command(subcommand)]
        command: DecisionCommand,
    },
    /// The staff directory.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// The audit trail of reads and changes of personal data.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The charter in force (administrators also edit it at /staff/charter).
    Charter {
        #[command(subcommand)]
        command: CharterCommand,
    },
    /// The jobs harta runs after a change (mail, faxes): also at /staff/jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
}

#[derive(Debug, Subcommand)]
enum JobsCommand {
    /// List jobs, newest first: the failed ones unless told otherwise.
    List {
        /// failed, waiting or all
        #[arg(long, default_value = "failed")]
        show: String,
    },
    /// Run a failed job again now (its letter's delivery waits again).
    Retry {
        /// The job's id, as `list` prints it.
        id: i64,
    },
    /// Cancel a job that has not finished (its letter shows as not delivered).
    Cancel {
        /// The job's id.
        id: i64,
    },
}

#[derive(Debug, Subcommand)]
enum CharterCommand {
    /// Put a charter file in force, checked as at start-up (running servers take it up within a
    /// second). Once a charter was edited in the workspace, this is how a file wins again.
    Load {
        /// The charter file (TOML).
        file: std::path::PathBuf,
    },
    /// Print the charter in force.
    Show,
}

#[derive(Debug, Subcommand)]
enum StaffCommand {
    /// Add a member of staff and print their id (what `assigned` events name).
    Add {
        /// Employee number (unique).
        #[arg(long)]
        employee_number: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// counter_clerk, case_officer, head_of_unit, mayors_secretary, manager, administrator, auditor
        #[arg(long)]
        role: String,
        /// Unit code (needed by case_officer, head_of_unit and mayors_secretary).
        #[arg(long)]
        unit: Option<String>,
        /// Work e-mail.
        #[arg(long)]
        email: Option<String>,
        /// Direct telephone.
        #[arg(long)]
        phone: Option<String>,
        /// Position, as it stands under their signature on letters (`главен експерт`).
        #[arg(long)]
        position: Option<String>,
    },
    /// List the staff directory.
    List,
    /// Give a member of staff a new generated password and print it (shown only now).
    ResetPassword {
        /// Their employee number (their login).
        employee_number: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the trail's keyed chain: any edited, deleted or inserted entry is reported; with a
    /// checkpoint, also entries cut off the end up to it.
    Verify {
        /// A checkpoint printed by `harta admin audit checkpoint` (and logged daily).
        #[arg(long)]
        checkpoint: Option<std::path::PathBuf>,
    },
    /// Print a signed checkpoint of the trail as it stands; keep it outside the database.
    Checkpoint,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create a token and print it (it is stored only as a hash and cannot be shown again).
    Create {
        /// counter_clerk, case_officer, head_of_unit, mayors_secretary, manager, administrator, auditor
        #[arg(long)]
        role: String,
        /// The unit code (needed by case_officer, head_of_unit and mayors_secretary).
        #[arg(long)]
        unit: Option<String>,
        /// What the token is for.
        #[arg(long, default_value = "API token")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
enum DecisionCommand {
    /// Add a decision; open cases whose deadline it moves are recomputed, each with an event.
    Add {
        /// The day concerned (YYYY-MM-DD).
        date: String,
        /// day_off or working_day
        #[arg(long, default_value = "day_off")]
        kind: String,
        /// The decision's number (e.g. 808).
        #[arg(long)]
        number: Option<String>,
        /// The date of the decision (YYYY-MM-DD).
        #[arg(long)]
        decided_on: Option<String>,
        /// A note.
        #[arg(long)]
        note: Option<String>,
    },
    /// Remove a decision added by mistake; deadlines move back.
    Remove {
        /// The day concerned (YYYY-MM-DD).
        date: String,
    },
    /// List the decisions added at run time.
    List,
}

#[derive(Debug, Subcommand)]
enum CalendarCommand {
    /// The due date N working days after a date of receipt.
    #[command(allow_negative_numbers = true)]
    Due {
        /// The date of receipt (YYYY-MM-DD).
        date: String,
        /// Working days (1–10000).
        n: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum DemoCommand {
    /// Fill the store with realistic cases for trying harta and for the benchmarks.
    Seed {
        /// How many cases.
        #[arg(long, default_value_t = 10_000)]
        cases: u64,
    },
}

fn main() -> std::process::ExitCode {
    // Everything harta creates (the store and its WAL, the key, uploads, documents, mail) is
    // its owner's alone: files 0600, directories 0700.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The line that shows the first administrator's login, once. Commands whose standard output
/// scripts read print it on standard error.
pub fn first_login(login: &harta_app::administration::FirstLogin) -> String {
    format!(
        "First start: administrator login \"{}\", password \"{}\" (shown only now; keep it safe)",
        login.login, login.password
    )
}

/// The operator at the command line: an administrator.
fn operator() -> Principal {
    Principal { actor: Actor::System, role: Role::Administrator, unit: None }
}

async fn app(settings: &Settings) -> Result<(App, tokio::task::JoinHandle<()>, String)> {
    let (text, charter, catalogue) = settings.charter()?;
    let db = settings.open_store().await?;
    let key = settings.secret_key()?;
    let (app, writer) =
        App::start(db, charter, catalogue, Files::new(&settings.data), key, Arc::new(Timestamp::now)).await?;
    Ok((app, writer, text))
}

async fn run(cli: Cli) -> Result<()> {
    let settings = Settings::resolve(&cli.common)?;
    match cli.command {
        Command::Serve { bind } => serve::run(&settings, bind.as_deref()).await,
        Command::Backup { dir } => backup::backup(&settings, &dir).await,
        Command::Restore { dir } => backup::restore(&settings, &dir),
        Command::Migrate => {
            let db = settings.open_store().await?;
            outln!("migrations applied ({})", db.backend());
            db.close().await;
            Ok(())
        }
        Command::Admin { command } => {
            let (app, writer, text) = app(&settings).await?;
            if let Some(login) = app.set_up(&text).await? {
                // The store was new: the administrator's password must not be lost.
                eprintln!("{}", first_login(&login));
            }
            let result = admin(&app, command).await;
            let db = app.db().clone();
            drop(app);
            let _ = writer.await;
            db.close().await;
            result
        }
        Command::Calendar { year, json, command } => calendar(&settings, year, json, command).await,
        Command::Demo { command: DemoCommand::Seed { cases } } => demo::seed(&settings, cases).await,
        Command::Report { command: ReportCommand::Annual { year, pdf, lang } } => {
            let lang = harta_web::i18n::Lang::parse(&lang).context("--lang must be bg or en")?;
            let (app, writer, text) = app(&settings).await?;
            if let Some(login) = app.set_up(&text).await? {
                eprintln!("{}", first_login(&login));
            }
            app.set_letters(harta_app::letters::LetterSetup {
                typeset: harta_letters::Letters::shared(),
                public_url: String::new(),
                fax_gateway: None,
            });
            let made = async {
                let figures = app.annual_figures(&operator(), &year).await.map_err(app_error)?;
                let report = harta_web::report::annual(&app, lang, &figures);
                let bytes = app.report_pdf(report).await.map_err(app_error)?;
                std::fs::write(&pdf, &bytes).with_context(|| format!("cannot write {}", pdf.display()))?;
                outln!("wrote the annual report for {} to {} ({} bytes)", figures.year, pdf.display(), bytes.len());
                Ok::<(), anyhow::Error>(())
            }
            .await;
            let db = app.db().clone();
            drop(app);
            let _ = writer.await;
            db.close().await;
            made
        }
    }
}

async fn admin(app: &App, command: AdminCommand) -> Result<()> {
    match command {
        AdminCommand::Token { command: TokenCommand::Create { role, unit, label } } => {
            // The same audited use case as the workspace's.
            let token = app.issue_token(&operator(), &role, unit.as_deref(), &label).await.map_err(app_error)?;
            outln!("{token}");
            Ok(())
        }
        AdminCommand::Calendar { command: DecisionCommand::Add { date, kind, number, decided_on, note } } => {
            let input = DecisionInput { date: Some(date), kind: Some(kind), number, decided_on, note };
            let done = app.add_decision(&operator(), &input).await.map_err(app_error)?;
            report_moved(&done.moved)?;
            Ok(())
        }
        AdminCommand::Calendar { command: DecisionCommand::Remove { date } } => {
            let done = app.remove_decision(&operator(), &date).await.map_err(app_error)?;
            report_moved(&done.moved)?;
            Ok(())
        }
        AdminCommand::Staff {
            command: StaffCommand::Add { employee_number, name, role, unit, email, phone, position },
        } => {
            let input = StaffInput {
                employee_number: Some(employee_number),
                name: Some(name),
                role: Some(role),
                unit,
                email,
                phone,
                position,
            };
            outln!("{}", app.add_staff(&operator(), &input).await.map_err(app_error)?);
            Ok(())
        }
        AdminCommand::Staff { command: StaffCommand::ResetPassword { employee_number } } => {
            outln!("{}", app.reset_password(&operator(), &employee_number).await.map_err(app_error)?);
            Ok(())
        }
        AdminCommand::Staff { command: StaffCommand::List } => {
            for s in app.staff().await? {
                let unit = s.unit.as_deref().unwrap_or("-");
                let active = if s.active { "" } else { "  (inactive)" };
                outln!("{:>5}  {:<10}  {:<18}  {:<8}  {}{active}", s.id, s.employee_number, s.role, unit, s.name);
            }
            Ok(())
        }
        AdminCommand::Audit { command: AuditCommand::Verify { checkpoint } } => {
            let text = match &checkpoint {
                Some(file) => {
                    Some(std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?)
                }
                None => None,
            };
            match app.verify_audit_against(&operator(), text.as_deref()).await.map_err(app_error)? {
                Verdict::Intact { entries } => {
                    outln!("audit trail intact: {entries} entries");
                    Ok(())
                }
                Verdict::Broken { at, why } => Err(anyhow!("audit trail broken at entry {at}: {why}")),
            }
        }
        AdminCommand::Audit { command: AuditCommand::Checkpoint } => {
            outln!("{}", app.audit_checkpoint(&operator()).await.map_err(app_error)?);
            Ok(())
        }
        AdminCommand::Charter { command: CharterCommand::Load { file } } => {
            let text = std::fs::read_to_string(&file).with_context(|| format!("cannot read {}", file.display()))?;
            app.update_charter(&operator(), &text, None).await.map_err(app_error)?;
            outln!("{} is in force", file.display());
            Ok(())
        }
        AdminCommand::Charter { command: CharterCommand::Show } => {
            outln!("{}", app.charter_text(&operator()).await.map_err(app_error)?.trim_end_matches('\n'));
            Ok(())
        }
        AdminCommand::Jobs { command: JobsCommand::List { show } } => {
            let filter = match show.as_str() {
                "failed" => harta_app::delivering::JobFilter::Failed,
                "waiting" => harta_app::delivering::JobFilter::Waiting,
                "all" => harta_app::delivering::JobFilter::All,
                other => anyhow::bail!("--show: \"{other}\" is not one of failed, waiting, all"),
            };
            for j in app.jobs(&operator(), filter).await.map_err(app_error)? {
                let state = j.outcome.as_deref().unwrap_or("waiting");
                let case = j.registry_number.as_deref().unwrap_or("-");
                let error = j.last_error.as_deref().unwrap_or("");
                outln!(
                    "{}  {:<11}  {:<9}  {}  attempts {}  {}  {}",
                    j.id,
                    j.kind,
                    state,
                    case,
                    j.attempts,
                    j.created_at,
                    error
                );
            }
            Ok(())
        }
        AdminCommand::Jobs { command: JobsCommand::Retry { id } } => {
            app.retry_job(&operator(), id).await.map_err(app_error)?;
            outln!("job {id} will run again now");
            Ok(())
        }
        AdminCommand::Jobs { command: JobsCommand::Cancel { id } } => {
            app.cancel_job(&operator(), id).await.map_err(app_error)?;
            outln!("job {id} cancelled");
            Ok(())
        }
        AdminCommand::Calendar { command: DecisionCommand::List } => {
            for d in app.added_decisions().await? {
                let decision = &d.decision;
                outln!("{}  {:<11}  {}  {}", decision.date, decision.kind.as_str(), decision.citation(), decision.note);
            }
            Ok(())
        }
    }
}

fn report_moved(moved: &[(String, jiff::civil::Date, jiff::civil::Date)]) -> Result<()> {
    outln!("{} open case(s) recomputed", moved.len());
    for (number, from, to) in moved {
        outln!("  {number}: {from} -> {to}");
    }
    Ok(())
}

/// Field errors read well on a terminal as `field: message` lines.
fn app_error(e: harta_app::AppError) -> anyhow::Error {
    match e {
        harta_app::AppError::Invalid(fields) => {
            anyhow!(fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("; "))
        }
        other => anyhow!(other),
    }
}

async fn calendar(
    settings: &Settings,
    year: Option<String>,
    json: bool,
    command: Option<CalendarCommand>,
) -> Result<()> {
    // The decisions added at run time live in the store; without a store, the shipped ones hold.
    let cal = if settings.store_exists() {
        let db = settings.open_store().await?;
        let cache = harta_store::calendar::CalendarCache::load(&db).await?;
        db.close().await;
        cache.current()
    } else {
        Arc::new(harta_domain::calendar::Calendar::shipped()?)
    };
    match (year, command) {
        (Some(year), None) => {
            let year = calendar_cmd::parse_year(&year)?;
            if json {
                outln!("{}", calendar_cmd::year_json(&cal, year)?);
            } else {
                outln!("{}", calendar_cmd::year_table(&cal, year)?.trim_end_matches('\n'));
            }
        }
        (None, Some(CalendarCommand::Due { date, n, json })) => {
            let received = calendar_cmd::parse_date(&date)?;
            let n = calendar_cmd::parse_count(&n)?;
            let due = cal.add_working_days(received, n).context("cannot compute the due date")?;
            if json {
                outln!(
                    "{}",
                    serde_json::json!({ "received": received.to_string(), "working_days": n.get(), "due": due.to_string() })
                );
            } else {
                outln!("{due}");
            }
        }
        _ => return Err(anyhow!("give a year (harta calendar 2026) or: harta calendar due DATE N")),
    }
    Ok(())
}
