//! The staff workspace over real HTTP: signing in and out, the lock-out, the inbox scoped by
//! role and unit, the case page and its actions, and the password change.

use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::{Principal, Role};
use harta_domain::case::{Actor, CaseEvent};
use harta_store::testing::backends;

use crate::support::{Response, Server, request, start};

pub(crate) fn text(r: &Response) -> String {
    String::from_utf8(r.body.clone()).unwrap()
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

/// The value of a hidden field.
pub(crate) fn field(r: &Response, name: &str) -> String {
    let html = text(r);
    let at = html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("no field {name}: {html}"));
    let rest = &html[at + name.len() + 15..];
    rest[..rest.find('"').unwrap()].to_string()
}

/// A browser for the workspace: cookies kept, forms posted.
pub(crate) struct Browser {
    s_addr: std::net::SocketAddr,
    cookies: Vec<(String, String)>,
    /// The address the browser is at, as the (trusted) proxy of the tests forwards it.
    from: String,
}

impl Browser {
    pub(crate) fn new(s: &Server) -> Self {
        Self::at(s, "127.0.0.1")
    }

    /// A browser elsewhere, behind the tests' proxy.
    fn at(s: &Server, from: &str) -> Self {
        Self { s_addr: s.addr, cookies: Vec::new(), from: from.into() }
    }

    fn jar(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep(&mut self, r: &Response) {
        for (name, value) in &r.headers {
            if name == "set-cookie" {
                let (k, v) = value.split(';').next().unwrap().split_once('=').unwrap();
                self.cookies.retain(|(n, _)| n != k);
                if !v.is_empty() {
                    self.cookies.push((k.into(), v.into()));
                }
            }
        }
    }

    pub(crate) async fn get(&mut self, path: &str) -> Response {
        let jar = self.jar();
        let r = request(self.s_addr, "GET", path, &[("Cookie", &jar), ("X-Forwarded-For", &self.from)], b"").await;
        self.keep(&r);
        r
    }

    pub(crate) async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Response {
        let jar = self.jar();
        let body = fields.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let r = request(
            self.s_addr,
            "POST",
            path,
            &[("Cookie", &jar), ("Content-Type", "application/x-www-form-urlencoded"), ("X-Forwarded-For", &self.from)],
            body.as_bytes(),
        )
        .await;
        self.keep(&r);
        r
    }

    /// Signs in through the second factor too, enrolling when the role asks for it.
    pub(crate) async fn sign_in_with_code(&mut self, login: &str, password: &str, now: &str) -> Response {
        let step = self.sign_in(login, password).await;
        let html = text(&step);
        let Some(at) = html.find("id=\"secret\" class=\"big\">") else { return step };
        let secret = html[at + 24..at + 24 + html[at + 24..].find('<').unwrap()].to_string();
        let code = code_at(&secret, now);
        let fields = [
            ("csrf", field(&step, "csrf")),
            ("ticket", field(&step, "ticket")),
            ("code", code),
            ("secret", field(&step, "secret")),
            ("uri", field(&step, "uri")),
        ];
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.post("/staff/sign-in/code", &refs).await
    }

    pub(crate) async fn sign_in(&mut self, login: &str, password: &str) -> Response {
        let form = self.get("/staff/sign-in").await;
        let csrf = field(&form, "csrf");
        self.post("/staff/sign-in", &[("csrf", &csrf), ("login", login), ("password", password)]).await
    }
}

/// A member of staff with a password; returns their id.
pub(crate) async fn staff(s: &Server, number: &str, role: &str, unit: Option<&str>, password: &str) -> i64 {
    let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
    let input = harta_app::administration::StaffInput {
        employee_number: Some(number.into()),
        name: Some(format!("Служител {number}")),
        role: Some(role.into()),
        unit: unit.map(str::to_string),
        email: None,
        phone: None,
        position: None,
    };
    let id = s.app.add_staff(&admin, &input).await.unwrap();
    let hash = harta_app::passwords::hash(password.into()).await.unwrap();
    harta_store::sessions::Sessions::new(s.db.db.clone()).set_password(id, &hash).await.unwrap();
    id
}

async fn letter_for(s: &Server, unit: &str, subject: &str) -> String {
    let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
    let input = RegisterCaseInput {
        kind: Some("letter".into()),
        channel: Some("post".into()),
        subject: Some(subject.into()),
        text: Some("Моля за отговор.".into()),
        unit: Some(unit.into()),
        party: PartyInput {
            name: Some("Мария Иванова".into()),
            email: Some("maria@example.bg".into()),
            egn: Some("7503146242".into()),
            ..PartyInput::default()
        },
        ..RegisterCaseInput::default()
    };
    s.app.register_case(&clerk, input).await.unwrap().number.as_str().to_string()
}

#[tokio::test]
async fn signing_in_locks_out_after_five_failures_and_is_audited() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1042", "case_officer", Some("cao"), "верна-парола-123").await;
        let mut b = Browser::new(&s);
        assert_eq!(b.get("/staff").await.status, 303, "no session: to the sign-in page");
        let wrong = b.sign_in("1042", "грешна").await;
        assert_eq!(wrong.status, 401);
        assert!(text(&wrong).contains("Грешен служебен номер или парола."));
        // An unknown login gets the same answer.
        assert!(text(&b.sign_in("9999", "грешна").await).contains("Грешен служебен номер или парола."));
        for _ in 0..4 {
            b.sign_in("1042", "грешна").await;
        }
        let locked = b.sign_in("1042", "верна-парола-123").await;
        assert_eq!(locked.status, 429, "stopped even with the right password");
        assert!(text(&locked).contains("Входът е спрян за 15 минути."));
        b.sign_in("1042", "верна-парола-123").await;
        let audit = harta_store::audit::Audit::new(s.db.db.clone());
        assert_eq!(audit.count_for("1042").await.unwrap(), 6, "five failures and the first stopped attempt");
        // The owner, at their own desk, is not locked out by what happened elsewhere.
        let mut owner = Browser::at(&s, "198.51.100.7");
        assert_eq!(owner.sign_in("1042", "верна-парола-123").await.status, 303);
        // A password typed into the login field is not kept; a long login is cut short.
        let typed = format!("тайна-парола-{}", "x".repeat(100_000));
        b.sign_in(&typed, "x").await;
        let auditor = Principal { actor: Actor::System, role: Role::Auditor, unit: None };
        let filter = harta_app::AuditFilter { action: Some("sign_in_failed".into()), limit: 50, ..Default::default() };
        let entries = s.app.audit_entries(&auditor, filter).await.unwrap();
        let unknown = entries.iter().find(|e| e.subject.contains("unknown login")).expect("the attempt is audited");
        assert!(!unknown.subject.contains("парола") && unknown.subject.chars().count() < 40, "{}", unknown.subject);
        s.set_now("2026-11-25T12:46:00Z");
        let ok = b.sign_in("1042", "верна-парола-123").await;
        assert_eq!(ok.status, 303);
        assert_eq!(ok.header("location"), Some("/staff"));
        assert!(ok.header("set-cookie").unwrap().contains("HttpOnly; SameSite=Strict"));
        assert_eq!(b.get("/staff").await.status, 200);
        // Behind the TLS proxy the cookies are Secure and browsers are told to stay on HTTPS.
        let form = request(s.addr, "GET", "/staff/sign-in", &[("X-Forwarded-Proto", "https")], b"").await;
        assert!(form.header("set-cookie").unwrap().split("; ").any(|a| a == "Secure"));
        assert_eq!(form.header("strict-transport-security"), Some("max-age=31536000"));
        assert!(b.get("/staff").await.header("strict-transport-security").is_none());
        // A forged sign-in form is refused.
        let mut other = Browser::new(&s);
        let r = other.post("/staff/sign-in", &[("csrf", &"0".repeat(32)), ("login", "1042"), ("password", "x")]).await;
        assert_eq!(r.status, 403);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn officers_see_their_unit_and_work_a_case_through_its_life() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let officer = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        let ours = letter_for(&s, "cao", "Неработещо осветление").await;
        let theirs = letter_for(&s, "eco", "Паднало дърво").await;

        let mut head = Browser::new(&s);
        head.sign_in("2001", "парола-на-шефа-1").await;
        let inbox = head.get("/staff").await;
        assert!(text(&inbox).contains("Неработещо осветление"));
        assert!(!text(&inbox).contains("Паднало дърво"), "another unit's case is not listed");
        assert!(text(&inbox).contains("В срок: остават 10 работни дни"), "{}", text(&inbox));
        // Another unit's case by its address: not found, not forbidden, and the reach audited.
        assert_eq!(head.get(&format!("/staff/cases/{}", encode(&theirs))).await.status, 404);
        let probes = audited(&s, "case_out_of_scope").await;
        assert!(probes.iter().any(|e| e.subject == theirs && e.detail.contains("of unit eco")), "{probes:?}");

        let page = head.get(&format!("/staff/cases/{}", encode(&ours))).await;
        assert_eq!(page.status, 200);
        assert!(text(&page).contains("Мария Иванова") && text(&page).contains("750314****"), "{}", text(&page));
        assert!(!text(&page).contains("7503146242"));
        let csrf = field(&page, "csrf");
        let path = format!("/staff/cases/{}/events", encode(&ours));
        // A forged action changes nothing.
        let forged = head.post(&path, &[("csrf", "x"), ("type", "assigned"), ("officer", &officer.to_string())]).await;
        assert_eq!(forged.status, 403);
        let assign =
            head.post(&path, &[("csrf", &csrf), ("type", "assigned"), ("officer", &officer.to_string())]).await;
        assert_eq!(assign.status, 303, "{}", text(&assign));
        let page = head.get(assign.header("location").unwrap()).await;
        assert!(text(&page).contains("Служител 1042 (1042)"));
        assert!(text(&page).contains("Записано."));

        // The officer works it: a holding reply to a date before the due date is refused, a later
        // one taken.
        let mut petya = Browser::new(&s);
        petya.sign_in("1042", "парола-на-петя-1").await;
        let csrf = field(&petya.get("/staff").await, "csrf");
        let hold = |date: &'static str| {
            [("type", "holding_reply_sent"), ("reasons", "Чакаме становище от СО."), ("new_due", date)]
        };
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(&hold("2026-11-20"));
        // Refused: back to the case page by a redirect (a reload posts nothing), with the
        // reason and what was typed.
        let refused = petya.post(&path, &fields).await;
        assert_eq!(refused.status, 303);
        let back = petya.get(refused.header("location").unwrap()).await;
        assert!(text(&back).contains("Новата дата трябва да е след сегашния срок."), "{}", text(&back));
        assert!(text(&back).contains(">Чакаме становище от СО.</textarea>"));
        let again = petya.get(refused.header("location").unwrap()).await;
        assert!(!text(&again).contains("Новата дата трябва да е след сегашния срок."), "shown once");
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(&hold("2026-12-18"));
        assert_eq!(petya.post(&path, &fields).await.status, 303);
        // An internal note: in the staff's history, never on the citizen's page.
        let note = [("csrf", csrf.as_str()), ("type", "note_added"), ("note", "Говорих с ЧЕЗ, идват утре.")];
        assert_eq!(petya.post(&path, &note).await.status, 303);
        let page = text(&petya.get(&format!("/staff/cases/{}", encode(&ours))).await);
        assert!(page.contains("Говорих с ЧЕЗ, идват утре."));
        // Without saying how it was given, an answer is refused: in writing it is an answer letter.
        let bare = [("csrf", csrf.as_str()), ("type", "answered"), ("summary", "Осветлението е поправено.")];
        let refused = petya.post(&path, &bare).await;
        let shown = text(&petya.get(refused.header("location").unwrap()).await);
        assert!(shown.contains("Писменият отговор се издава като писмо „Отговор“."), "{shown}");
        let answer = [
            ("csrf", csrf.as_str()),
            ("type", "answered"),
            ("summary", "Осветлението е поправено."),
            ("spoken", "phone"),
        ];
        assert_eq!(petya.post(&path, &answer).await.status, 303);
        assert_eq!(petya.post(&path, &[("csrf", &csrf), ("type", "closed")]).await.status, 303);
        let done = petya.get(&format!("/staff/cases/{}", encode(&ours))).await;
        assert!(text(&done).contains(">Приключена<"), "{}", text(&done));
        let empty_note = [("csrf", csrf.as_str()), ("type", "note_added"), ("note", " ")];
        let refused = petya.post(&path, &empty_note).await;
        assert_eq!(refused.header("location").map(|l| l.contains("refused=1")), Some(true));
        // A closed case offers only the note, and no life-cycle action.
        let closed = text(&petya.get(refused.header("location").unwrap()).await);
        assert!(closed.contains("value=\"note_added\"") && !closed.contains("value=\"answered\""), "{closed}");
        // Forwarding and withdrawal end an open case.
        let other = letter_for(&s, "cao", "Ремонт на тротоар").await;
        let other_path = format!("/staff/cases/{}/events", encode(&other));
        let forward =
            [("csrf", csrf.as_str()), ("type", "forwarded"), ("authority", "Столична община, дирекция „Транспорт“")];
        assert_eq!(petya.post(&other_path, &forward).await.status, 303);
        assert!(
            text(&petya.get(&format!("/staff/cases/{}", encode(&other))).await)
                .contains(">Препратена по компетентност<")
        );
        // Every view of the person's details is in the audit trail.
        let audit = harta_store::audit::Audit::new(s.db.db.clone());
        assert!(audit.count_for(&ours).await.unwrap() >= 3);

        // Signed out, the cookie opens nothing.
        let jar = petya.jar();
        assert_eq!(petya.post("/staff/sign-out", &[("csrf", &csrf)]).await.status, 303);
        let replay = request(s.addr, "GET", "/staff", &[("Cookie", &jar)], b"").await;
        assert_eq!(replay.status, 303);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_password_is_changed_with_the_current_one() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1042", "case_officer", Some("cao"), "стара-парола-123").await;
        let mut b = Browser::new(&s);
        b.sign_in("1042", "стара-парола-123").await;
        let csrf = field(&b.get("/staff/password").await, "csrf");
        let wrong = b.post("/staff/password", &[("csrf", &csrf), ("current", "не"), ("new", "нова-парола-456")]).await;
        assert_eq!(wrong.status, 422);
        assert!(text(&wrong).contains("Текущата парола не е вярна."));
        let short =
            b.post("/staff/password", &[("csrf", &csrf), ("current", "стара-парола-123"), ("new", "къса")]).await;
        assert!(text(&short).contains("поне 12 знака"));
        let ok = b
            .post("/staff/password", &[("csrf", &csrf), ("current", "стара-парола-123"), ("new", "нова-парола-456")])
            .await;
        assert!(text(&ok).contains("Паролата е сменена."));
        let mut again = Browser::new(&s);
        assert_eq!(again.sign_in("1042", "стара-парола-123").await.status, 401);
        assert_eq!(again.sign_in("1042", "нова-парола-456").await.status, 303);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_new_password_ends_the_other_sessions_of_its_member() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1042", "case_officer", Some("cao"), "стара-парола-123").await;
        let mut here = Browser::new(&s);
        here.sign_in("1042", "стара-парола-123").await;
        let mut elsewhere = Browser::at(&s, "198.51.100.7");
        elsewhere.sign_in("1042", "стара-парола-123").await;
        assert_eq!(elsewhere.get("/staff").await.status, 200);
        let csrf = field(&here.get("/staff/password").await, "csrf");
        let fields = [("csrf", csrf.as_str()), ("current", "стара-парола-123"), ("new", "нова-парола-456")];
        assert!(text(&here.post("/staff/password", &fields).await).contains("Паролата е сменена."));
        assert_eq!(here.get("/staff").await.status, 200, "the session that changed it goes on");
        assert_eq!(elsewhere.get("/staff").await.status, 303, "whoever knew the old password is out");
        // An administrator's new password ends every session of the member.
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        s.app.reset_password(&admin, "1042").await.unwrap();
        assert_eq!(here.get("/staff").await.status, 303);
        // However busy, a session ends twelve hours after its sign-in.
        let password = s.app.reset_password(&admin, "1042").await.unwrap();
        let mut busy = Browser::new(&s);
        assert_eq!(busy.sign_in("1042", &password).await.status, 303);
        // (An administrator's password takes the member to the page that changes it.)
        for at in ["2026-11-25T19:00:00Z", "2026-11-26T00:25:00Z"] {
            s.set_now(at);
            assert_eq!(busy.get("/staff/password").await.status, 200, "{at}: in use, under 12 hours");
        }
        s.set_now("2026-11-26T00:31:00Z");
        let ended = busy.get("/staff/password").await;
        assert_eq!(ended.header("location"), Some("/staff/sign-in"), "12 hours after the sign-in");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn parallel_guesses_are_stopped_at_the_limit_and_an_administrator_lets_the_owner_in() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let petya = staff(&s, "1042", "case_officer", Some("cao"), "верна-парола-123").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        // 24 guesses at once from one address: the count is taken before any hash is computed,
        // so only five are checked at all.
        let mut guesses = Vec::new();
        for i in 0..24 {
            let mut b = Browser::at(&s, "203.0.113.66");
            guesses.push(tokio::spawn(async move { b.sign_in("1042", &format!("опит-{i}")).await.status }));
        }
        let mut statuses = Vec::new();
        for g in guesses {
            statuses.push(g.await.unwrap());
        }
        assert_eq!(statuses.iter().filter(|s| **s == 401).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 19, "{statuses:?}");
        let mut attacker = Browser::at(&s, "203.0.113.66");
        assert_eq!(attacker.sign_in("1042", "верна-парола-123").await.status, 429, "not even the right one");

        // The administrator sees the stopped address on the member's page and clears it.
        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let page = admin.get(&format!("/staff/directory/{petya}")).await;
        assert!(text(&page).contains("От 203.0.113.66: 5 неуспешни опита"), "{}", text(&page));
        let cleared =
            admin.post(&format!("/staff/directory/{petya}/sign-ins"), &[("csrf", &field(&page, "csrf"))]).await;
        assert_eq!(cleared.status, 303);
        let page = admin.get(cleared.header("location").unwrap()).await;
        assert!(text(&page).contains("Адресите могат отново да опитат вход."), "{}", text(&page));
        assert!(text(&page).contains("Няма адреси, спрени да влизат като този служител."));
        assert_eq!(attacker.sign_in("1042", "верна-парола-123").await.status, 303);
        // Clearing is for administrators only.
        let forged = attacker.post(&format!("/staff/directory/{petya}/sign-ins"), &[("csrf", "x")]).await;
        assert_eq!(forged.status, 403);
        s.db.finish().await;
    }
}

fn by_id(r: &Response, id: &str) -> String {
    let html = text(r);
    let at = html.find(&format!("id=\"{id}\"")).unwrap_or_else(|| panic!("no #{id}"));
    let rest = &html[at..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    rest[..rest.find('<').unwrap()].to_string()
}

#[tokio::test]
async fn a_clerk_registers_at_the_counter_and_prints_a_receipt_once() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1001", "counter_clerk", None, "парола-на-гишето").await;
        staff(&s, "1002", "auditor", None, "парола-на-одитора").await;
        let mut b = Browser::new(&s);
        b.sign_in("1001", "парола-на-гишето").await;
        let form = b.get("/staff/intake").await;
        assert_eq!(form.status, 200);
        let (csrf, key) = (field(&form, "csrf"), field(&form, "key"));
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("key", key.as_str()),
            ("kind", "complaint"),
            ("channel", "phone"),
            ("unit", "cao"),
            ("subject", "Грубо отношение на гише"),
            ("text", "Служителят на гише 3 отказа да приеме заявлението ми."),
            ("party_type", "person"),
            ("name", "Иван Петров"),
            ("phone", "0888 123 456"),
            ("preferred", "phone"),
            ("id_kind", "egn"),
        ];
        let mut wrong = fields.clone();
        wrong.push(("national_id", "8032056032"));
        let r = b.post("/staff/intake", &wrong).await;
        assert_eq!(r.status, 422);
        assert!(text(&r).contains("<a href=\"#national_id\">„ЕГН или ЛНЧ“ не е валиден"), "{}", text(&r));
        fields.push(("national_id", "7503146242"));
        let receipt = b.post("/staff/intake", &fields).await;
        assert_eq!(receipt.status, 200, "{}", text(&receipt));
        let number = by_id(&receipt, "number");
        assert_eq!(number, "РКС26-ЖБ12-1");
        assert_eq!(by_id(&receipt, "due"), "7 работни дни, до 04.12.2026");
        let code = by_id(&receipt, "code");
        assert_eq!(code.len(), 11);
        // Printing again after a reload: the same case, the same code.
        let again = b.post("/staff/intake", &fields).await;
        assert_eq!((by_id(&again, "number"), by_id(&again, "code")), (number.clone(), code.clone()));
        // The next time, the person is found at the counter by ЕГН, phone or name.
        for q in ["7503146242", "0888123456", "petrov", "Иван"] {
            let page = b.get(&format!("/staff/intake?find={}", encode(q))).await;
            let html = text(&page);
            assert!(html.contains("<strong>Иван Петров</strong>"), "{q}: {html}");
            let found = &html[html.find("id=\"found\"").unwrap()..];
            assert!(!found.contains("7503146242") && found.contains("750314****"), "the ЕГН is shown masked");
        }
        assert!(text(&b.get("/staff/intake?find=8801011234").await).contains("Няма такъв заявител."));
        // Officers of another unit do not find a person known only from this unit's case.
        let case_unit = s.app.view_case(&manager_view(), &number).await.unwrap().case.unit;
        let other = if case_unit == "grao" { "cao" } else { "grao" };
        for (unit, expected) in [(other, 0), (case_unit.as_str(), 1)] {
            let officer = Principal { actor: Actor::System, role: Role::CaseOfficer, unit: Some(unit.into()) };
            for q in ["7503146242", "Иван Петров", "0888 123 456"] {
                assert_eq!(s.app.find_people(&officer, q).await.unwrap().len(), expected, "{unit} {q}");
            }
        }
        let csrf_now = field(&b.get("/staff/intake").await, "csrf");
        let filled = b
            .post(
                "/staff/intake/prefill",
                &[("csrf", &csrf_now), ("party_type", "person"), ("name", "Иван Петров"), ("phone", "0888 123 456")],
            )
            .await;
        assert_eq!(field(&filled, "name"), "Иван Петров");
        let audit = harta_store::audit::Audit::new(s.db.db.clone());
        assert!(audit.count_for("egn").await.unwrap() >= 1, "the look-up is audited by kind");
        assert_eq!(audit.count_for("7503146242").await.unwrap(), 0, "never by the number itself");
        // The citizen can follow it with the receipt.
        let tracked = s.app.track(&number, &code, "127.0.0.1").await.unwrap();
        assert_eq!(tracked.case.channel.as_str(), "phone");
        // An auditor changes nothing, here either.
        let mut auditor = Browser::new(&s);
        assert_eq!(auditor.sign_in_with_code("1002", "парола-на-одитора", "2026-11-25T12:30:00Z").await.status, 303);
        let form = auditor.get("/staff/intake").await;
        let (csrf, key) = (field(&form, "csrf"), field(&form, "key"));
        let mut theirs = fields.clone();
        theirs[0] = ("csrf", csrf.as_str());
        theirs[1] = ("key", key.as_str());
        assert_eq!(auditor.post("/staff/intake", &theirs).await.status, 403);
        s.db.finish().await;
    }
}

async fn post_code(b: &mut Browser, fields: Vec<(&str, String)>) -> Response {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post("/staff/sign-in/code", &refs).await
}

/// The code an authenticator app shows for a base32 secret at a time.
fn code_at(secret: &str, at: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret.replace(' ', "")).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret.to_vec()).build().unwrap();
    totp.generate(at.parse::<jiff::Timestamp>().unwrap().as_second() as u64).to_string()
}

#[tokio::test]
async fn administrators_and_auditors_must_use_a_second_factor_and_a_code_works_once() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        // An officer without a second factor goes straight in.
        assert_eq!(Browser::new(&s).sign_in("1042", "парола-на-петя-1").await.status, 303);

        // The administrator is shown a new key and must confirm it with a code.
        let mut b = Browser::new(&s);
        let enrol = b.sign_in("9001", "админ-парола-1").await;
        assert_eq!(enrol.status, 200);
        let secret = {
            let html = text(&enrol);
            let at = html.find("id=\"secret\" class=\"big\">").unwrap() + 24;
            html[at..at + html[at..].find('<').unwrap()].to_string()
        };
        let (csrf, ticket) = (field(&enrol, "csrf"), field(&enrol, "ticket"));
        let uri = field(&enrol, "uri");
        assert!(uri.starts_with("otpauth://totp/harta:9001?secret="));
        let hidden_secret = field(&enrol, "secret");
        let send = |code: String, ticket: String| {
            vec![
                ("csrf", csrf.clone()),
                ("ticket", ticket),
                ("code", code),
                ("secret", hidden_secret.clone()),
                ("uri", uri.clone()),
            ]
        };
        let wrong = post_code(&mut b, send("000000".into(), ticket.clone())).await;
        assert_eq!(wrong.status, 401);
        assert!(text(&wrong).contains("Кодът не е верен"));
        let code = code_at(&secret, "2026-11-25T12:30:00Z");
        assert_eq!(post_code(&mut b, send(code.clone(), ticket.clone())).await.status, 303, "enrolled and signed in");
        assert_eq!(b.get("/staff").await.status, 200);

        // Next time the code is asked for; the same code again is refused (replay).
        let mut again = Browser::new(&s);
        let step = again.sign_in("9001", "админ-парола-1").await;
        assert!(!text(&step).contains("id=\"secret\""), "enrolled: no new key");
        let (csrf2, ticket2) = (field(&step, "csrf"), field(&step, "ticket"));
        let replay =
            again.post("/staff/sign-in/code", &[("csrf", &csrf2), ("ticket", &ticket2), ("code", &code)]).await;
        assert_eq!(replay.status, 401);
        s.set_now("2026-11-25T12:30:40Z");
        let next = code_at(&secret, "2026-11-25T12:30:40Z");
        let ok = again.post("/staff/sign-in/code", &[("csrf", &csrf2), ("ticket", &ticket2), ("code", &next)]).await;
        assert_eq!(ok.status, 303);
        // The ticket opened its session: with the code after that, it opens no other.
        s.set_now("2026-11-25T12:31:10Z");
        let later = code_at(&secret, "2026-11-25T12:31:10Z");
        let mut thief = Browser::new(&s);
        let form = thief.get("/staff/sign-in").await;
        let csrf3 = field(&form, "csrf");
        let replayed =
            thief.post("/staff/sign-in/code", &[("csrf", &csrf3), ("ticket", &ticket2), ("code", &later)]).await;
        assert_eq!(replayed.status, 401, "a ticket is good for one session");
        // A ticket is good for five minutes only.
        let mut late = Browser::new(&s);
        let step = late.sign_in("9001", "админ-парола-1").await;
        let (csrf3, ticket3) = (field(&step, "csrf"), field(&step, "ticket"));
        s.set_now("2026-11-25T12:36:40Z");
        let code = code_at(&secret, "2026-11-25T12:36:40Z");
        assert_eq!(
            late.post("/staff/sign-in/code", &[("csrf", &csrf3), ("ticket", &ticket3), ("code", &code)]).await.status,
            401
        );
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_inbox_searches_number_subject_text_and_name_in_either_script() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "3001", "manager", None, "парола-на-кмета").await;
        let lamp = letter_for(&s, "cao", "Неработещо улично осветление").await;
        let tree = letter_for(&s, "eco", "Паднало дърво на ул. „Козяк“").await;
        let mut b = Browser::new(&s);
        b.sign_in("3001", "парола-на-кмета").await;
        let find = |q: &str| format!("/staff?q={}", encode(q));
        for (q, hit, miss) in [
            ("осветление", &lamp, &tree),
            ("OSVETLENIE", &lamp, &tree),
            ("осветл", &lamp, &tree),
            ("kozyak", &tree, &lamp),
            ("дърво козяк", &tree, &lamp),
            (tree.as_str(), &tree, &lamp),
            ("моля", &lamp, &"none".to_string()),
        ] {
            let page = text(&b.get(&find(q)).await);
            assert!(page.contains(hit.as_str()), "{q} finds {hit}");
            assert!(!page.contains(&format!(">{miss}<")), "{q} does not find {miss}");
        }
        // The name of the person is searched too; matches are marked.
        let page = text(&b.get(&find("ivanova osvet")).await);
        assert!(page.contains(&lamp) && page.contains("<mark>осветление</mark>"), "{page}");
        // Who looked for whom is in the audit trail.
        let searches = audited(&s, "search_cases").await;
        assert!(searches.iter().any(|e| e.detail == "ivanova osvet" && e.actor.starts_with("staff:")), "{searches:?}");
        assert!(text(&b.get(&find("несъществуващо")).await).contains("Няма преписки по тези условия."));
        let long = "я".repeat(201);
        assert!(text(&b.get(&find(&long)).await).contains("error-summary"));
        // Filters: unit, mine, dates received.
        let eco = text(&b.get("/staff?unit=eco").await);
        assert!(eco.contains(&tree) && !eco.contains(&lamp));
        assert!(text(&b.get("/staff?officer=mine").await).contains("Няма преписки по тези условия."));
        assert!(text(&b.get("/staff?from=2026-11-25&until=2026-11-25").await).contains(&lamp));
        assert!(text(&b.get("/staff?from=2026-11-26").await).contains("Няма преписки по тези условия."));
        assert!(text(&b.get("/staff?from=26.11.2026").await).contains("<a href=\"#from\">"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn auditors_browse_and_check_the_audit_trail_and_nobody_else_does() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1002", "auditor", None, "парола-на-одитора").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        let number = letter_for(&s, "cao", "Неработещо осветление").await;
        let mut head = Browser::new(&s);
        head.sign_in("2001", "парола-на-шефа-1").await;
        head.get(&format!("/staff/cases/{}", encode(&number))).await;
        assert_eq!(head.get("/staff/audit").await.status, 403, "a head of unit does not read the trail");
        assert!(!text(&head.get("/staff").await).contains("/staff/audit"));

        let mut auditor = Browser::new(&s);
        assert_eq!(auditor.sign_in_with_code("1002", "парола-на-одитора", "2026-11-25T12:30:00Z").await.status, 303);
        assert!(text(&auditor.get("/staff").await).contains("/staff/audit"));
        let trail = text(&auditor.get(&format!("/staff/audit?subject={}", encode(&number))).await);
        // Recorded as data, shown in the page's words.
        assert!(
            trail.contains(">Преглед на преписка<") && trail.contains("staff:"),
            "the head's view is recorded: {trail}"
        );
        assert!(trail.contains("преписката и данните на лицето") && !trail.contains("case and party"), "{trail}");
        let sign_ins = text(&auditor.get("/staff/audit?action=sign_in&from=2026-11-25&until=2026-11-25").await);
        assert!(sign_ins.contains(">2001<") && sign_ins.contains(">1002<"), "{sign_ins}");
        assert!(sign_ins.contains(">Вход<") && sign_ins.contains(">от 127.0.0.1<"), "{sign_ins}");
        assert!(text(&auditor.get("/staff/audit?action=sign_in&from=2026-11-26").await).contains("Няма записи"));
        assert!(
            text(&auditor.get("/staff/audit?from=25.11.2026").await).contains("Въведете дата във вида ГГГГ-ММ-ДД.")
        );
        let verdict = text(&auditor.get("/staff/audit?verify=1").await);
        assert!(verdict.contains("Веригата е цяла"), "{verdict}");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn administrators_keep_the_staff_directory_and_everyone_reads_it() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let admin_id = staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        let officer = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let mut petya = Browser::new(&s);
        petya.sign_in("1042", "парола-на-петя-1").await;
        let charter = text(&petya.get("/staff/charter").await);
        assert!(charter.contains("РКС26-ЖБ12-1") && charter.contains("7 работни дни"), "{charter}");
        assert!(charter.contains("сряда, 10:00–12:00 (с предварително записване)"));
        let dir = text(&petya.get("/staff/directory").await);
        assert!(dir.contains("Служител 1042") && dir.contains("Експерт"), "{dir}");
        assert!(!dir.contains("Добавете служител"), "only administrators add staff");
        let csrf = field(&petya.get("/staff").await, "csrf");
        let r = petya
            .post("/staff/directory", &[("csrf", &csrf), ("employee_number", "5"), ("name", "X"), ("role", "auditor")])
            .await;
        assert_eq!(r.status, 403);

        let mut admin = Browser::new(&s);
        assert_eq!(admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await.status, 303);
        let page = admin.get("/staff/directory").await;
        let csrf = field(&page, "csrf");
        let bad = admin
            .post(
                "/staff/directory",
                &[("csrf", &csrf), ("employee_number", "1043"), ("name", "Иван Иванов"), ("role", "case_officer")],
            )
            .await;
        assert_eq!(bad.status, 422);
        assert!(text(&bad).contains("<a href=\"#unit\">"), "a case officer needs a unit");
        assert!(text(&bad).contains("Попълнете „Отговорно звено“."), "{}", text(&bad));
        let ok = admin
            .post(
                "/staff/directory",
                &[
                    ("csrf", &csrf),
                    ("employee_number", "1043"),
                    ("name", "Иван Иванов"),
                    ("role", "case_officer"),
                    ("unit", "grao"),
                    ("phone", "02 895 11 43"),
                ],
            )
            .await;
        assert!(text(&ok).contains("Служител 1043 е добавен."), "{}", text(&ok));
        assert!(text(&ok).contains("02/895 11 43"));

        // Deactivated: the officer's session ends at once and the sign-in is refused.
        let off = admin.post(&format!("/staff/directory/{officer}/active"), &[("csrf", &csrf), ("active", "0")]).await;
        assert_eq!(off.status, 303);
        assert_eq!(petya.get("/staff").await.status, 303);
        assert_eq!(Browser::new(&s).sign_in("1042", "парола-на-петя-1").await.status, 401);
        admin.post(&format!("/staff/directory/{officer}/active"), &[("csrf", &csrf), ("active", "1")]).await;
        assert_eq!(Browser::new(&s).sign_in("1042", "парола-на-петя-1").await.status, 303);
        // A path that is not a member's number: a page in Bulgarian, not axum's English line.
        let wrong = admin.get("/staff/directory/abc").await;
        assert_eq!(wrong.status, 400);
        assert!(text(&wrong).contains("Заявката не може да бъде прочетена"), "{}", text(&wrong));
        assert!(!text(&wrong).contains("Cannot parse"));
        // The only active administrator cannot shut everybody out.
        let first = s.app.staff().await.unwrap().into_iter().find(|m| m.employee_number == "admin").unwrap();
        let path = format!("/staff/directory/{}/active", first.id);
        let other = admin.post(&path, &[("csrf", &csrf), ("active", "0")]).await;
        assert_eq!(other.status, 303, "another administrator remains");
        let me = admin_id;
        let last = admin.post(&format!("/staff/directory/{me}/active"), &[("csrf", &csrf), ("active", "0")]).await;
        assert_eq!(last.status, 422);
        assert!(text(&last).contains("Това е единственият активен администратор."), "{}", text(&last));
        assert_eq!(admin.get("/staff/directory").await.status, 200, "still signed in");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn other_staff_may_choose_a_second_factor() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let mut b = Browser::new(&s);
        assert_eq!(b.sign_in("1042", "парола-на-петя-1").await.status, 303, "no code asked yet");
        let offer = b.get("/staff/totp").await;
        let html = text(&offer);
        let at = html.find("id=\"secret\" class=\"big\">").unwrap() + 24;
        let secret = html[at..at + html[at..].find('<').unwrap()].to_string();
        let (csrf, ticket) = (field(&offer, "csrf"), field(&offer, "ticket"));
        let wrong = b.post("/staff/totp", &[("csrf", &csrf), ("ticket", &ticket), ("code", "000000")]).await;
        assert_eq!(wrong.status, 422);
        let code = code_at(&secret, "2026-11-25T12:30:00Z");
        let on = b.post("/staff/totp", &[("csrf", &csrf), ("ticket", &ticket), ("code", &code)]).await;
        assert!(text(&on).contains("Вторият фактор е включен."), "{}", text(&on));
        // From now on a code is asked for.
        let mut again = Browser::new(&s);
        let step = again.sign_in("1042", "парола-на-петя-1").await;
        assert_eq!(step.status, 200);
        assert!(text(&step).contains("Код от приложението") && !text(&step).contains("id=\"secret\""));
        s.set_now("2026-11-25T12:31:00Z");
        let next = code_at(&secret, "2026-11-25T12:31:00Z");
        let (csrf2, ticket2) = (field(&step, "csrf"), field(&step, "ticket"));
        assert_eq!(
            again.post("/staff/sign-in/code", &[("csrf", &csrf2), ("ticket", &ticket2), ("code", &next)]).await.status,
            303
        );
        s.db.finish().await;
    }
}

#[tokio::test]
async fn administrators_make_and_revoke_api_tokens_from_the_workspace() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        let mut head = Browser::new(&s);
        head.sign_in("2001", "парола-на-шефа-1").await;
        assert_eq!(head.get("/staff/tokens").await.status, 403);

        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let page = admin.get("/staff/tokens").await;
        let csrf = field(&page, "csrf");
        let bad = admin.post("/staff/tokens", &[("csrf", &csrf), ("role", "case_officer"), ("label", "Система")]).await;
        assert_eq!(bad.status, 422, "a case officer's token needs a unit");
        let made = admin
            .post("/staff/tokens", &[("csrf", &csrf), ("role", "counter_clerk"), ("label", "Деловодна система")])
            .await;
        let html = text(&made);
        let at = html.find("id=\"token\" class=\"big\">").unwrap() + 23;
        let token = html[at..at + html[at..].find('<').unwrap()].to_string();
        assert!(token.starts_with("harta_"));
        let auth = format!("Bearer {token}");
        assert_eq!(request(s.addr, "GET", "/api/v1/cases", &[("Authorization", &auth)], b"").await.status, 200);
        assert!(!text(&admin.get("/staff/tokens").await).contains(&token), "shown only once");
        let id =
            s.app.tokens(&Principal { actor: Actor::System, role: Role::Administrator, unit: None }).await.unwrap()[0]
                .id;
        assert_eq!(admin.post(&format!("/staff/tokens/{id}/revoke"), &[("csrf", &csrf)]).await.status, 303);
        // Within the trust window of the cache the token may still work; after it, never.
        tokio::time::sleep(harta_app::tokens::TRUST_FOR + std::time::Duration::from_millis(200)).await;
        assert_eq!(request(s.addr, "GET", "/api/v1/cases", &[("Authorization", &auth)], b"").await.status, 401);
        s.db.finish().await;
    }
}

/// Every field of a service's form as the page shows it.
fn form_fields(page: &Response) -> Vec<(String, String)> {
    let html = text(page);
    let mut fields = Vec::new();
    let inputs = ["csrf", "name_bg", "name_en", "keywords", "appeal_days"];
    let tiers = ["ordinary", "fast", "express"];
    for name in
        inputs.iter().map(|n| n.to_string()).chain(tiers.iter().flat_map(|t| [format!("{t}_fee"), format!("{t}_n")]))
    {
        fields.push((name.clone(), field(page, &name)));
    }
    for t in tiers {
        if html.contains(&format!("name=\"{t}_offered\" value=\"yes\" checked")) {
            fields.push((format!("{t}_offered"), "yes".into()));
        }
        fields.push((format!("{t}_rule"), selected(&html, &format!("{t}_rule"))));
    }
    for name in [
        "purpose_bg",
        "purpose_en",
        "who_bg",
        "who_en",
        "documents_bg",
        "documents_en",
        "fee_note_bg",
        "fee_note_en",
        "deadline_note_bg",
        "deadline_note_en",
        "appeal_bg",
        "appeal_en",
        "how_bg",
        "how_en",
    ] {
        let open = format!("name=\"{name}\"");
        let at = html.find(&open).unwrap_or_else(|| panic!("no {name}"));
        let start = at + html[at..].find('>').unwrap() + 1;
        let end = start + html[start..].find("</textarea>").unwrap();
        fields.push((name.to_string(), unescape(&html[start..end])));
    }
    fields.push(("unit".into(), selected(&html, "unit")));
    fields
}

/// The selected option of a `<select>` by name.
fn selected(html: &str, name: &str) -> String {
    let at = html.find(&format!("name=\"{name}\">")).unwrap_or_else(|| panic!("no select {name}"));
    let rest = &html[at..html[at..].find("</select>").map_or(html.len(), |e| at + e)];
    let option = rest.split("<option value=\"").find(|o| o.contains("\" selected>")).unwrap_or_default();
    option.split('"').next().unwrap_or_default().to_string()
}

fn unescape(s: &str) -> String {
    s.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn managers_edit_the_catalogue_from_its_pages_and_officers_may_not() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "7001", "manager", None, "парола-на-кмета-1").await;
        staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let mut petya = Browser::new(&s);
        petya.sign_in("1042", "парола-на-петя-1").await;
        assert_eq!(petya.get("/staff/services").await.status, 403);
        assert_eq!(petya.get("/staff/services/2079").await.status, 403);

        let mut manager = Browser::new(&s);
        assert_eq!(manager.sign_in("7001", "парола-на-кмета-1").await.status, 303);
        let list = manager.get("/staff/services").await;
        assert!(text(&list).contains("href=\"/staff/services/2079\""), "{}", text(&list));
        let form = manager.get("/staff/services/2079").await;
        assert_eq!(form.status, 200);
        let fields = form_fields(&form);
        let mut edit: Vec<(&str, String)> = fields.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let set = |edit: &mut Vec<(&str, String)>, name: &str, value: &str| {
            edit.iter_mut().find(|(k, _)| *k == name).unwrap().1 = value.to_string();
        };

        // Wrong: a name left empty in English, documents that do not pair up. Both are named,
        // in Bulgarian, and nothing changes.
        let mut wrong = edit.clone();
        set(&mut wrong, "name_en", " ");
        set(&mut wrong, "documents_en", "Only one line");
        let pairs: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = manager.post("/staff/services/2079", &pairs).await;
        assert_eq!(refused.status, 422);
        let page = text(&refused);
        assert!(
            page.contains("<a href=\"#documents_en\">Документите на английски трябва да са толкова редове"),
            "{page}"
        );
        set(&mut wrong, "documents_en", &field_text(&fields, "documents_en"));
        let pairs: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = manager.post("/staff/services/2079", &pairs).await;
        assert!(text(&refused).contains("Попълнете „Наименование (на английски)“."), "{}", text(&refused));
        assert!(text(&refused).contains("value=\" \""), "what was typed stays");

        // A fee that is negative or not a number is named, in Bulgarian.
        let mut wrong = edit.clone();
        set(&mut wrong, "ordinary_fee", "-1");
        set(&mut wrong, "fast_fee", "пет");
        let pairs: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = text(&manager.post("/staff/services/2079", &pairs).await);
        assert!(refused.contains("<a href=\"#ordinary_fee\">„Такса“ не може да е отрицателна сума."), "{refused}");
        assert!(refused.contains("<a href=\"#fast_fee\">„Такса“ трябва да е сума в евро"), "{refused}");
        assert_eq!(s.app.catalogue().service("2079").unwrap().tiers[0].fee.map(|m| m.cents()), Some(256));
        // The form shows the stored tiers as fields: fee in euro, deadline as a rule.
        assert_eq!(field_text(&fields, "ordinary_fee"), "2,56");
        assert_eq!(field_text(&fields, "ordinary_rule"), "same_day");
        assert_eq!((field_text(&fields, "fast_rule"), field_text(&fields, "fast_n")), ("hours".into(), "1".into()));
        // An express tier, at 7,67 € within an hour.
        let mut express = edit.clone();
        express.push(("express_offered", "yes".into()));
        set(&mut express, "express_fee", "7,67");
        set(&mut express, "express_rule", "hours");
        set(&mut express, "express_n", "1");
        let pairs: Vec<(&str, &str)> = express.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(manager.post("/staff/services/2079", &pairs).await.status, 303);
        let service = s.app.catalogue().service("2079").unwrap().clone();
        assert_eq!(service.tiers.len(), 3);
        assert_eq!(service.tiers[2].fee.map(|m| m.cents()), Some(767));
        assert!(text(&manager.get("/services/2079").await).contains("експресна услуга"));

        // Right: the public page shows the new name at once, with any markup escaped.
        set(&mut edit, "name_bg", "Удостоверение за наследници <script>alert(1)</script>");
        let pairs: Vec<(&str, &str)> = edit.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = manager.post("/staff/services/2079", &pairs).await;
        assert_eq!(saved.status, 303);
        assert_eq!(saved.header("location"), Some("/staff/services?saved=2079"));
        let public = text(&manager.get("/services/2079").await);
        assert!(
            public.contains("Удостоверение за наследници &#60;script&#62;") || public.contains("&lt;script&gt;"),
            "{public}"
        );
        assert!(!public.contains("<script>alert"));

        // A new service must not take a number already in the catalogue.
        set(&mut edit, "csrf", &field(&form, "csrf"));
        let mut new = edit.clone();
        new.push(("code", "2079".into()));
        let pairs: Vec<(&str, &str)> = new.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let taken = manager.post("/staff/services/new", &pairs).await;
        assert_eq!(taken.status, 422);
        assert!(text(&taken).contains("„Номер в Регистъра на услугите“ вече е зает."), "{}", text(&taken));
        new.last_mut().unwrap().1 = "9999".into();
        let pairs: Vec<(&str, &str)> = new.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(manager.post("/staff/services/new", &pairs).await.status, 303);
        assert!(s.app.catalogue().service("9999").is_some());
        // A forged form changes nothing.
        let mut forged = edit.clone();
        set(&mut forged, "csrf", "forged");
        set(&mut forged, "name_bg", "Подменено");
        let pairs: Vec<(&str, &str)> = forged.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(manager.post("/staff/services/2079", &pairs).await.status, 403);
        assert!(!s.app.catalogue().service("2079").unwrap().name.bg.contains("Подменено"));
        s.db.finish().await;
    }
}

fn field_text(fields: &[(String, String)], name: &str) -> String {
    fields.iter().find(|(k, _)| k == name).unwrap().1.clone()
}

#[tokio::test]
async fn heads_of_unit_moderate_their_units_suggestions_from_a_page() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        staff(&s, "2002", "head_of_unit", Some("grao"), "парола-на-шефа-2").await;
        staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
        let input = RegisterCaseInput {
            kind: Some("suggestion".into()),
            channel: Some("web".into()),
            subject: Some("Пейки".into()),
            text: Some("Поставете пейки пред блок 5, звънете ми на 0888 123 456.".into()),
            unit: Some("cao".into()),
            publish: true,
            party: PartyInput { name: Some("Иван Петров".into()), ..PartyInput::default() },
            ..RegisterCaseInput::default()
        };
        let number = s.app.register_case(&clerk, input).await.unwrap().number.as_str().to_string();

        let mut petya = Browser::new(&s);
        petya.sign_in("1042", "парола-на-петя-1").await;
        assert_eq!(petya.get("/staff/suggestions").await.status, 403);
        let mut other = Browser::new(&s);
        other.sign_in("2002", "парола-на-шефа-2").await;
        let theirs = other.get("/staff/suggestions").await;
        assert!(!text(&theirs).contains(&number), "another unit's suggestion is not listed");
        let csrf = field(&theirs, "csrf");
        let url = format!("/staff/suggestions/{}", encode(&number));
        assert_eq!(other.post(&url, &[("csrf", &csrf), ("publish", "yes"), ("text", "x")]).await.status, 404);

        let mut head = Browser::new(&s);
        head.sign_in("2001", "парола-на-шефа-1").await;
        let page = head.get("/staff/suggestions").await;
        let html = text(&page);
        assert!(html.contains(&number) && html.contains("Без решение") && html.contains("0888 123 456"), "{html}");
        let csrf = field(&page, "csrf");
        let long = "д".repeat(100_001);
        let refused = head.post(&url, &[("csrf", &csrf), ("publish", "yes"), ("text", &long)]).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("„Текст за публикуване“ може да е най-много"), "{}", text(&refused));
        assert!(text(&head.get("/suggestions").await).contains("Още няма публикувани предложения."));

        let wording = "Да се поставят пейки пред блок 5.";
        let done = head.post(&url, &[("csrf", &csrf), ("publish", "yes"), ("text", wording)]).await;
        assert_eq!(done.status, 303);
        let after = head.get(done.header("location").unwrap()).await;
        assert!(text(&after).contains(&format!("Предложение {number} е публикувано.")), "{}", text(&after));
        let board = text(&head.get("/suggestions").await);
        assert!(board.contains(wording) && !board.contains("0888 123 456"), "{board}");

        let off = head.post(&url, &[("csrf", &csrf), ("publish", "no"), ("text", wording)]).await;
        assert_eq!(off.status, 303);
        assert!(!text(&head.get("/suggestions").await).contains(wording));
        s.db.finish().await;
    }
}

/// Posts owned form fields.
async fn send(b: &mut Browser, path: &str, fields: Vec<(String, String)>) -> Response {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    b.post(path, &pairs).await
}

/// A textarea's content as the page shows it.
pub(crate) fn textarea(page: &Response, name: &str) -> String {
    let html = text(page);
    let open = format!("name=\"{name}\"");
    let at = html.find(&open).unwrap_or_else(|| panic!("no {name}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</textarea>").unwrap();
    unescape(&html[start..end])
}

#[tokio::test]
async fn officers_issue_letters_with_their_contact_block_and_citizens_read_them() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let petya = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        staff(&s, "1043", "case_officer", Some("cao"), "парола-на-иван-1").await;
        staff(&s, "3001", "case_officer", Some("grao"), "парола-на-гео-1").await;
        let me = Principal {
            actor: Actor::Staff { id: harta_domain::case::StaffId(petya) },
            role: Role::CaseOfficer,
            unit: Some("cao".into()),
        };
        s.app.set_staff_contact(&me, petya, &contact("02 895 11 42", "p.koleva@krasnoselo.net")).await.unwrap();
        let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
        let input = RegisterCaseInput {
            kind: Some("letter".into()),
            channel: Some("post".into()),
            subject: Some("Улично осветление".into()),
            text: Some("Лампата пред блок 5 не свети.".into()),
            unit: Some("cao".into()),
            party: PartyInput {
                name: Some("Мария Иванова".into()),
                address: Some("ул. „Хубча“ 5".into()),
                ..PartyInput::default()
            },
            ..RegisterCaseInput::default()
        };
        let done = s.app.register_case(&clerk, input).await.unwrap();
        let number = done.number.as_str().to_string();
        let case = format!("/staff/cases/{}", encode(&number));
        // Only a case somebody is responsible for is answered.
        let assign = CaseEvent::Assigned { officer: harta_domain::case::StaffId(petya), note: None };
        s.app.record_event(&me, &number, assign).await.unwrap();

        let mut b = Browser::new(&s);
        b.sign_in("1042", "парола-на-петя-1").await;
        let draft = b.get(&format!("{case}/letters/new?kind=acknowledgement")).await;
        assert_eq!(draft.status, 200, "{}", text(&draft));
        assert_eq!(field(&draft, "subject"), format!("Получихме вашето обръщение, вх. № {number}"));
        assert!(textarea(&draft, "body").contains("на 25.11.2026 и го регистрирахме"), "{}", textarea(&draft, "body"));
        assert!(textarea(&draft, "next").contains("https://harta.example.bg/track"));
        let csrf = field(&draft, "csrf");
        let body = "Във връзка с писмото ви съгласно ЗУТ проверихме. <script>alert(1)</script>";
        let next = textarea(&draft, "next");
        let subject = field(&draft, "subject");
        let form = |action: &'static str, body: &str, next: &str| {
            vec![
                ("csrf".to_string(), csrf.clone()),
                ("kind".to_string(), "acknowledgement".to_string()),
                ("subject".to_string(), subject.clone()),
                ("body".to_string(), body.to_string()),
                ("next".to_string(), next.to_string()),
                ("action".to_string(), action.to_string()),
            ]
        };
        let path = format!("{case}/letters");

        // The preview: plain-language advice and the letter as it will be printed, escaped.
        let preview = send(&mut b, &path, form("preview", body, &next)).await;
        assert_eq!(preview.status, 200, "{}", text(&preview));
        assert!(
            audited(&s, "preview_letter").await.iter().any(|e| e.subject == number),
            "the preview names the person"
        );
        let html = text(&preview);
        assert!(html.contains("Вместо „във връзка с“ по-просто е: за, заради."), "{html}");
        assert!(html.contains("Съкращението „ЗУТ“ не е обяснено."), "{html}");
        assert!(html.contains("<dt>Пряк телефон</dt><dd>02/895 11 42</dd>"), "{html}");
        assert!(html.contains("С уважение,<br><strong>Служител 1042</strong><br>главен експерт</p>"), "{html}");
        assert!(!html.contains("<script>alert(1)"), "escaped");

        // The "what to do next" part is required (C18).
        let refused = send(&mut b, &path, form("issue", body, " ")).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("Попълнете „Какво трябва да направи лицето“."), "{}", text(&refused));

        let issued = send(&mut b, &path, form("issue", body, &next)).await;
        assert_eq!(issued.status, 303, "{}", text(&issued));
        let page = b.get(issued.header("location").unwrap()).await;
        let outgoing = format!("{number}/1");
        assert!(text(&page).contains(&format!("Писмо изх. № {outgoing} е издадено.")), "{}", text(&page));
        assert!(text(&page).contains("Издадено писмо: ") && text(&page).contains(&outgoing));

        // Nothing was requested yet: the draft leaves gaps, and a letter with a gap is not issued.
        let request = b.get(&format!("{case}/letters/new?kind=information_request")).await;
        let gaps = textarea(&request, "body");
        assert!(gaps.contains("[…]"), "{gaps}");
        let mut fields = form("issue", &gaps, &textarea(&request, "next"));
        fields[1].1 = "information_request".into();
        fields[2].1 = field(&request, "subject");
        let refused = send(&mut b, &path, fields).await;
        assert_eq!(refused.status, 422);
        assert!(
            text(&refused).contains("Попълнете мястото, отбелязано с […], в „Текст на писмото“."),
            "{}",
            text(&refused)
        );
        let answer = b.get(&format!("{case}/letters/new?kind=answer")).await;
        let mut fields = form("issue", "Поправихме лампата.", "Не е нужно да правите нищо.");
        fields[1].1 = "answer".into();
        fields[2].1 = field(&answer, "subject");
        // A letter about a street lamp refuses no service: nothing to appeal.
        let mut refusal = fields.clone();
        refusal.push(("refusal".into(), "yes".into()));
        let refused = send(&mut b, &path, refusal).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("Отказ може да има само по заявление за услуга."), "{}", text(&refused));
        assert_eq!(send(&mut b, &path, fields).await.status, 303);
        let letters = s.app.letters(&me, &number).await.unwrap();
        assert_eq!(
            letters.iter().map(|l| l.number.as_str()).collect::<Vec<_>>(),
            [outgoing.as_str(), &format!("{number}/2")]
        );

        let shown = b.get(&format!("{case}/letters/1")).await;
        assert!(text(&shown).contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{}", text(&shown));
        let pdf = b.get(&format!("{case}/letters/1/pdf")).await;
        assert_eq!(pdf.header("content-type"), Some("application/pdf"));
        assert!(pdf.header("content-disposition").unwrap().starts_with("attachment;"));
        assert!(pdf.body.starts_with(b"%PDF-"));

        // Without a direct phone in the directory, a letter cannot be issued.
        let mut ivan = Browser::new(&s);
        ivan.sign_in("1043", "парола-на-иван-1").await;
        let draft = ivan.get(&format!("{case}/letters/new?kind=answer")).await;
        let fields = [
            ("csrf", field(&draft, "csrf")),
            ("kind", "answer".to_string()),
            ("subject", field(&draft, "subject")),
            ("body", "Поправихме лампата.".to_string()),
            ("next", "Нищо.".to_string()),
            ("action", "issue".to_string()),
        ];
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = ivan.post(&format!("{case}/letters"), &refs).await;
        assert_eq!(refused.status, 422);
        assert!(
            text(&refused)
                .contains("в указателя на служителите липсва длъжност на служителя, пряк телефон, електронна поща"),
            "{}",
            text(&refused)
        );
        assert_eq!(s.app.letters(&me, &number).await.unwrap().len(), 2);

        // Another unit's officer does not find them.
        let mut geo = Browser::new(&s);
        geo.sign_in("3001", "парола-на-гео-1").await;
        assert_eq!(geo.get(&format!("{case}/letters/1")).await.status, 404);
        assert_eq!(geo.get(&format!("{case}/letters/1/pdf")).await.status, 404);
        assert_eq!(geo.get(&format!("{case}/letters/new?kind=answer")).await.status, 404);

        // The citizen reads both when tracking the case and downloads one.
        let mut citizen = Browser::new(&s);
        let form = citizen.get("/track").await;
        let tracked = citizen
            .post(
                "/track",
                &[("csrf", &field(&form, "csrf")), ("number", &number), ("code", &done.access_code.to_string())],
            )
            .await;
        let html = text(&tracked);
        assert!(html.contains("Писма до вас") && html.contains("Поправихме лампата."), "{html}");
        let download = citizen
            .post(
                "/track/letter",
                &[("csrf", &field(&tracked, "csrf")), ("ticket", &field(&tracked, "ticket")), ("letter", "2")],
            )
            .await;
        assert_eq!(download.header("content-type"), Some("application/pdf"));
        assert!(download.body.starts_with(b"%PDF-"));
        let forged = citizen
            .post("/track/letter", &[("csrf", &field(&tracked, "csrf")), ("ticket", "forged"), ("letter", "2")])
            .await;
        assert_eq!(forged.status, 401);
        s.db.finish().await;
    }
}

/// The audit trail's entries of one action, newest first.
async fn audited(s: &Server, action: &str) -> Vec<harta_store::audit::AuditEntry> {
    let auditor = Principal { actor: Actor::System, role: Role::Auditor, unit: None };
    let filter = harta_app::AuditFilter { action: Some(action.into()), limit: 100, ..Default::default() };
    s.app.audit_entries(&auditor, filter).await.unwrap()
}

/// A manager, who sees every case.
fn manager_view() -> Principal {
    Principal { actor: Actor::System, role: Role::Manager, unit: None }
}

/// Contact details with the position every letter is signed with.
pub(crate) fn contact(phone: &str, email: &str) -> harta_app::administration::ContactInput {
    harta_app::administration::ContactInput {
        phone: phone.into(),
        email: email.into(),
        position: "главен експерт".into(),
    }
}

#[tokio::test]
async fn a_refusal_says_before_whom_and_within_what_time_it_can_be_appealed() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let geo = staff(&s, "3001", "case_officer", Some("grao"), "парола-на-гео-1").await;
        let me = Principal {
            actor: Actor::Staff { id: harta_domain::case::StaffId(geo) },
            role: Role::CaseOfficer,
            unit: Some("grao".into()),
        };
        s.app.set_staff_contact(&me, geo, &contact("02 895 11 61", "g.georgiev@krasnoselo.net")).await.unwrap();
        let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
        let input = RegisterCaseInput {
            kind: Some("service_request".into()),
            channel: Some("counter".into()),
            service: Some("2079".into()),
            text: Some("Моля, издайте удостоверение за постоянен адрес.".into()),
            party: PartyInput {
                name: Some("Мария Иванова".into()),
                egn: Some("7503146242".into()),
                address: Some("ул. „Хубча“ 5".into()),
                ..PartyInput::default()
            },
            ..RegisterCaseInput::default()
        };
        let number = s.app.register_case(&clerk, input).await.unwrap().number.as_str().to_string();
        let assign = CaseEvent::Assigned { officer: harta_domain::case::StaffId(geo), note: None };
        s.app.record_event(&me, &number, assign).await.unwrap();
        let case = format!("/staff/cases/{}", encode(&number));
        let mut b = Browser::new(&s);
        b.sign_in("3001", "парола-на-гео-1").await;
        let draft = b.get(&format!("{case}/letters/new?kind=answer")).await;
        assert!(text(&draft).contains("name=\"refusal\""), "an answer may refuse");
        let fields = [
            ("csrf", field(&draft, "csrf")),
            ("kind", "answer".to_string()),
            ("subject", field(&draft, "subject")),
            ("body", "Не можем да издадем удостоверението: адресът не е регистриран.".to_string()),
            ("next", "Можете да подадете заявление за адресна регистрация.".to_string()),
            ("refusal", "yes".to_string()),
            ("action", "issue".to_string()),
        ];
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let issued = b.post(&format!("{case}/letters"), &refs).await;
        assert_eq!(issued.status, 303, "{}", text(&issued));
        let letters = s.app.letters(&me, &number).await.unwrap();
        let sentence = "Можете да обжалвате този отказ пред Административен съд – София-град, чрез кмета на район \
                        „Красно село“ в 14-дневен срок от съобщаването му.";
        assert_eq!(letters[0].appeal.as_deref(), Some(sentence));
        let shown = text(&b.get(&format!("{case}/letters/1")).await);
        assert!(shown.contains("<h2>Обжалване</h2>"), "{shown}");
        assert!(shown.contains("14-дневен срок"), "{shown}");
        assert!(shown.contains("<strong>Служител 3001</strong><br>главен експерт"), "signed by its officer: {shown}");

        // A service that names no appeal cannot be refused until the catalogue says where.
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let mut service = s.app.catalogue().service("2079").unwrap().clone();
        service.appeal = None;
        s.app.put_service(&admin, service).await.unwrap();
        let refused = b.post(&format!("{case}/letters"), &refs).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("В каталога услугата няма орган и срок за обжалване."), "{}", text(&refused));
        assert_eq!(s.app.letters(&me, &number).await.unwrap().len(), 1, "nothing issued");
        // Only an answer refuses.
        let mut ack = fields.clone();
        ack[1].1 = "acknowledgement".into();
        let refs: Vec<(&str, &str)> = ack.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = b.post(&format!("{case}/letters"), &refs).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("Само отговор може да бъде отказ."), "{}", text(&refused));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn members_keep_their_own_contact_details_and_administrators_anyones() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let petya = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let ivan = staff(&s, "1043", "case_officer", Some("cao"), "парола-на-иван-1").await;
        let mut b = Browser::new(&s);
        b.sign_in("1042", "парола-на-петя-1").await;
        assert_eq!(b.get(&format!("/staff/directory/{ivan}")).await.status, 403);
        let own = b.get(&format!("/staff/directory/{petya}")).await;
        assert_eq!(own.status, 200);
        let csrf = field(&own, "csrf");
        let path = format!("/staff/directory/{petya}/contact");
        let bad = b.post(&path, &[("csrf", &csrf), ("phone", "12"), ("email", "не-адрес")]).await;
        assert_eq!(bad.status, 422);
        assert!(text(&bad).contains("„Пряк телефон“ не е телефонен номер"), "{}", text(&bad));
        assert!(text(&bad).contains("„Електронна поща“ не е адрес на електронна поща"), "{}", text(&bad));
        let forged = b.post(&path, &[("csrf", "x"), ("phone", "02 895 11 42"), ("email", "p@krasnoselo.net")]).await;
        assert_eq!(forged.status, 403);
        let long = "експерт ".repeat(20);
        let bad = b.post(&path, &[("csrf", &csrf), ("position", &long)]).await;
        assert_eq!(bad.status, 422);
        assert!(text(&bad).contains("„Длъжност“"), "{}", text(&bad));
        let typed = [
            ("csrf", csrf.as_str()),
            ("phone", "02 895 11 42"),
            ("email", "p@krasnoselo.net"),
            ("position", "главен експерт"),
        ];
        let ok = b.post(&path, &typed).await;
        assert_eq!(ok.status, 303);
        let shown = b.get(ok.header("location").unwrap()).await;
        assert!(text(&shown).contains("Данните за връзка са запазени."));
        assert_eq!(field(&shown, "phone"), "02/895 11 42");
        assert_eq!(field(&shown, "position"), "главен експерт");
        let other =
            b.post(&format!("/staff/directory/{ivan}/contact"), &[("csrf", &csrf), ("phone", "02 895 11 43")]).await;
        assert_eq!(other.status, 403);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn administrators_change_the_charter_in_force_on_every_replica() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        staff(&s, "7001", "manager", None, "парола-на-кмета-1").await;
        let mut manager = Browser::new(&s);
        manager.sign_in("7001", "парола-на-кмета-1").await;
        let read_only = manager.get("/staff/charter").await;
        assert!(!text(&read_only).contains("name=\"charter\""), "only administrators edit");
        let csrf = field(&read_only, "csrf");
        assert_eq!(manager.post("/staff/charter", &[("csrf", &csrf), ("charter", "x")]).await.status, 403);

        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let page = admin.get("/staff/charter").await;
        let csrf = field(&page, "csrf");
        let current = textarea(&page, "charter");
        let version = field(&page, "version");
        assert!(current.contains("at_risk_working_days = 2"), "{current}");
        let post = |text: String| vec![("csrf", csrf.clone()), ("version", version.clone()), ("charter", text)];

        // Broken text and a changed numbering are refused, by name, and nothing changes.
        let broken = admin.post("/staff/charter", &[("csrf", &csrf), ("charter", "[administration\n")]).await;
        assert_eq!(broken.status, 422);
        assert!(text(&broken).contains("Хартата не е запазена: полето"), "{}", text(&broken));
        let renumbered = current.replace("office = \"РКС\"", "office = \"ХХХ\"");
        let refused = admin.post("/staff/charter", &[("csrf", &csrf), ("charter", &renumbered)]).await;
        assert!(text(&refused).contains("форматът на входящите номера"), "{}", text(&refused));
        let start = current.find("[[units]]\ncode = \"mayor\"").unwrap();
        let end = start + 1 + current[start + 1..].find("[[units]]").unwrap();
        let without_mayor = format!("{}{}", &current[..start], &current[end..]);
        let refused = admin.post("/staff/charter", &[("csrf", &csrf), ("charter", &without_mayor)]).await;
        assert!(text(&refused).contains("звената не могат да се премахват"), "{}", text(&refused));
        assert_eq!(s.app.charter().at_risk_working_days, 2);

        // Complaints now within 5 working days, at risk from 3 days left.
        let edited = current.replace("at_risk_working_days = 2", "at_risk_working_days = 3").replacen(
            "working_days = 7",
            "working_days = 5",
            1,
        );
        let fields = post(edited.clone());
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = admin.post("/staff/charter", &refs).await;
        assert_eq!(saved.status, 303, "{}", text(&saved));
        // A second administrator who opened the page before that save does not overwrite it.
        let late = post(current.replace("at_risk_working_days = 2", "at_risk_working_days = 4"));
        let refs: Vec<(&str, &str)> = late.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let conflict = admin.post("/staff/charter", &refs).await;
        assert_eq!(conflict.status, 409, "{}", text(&conflict));
        assert!(text(&conflict).contains("Друг администратор запази хартата"), "{}", text(&conflict));
        assert!(textarea(&conflict, "charter").contains("at_risk_working_days = 4"), "the typed text is kept");
        assert_eq!(s.app.charter().at_risk_working_days, 3, "the first save stands");
        let shown = text(&admin.get("/staff/charter?saved=1").await);
        assert!(shown.contains("Хартата е запазена и е в сила.") && shown.contains("5 работни дни"), "{shown}");
        assert!(text(&admin.get("/").await).contains("5 работни дни"));
        let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
        let complaint = RegisterCaseInput {
            kind: Some("complaint".into()),
            channel: Some("counter".into()),
            subject: Some("Грубо отношение".into()),
            text: Some("Служител беше груб.".into()),
            party: PartyInput { name: Some("Мария Иванова".into()), ..PartyInput::default() },
            ..RegisterCaseInput::default()
        };
        let done = s.app.register_case(&clerk, complaint).await.unwrap();
        assert_eq!(done.due.to_string(), "2026-12-02", "5 working days from Wednesday 25.11.2026");

        // Another replica takes it up; a restart with the file keeps the edited charter.
        let other = crate::support::replica(&s).await;
        assert_eq!(other.charter().at_risk_working_days, 2);
        other.refresh_charter().await.unwrap();
        assert_eq!(other.charter().at_risk_working_days, 3);
        s.app.set_up(crate::support::CHARTER).await.unwrap();
        assert_eq!(s.app.charter().at_risk_working_days, 3);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn forged_and_unreadable_requests_are_refused_in_the_page_language_and_change_nothing() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let target = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let mut officer = Browser::new(&s);
        officer.sign_in("1042", "парола-на-петя-1").await;
        let theirs = field(&officer.get("/staff").await, "csrf");
        let ours = field(&admin.get("/staff/directory").await, "csrf");
        let deactivate = format!("/staff/directory/{target}/active");

        // Another session's token: the 403 page in Bulgarian, the member still active, and the
        // attempt in the audit trail under the session that sent it.
        let forged = admin.post(&deactivate, &[("csrf", &theirs), ("active", "0")]).await;
        assert_eq!(forged.status, 403);
        assert!(text(&forged).contains("Формулярът не е приет"), "{}", text(&forged));
        let attempts = audited(&s, "forged_form").await;
        assert!(attempts.iter().any(|e| e.subject == deactivate), "{attempts:?}");
        assert!(s.app.staff().await.unwrap().iter().any(|m| m.id == target && m.active));

        // The right token from another site (a browser names the site in `Origin`): refused too.
        let jar = admin.jar();
        let body = format!("csrf={ours}&active=0");
        let cross = request(
            s.addr,
            "POST",
            &deactivate,
            &[
                ("Cookie", &jar),
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", "https://evil.example"),
                ("Host", &s.addr.to_string()),
            ],
            body.as_bytes(),
        )
        .await;
        assert_eq!(cross.status, 403);
        assert!(s.app.staff().await.unwrap().iter().any(|m| m.id == target && m.active));
        // From our own page it goes through.
        assert_eq!(admin.post(&deactivate, &[("csrf", &ours), ("active", "0")]).await.status, 303);

        // A path segment that is not a number: a page in Bulgarian, never axum's English.
        let bad = admin.get("/staff/directory/abc").await;
        assert_eq!(bad.status, 400);
        let html = text(&bad);
        assert!(html.contains("Заявката не може да бъде прочетена") && !html.contains("Invalid URL"), "{html}");
        // An over-long query is refused by its field, in the page's language, and nothing fails.
        let long = format!("/staff?q={}", "а".repeat(3000));
        let searched = admin.get(&long).await;
        assert_eq!(searched.status, 422);
        assert!(text(&searched).contains("може да е най-много 200 знака"), "{}", text(&searched));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_failure_of_ours_shows_the_request_id_that_is_in_the_log() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let token = s.token(Role::Manager, None).await;
        let mut officer = Browser::new(&s);
        officer.sign_in("1042", "парола-на-петя-1").await;
        // The store goes away under a running server.
        s.app.db().close().await;
        let page = officer.get("/staff").await;
        assert_eq!(page.status, 503);
        let id = page.header("x-request-id").unwrap().to_string();
        let html = text(&page);
        assert!(html.contains("Номер за справка") && html.contains(&id), "{html}");
        let api = crate::support::get(s.addr, &token, "/api/v1/cases").await;
        assert_eq!(api.status, 503);
        assert_eq!(api.json()["instance"], api.header("x-request-id").unwrap());
        assert_eq!(api.json()["type"], "/problems/unavailable");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn an_administrator_adds_and_removes_a_council_decision_after_seeing_which_cases_move() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        let number = letter_for(&s, "cao", "Неработещо осветление").await;
        let due = || async { s.app.view_case(&manager_view(), &number).await.unwrap().case.due.to_string() };
        assert_eq!(due().await, "2026-12-09");
        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let page = admin.get("/staff/calendar").await;
        assert_eq!(page.status, 200);
        let csrf = field(&page, "csrf");

        // A date that does not exist is refused by its field's name, in Bulgarian.
        let wrong = [("csrf", csrf.as_str()), ("step", "preview"), ("date", "2026-02-30"), ("kind", "day_off")];
        let refused = admin.post("/staff/calendar", &wrong).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("„Ден“ трябва да е дата"), "{}", text(&refused));

        // The preview names the case that moves and changes nothing yet.
        let typed = [("date", "2026-12-01"), ("kind", "day_off"), ("number", "999"), ("decided_on", "2026-11-20")];
        let mut fields = vec![("csrf", csrf.as_str()), ("step", "preview")];
        fields.extend(typed);
        let preview = admin.post("/staff/calendar", &fields).await;
        assert_eq!(preview.status, 200);
        let html = text(&preview);
        assert!(html.contains(&number) && html.contains("09.12.2026") && html.contains("10.12.2026"), "{html}");
        assert_eq!(due().await, "2026-12-09", "a preview stores nothing");

        // Confirmed: the case moves, the page says so after a redirect, the trail has it.
        let mut fields = vec![("csrf", csrf.as_str()), ("step", "confirm")];
        fields.extend(typed);
        let done = admin.post("/staff/calendar", &fields).await;
        assert_eq!(done.status, 303);
        let shown = admin.get(done.header("location").unwrap()).await;
        assert!(text(&shown).contains("Срокът на 1 преписка е преизчислен"), "{}", text(&shown));
        assert!(text(&shown).contains("РМС № 999/20.11.2026"));
        assert_eq!(due().await, "2026-12-10");
        assert!(!audited(&s, "calendar_add").await.is_empty());

        // Removed the same way: preview, then confirm.
        let preview =
            admin.post("/staff/calendar/remove", &[("csrf", &csrf), ("step", "preview"), ("date", "2026-12-01")]).await;
        assert!(text(&preview).contains("10.12.2026") && text(&preview).contains("09.12.2026"));
        assert_eq!(due().await, "2026-12-10");
        let done =
            admin.post("/staff/calendar/remove", &[("csrf", &csrf), ("step", "confirm"), ("date", "2026-12-01")]).await;
        assert_eq!(done.status, 303);
        assert_eq!(due().await, "2026-12-09");

        // Nobody else changes the calendar, nor sees the page.
        staff(&s, "3001", "manager", None, "парола-мениджър-1").await;
        let mut manager = Browser::new(&s);
        manager.sign_in("3001", "парола-мениджър-1").await;
        assert_eq!(manager.get("/staff/calendar").await.status, 403);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn an_administrator_gives_a_first_password_and_resets_a_lost_second_factor() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        let auditor = staff(&s, "7001", "auditor", None, "одитор-парола-1").await;
        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        // A new member: added on the directory page, then given a first password there.
        let csrf = field(&admin.get("/staff/directory").await, "csrf");
        let added = admin
            .post(
                "/staff/directory",
                &[
                    ("csrf", &csrf),
                    ("employee_number", "1077"),
                    ("name", "Ива Колева"),
                    ("role", "case_officer"),
                    ("unit", "cao"),
                ],
            )
            .await;
        assert_eq!(added.status, 200, "{}", text(&added));
        let id = s.app.staff().await.unwrap().iter().find(|m| m.employee_number == "1077").unwrap().id;
        let made = admin.post(&format!("/staff/directory/{id}/password"), &[("csrf", &csrf)]).await;
        assert_eq!(made.status, 200);
        let html = text(&made);
        let at = html.find("id=\"password\" class=\"big\">").unwrap() + 26;
        let password = html[at..at + html[at..].find('<').unwrap()].to_string();
        assert!(password.len() >= 12, "{password}");
        assert!(audited(&s, "reset_password").await.iter().any(|e| e.subject == "1077"));

        // The member signs in with it and must change it before anything else.
        let mut iva = Browser::new(&s);
        assert_eq!(iva.sign_in("1077", &password).await.status, 303);
        let inbox = iva.get("/staff").await;
        assert_eq!((inbox.status, inbox.header("location")), (303, Some("/staff/password")));
        let page = iva.get("/staff/password").await;
        assert!(text(&page).contains("Паролата ви е зададена от администратор"));
        let csrf_iva = field(&page, "csrf");
        let changed = iva
            .post("/staff/password", &[("csrf", &csrf_iva), ("current", &password), ("new", "моята-парола-123")])
            .await;
        assert_eq!(changed.status, 200, "{}", text(&changed));
        assert_eq!(iva.get("/staff").await.status, 200);

        // A lost authenticator: the auditor (who must use one) enrols again at the next sign-in.
        let mut a = Browser::new(&s);
        a.sign_in_with_code("7001", "одитор-парола-1", "2026-11-25T12:30:00Z").await;
        assert_eq!(a.get("/staff").await.status, 200);
        let reset = admin.post(&format!("/staff/directory/{auditor}/second-factor"), &[("csrf", &csrf)]).await;
        assert_eq!(reset.status, 303);
        let shown = admin.get(reset.header("location").unwrap()).await;
        assert!(text(&shown).contains("Вторият фактор е нулиран"));
        assert_eq!(a.get("/staff").await.status, 303, "the old session ended");
        let again = a.sign_in("7001", "одитор-парола-1").await;
        assert!(text(&again).contains("id=\"secret\""), "enrols anew: {}", text(&again));
        assert!(text(&again).contains("<svg"), "with a QR code");
        assert!(audited(&s, "reset_second_factor").await.iter().any(|e| e.subject == "7001"));

        // Only administrators do either.
        let csrf_iva = field(&iva.get("/staff").await, "csrf");
        assert_eq!(
            iva.post(&format!("/staff/directory/{auditor}/second-factor"), &[("csrf", &csrf_iva)]).await.status,
            403
        );
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_inbox_counts_pages_and_filters_overdue_unassigned_and_waiting_cases() {
    for db in backends().await {
        let s = start(db, "2026-11-02T09:00:00Z").await;
        let officer = staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        let mut numbers = Vec::new();
        for i in 0..52 {
            numbers.push(letter_for(&s, "cao", &format!("Писмо {i}")).await);
        }
        s.set_now("2026-11-20T09:00:00Z");
        let late = letter_for(&s, "cao", "Писмо навреме").await;
        let head =
            Principal { actor: Actor::Staff { id: harta_domain::case::StaffId(1) }, role: Role::Manager, unit: None };
        let assign =
            harta_domain::case::CaseEvent::Assigned { officer: harta_domain::case::StaffId(officer), note: None };
        s.app.record_event(&head, &numbers[0], assign).await.unwrap();
        let ask = harta_domain::case::CaseEvent::InformationRequested {
            what: "Копие от нотариалния акт.".into(),
            by: "2026-11-30".parse().unwrap(),
        };
        s.app.record_event(&head, &numbers[0], ask).await.unwrap();

        let mut b = Browser::new(&s);
        b.sign_in("2001", "парола-на-шефа-1").await;
        let first = b.get("/staff").await;
        let html = text(&first);
        assert!(html.contains("Намерени са 53 преписки."), "{html}");
        assert!(html.contains("Служител 1042") && html.contains("Още не е възложена"));
        // Fifty on a page, soonest due first; the next page continues exactly after them.
        let at = html.find("rel=\"next\"").map(|_| html.find("href=\"/staff?after=").unwrap()).unwrap() + 6;
        let next = html[at..at + html[at..].find('"').unwrap()].replace("&amp;", "&");
        let second = text(&b.get(&next).await);
        assert!(second.contains("Писмо навреме") && second.contains("Към началото"), "{second}");
        assert!(!second.contains("rel=\"next\""));
        let shown = |page: &str| numbers.iter().chain([&late]).filter(|n| page.contains(&format!(">{n}<"))).count();
        assert_eq!(shown(&html) + shown(&second), 53);
        // A search whose first page fills reads no further, and says so; a page that holds all
        // it finds counts them.
        let searched = text(&b.get("/staff?q=%D0%BF%D0%B8%D1%81%D0%BC%D0%BE").await);
        assert!(searched.contains("Намерени са поне 51 преписки.") && searched.contains("rel=\"next\""), "{searched}");
        assert!(
            text(&b.get("/staff?q=%D0%BD%D0%B0%D0%B2%D1%80%D0%B5%D0%BC%D0%B5").await)
                .contains("Намерена е 1 преписка.")
        );

        // The filters: overdue (the 52 received first), unassigned, waiting for the citizen.
        assert!(text(&b.get("/staff?overdue=1").await).contains("Намерени са 52 преписки."));
        assert!(text(&b.get("/staff?unassigned=1").await).contains("Намерени са 52 преписки."));
        let waiting = text(&b.get("/staff?state=information_requested").await);
        assert!(waiting.contains("Намерена е 1 преписка.") && waiting.contains(&numbers[0]), "{waiting}");
        // A cursor that was not given by the list is refused, not a failure.
        assert_eq!(b.get("/staff?after=zzz").await.status, 422);

        // Closed cases are looked back on: the newest first.
        let token = s.token(Role::Manager, None).await;
        for n in &numbers[1..3] {
            s.set_now("2026-11-21T09:00:00Z");
            let answer =
                harta_domain::case::CaseEvent::Withdrawn { reason: "Оттеглено на гишето.".into() };
            s.app.record_event(&head, n, answer).await.unwrap();
        }
        let listed = crate::support::get(s.addr, &token, "/api/v1/cases?state=withdrawn").await.json();
        assert_eq!((&listed["total"], &listed["total_exact"]), (&2.into(), &true.into()));
        assert_eq!(listed["items"][0]["registry_number"], numbers[2].as_str());
        let searched = crate::support::get(s.addr, &token, "/api/v1/cases?q=pismo&per_page=10").await.json();
        assert_eq!((&searched["total"], &searched["total_exact"]), (&11.into(), &false.into()), "{searched}");
        assert_eq!(searched["items"].as_array().map(Vec::len), Some(10));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_case_page_offers_only_what_the_state_and_the_role_allow() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "5001", "counter_clerk", None, "парола-на-гишето-1").await;
        staff(&s, "2001", "head_of_unit", Some("cao"), "парола-на-шефа-1").await;
        let number = letter_for(&s, "cao", "Неработещо осветление").await;
        let path = format!("/staff/cases/{}", encode(&number));
        let offered = |html: &str, kind: &str| html.contains(&format!("name=\"type\" value=\"{kind}\""));

        let mut head = Browser::new(&s);
        head.sign_in("2001", "парола-на-шефа-1").await;
        let html = text(&head.get(&path).await);
        // Registered: assign, forward, withdraw, a note; not yet start, answer or close.
        for kind in ["assigned", "forwarded", "withdrawn", "note_added"] {
            assert!(offered(&html, kind), "{kind}");
        }
        for kind in ["started", "answered", "closed", "information_received"] {
            assert!(!offered(&html, kind), "{kind}");
        }
        // At the counter: only what a citizen does there, and only the acknowledgement letter.
        let mut clerk = Browser::new(&s);
        clerk.sign_in("5001", "парола-на-гишето-1").await;
        let html = text(&clerk.get(&path).await);
        assert!(offered(&html, "withdrawn"));
        for kind in ["assigned", "answered", "note_added", "forwarded"] {
            assert!(!offered(&html, kind), "{kind}");
        }
        assert!(html.contains("value=\"acknowledgement\"") && !html.contains("value=\"answer\""));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn an_administrator_edits_the_charters_main_details_as_a_form_and_its_comments_stay() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        staff(&s, "9001", "administrator", None, "админ-парола-1").await;
        let mut admin = Browser::new(&s);
        admin.sign_in_with_code("9001", "админ-парола-1", "2026-11-25T12:30:00Z").await;
        let page = admin.get("/staff/charter/fields").await;
        assert_eq!(page.status, 200);
        let html = text(&page);
        let value_of = |name: &str| -> String {
            let at =
                html.find(&format!("name=\"{name}\" value=\"")).unwrap_or_else(|| panic!("{name}")) + name.len() + 15;
            html[at..at + html[at..].find('"').unwrap()].to_string()
        };
        // Every field as the form sends it, with the units numbered.
        let mut form: Vec<(String, String)> = [
            "csrf",
            "version",
            "address_bg",
            "address_en",
            "switchboard",
            "fax",
            "email",
            "website",
            "at_risk",
            "backdate",
            "days_service_request",
            "days_letter",
            "days_complaint",
            "days_suggestion",
        ]
        .iter()
        .map(|n| (n.to_string(), value_of(n)))
        .collect();
        form.push(("default_unit".into(), "cao".into()));
        form.push(("reception".into(), "monday 13:00-16:00\nwednesday 09:00-12:00".into()));
        for i in 0..10 {
            for part in ["code", "name_bg", "name_en", "phone"] {
                let name = format!("unit_{part}_{i}");
                form.push((name.clone(), value_of(&name)));
            }
        }
        let post = |changes: &[(&str, &str)]| {
            let mut f = form.clone();
            for (k, v) in changes {
                f.retain(|(n, _)| n != k);
                f.push((k.to_string(), v.to_string()));
            }
            f
        };
        let send = |f: Vec<(String, String)>| f.into_iter().collect::<Vec<_>>();

        // Wrong values are named by their label, in Bulgarian, and nothing changes.
        let bad = send(post(&[("switchboard", "не е номер"), ("at_risk", "две")]));
        let refs: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let refused = admin.post("/staff/charter/fields", &refs).await;
        assert_eq!(refused.status, 422);
        assert!(text(&refused).contains("трябва да е цяло число"), "{}", text(&refused));
        assert_eq!(s.app.charter().at_risk_working_days, 2);

        // Right ones are in force at once; a new unit is added; the file's comments stay.
        let good = send(post(&[
            ("switchboard", "02/895 11 99"),
            ("days_complaint", "5"),
            ("unit_phone_2", "02/895 11 40"),
            ("unit_code_10", "archive"),
            ("unit_name_bg_10", "Архив"),
            ("unit_name_en_10", "Archive"),
        ]));
        let refs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let saved = admin.post("/staff/charter/fields", &refs).await;
        assert_eq!(saved.status, 303, "{}", text(&saved));
        let charter = s.app.charter();
        assert_eq!(charter.administration.switchboard.national(), "02/895 11 99");
        assert_eq!(charter.commitment(harta_domain::case::CaseKind::Complaint).working_days.get(), 5);
        assert!(charter.unit("archive").is_some());
        assert_eq!(charter.default_reception.len(), 2);
        let admin_principal = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let stored = s.app.charter_text(&admin_principal).await.unwrap();
        assert!(stored.contains("# Office code, two-digit year"), "comments kept");
        s.db.finish().await;
    }
}
