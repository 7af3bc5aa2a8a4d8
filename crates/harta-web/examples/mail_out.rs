//! Letters by e-mail: N answer letters issued on N cases (each typeset to its PDF), then the
//! job worker delivers them to the SMTP server at URL, the PDF attached; prints letters/s of
//! the delivery alone (issuing is timed apart), on a SQLite store in a fresh directory.
//!   cargo run --release -p harta-web --example mail_out -- SMTP_URL [LETTERS]
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::Instant;

use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::files::Files;
use harta_app::letters::{LetterDraft, LetterSetup};
use harta_app::secrets::PersonalDataKey;
use harta_app::{App, Principal, Role};
use harta_domain::case::{Actor, CaseEvent, StaffId};
use harta_domain::catalogue::Catalogue;
use harta_domain::charter::Charter;

const CHARTER: &str = include_str!("../../../charters/krasno-selo.toml");
const CATALOGUE: &str = include_str!("../../../charters/krasno-selo.services.toml");

#[tokio::main]
async fn main() {
    let url = std::env::args().nth(1).expect("SMTP_URL");
    let letters: usize = std::env::args().nth(2).map_or(5000, |n| n.parse().expect("LETTERS"));
    let dir = std::env::temp_dir().join(format!("harta-mail-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = harta_store::Db::open_sqlite(&dir.join("harta.db")).await.unwrap();
    db.migrate().await.unwrap();
    let charter = Charter::from_toml(CHARTER).unwrap();
    let catalogue = Catalogue::from_toml(CATALOGUE, &charter).unwrap();
    let key = PersonalDataKey::from_hex(&PersonalDataKey::generate().unwrap()).unwrap();
    let (app, _writer) =
        App::start(db, charter, catalogue, Files::new(&dir), key, Arc::new(jiff::Timestamp::now)).await.unwrap();
    app.set_up(CHARTER).await.unwrap();
    app.set_letters(LetterSetup {
        typeset: harta_letters::Letters::shared(),
        public_url: "https://harta.example.bg".into(),
        fax_gateway: None,
    });
    let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
    let input = harta_app::administration::StaffInput {
        employee_number: Some("1042".into()),
        name: Some("Петя Колева".into()),
        role: Some("case_officer".into()),
        unit: Some("cao".into()),
        email: Some("p.koleva@krasnoselo.net".into()),
        phone: Some("02 895 11 42".into()),
        position: Some("главен експерт".into()),
    };
    let officer = app.add_staff(&admin, &input).await.unwrap();
    let me =
        Principal { actor: Actor::Staff { id: StaffId(officer) }, role: Role::CaseOfficer, unit: Some("cao".into()) };
    let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };

    // Cases without an e-mail address get no acknowledgement: only the letters are mailed.
    let started = Instant::now();
    let mut issuing = tokio::task::JoinSet::new();
    for i in 0..letters {
        let (app, me, clerk) = (app.clone(), me.clone(), clerk.clone());
        issuing.spawn(async move {
            let input = RegisterCaseInput {
                kind: Some("letter".into()),
                channel: Some("counter".into()),
                subject: Some(format!("Улично осветление {i}")),
                text: Some("Лампата пред блок 5 не свети.".into()),
                unit: Some("cao".into()),
                party: PartyInput {
                    name: Some("Мария Иванова".into()),
                    phone: Some("0888 123 456".into()),
                    ..PartyInput::default()
                },
                ..RegisterCaseInput::default()
            };
            let number = app.register_case(&clerk, input).await.unwrap().number.as_str().to_string();
            app.record_event(&me, &number, CaseEvent::Assigned { officer: StaffId(officer), note: None })
                .await
                .unwrap();
            // She prefers e-mail for the answer: given after registering, as at the counter.
            let draft = app.draft_letter(&me, &number, "answer").await.unwrap();
            let letter =
                LetterDraft {
                    body: "Поправихме лампата.".into(), next: "Не е нужно да правите нищо.".into(), ..draft
                };
            (number, letter)
        });
    }
    let mut drafts = Vec::with_capacity(letters);
    while let Some(done) = issuing.join_next().await {
        drafts.push(done.unwrap());
    }
    // The person's e-mail, set in the store directly: the public site's contact form is the
    // product's way, and a benchmark need not go through it.
    if let harta_store::Db::Sqlite(s) = app.db() {
        sqlx::query("UPDATE parties SET email = 'maria@example.bg', preferred_channel = 'email'")
            .execute(&s.write)
            .await
            .unwrap();
    }
    let mut issuing = tokio::task::JoinSet::new();
    for (number, letter) in drafts {
        let (app, me) = (app.clone(), me.clone());
        issuing.spawn(async move { app.issue_letter(&me, &number, &letter).await.unwrap() });
    }
    while let Some(done) = issuing.join_next().await {
        done.unwrap();
    }
    let issued = started.elapsed();
    println!("issued {letters} answer letters (registered, assigned, typeset to PDF) in {:.1} s", issued.as_secs_f64());

    let out = harta_channels::mail::Outgoing::smtp(&url, "Район „Красно село“ <office@krasnoselo.net>").unwrap();
    let delivery = harta_app::outbox::Delivery {
        mailer: Arc::new(out),
        compose: Arc::new(harta_web::mail::MailWords::new("https://harta.example.bg")),
    };
    let started = Instant::now();
    while app.jobs_waiting().await.unwrap() > 0 {
        app.run_jobs(&delivery).await.unwrap();
    }
    let took = started.elapsed().as_secs_f64();
    println!(
        "delivered {letters} letters by e-mail with their PDF in {took:.1} s: {:.0} letters/s",
        letters as f64 / took
    );
    let _ = std::fs::remove_dir_all(&dir);
}
