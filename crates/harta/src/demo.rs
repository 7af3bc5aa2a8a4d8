//! `harta demo seed --cases N`: realistic demo data (Bulgarian names and subjects, every kind,
//! channel, unit and state, dates over ten years) for trying harta and for the benchmarks.
//! Deterministic for a given store, so benchmark runs are comparable.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use harta_app::App;
use harta_app::files::Files;
use harta_domain::calendar::Calendar;
use harta_domain::case::{Actor, CaseEvent, CaseKind, Channel, PreferredChannel, StaffId};
use harta_domain::charter::Charter;
use harta_domain::deadline::due_date;
use harta_domain::format::in_sofia;
use harta_domain::identifiers::{Email, Phone};
use harta_domain::party::PartyKind;
use harta_domain::text::{Address, Name};
use harta_store::admin::{Admin, NewStaff};
use harta_store::cases::NewParty;
use harta_store::seed::{SeedCase, counters, load};
use jiff::{SignedDuration, Timestamp};

use crate::config::Settings;

/// Cases per transaction.
const BATCH: usize = 20_000;

/// A small, fast, deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const MALE: &[&str] =
    &["Георги", "Иван", "Димитър", "Николай", "Петър", "Христо", "Стоян", "Александър", "Васил", "Тодор"];
const FEMALE: &[&str] =
    &["Мария", "Елена", "Иванка", "Йорданка", "Десислава", "Надежда", "Виктория", "Радка", "Цветелина", "Милена"];
const SURNAMES: &[&str] =
    &["Иванов", "Георгиев", "Димитров", "Петров", "Николов", "Христов", "Стоянов", "Тодоров", "Йорданов", "Попов"];
const LATIN: &[&str] = &["ivanov", "georgieva", "dimitrov", "petrova", "nikolov", "hristova", "stoyanov", "todorova"];
const FIRMS: &[&str] = &[
    "Сдружение „Живот за Лагера“",
    "Етажна собственост бл. 24, Хиподрума",
    "„Строй инвест“ ЕООД",
    "Сдружение „Зелено Борово“",
    "„Бъкстон паркинг“ ООД",
    "Училищно настоятелство на 115 СУ",
];
const PLACES: &[&str] = &[
    "ж.к. „Лагера“, бл. 12, вх. А",
    "ж.к. „Борово“, бл. 205, вх. 2",
    "ж.к. „Хиподрума“, бл. 131",
    "кв. „Белите брези“, ул. „Ралевица“ № 34",
    "кв. „Бъкстон“, ул. „Солун“ № 8",
    "кв. „Красно село“, ул. „Дебър“ № 51",
    "кв. „Хладилника“, бул. „Никола Вапцаров“ № 17",
];
/// Subjects by kind, each with the unit whose work it is (unit code, subject).
const LETTERS: &[(&str, &str)] = &[
    ("infra", "Неработещо улично осветление"),
    ("infra", "Запитване за срок на ремонт на тротоар"),
    ("eco", "Въпрос за график на сметосъбирането"),
    ("eco", "Искане за подрязване на дървета пред блока"),
    ("ut", "Запитване за разрешение за строеж в съседен парцел"),
    ("property", "Запитване за наем на общинско жилище"),
    ("social", "Молба за помощ за самотен възрастен човек"),
    ("finance", "Запитване за плащане на такса за битови отпадъци"),
    ("legal", "Искане за становище по договор с района"),
    ("mayor", "Покана към кмета за среща с живущите"),
    ("cao", "Запитване за работното време на деловодството"),
    ("grao", "Запитване за адресна регистрация на дете"),
];
const COMPLAINTS: &[(&str, &str)] = &[
    ("eco", "Жалба за шум от заведение през нощта"),
    ("ut", "Жалба за незаконно строителство"),
    ("eco", "Жалба за неокосени зелени площи"),
    ("eco", "Жалба за неизвозени отпадъци"),
    ("cao", "Оплакване от отношението на служител на гишето"),
    ("infra", "Жалба за дупки по ул. „Ралевица“"),
];
const SERVICES: &[(&str, &str)] = &[
    ("grao", "Удостоверение за постоянен адрес"),
    ("grao", "Удостоверение за наследници"),
    ("eco", "Разрешение за отсичане на дърво"),
    ("social", "Карта за безплатно паркиране за хора с увреждания"),
    ("legal", "Достъп до обществена информация"),
    ("ut", "Скица от кадастралния план"),
];
const SUGGESTIONS: &[(&str, &str)] = &[
    ("infra", "Предложение за нова велоалея по бул. „Цар Борис III“"),
    ("eco", "Предложение за засаждане на дървета в Борово"),
    ("cao", "Мнение за работното време на центъра за обслужване"),
    ("mayor", "Предложение за онлайн записване за прием при кмета"),
];
const AUTHORITIES: &[&str] =
    &["Столична община – дирекция „Транспорт“", "СДВР", "РЗИ – София", "Национална агенция за приходите"];

/// The demo staff: a head and two officers per unit. Returns, per unit, the staff ids.
async fn staff(admin: &Admin, charter: &Charter) -> Result<Vec<(String, Vec<i64>)>> {
    let existing = admin.staff_ids().await?;
    let mut out = Vec::new();
    for (u, unit) in charter.units.iter().enumerate() {
        let mut ids: Vec<i64> = existing
            .iter()
            .filter(|(_, _, unit_code)| unit_code.as_deref() == Some(&unit.code))
            .map(|(id, _, _)| *id)
            .collect();
        if ids.is_empty() {
            for (k, role) in ["head_of_unit", "case_officer", "case_officer"].iter().enumerate() {
                let surname = SURNAMES[(u * 3 + k) % SURNAMES.len()];
                // Bulgarian surnames agree with the person: Иванов, Иванова.
                let name = if k % 2 == 0 {
                    format!("{} {surname}", MALE[(u + k) % MALE.len()])
                } else {
                    format!("{} {surname}а", FEMALE[(u + k) % FEMALE.len()])
                };
                let number = format!("D{:02}{k}", u + 1);
                let phone = format!("+3592895{:04}", 1100 + u * 10 + k);
                let email = format!("d{:02}{k}@demo.harta.invalid", u + 1);
                let new = NewStaff {
                    employee_number: &number,
                    name: &name,
                    role,
                    unit: Some(&unit.code),
                    email: Some(&email),
                    phone: Some(&phone),
                    position: Some(if k == 0 {
                        "началник на отдел"
                    } else {
                        "главен експерт"
                    }),
                    password_hash: None,
                };
                ids.push(admin.add_staff(&new, Timestamp::now()).await?);
            }
        }
        out.push((unit.code.clone(), ids));
    }
    Ok(out)
}

/// Seeds `n` cases.
pub async fn seed(settings: &Settings, n: u64) -> Result<()> {
    let (text, charter, catalogue) = settings.charter()?;
    let db = settings.open_store().await?;
    let key = settings.secret_key()?;
    let (app, writer) =
        App::start(db.clone(), charter.clone(), catalogue, Files::new(&settings.data), key, Arc::new(Timestamp::now))
            .await?;
    if let Some(login) = app.set_up(&text).await? {
        eprintln!("{}", crate::first_login(&login));
    }
    let calendar = app.calendar();
    drop(app);
    writer.await.context("registrar")?;

    let staff = staff(&Admin::new(db.clone()), &charter).await?;
    let mut counters = counters(&db).await?;
    let now = Timestamp::now();
    let span = SignedDuration::from_hours(24 * 365 * 10);
    let start = now.checked_sub(span).context("clock")?;
    let step_ns = span.as_nanos() / i128::from(n.max(1));
    let seed = 0x4841_5254_4100 + counters.values().map(|v| u64::from(*v)).sum::<u64>();
    let started = Instant::now();
    eprintln!("seeding {n} cases into {} …", db.backend());
    db.prepare_bulk_load().await.context("preparing the store for a bulk load")?;
    // Generation runs on its own thread, one batch ahead of the writer.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Vec<SeedCase>>>(2);
    let generator = tokio::task::spawn_blocking(move || {
        let mut rng = Rng(seed);
        let mut batch = Vec::with_capacity(BATCH);
        for i in 0..n {
            let offset = SignedDuration::from_nanos(i64::try_from(step_ns * i128::from(i)).unwrap_or(i64::MAX));
            let made = start
                .checked_add(offset)
                .context("clock")
                .and_then(|at| case(&mut rng, &charter, &calendar, &staff, &mut counters, at, now));
            match made {
                Ok(c) => batch.push(c),
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            if (batch.len() == BATCH || i + 1 == n) && tx.blocking_send(Ok(std::mem::take(&mut batch))).is_err() {
                return;
            }
        }
    });
    // Drawn on standard error when it is a terminal, and hidden otherwise.
    let progress = indicatif::ProgressBar::new(n).with_style(
        indicatif::ProgressStyle::with_template(
            "  {bar:40} {human_pos}/{human_len} cases, {elapsed} (about {eta} to go)",
        )
        .context("the progress bar's template")?,
    );
    while let Some(batch) = rx.recv().await {
        let batch = batch?;
        load(&db, &batch).await?;
        progress.inc(batch.len() as u64);
    }
    progress.finish();
    generator.await.context("the generator failed")?;
    let (done, secs) = (progress.position(), started.elapsed().as_secs_f64());
    outln!("seeded {done} cases in {secs:.1} s ({:.0} cases/s)", done as f64 / secs.max(0.001));
    eprintln!("adding up the figures of the scorecard …");
    db.settle_after_load().await.context("adding up the figures and the database's statistics after the load")?;
    db.close().await;
    Ok(())
}

fn case(
    rng: &mut Rng,
    charter: &Charter,
    calendar: &Calendar,
    staff: &[(String, Vec<i64>)],
    counters: &mut std::collections::BTreeMap<(String, i16), u32>,
    received_at: Timestamp,
    now: Timestamp,
) -> Result<SeedCase> {
    let kind = *rng.pick(CaseKind::ALL);
    let channel = *rng.pick(Channel::ALL);
    let commitment = charter.commitment(kind);
    let year = in_sofia(received_at).year();
    let seq = counters.entry((charter.registry.register_for(&commitment.index), year)).or_default();
    *seq += 1;
    let number = charter.registry.render(&commitment.index, year, *seq);
    let due = due_date(calendar, received_at, commitment.working_days)?.date();
    let (unit_of_subject, subject) = *rng.pick(match kind {
        CaseKind::Letter => LETTERS,
        CaseKind::Complaint => COMPLAINTS,
        CaseKind::ServiceRequest => SERVICES,
        CaseKind::Suggestion => SUGGESTIONS,
    });
    // The subject's own unit handles it (any unit, if a charter has no unit of that code).
    let (unit, officers) = match staff.iter().find(|(code, _)| code == unit_of_subject) {
        Some(found) => found,
        None => rng.pick(staff),
    };
    let place = *rng.pick(PLACES);
    // Generated values go through the same parsers as anything a person types.
    let (kind_of_party, name, email, phone, preferred) = if rng.chance(85) {
        let female = rng.chance(50);
        let first = if female { rng.pick(FEMALE) } else { rng.pick(MALE) };
        let surname = rng.pick(SURNAMES);
        let surname = if female { format!("{surname}а") } else { surname.to_string() };
        let email = rng.chance(60).then(|| format!("{}{}@example.bg", rng.pick(LATIN), rng.below(1000)));
        let phone = rng.chance(70).then(|| format!("+35988{:07}", rng.below(10_000_000)));
        (PartyKind::Person, format!("{first} {surname}"), email, phone, *rng.pick(PreferredChannel::ALL))
    } else {
        let email = Some(format!("office{}@example.bg", rng.below(100)));
        let phone = Some(format!("+3592{:07}", rng.below(10_000_000)));
        (PartyKind::Organisation, rng.pick(FIRMS).to_string(), email, phone, PreferredChannel::Email)
    };
    let party = NewParty {
        kind: kind_of_party,
        name: Name::parse(&name)?,
        email: email.as_deref().map(Email::parse).transpose()?,
        phone: phone.as_deref().map(Phone::parse).transpose()?,
        address: Some(Address::parse(&format!("гр. София, {place}"))?),
        preferred_channel: Some(preferred),
        national_id: None,
        eik: None,
    };
    let body = format!("{subject}. Адрес: {place}. Моля за съдействие и отговор в срок съгласно Хартата на клиента.");

    // The history follows the life cycle; old cases are mostly finished.
    let officer = StaffId(*rng.pick(officers));
    let staff_actor = Actor::Staff { id: officer };
    let age_days = now.duration_since(received_at).as_hours() / 24;
    let mut at = received_at;
    let mut later = |rng: &mut Rng, hours: u64| {
        at = at.checked_add(SignedDuration::from_mins(30 + (rng.next() % (hours * 60)) as i64)).unwrap_or(at);
        at.min(now)
    };
    let mut events =
        vec![(received_at, Actor::System, CaseEvent::Registered { registry_number: number.as_str().to_string(), due })];
    let stage = if age_days > 60 { 6 + rng.below(3) } else { rng.below(9) };
    if stage >= 1 {
        events.push((later(rng, 4), Actor::System, CaseEvent::Assigned { officer, note: None }));
    }
    if stage >= 2 {
        events.push((later(rng, 24), staff_actor.clone(), CaseEvent::Started));
    }
    if stage >= 3 && rng.chance(20) {
        let by = calendar
            .add_working_days(in_sofia(received_at).date(), harta_domain::calendar::WorkingDays::new(5)?)?
            .date();
        events.push((
            later(rng, 24),
            staff_actor.clone(),
            CaseEvent::InformationRequested {
                what: "Копие от документ за собственост".into(), by
            },
        ));
        if stage >= 4 {
            events.push((
                later(rng, 72),
                Actor::Citizen,
                CaseEvent::InformationReceived { note: "Представен документ".into(), due: None },
            ));
        }
    }
    let held = stage >= 4 && rng.chance(10);
    if held {
        let new_due = calendar.add_working_days(due, harta_domain::calendar::WorkingDays::new(10)?)?.date();
        events.push((
            later(rng, 24),
            staff_actor.clone(),
            CaseEvent::HoldingReplySent {
                reasons: "Необходима е проверка на място".into(),
                still_needed: String::new(),
                new_due,
            },
        ));
    }
    match stage {
        5 if rng.chance(50) => events.push((
            later(rng, 48),
            staff_actor.clone(),
            CaseEvent::Forwarded { authority: rng.pick(AUTHORITIES).to_string() },
        )),
        5 => events.push((later(rng, 48), Actor::Citizen, CaseEvent::Withdrawn { reason: "Въпросът е решен".into() })),
        6.. => {
            // Most answers come within days; some only after the date (one in seven), and
            // those with a holding reply mostly by its later date, so that the figures of
            // the demo show every outcome.
            let hours = if held {
                24 * 30
            } else if rng.chance(14) {
                24 * 28
            } else {
                96
            };
            events.push((
                later(rng, hours),
                staff_actor.clone(),
                CaseEvent::Answered {
                    summary: "Отговорът е даден по телефона.".into(),
                    letter: None,
                    spoken: Some(harta_domain::case::Spoken::Phone),
                },
            ));
            if stage >= 7 {
                events.push((later(rng, 48), staff_actor, CaseEvent::Closed));
            }
        }
        _ => {}
    }
    // An InformationRequested left unanswered cannot be followed by anything but the end states
    // the domain allows; drop what the life cycle refuses so the history is always valid.
    let mut valid = Vec::with_capacity(events.len());
    let mut state = harta_domain::case::CaseState::registered(due);
    for (i, e) in events.into_iter().enumerate() {
        if i == 0 {
            valid.push(e);
            continue;
        }
        if let Ok(next) = state.apply(&e.2) {
            state = next;
            valid.push(e);
        }
    }
    Ok(SeedCase {
        number,
        kind,
        channel,
        subject: subject.to_string(),
        body,
        party,
        unit: unit.clone(),
        received_at,
        events: valid,
    })
}
