//! The public site over real HTTP: pages in both languages, the catalogue, submitting online
//! and tracking, with the attacks and mistakes a public form meets.

use std::net::SocketAddr;

use harta_app::cases::ListInput;
use harta_app::{Principal, Role};
use harta_domain::case::Actor;
use harta_store::testing::backends;

use harta_channels::testing::SmtpPeer;

use crate::support::{Response, Server, delivery, request, start};

/// A visitor with a cookie jar, as a browser without JavaScript behaves.
struct Visitor {
    addr: SocketAddr,
    cookies: Vec<(String, String)>,
}

impl Visitor {
    fn new(addr: SocketAddr) -> Self {
        Self { addr, cookies: Vec::new() }
    }

    fn keep_cookies(&mut self, r: &Response) {
        for (name, value) in &r.headers {
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                self.cookies.retain(|(n, _)| n != k);
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    async fn get(&mut self, path: &str) -> Response {
        let cookies = self.cookie_header();
        let r = request(self.addr, "GET", path, &[("Cookie", &cookies)], b"").await;
        self.keep_cookies(&r);
        r
    }

    /// Posts a multipart form (as a browser does for a form with a file input).
    async fn post_files(&mut self, path: &str, fields: &[(&str, &str)], files: &[(&str, Vec<u8>)]) -> Response {
        let boundary = "harta-test-boundary-7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        for (name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"documents\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let cookies = self.cookie_header();
        let content_type = format!("multipart/form-data; boundary={boundary}");
        let r = request(self.addr, "POST", path, &[("Cookie", &cookies), ("Content-Type", &content_type)], &body).await;
        self.keep_cookies(&r);
        r
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let cookies = self.cookie_header();
        let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let r = request(
            self.addr,
            "POST",
            path,
            &[("Cookie", &cookies), ("Content-Type", "application/x-www-form-urlencoded")],
            body.as_bytes(),
        )
        .await;
        self.keep_cookies(&r);
        r
    }
}

fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

fn text(r: &Response) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

/// The value of a hidden (or any) input by name.
fn field(r: &Response, name: &str) -> String {
    let html = text(r);
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no field {name}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn by_id(r: &Response, id: &str) -> String {
    let html = text(r);
    let at = html.find(&format!("id=\"{id}\">")).unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at + id.len() + 6..];
    rest[..rest.find('<').unwrap()].to_string()
}

/// A case officer of the service centre, by employee number; returns the id.
async fn add_officer(s: &Server, employee_number: &str) -> i64 {
    let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
    let staff = harta_app::administration::StaffInput {
        employee_number: Some(employee_number.into()),
        name: Some("Петя Колева".into()),
        role: Some("case_officer".into()),
        unit: Some("cao".into()),
        email: None,
        phone: None,
        position: None,
    };
    s.app.add_staff(&admin, &staff).await.unwrap()
}

async fn case_count(s: &Server) -> usize {
    let manager = Principal { actor: Actor::System, role: Role::Manager, unit: None };
    s.app.list_cases(&manager, &ListInput::default()).await.unwrap().items.len()
}

/// A letter's fields, all valid.
const LETTER: &[(&str, &str)] = &[
    ("subject", "Счупена пейка в градинката"),
    ("text", "Пейката до детската площадка на ул. „Хубча“ е счупена."),
    ("party_type", "person"),
    ("name", "Мария Иванова"),
    ("email", "maria@example.bg"),
    ("preferred", "email"),
];

/// Fills in the form for `kind` and sends it to the check step, as a person would (the clock
/// moves on a minute between showing and sending).
async fn fill_in(s: &Server, v: &mut Visitor, path: &str, fields: &[(&str, &str)]) -> Response {
    let form = v.get(path).await;
    assert_eq!(form.status, 200, "{}", text(&form));
    let csrf = field(&form, "csrf");
    let shown = field(&form, "shown");
    s.set_now("2026-11-25T12:31:00Z");
    let action = path.split('?').next().unwrap();
    let mut all = vec![("csrf", csrf.as_str()), ("shown", shown.as_str())];
    all.extend_from_slice(fields);
    let r = v.post(action, &all).await;
    s.set_now("2026-11-25T12:30:00Z");
    r
}

#[tokio::test]
async fn pages_in_both_languages_with_safe_headers_and_small_size() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let home = v.get("/").await;
        assert_eq!(home.status, 200);
        let html = text(&home);
        assert!(html.contains("<html lang=\"bg\">"));
        assert!(html.contains("Обслужване на граждани"));
        // The charter's promises, reception hours and contacts come from the charter.
        assert!(html.contains("в срок до 7 работни дни"), "{html}");
        assert!(html.contains("сряда, 10:00–12:00 (с предварително записване)"));
        assert!(html.contains("понеделник, 13:00–17:00"));
        assert!(
            html.contains("02/895 11 00") && html.contains("02/895 11 72") && html.contains("office@krasnoselo.net")
        );
        let csp = home.header("content-security-policy").unwrap();
        assert!(csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(home.header("x-frame-options"), Some("DENY"));
        assert_eq!(home.header("x-content-type-options"), Some("nosniff"));

        // The switch remembers English and goes back where it was; only local addresses.
        let switch = v.get("/lang/en?next=/services").await;
        assert_eq!(switch.status, 303);
        assert_eq!(switch.header("location"), Some("/services"));
        assert_eq!(v.get("/lang/en?next=//evil.example").await.header("location"), Some("/"));
        // What a browser would skip or read as a header stays in the path, encoded.
        let tab = v.get("/lang/en?next=/%09/evil.example").await;
        assert_eq!(tab.header("location"), Some("/%09/evil.example"));
        let split = v.get("/lang/en?next=/%0d%0aSet-Cookie:%20x=1").await;
        assert_eq!((split.status, split.header("location")), (303, Some("/%0D%0ASet-Cookie:%20x=1")));
        assert_eq!(v.get("/lang/en?next=/%5Cevil.example").await.header("location"), Some("/%5Cevil.example"));
        assert_eq!(v.get("/lang/en?next=/services").await.header("location"), Some("/services"));
        let home = text(&v.get("/").await);
        assert!(home.contains("<html lang=\"en\">") && home.contains("Citizen services"));
        assert!(home.contains("within 7 working days"));

        // Every public page is under 60 KB and names no other site.
        for path in [
            "/",
            "/accessibility",
            "/services",
            "/services/2079",
            "/services/2079/brochure",
            "/submit",
            "/suggestions",
            "/performance",
        ] {
            for lang in ["bg", "en"] {
                v.get(&format!("/lang/{lang}")).await;
                let r = v.get(path).await;
                assert_eq!(r.status, 200, "{path}");
                assert!(r.body.len() < 60 * 1024, "{path} is {} bytes", r.body.len());
                let html = text(&r);
                assert!(!html.contains("src=\"http") && !html.contains("href=\"http"), "{path} links out");
            }
        }
        let css = v.get("/static/site.css").await;
        assert!(css.header("cache-control").unwrap().contains("immutable"));
        assert!(css.header("content-type").unwrap().starts_with("text/css"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_catalogue_lists_searches_and_prints_services() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let all = text(&v.get("/services").await);
        assert!(all.matches("<li><a href=\"/services/").count() >= 25);
        // Latin spelling, a prefix, a typo: all find the certificate of heirs.
        for q in ["naslednitsi", "%D0%BD%D0%B0%D1%81%D0%BB%D0%B5%D0%B4", "heirs", "nasledinci"] {
            let found = text(&v.get(&format!("/services?q={q}")).await);
            assert!(found.contains("href=\"/services/2016\""), "{q}");
        }
        let none = text(&v.get("/services?q=%3Cscript%3Exyzzy").await);
        assert!(none.contains("Няма услуга") && none.contains("&#60;script&#62;xyzzy") && !none.contains("<script>x"));
        let service = text(&v.get("/services/2016").await);
        assert!(service.contains("Издаване на удостоверение за наследници"));
        assert!(service.contains("Необходими документи") && service.contains("/submit/service_request?service=2016"));
        let large = text(&v.get("/services/2016/brochure?large=1").await);
        assert!(large.contains("class=\"wrap large\""));
        let missing = v.get("/services/9999").await;
        assert_eq!(missing.status, 404);
        assert!(text(&missing).contains("Страницата не е намерена"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_letter_is_submitted_checked_sent_once_and_tracked() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let check = fill_in(&s, &mut v, "/submit/letter", LETTER).await;
        assert_eq!(check.status, 200, "{}", text(&check));
        assert!(text(&check).contains("Проверете отговорите си"));
        assert!(text(&check).contains("Мария Иванова"));
        assert_eq!(case_count(&s).await, 0, "nothing is registered before the citizen sends");

        // Change: the form comes back filled in.
        let csrf = field(&check, "csrf");
        let draft = field(&check, "draft");
        let change = v.post("/submit/letter/change", &[("csrf", &csrf), ("draft", &draft)]).await;
        assert_eq!(field(&change, "name"), "Мария Иванова");

        let done = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        assert_eq!(done.status, 200, "{}", text(&done));
        let number = by_id(&done, "number");
        let code = by_id(&done, "code");
        assert!(number.starts_with("РКС26-ГР94-"), "{number}");
        assert_eq!(code.len(), 11);
        // 10 working days from Wednesday 25.11.2026.
        assert_eq!(by_id(&done, "due"), "10 работни дни, до 09.12.2026");
        assert_eq!(by_id(&done, "emailed"), "Ще получите същите данни и по електронна поща на maria@example.bg.");
        // Sending the same form again (a reload) registers nothing new and shows the same code.
        let again = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        assert_eq!((by_id(&again, "number"), by_id(&again, "code")), (number.clone(), code.clone()));
        assert_eq!(case_count(&s).await, 1);

        // The same by e-mail, once, after the commit: the number, the code, the dates and where
        // to follow the case.
        let Some(peer) = SmtpPeer::start() else { return };
        assert_eq!(s.app.run_jobs(&delivery(&peer)).await.unwrap(), 1);
        assert_eq!(s.app.run_jobs(&delivery(&peer)).await.unwrap(), 0);
        let mail = peer.received();
        assert_eq!(mail.len(), 1);
        assert_eq!(mail[0].to, vec!["maria@example.bg".to_string()]);
        let body = mail[0].text();
        for expected in [
            "Здравейте, Мария Иванова!",
            &format!("Входящ номер: {number}"),
            &format!("Код за достъп: {code}"),
            "Получено на: 25.11.2026 14:30",
            "Срок за отговор: 10 работни дни, до 09.12.2026",
            "https://harta.example.bg/track",
            "02/895 11 00",
        ] {
            assert!(body.contains(expected), "{expected:?} not in {body}");
        }

        // Tracking: lower case and without the dash is fine.
        let track = v.get("/track").await;
        let csrf = field(&track, "csrf");
        let typed = code.replace('-', "").to_lowercase();
        let found = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", &typed)]).await;
        assert_eq!(found.status, 200, "{}", text(&found));
        assert_eq!(by_id(&found, "state"), "Регистрирана");
        assert!(text(&found).contains("Счупена пейка в градинката"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn one_address_sends_at_most_its_quota_of_submissions_an_hour() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        s.app.set_submission_quota(2);
        let mut v = Visitor::new(s.addr);
        let mut sent = Vec::new();
        for _ in 0..3 {
            let check = fill_in(&s, &mut v, "/submit/letter", LETTER).await;
            let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
            sent.push((
                csrf.clone(),
                draft.clone(),
                v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await,
            ));
        }
        assert_eq!(sent[0].2.status, 200);
        assert_eq!(sent[1].2.status, 200);
        assert_eq!(sent[2].2.status, 429);
        assert!(text(&sent[2].2).contains("Твърде много подадени искания"));
        // Counted in the store: another replica refuses this address's new forms too.
        let other = crate::support::replica(&s).await;
        other.set_submission_quota(2);
        let input = harta_app::cases::RegisterCaseInput::default();
        let refused = other.submit_online(&input, "another-form", &[], "127.0.0.1").await;
        assert!(matches!(refused, Err(harta_app::AppError::TooMany)), "{refused:?}");
        assert_eq!(case_count(&s).await, 2);
        // A form already registered still shows its receipt.
        let (csrf, draft) = (&sent[0].0, &sent[0].1);
        assert_eq!(v.post("/submit/letter/send", &[("csrf", csrf), ("draft", draft)]).await.status, 200);
        // An hour later the address may send again.
        s.set_now("2026-11-25T13:31:00Z");
        let (csrf, draft) = (&sent[2].0, &sent[2].1);
        assert_eq!(v.post("/submit/letter/send", &[("csrf", csrf), ("draft", draft)]).await.status, 200);
        // Eight sent at once against a quota of five: five registered, however they race.
        s.app.set_submission_quota(5);
        let letter = harta_app::cases::RegisterCaseInput {
            kind: Some("letter".into()),
            channel: Some("web".into()),
            subject: Some("Счупена пейка".into()),
            text: Some("Пейката е счупена.".into()),
            party: harta_app::cases::PartyInput {
                name: Some("Мария Иванова".into()), ..Default::default()
            },
            ..Default::default()
        };
        let mut burst = Vec::new();
        for i in 0..8 {
            let (app, letter) = (s.app.clone(), letter.clone());
            burst.push(tokio::spawn(async move {
                app.submit_online(&letter, &format!("burst-{i}"), &[], "10.0.0.5").await
            }));
        }
        let mut registered = 0;
        for b in burst {
            match b.await.unwrap() {
                Ok(_) => registered += 1,
                Err(harta_app::AppError::TooMany) => {}
                Err(e) => panic!("{e:?}"),
            }
        }
        assert_eq!(registered, 5);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn wrong_codes_are_refused_audited_and_throttled() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let check = fill_in(&s, &mut v, "/submit/letter", LETTER).await;
        let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
        let done = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        let (number, code) = (by_id(&done, "number"), by_id(&done, "code"));

        let wrong = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", "AAAAA-BBBBB")]).await;
        assert_eq!(wrong.status, 404);
        assert!(text(&wrong).contains("Няма преписка с този номер и код"));
        assert!(!text(&wrong).contains("AAAAA"), "the code typed is not sent back");
        // A number that does not exist gets the same answer.
        let none = v.post("/track", &[("csrf", &csrf), ("number", "РКС26-ГР94-999"), ("code", &code)]).await;
        assert_eq!(none.status, 404);
        // A code that cannot be one is a field error, not an attempt.
        let malformed = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", "123")]).await;
        assert_eq!(malformed.status, 422);
        assert!(text(&malformed).contains("10 букви и цифри"));
        let audit = harta_store::audit::Audit::new(s.db.db.clone()).count_for(&number).await.unwrap();
        assert_eq!(audit, 1, "the refused attempt on the number is in the audit trail");

        // Five refusals on one number: wrong codes are then "too many", from anywhere, but the
        // right code still opens the case (numbers are sequential: a lock would lock its owner).
        for _ in 0..4 {
            v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", "AAAAA-BBBBB")]).await;
        }
        let blocked = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", "AAAAA-BBBBB")]).await;
        assert_eq!(blocked.status, 429);
        assert!(text(&blocked).contains("Твърде много неуспешни опити"));
        let other = crate::support::replica(&s).await;
        assert!(matches!(other.track(&number, "AAAAA-BBBBB", "10.0.0.9").await, Err(harta_app::AppError::TooMany)));
        let owner = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", &code)]).await;
        assert_eq!(owner.status, 200, "the right code always opens the case");
        // The number as people type it: lower case, Latin letters, spaces.
        let latin = harta_domain::text::fold(&number).replace('-', " ");
        assert_eq!(
            v.post("/track", &[("csrf", &csrf), ("number", &latin), ("code", &code)]).await.status,
            200,
            "{latin}"
        );
        // What cannot be a number is no attempt: neither counted nor audited.
        let audited = harta_store::audit::Audit::new(s.db.db.clone());
        let before = audited.count_for(&number).await.unwrap();
        for _ in 0..30 {
            let junk = v.post("/track", &[("csrf", &csrf), ("number", "не е номер"), ("code", "AAAAA-BBBBB")]).await;
            assert_eq!(junk.status, 404);
        }
        assert_eq!(audited.count_for("не е номер").await.unwrap(), 0);
        assert_eq!(audited.count_for(&number).await.unwrap(), before, "only opening the case was audited since");
        // From one address, past twenty refusals each answer waits longer; past 200, none comes.
        for i in 0..20 {
            let _ = s.app.track(&format!("РКС26-ГР94-{}", 100 + i), "AAAAA-BBBBB", "10.0.0.7").await;
        }
        let started = std::time::Instant::now();
        let _ = s.app.track("РКС26-ГР94-300", "AAAAA-BBBBB", "10.0.0.7").await;
        assert!(started.elapsed() >= std::time::Duration::from_millis(125), "{:?}", started.elapsed());
        let limits = harta_store::limits::Limits::new(s.db.db.clone());
        let now = "2026-11-25T12:30:00Z".parse().unwrap();
        let bucket = harta_store::limits::Bucket::at("track-address 10.0.0.8".into(), now, harta_app::tracking::WINDOW);
        limits.take(&bucket, harta_app::tracking::ADDRESS_CAP).await.unwrap();
        assert!(matches!(s.app.track(&number, &code, "10.0.0.8").await, Err(harta_app::AppError::TooMany)));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn mistakes_are_named_per_field_in_the_visitors_language_and_nothing_is_stored() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let long = "я".repeat(301);
        let bad: &[(&str, &str)] = &[
            ("subject", &long),
            ("text", "<script>alert('x')</script>"),
            ("name", ""),
            ("email", "не-е-поща"),
            ("phone", "12"),
            ("preferred", "post"),
        ];
        let r = fill_in(&s, &mut v, "/submit/complaint", bad).await;
        assert_eq!(r.status, 422);
        let html = text(&r);
        for message in [
            "<a href=\"#subject\">„Тема“ може да е най-много 300 знака.</a>",
            "<a href=\"#name\">Попълнете „Име и фамилия или наименование“.</a>",
            "<a href=\"#email\">„Електронна поща“ не е адрес на електронна поща",
            "<a href=\"#phone\">„Телефон (по избор)“",
            "<a href=\"#address\">Попълнете „Адрес за кореспонденция“.</a>",
        ] {
            assert!(html.contains(message) || html.contains(&message.replace(" (по избор)", "")), "{message}\n{html}");
        }
        // What was typed is kept, escaped.
        assert!(html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"), "{html}");
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("aria-invalid=\"true\""));
        assert_eq!(case_count(&s).await, 0);

        // The same in English.
        v.get("/lang/en").await;
        let r = fill_in(&s, &mut v, "/submit/complaint", bad).await;
        assert!(text(&r).contains("Enter “Full name or organisation name”."), "{}", text(&r));
        assert!(text(&r).contains("There is a problem"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_service_request_asks_for_and_checks_the_personal_number_only_when_needed() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        // A certificate of address needs the ЕГН; the form asks for it.
        assert!(text(&v.get("/submit/service_request?service=2079").await).contains("name=\"egn\""));
        // A tree-felling permit does not; the form does not ask.
        assert!(!text(&v.get("/submit/service_request?service=2031").await).contains("name=\"egn\""));
        let base: Vec<(&str, &str)> = vec![
            ("service", "2079"),
            ("text", "Нужно ми е за банката."),
            ("name", "Петър Петров"),
            ("email", "petar@example.bg"),
            ("preferred", "email"),
            ("id_kind", "egn"),
        ];
        let mut wrong = base.clone();
        wrong.push(("egn", "8032056032"));
        let r = fill_in(&s, &mut v, "/submit/service_request?service=2079", &wrong).await;
        assert_eq!(r.status, 422);
        assert!(text(&r).contains("<a href=\"#egn\">„ЕГН“ не е валиден: проверете за сгрешена цифра.</a>"));
        let mut none = base.clone();
        none.retain(|(k, _)| *k != "service");
        let r = fill_in(&s, &mut v, "/submit/service_request?service=2079", &none).await;
        assert!(text(&r).contains("<a href=\"#service\">Попълнете „Услуга“.</a>"), "{}", text(&r));
        // The service needs an ЕГН: without one the request is refused, not registered without.
        let r = fill_in(&s, &mut v, "/submit/service_request?service=2079", &base).await;
        assert_eq!(r.status, 422);
        assert!(text(&r).contains("<a href=\"#egn\">Попълнете „ЕГН“.</a>"), "{}", text(&r));
        // Choosing the service is a step of its own, searchable without JavaScript.
        let step = text(&v.get("/submit/service_request").await);
        assert!(step.contains("name=\"service\" value=\"2079\"") && step.contains("name=\"q\""), "{step}");
        let searched = text(&v.get("/submit/service_request?q=naslednitsi").await);
        assert!(searched.contains("value=\"2016\"") && !searched.contains("value=\"2079\""));
        let unknown = v.get("/submit/service_request?service=9999").await;
        assert_eq!(unknown.status, 404);
        assert!(text(&unknown).contains("name=\"service\" value=\"2079\""), "the step again, with the reason");
        // The tier's fee and deadline are on the form.
        let form = text(&v.get("/submit/service_request?service=2079").await);
        assert!(form.contains("бърза услуга – 5,11 €, до 1 час"), "{form}");

        let mut right = base.clone();
        right.push(("egn", "7503146242"));
        let check = fill_in(&s, &mut v, "/submit/service_request?service=2079", &right).await;
        assert_eq!(check.status, 200, "{}", text(&check));
        assert!(!text(&check).contains("7503146242"), "the check page masks the ЕГН");
        assert!(text(&check).contains("••••••6242"));
        let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
        assert!(!draft.contains("7503146242"), "the draft is sealed");
        let done = v.post("/submit/service_request/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        assert!(by_id(&done, "number").starts_with("РКС26-АУ10-"));
        assert!(text(&done).contains("Гражданска регистрация"), "the service's unit takes the case");
        // A same-day service is due the day it was received, not in 10 working days.
        assert_eq!(by_id(&done, "due"), "в деня на подаване, до 25.11.2026");
        s.db.finish().await;
    }
}

async fn post_owned(v: &mut Visitor, path: &str, fields: &[(&str, String)]) -> Response {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    v.post(path, &refs).await
}

async fn post(v: &mut Visitor, fields: Vec<(&str, String)>) -> Response {
    post_owned(v, "/submit/letter", &fields).await
}

#[tokio::test]
async fn forged_stale_and_robotic_forms_change_nothing() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let form = v.get("/submit/letter").await;
        let (csrf, shown) = (field(&form, "csrf"), field(&form, "shown"));
        s.set_now("2026-11-25T12:31:00Z");
        let with = |extra: Vec<(&'static str, String)>| {
            let mut all: Vec<(&str, String)> = LETTER.iter().map(|(k, v)| (*k, v.to_string())).collect();
            all.extend(extra);
            all
        };
        // No token, a forged token, a token from another visitor.
        assert_eq!(post(&mut v, with(vec![("shown", shown.clone())])).await.status, 403);
        assert_eq!(post(&mut v, with(vec![("shown", shown.clone()), ("csrf", "0".repeat(32))])).await.status, 403);
        let mut stranger = Visitor::new(s.addr);
        assert_eq!(post(&mut stranger, with(vec![("shown", shown.clone()), ("csrf", csrf.clone())])).await.status, 403);
        // A robot fills in the hidden field.
        let trap =
            post(&mut v, with(vec![("shown", shown.clone()), ("csrf", csrf.clone()), ("website", "x".into())])).await;
        assert_eq!(trap.status, 422);
        // A tampered or missing "shown" stamp.
        let stale = post(&mut v, with(vec![("shown", "00ff".into()), ("csrf", csrf.clone())])).await;
        assert!(text(&stale).contains("Формулярът е остарял"));
        // Sent within a second of being shown.
        s.set_now("2026-11-25T12:30:01Z");
        let quick = post(&mut v, with(vec![("shown", shown.clone()), ("csrf", csrf.clone())])).await;
        assert_eq!(quick.status, 422);
        // A tampered draft.
        let forged = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", "abcdef")]).await;
        assert!(text(&forged).contains("Формулярът е остарял"));
        // Another site posting the form.
        let cookies = v.cookie_header();
        let cross = request(
            s.addr,
            "POST",
            "/track",
            &[
                ("Cookie", &cookies),
                ("Origin", "https://evil.example"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            format!("csrf={csrf}&number=1&code=2").as_bytes(),
        )
        .await;
        assert_eq!(cross.status, 403);
        // A body that is not a form (no browser sends one) is named, in the visitor's language.
        let garbled =
            request(s.addr, "POST", "/track", &[("Cookie", &cookies), ("Content-Type", "application/json")], b"{}")
                .await;
        assert_eq!(garbled.status, 400);
        assert!(text(&garbled).contains("Формулярът не можа да бъде прочетен."), "{}", text(&garbled));
        assert_eq!(case_count(&s).await, 0);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_citizen_answers_an_information_request_and_changes_contact_details() {
    use harta_domain::case::{CaseEvent, StaffId};

    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let check = fill_in(&s, &mut v, "/submit/letter", LETTER).await;
        let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
        let done = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        let (number, code) = (by_id(&done, "number"), by_id(&done, "code"));

        // An officer takes the case and asks for a document.
        let officer = add_officer(&s, "1042").await;
        let manager = Principal { actor: Actor::System, role: Role::Manager, unit: None };
        let assign = CaseEvent::Assigned { officer: StaffId(officer), note: None };
        s.app.record_event(&manager, &number, assign).await.unwrap();
        let what = "Копие от нотариалния акт за имота.".to_string();
        let ask = CaseEvent::InformationRequested { what: what.clone(), by: "2026-12-02".parse().unwrap() };
        s.app.record_event(&manager, &number, ask).await.unwrap();

        let note = CaseEvent::NoteAdded {
            note: "Вътрешно: заявителката е звъняла два пъти.".into()
        };
        s.app.record_event(&manager, &number, note).await.unwrap();
        let found = v.post("/track", &[("csrf", &csrf), ("number", &number), ("code", &code)]).await;
        assert_eq!(by_id(&found, "state"), "Чака информация от вас");
        assert!(
            !text(&found).contains("Вътрешно") && !text(&found).contains("Вътрешна бележка"),
            "notes stay internal"
        );
        assert!(text(&found).contains(&what) && text(&found).contains("02.12.2026"));
        let ticket = field(&found, "ticket");

        // Empty: named, nothing recorded.
        let empty = v.post("/track/information", &[("csrf", &csrf), ("ticket", &ticket), ("information", " ")]).await;
        assert_eq!(empty.status, 422);
        assert!(text(&empty).contains("<a href=\"#information\">Попълнете „Информацията, която поискахме“.</a>"));
        // Without this visitor's token nothing happens.
        let zeros = "0".repeat(32);
        let forged = v.post("/track/information", &[("csrf", &zeros), ("ticket", &ticket), ("information", "x")]).await;
        assert_eq!(forged.status, 403);
        // A document that is not one is named; nothing is recorded, the text is kept.
        let bad = v
            .post_files(
                "/track/information",
                &[("csrf", &csrf), ("ticket", &ticket), ("information", "Ето акта.")],
                &[("акт.pdf", b"not a pdf".to_vec())],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(text(&bad).contains("Файлът „акт.pdf“ не е PDF, JPEG, PNG, DOCX или ODT."));
        assert!(text(&bad).contains(">Ето акта.</textarea>"));
        let sent = v
            .post_files(
                "/track/information",
                &[("csrf", &csrf), ("ticket", &ticket), ("information", "Актът е № 12/2019 г.")],
                // Larger than the API's 2 MiB: the form takes what the submission form takes.
                &[("акт.pdf", pdf(3 * 1024 * 1024))],
            )
            .await;
        assert_eq!(sent.status, 200, "{}", text(&sent));
        assert_eq!(by_id(&sent, "notice"), "Получихме информацията. Преписката продължава.");
        assert_eq!(by_id(&sent, "state"), "В работа");
        let case = s.app.view_case(&manager, &number).await.unwrap().case;
        let docs = harta_store::cases::Cases::new(s.db.db.clone()).documents(case.id).await.unwrap();
        assert_eq!(docs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["акт.pdf"]);
        // Staff open it over the API, with the case's role and unit rules.
        let clerk = s.token(Role::CounterClerk, None).await;
        let other_unit = s.token(Role::CaseOfficer, Some("grao")).await;
        let path = format!("{}/documents", harta_web::api::case_path(&number));
        let listed = crate::support::get(s.addr, &clerk, &path).await;
        assert_eq!(listed.status, 200);
        let listed = listed.json();
        assert_eq!(listed["documents"][0]["name"], "акт.pdf");
        assert_eq!(listed["documents"][0]["media_type"], "application/pdf");
        assert_eq!(listed["documents"][0]["added_by"]["type"], "citizen");
        let url = listed["documents"][0]["url"].as_str().unwrap().to_string();
        let opened = crate::support::get(s.addr, &clerk, &url).await;
        assert_eq!(opened.status, 200);
        assert_eq!(opened.body, pdf(3 * 1024 * 1024));
        assert_eq!(opened.header("content-type"), Some("application/pdf"));
        assert_eq!(opened.header("x-content-type-options"), Some("nosniff"));
        let disposition = opened.header("content-disposition").unwrap();
        assert!(
            disposition.starts_with("attachment;") && disposition.contains("UTF-8''%D0%B0%D0%BA%D1%82.pdf"),
            "{disposition}"
        );
        assert_eq!(crate::support::get(s.addr, &other_unit, &path).await.status, 404, "another unit's case");
        assert_eq!(crate::support::get(s.addr, &other_unit, &url).await.status, 404);
        for forged in ["abc", "999999", "-1"] {
            assert_eq!(crate::support::get(s.addr, &clerk, &format!("{path}/{forged}")).await.status, 404, "{forged}");
        }
        let auditor = Principal { actor: Actor::System, role: Role::Auditor, unit: None };
        let filter = harta_app::AuditFilter { action: Some("open_document".into()), limit: 10, ..Default::default() };
        let audited = s.app.audit_entries(&auditor, filter).await.unwrap();
        assert_eq!(audited.len(), 1, "each opening is audited, a refusal opens nothing");
        assert_eq!(audited[0].subject, number);
        // Asked once, answered once: the form is gone and a second answer is refused.
        assert!(!text(&sent).contains("id=\"information\""));
        let twice = v.post("/track/information", &[("csrf", &csrf), ("ticket", &ticket), ("information", "още")]).await;
        assert_eq!(twice.status, 409);

        // New contact details: the preferred way must be reachable.
        let contact = |email: &'static str, preferred: &'static str| {
            vec![
                ("csrf", csrf.clone()),
                ("ticket", ticket.clone()),
                ("email", email.into()),
                ("phone", String::new()),
                ("address", String::new()),
                ("preferred", preferred.into()),
            ]
        };
        let r = post_owned(&mut v, "/track/contact", &contact("", "email")).await;
        assert_eq!(r.status, 422);
        assert!(text(&r).contains("<a href=\"#email\">Попълнете „Електронна поща“.</a>"));
        let good = contact("maria.ivanova@example.bg", "email");
        let mut forged = good.clone();
        forged[0].1 = "0".repeat(32);
        assert_eq!(post_owned(&mut v, "/track/contact", &forged).await.status, 403);
        let before = s.app.view_case(&manager, &number).await.unwrap();
        assert_eq!(before.case.party.email.as_deref(), Some("maria@example.bg"), "a forged form changes nothing");
        let r = post_owned(&mut v, "/track/contact", &good).await;
        assert_eq!(r.status, 200, "{}", text(&r));
        assert_eq!(by_id(&r, "notice"), "Данните ви за връзка са променени.");
        assert!(text(&r).contains("Променени данни за връзка"));
        let view = s.app.view_case(&manager, &number).await.unwrap();
        assert_eq!(view.case.party.email.as_deref(), Some("maria.ivanova@example.bg"));

        // A forged ticket, and one that has run out, lead back to the code.
        let forged = v.post("/track/information", &[("csrf", &csrf), ("ticket", "00"), ("information", "x")]).await;
        assert_eq!(forged.status, 401);
        s.set_now("2026-11-25T13:31:00Z");
        let late = post_owned(&mut v, "/track/contact", &good).await;
        assert_eq!(late.status, 401);
        assert!(text(&late).contains("Времето за действия по преписката изтече"));
        s.db.finish().await;
    }
}

/// A form for a letter with documents, shown a minute ago, ready to post as multipart.
async fn letter_form(s: &Server, v: &mut Visitor) -> (String, String) {
    let form = v.get("/submit/letter").await;
    assert!(text(&form).contains("enctype=\"multipart/form-data\""));
    s.set_now("2026-11-25T12:31:00Z");
    (field(&form, "csrf"), field(&form, "shown"))
}

fn pdf(n: usize) -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.resize(n.saturating_sub(7), b'x');
    b.extend_from_slice(b"\n%%EOF\n");
    b
}

fn files_in(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[tokio::test]
async fn documents_are_checked_by_content_kept_with_the_case_and_never_served() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let (csrf, shown) = letter_form(&s, &mut v).await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown)];
        fields.extend_from_slice(LETTER);
        let png = b"\x89PNG\r\n\x1a\n rest of a picture".to_vec();

        // Wrong ones are named one by one; the right ones are kept for the next try.
        let program = b"MZ\x90\x00 not a document".to_vec();
        let r = v
            .post_files(
                "/submit/letter",
                &fields,
                &[
                    ("акт.pdf", pdf(2000)),
                    ("снимка.pdf", png.clone()),
                    ("setup.pdf", program),
                    ("голям.pdf", pdf(20 * 1024 * 1024 + 1)),
                ],
            )
            .await;
        assert_eq!(r.status, 422, "{}", text(&r));
        let html = text(&r);
        assert!(html.contains("Файлът „снимка.pdf“ има разширение, което не отговаря на съдържанието му."), "{html}");
        assert!(html.contains("Файлът „setup.pdf“ не е PDF, JPEG, PNG, DOCX или ODT."));
        assert!(html.contains("Файлът „голям.pdf“ е по-голям от 20 MB."));
        assert!(html.contains("<li>акт.pdf (2 KB)</li>"), "the accepted one is listed");
        assert_eq!(files_in(&s.files.join("uploads")), 1, "refused uploads are deleted at once");
        assert_eq!(case_count(&s).await, 0);

        // Sent again with only the picture added: both are attached, the check page lists them.
        let uploads = field(&r, "uploads");
        let (csrf, shown) = (field(&r, "csrf"), field(&r, "shown"));
        let mut again: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown), ("uploads", &uploads)];
        again.extend_from_slice(LETTER);
        s.set_now("2026-11-25T12:32:00Z");
        let check = v.post_files("/submit/letter", &again, &[("снимка.png", png)]).await;
        assert_eq!(check.status, 200, "{}", text(&check));
        assert!(text(&check).contains("акт.pdf (2 KB)\nснимка.png (1 KB)"), "{}", text(&check));
        let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
        let done = v.post("/submit/letter/send", &[("csrf", &csrf), ("draft", &draft)]).await;
        assert_eq!(done.status, 200, "{}", text(&done));
        assert!(text(&done).contains("<li>акт.pdf (2 KB)</li>"));
        let number = by_id(&done, "number");

        // Recorded with the case, kept under their hash, the upload area empty.
        let manager = Principal { actor: Actor::System, role: Role::Manager, unit: None };
        let case = s.app.view_case(&manager, &number).await.unwrap().case;
        let cases = harta_store::cases::Cases::new(s.db.db.clone());
        let docs = cases.documents(case.id).await.unwrap();
        assert_eq!(docs.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["акт.pdf", "снимка.png"]);
        assert_eq!(docs[0].media_type, "application/pdf");
        assert_eq!(docs[1].media_type, "image/png");
        let kept = s.files.join("documents").join(&docs[0].sha256[..2]).join(&docs[0].sha256);
        assert_eq!(std::fs::read(kept).unwrap(), pdf(2000));
        assert_eq!(files_in(&s.files.join("uploads")), 0);
        // Nothing under the site serves them.
        for path in ["/documents", "/uploads", &format!("/documents/{}", docs[0].sha256)] {
            assert_eq!(v.get(path).await.status, 404);
        }
        s.db.finish().await;
    }
}

#[tokio::test]
async fn too_many_files_a_bomb_and_an_oversized_body_are_refused_cleanly() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let (csrf, shown) = letter_form(&s, &mut v).await;
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown)];
        fields.extend_from_slice(LETTER);
        let many: Vec<(String, Vec<u8>)> = (0..50).map(|i| (format!("d{i}.pdf"), pdf(100))).collect();
        let many: Vec<(&str, Vec<u8>)> = many.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        let r = v.post_files("/submit/letter", &fields, &many).await;
        assert_eq!(r.status, 422);
        assert!(text(&r).contains("Можете да приложите най-много 10 файла."));
        assert_eq!(text(&r).matches("<li>d").count(), 10, "the first ten are kept");

        // A DOCX whose entry claims 4 GB: refused by what it declares, never unpacked.
        let mut bomb = b"PK\x03\x04".to_vec();
        bomb.extend_from_slice(&[
            20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 255, 255, 255, 255, 17, 0, 0, 0,
        ]);
        bomb.extend_from_slice(b"word/document.xmlabcd");
        let dir_at = 0u32;
        let mut dir = b"PK\x01\x02".to_vec();
        dir.extend_from_slice(&[
            20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 255, 255, 255, 255, 17, 0,
        ]);
        dir.extend_from_slice(&[0; 12]);
        dir.extend_from_slice(&dir_at.to_le_bytes());
        dir.extend_from_slice(b"word/document.xml");
        let offset = bomb.len() as u32;
        bomb.extend_from_slice(&dir);
        bomb.extend_from_slice(b"PK\x05\x06\0\0\0\0\x01\0\x01\0");
        bomb.extend_from_slice(&(dir.len() as u32).to_le_bytes());
        bomb.extend_from_slice(&offset.to_le_bytes());
        bomb.extend_from_slice(&[0, 0]);
        let r = v.post_files("/submit/letter", &fields, &[("bomb.docx", bomb)]).await;
        assert!(text(&r).contains("Файлът „bomb.docx“ не може да бъде приет"), "{}", text(&r));

        // A body over the route's limit (ten files of 20 MB): a page saying so, the server fine.
        let huge = v.post_files("/submit/letter", &fields, &[("огромен.pdf", pdf(210 * 1024 * 1024))]).await;
        assert_eq!(huge.status, 413);
        assert!(text(&huge).contains("Изпратеното е повече от 200 MB"), "{}", text(&huge));
        assert_eq!(v.get("/").await.status, 200);
        assert_eq!(case_count(&s).await, 0);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn suggestions_appear_on_the_board_only_with_consent_and_approval() {
    use harta_domain::case::{CaseEvent, StaffId};

    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let suggestion = |text: &'static str, publish: &'static str| {
            vec![
                ("subject", "Пейки в парка"),
                ("text", text),
                ("name", "Иван Петров"),
                ("email", "ivan@example.bg"),
                ("preferred", "email"),
                ("publish", publish),
            ]
        };
        let mut numbers = Vec::new();
        for (wording, publish) in [("Поставете пейки в парк „Житница“.", "yes"), ("Лично: кметът да ми се обади.", "")]
        {
            let check = fill_in(&s, &mut v, "/submit/suggestion", &suggestion(wording, publish)).await;
            assert_eq!(check.status, 200, "{}", text(&check));
            let (csrf, draft) = (field(&check, "csrf"), field(&check, "draft"));
            let done = v.post("/submit/suggestion/send", &[("csrf", &csrf), ("draft", &draft)]).await;
            numbers.push(by_id(&done, "number"));
        }
        let board = text(&v.get("/suggestions").await);
        assert!(board.contains("Още няма публикувани предложения."), "nothing before approval");

        let head = s.token(Role::HeadOfUnit, Some("cao")).await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let put = |token: &str, number: &str, body: serde_json::Value| {
            let auth = format!("Bearer {token}");
            let path = format!("/api/v1/cases/{}/publication", encode(number));
            let addr = s.addr;
            async move {
                request(
                    addr,
                    "PUT",
                    &path,
                    &[("Authorization", &auth), ("Content-Type", "application/json")],
                    body.to_string().as_bytes(),
                )
                .await
            }
        };
        let wording = serde_json::json!({"publish": true, "text": "Да се поставят пейки в парк „Житница“."});
        assert_eq!(put(&clerk, &numbers[0], wording.clone()).await.status, 403);
        assert_eq!(put(&head, &numbers[1], serde_json::json!({"publish": true})).await.status, 409, "no consent");
        assert_eq!(put(&head, &numbers[0], serde_json::json!({"text": "x"})).await.status, 422);
        assert_eq!(put(&head, &numbers[0], wording).await.status, 200);

        let board = text(&v.get("/suggestions").await);
        assert!(board.contains("Да се поставят пейки в парк „Житница“."));
        assert!(!board.contains("Иван Петров") && !board.contains("кметът да ми се обади"));
        assert!(board.contains("Все още работим по отговора."));

        // The answer appears with it.
        let officer = add_officer(&s, "1050").await;
        let manager = Principal { actor: Actor::System, role: Role::Manager, unit: None };
        for event in [
            CaseEvent::Assigned { officer: StaffId(officer), note: None },
            CaseEvent::Answered {
                summary: "Пейките ще бъдат поставени през пролетта.".into(),
                letter: None,
                spoken: Some(harta_domain::case::Spoken::InPerson),
            },
        ] {
            s.app.record_event(&manager, &numbers[0], event).await.unwrap();
        }
        let board = text(&v.get("/suggestions").await);
        assert!(
            board.contains("Нашият отговор (25.11.2026)")
                && board.contains("Пейките ще бъдат поставени през пролетта.")
        );
        let english = {
            v.get("/lang/en").await;
            text(&v.get("/suggestions?page=x").await)
        };
        assert!(english.contains("Our answer (25.11.2026)"));

        // Taken off again.
        assert_eq!(put(&head, &numbers[0], serde_json::json!({"publish": false})).await.status, 200);
        assert!(text(&v.get("/suggestions").await).contains("No suggestions have been published yet."));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn staff_edit_the_catalogue_and_the_site_shows_it_at_once() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mut v = Visitor::new(s.addr);
        let listed = request(s.addr, "GET", "/api/v1/services", &[], b"").await;
        assert_eq!(listed.json()["services"].as_array().unwrap().len(), 25);
        assert_eq!(request(s.addr, "GET", "/api/v1/services/2016", &[], b"").await.json()["unit"], "grao");

        let put = |token: String, code: &'static str, body: serde_json::Value| {
            let addr = s.addr;
            async move {
                let auth = format!("Bearer {token}");
                let path = format!("/api/v1/services/{code}");
                request(
                    addr,
                    "PUT",
                    &path,
                    &[("Authorization", &auth), ("Content-Type", "application/json")],
                    body.to_string().as_bytes(),
                )
                .await
            }
        };
        let text2 = |bg: &str, en: &str| serde_json::json!({"bg": bg, "en": en});
        let service = serde_json::json!({
            "name": text2("Издаване на удостоверение за търпимост на строеж", "Certificate of tolerance of a building"),
            "purpose": text2("Удостоверява, че строежът може да остане.", "Proves that a building may stay."),
            "who": text2("Собственикът.", "The owner."),
            "documents": [text2("Заявление", "Application")],
            "tiers": [{"tier": "ordinary", "fee": "12.78", "deadline": "14 calendar days"}],
            "unit": "ut",
            "how": text2("На гише.", "At the counter."),
            "keywords": ["търпимост"]
        });
        let admin = s.token(Role::Administrator, None).await;
        let clerk = s.token(Role::CounterClerk, None).await;
        assert_eq!(put(clerk.clone(), "9001", service.clone()).await.status, 403);
        let mut wrong = service.clone();
        wrong["unit"] = "nowhere".into();
        // The role is checked first: a clerk learns nothing from the checks.
        assert_eq!(put(clerk, "9001", wrong.clone()).await.status, 403);
        let r = put(admin.clone(), "9001", wrong).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["errors"][0]["field"], "unit");
        let mut other = service.clone();
        other["code"] = "9002".into();
        assert_eq!(put(admin.clone(), "9001", other).await.status, 422);
        let mut empty = service.clone();
        empty["documents"] = serde_json::json!([]);
        assert_eq!(put(admin.clone(), "9001", empty).await.json()["errors"][0]["field"], "documents");
        assert_eq!(v.get("/services/9001").await.status, 404, "nothing stored by a refused edit");

        let r = put(admin.clone(), "9001", service.clone()).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let page = text(&v.get("/services/9001").await);
        assert!(page.contains("Издаване на удостоверение за търпимост на строеж"));
        assert!(text(&v.get("/services?q=tarpimost").await).contains("href=\"/services/9001\""));
        assert!(page.contains("12,78 €") && page.contains("14 календарни дни"), "fee in euro, deadline as a rule");
        // A wrong fee is named by its field, and nothing changes.
        for (fee, code) in [("-1", "negative"), ("пет", "not_an_amount")] {
            let mut wrong = service.clone();
            wrong["tiers"][0]["fee"] = fee.into();
            let r = put(admin.clone(), "9001", wrong).await;
            assert_eq!(r.status, 422);
            assert_eq!(r.json()["errors"][0]["field"], "tiers[0].fee", "{fee}");
            assert_eq!(r.json()["errors"][0]["code"], code, "{fee}");
        }
        let mut legacy = service.clone();
        legacy["fee"] = text2("5,00 лв.", "BGN 5.00");
        assert_eq!(put(admin.clone(), "9001", legacy).await.json()["errors"][0]["field"], "fee");
        // Replacing keeps the service's place; the new fee shows.
        let mut cheaper = service;
        cheaper["tiers"] = serde_json::json!([{"tier": "ordinary", "fee": "5.11"}, {"tier": "fast", "fee": "10.23", "deadline": "3 working days"}]);
        assert_eq!(put(admin, "9001", cheaper).await.status, 200);
        let page = text(&v.get("/services/9001").await);
        assert!(page.contains("5,11 €") && page.contains("10,23 €") && page.contains("бърза услуга"), "{page}");
        let all = text(&v.get("/services").await);
        assert_eq!(all.matches("<li><a href=\"/services/").count(), 26);

        // Another replica over the same store reads the edited catalogue, not the file, and
        // notices a later edit when it refreshes (the server does every second).
        let replica = crate::support::replica(&s).await;
        let fee_of = |c: &harta_domain::catalogue::Catalogue, code: &str| c.service(code).and_then(|x| x.tiers[0].fee);
        assert_eq!(fee_of(&replica.catalogue(), "9001").map(|m| m.cents()), Some(511));
        let manager = Principal { actor: Actor::System, role: Role::Manager, unit: None };
        let mut edited = s.app.catalogue().service("2016").unwrap().clone();
        edited.tiers[0].fee = Some(harta_domain::money::Money::from_cents(358).unwrap());
        s.app.put_service(&manager, edited).await.unwrap();
        replica.refresh_catalogue().await.unwrap();
        assert_eq!(fee_of(&replica.catalogue(), "2016").map(|m| m.cents()), Some(358));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn uploads_reach_the_disk_only_with_the_forms_token_and_within_the_senders_budget() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let uploads = s.files.join("uploads");
        let mut v = Visitor::new(s.addr);
        let (csrf, shown) = letter_form(&s, &mut v).await;
        let big = || vec![("акт.pdf", pdf(5 * 1024 * 1024)), ("скица.pdf", pdf(5 * 1024 * 1024))];

        // A forged token, or none at all: nothing is written, not even for a moment.
        let mut forged: Vec<(&str, &str)> = vec![("csrf", "forged"), ("shown", &shown)];
        forged.extend_from_slice(LETTER);
        assert_eq!(v.post_files("/submit/letter", &forged, &big()).await.status, 403);
        let mut stranger = Visitor::new(s.addr);
        assert_eq!(stranger.post_files("/submit/letter", LETTER, &big()).await.status, 403);
        assert_eq!(files_in(&uploads), 0, "refused forms leave no upload behind");

        // Text fields are capped together, not only one by one.
        let long = "а".repeat(600 * 1024);
        let mut heavy: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown)];
        heavy.extend(["a", "b", "c", "d"].iter().map(|k| (*k, long.as_str())));
        assert_eq!(v.post_files("/submit/letter", &heavy, &[]).await.status, 413);

        // An address that spent its hour's budget gets its file refused by name, and deleted.
        let budget = harta_app::files::UPLOAD_BYTES_PER_HOUR;
        assert!(s.app.take_upload_budget("127.0.0.1", budget - 1000).await.unwrap());
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown)];
        fields.extend_from_slice(LETTER);
        let r = v.post_files("/submit/letter", &fields, &[("акт.pdf", pdf(2000))]).await;
        assert_eq!(r.status, 422, "{}", text(&r));
        assert!(text(&r).contains("Файлът „акт.pdf“ не е приет: от вашия адрес през този час"), "{}", text(&r));
        assert_eq!(files_in(&uploads), 0);
        // The next hour it is accepted.
        s.set_now("2026-11-25T13:31:00Z");
        let form = v.get("/submit/letter").await;
        s.set_now("2026-11-25T13:32:00Z");
        let (csrf, shown) = (field(&form, "csrf"), field(&form, "shown"));
        let mut fields: Vec<(&str, &str)> = vec![("csrf", &csrf), ("shown", &shown)];
        fields.extend_from_slice(LETTER);
        let r = v.post_files("/submit/letter", &fields, &[("акт.pdf", pdf(2000))]).await;
        assert_eq!(r.status, 200, "{}", text(&r));
        assert_eq!(files_in(&uploads), 1);
        s.db.finish().await;
    }
}
