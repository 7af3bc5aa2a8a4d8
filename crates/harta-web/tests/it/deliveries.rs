//! Issued letters reach the person on the channel they chose: e-mail (with the PDF) and fax
//! through a real SMTP server, the post through the print queue, the telephone and the counter
//! through their lists; the history says "sent" only once a channel confirmed it, and a letter
//! that did not go waits on the not-delivered list for another channel.

use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::delivering::Queue;
use harta_app::letters::LetterDraft;
use harta_app::mail_in::Received;
use harta_app::{Principal, Role};
use harta_channels::testing::SmtpPeer;
use harta_domain::case::{Actor, CaseEvent, PreferredChannel, StaffId, State};
use harta_domain::delivery::DeliveryState;
use harta_store::testing::backends;

use crate::staff::{Browser, contact, encode, field, staff, text};
use crate::support::{Server, delivery, mail_through, start};

/// A case officer of `cao` with a complete contact block, signed in; and their principal.
async fn officer(s: &Server) -> (Principal, Browser) {
    let id = staff(s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
    let me = Principal { actor: Actor::Staff { id: StaffId(id) }, role: Role::CaseOfficer, unit: Some("cao".into()) };
    s.app.set_staff_contact(&me, id, &contact("02 895 11 42", "p.koleva@krasnoselo.net")).await.unwrap();
    let mut b = Browser::new(s);
    b.sign_in("1042", "парола-на-петя-1").await;
    (me, b)
}

/// A letter case of `cao` for a person reached as `party` says, assigned to `me`.
async fn case_for(s: &Server, me: &Principal, party: PartyInput) -> String {
    let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
    let input = RegisterCaseInput {
        kind: Some("letter".into()),
        channel: Some("counter".into()),
        subject: Some("Улично осветление".into()),
        text: Some("Лампата пред блок 5 не свети.".into()),
        unit: Some("cao".into()),
        party: PartyInput { name: Some("Мария Иванова".into()), ..party },
        ..RegisterCaseInput::default()
    };
    let number = s.app.register_case(&clerk, input).await.unwrap().number.as_str().to_string();
    let Actor::Staff { id } = me.actor else { unreachable!() };
    s.app.record_event(me, &number, CaseEvent::Assigned { officer: id, note: None }).await.unwrap();
    number
}

/// Issues a letter of `kind` with its texts filled in.
async fn issue(s: &Server, me: &Principal, number: &str, kind: &str) -> String {
    let draft = s.app.draft_letter(me, number, kind).await.unwrap();
    let letter = LetterDraft {
        body: "Поправихме лампата пред блок 5.".into(),
        next: "Не е нужно да правите нищо.".into(),
        ..draft
    };
    s.app.issue_letter(me, number, &letter).await.unwrap().number
}

async fn events(s: &Server, me: &Principal, number: &str) -> Vec<CaseEvent> {
    s.app.view_case(me, number).await.unwrap().events.into_iter().map(|e| e.event).collect()
}

fn sent(events: &[CaseEvent]) -> Vec<(PreferredChannel, String, String)> {
    events
        .iter()
        .filter_map(|e| match e {
            CaseEvent::LetterSent { channel, to, detail, .. } => Some((*channel, to.clone(), detail.clone())),
            _ => None,
        })
        .collect()
}

fn person(email: Option<&str>, phone: Option<&str>, address: Option<&str>, channel: &str) -> PartyInput {
    PartyInput {
        email: email.map(str::to_string),
        phone: phone.map(str::to_string),
        address: address.map(str::to_string),
        preferred_channel: Some(channel.into()),
        ..PartyInput::default()
    }
}

#[tokio::test]
async fn an_answer_letter_answers_the_case_and_goes_by_email_with_its_pdf_sent_only_when_the_server_takes_it() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let (me, mut b) = officer(&s).await;
        let number = case_for(&s, &me, person(Some("maria@example.bg"), None, None, "email")).await;
        let outgoing = issue(&s, &me, &number, "answer").await;

        // Issued and answered, not yet sent.
        let view = s.app.view_case(&me, &number).await.unwrap();
        assert_eq!(view.case.state, State::Answered);
        let history = events(&s, &me, &number).await;
        assert!(history.iter().any(|e| matches!(e, CaseEvent::Answered { letter: Some(n), .. } if *n == outgoing)));
        assert!(sent(&history).is_empty(), "nothing went yet: {history:?}");
        let page = text(&b.get(&format!("/staff/cases/{}", encode(&number))).await);
        assert!(page.contains("Електронна поща: чака изпращане"), "{page}");

        // The server is down: the letter waits and is tried again.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        s.app.run_jobs(&mail_through(&format!("smtp://127.0.0.1:{port}"))).await.unwrap();
        let waiting = s.app.deliveries(&me, &number).await.unwrap();
        assert_eq!((waiting[0].state, waiting[0].attempts), (DeliveryState::Pending, 1));
        let page = text(&b.get(&format!("/staff/cases/{}", encode(&number))).await);
        assert!(page.contains("ще бъде опитано отново (опити: 1"), "{page}");
        // Each attempt is in the history, with when the next one is (30 s later).
        let tried = events(&s, &me, &number).await;
        assert!(
            tried.iter().any(|e| matches!(e,
            CaseEvent::LetterAttemptFailed { number: n, channel: PreferredChannel::Email, retry_at, .. }
                if *n == outgoing && retry_at.to_string() == "2026-11-25T12:30:30Z")),
            "{tried:?}"
        );
        assert!(
            page.contains("Неуспешен опит за изпращане") && page.contains("нов опит на 25.11.2026 14:30"),
            "{page}"
        );

        s.set_now("2026-11-25T12:40:00Z");
        let Some(peer) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        let mail = peer.received();
        let letter = mail.iter().find(|m| m.raw.contains("application/pdf")).expect("the letter with its PDF");
        assert_eq!(letter.to, ["maria@example.bg"]);
        let parsed = mail_parser::MessageParser::default().parse(letter.raw.as_bytes()).unwrap();
        assert!(parsed.subject().unwrap().contains(&number), "the registry number in the subject");
        assert!(parsed.body_text(0).unwrap().contains("Поправихме лампата пред блок 5."));
        assert!(parsed.body_html(0).unwrap().contains("Поправихме лампата пред блок 5."));
        let pdf = parsed.attachment(0).unwrap();
        assert!(pdf.contents().starts_with(b"%PDF-"));

        let went = sent(&events(&s, &me, &number).await);
        let message_id = format!("<{}>", parsed.message_id().unwrap());
        assert_eq!(went, [(PreferredChannel::Email, "maria@example.bg".to_string(), message_id.clone())]);
        let page = text(&b.get(&format!("/staff/cases/{}", encode(&number))).await);
        assert!(page.contains("Електронна поща: изпратено на 25.11.2026"), "{page}");
        let bare = message_id.trim_matches(|c| c == '<' || c == '>');
        assert!(page.contains(bare), "the Message-ID is recorded: {page}");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_refused_mailbox_puts_the_letter_on_the_not_delivered_list_and_the_post_takes_it() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let (me, mut b) = officer(&s).await;
        let party = person(Some("nobody@example.bg"), None, Some("ул. „Хубча“ 5, 1612 София"), "email");
        let number = case_for(&s, &me, party).await;
        let outgoing = issue(&s, &me, &number, "answer").await;
        let Some(peer) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        let history = events(&s, &me, &number).await;
        assert!(
            history.iter().any(|e| matches!(e, CaseEvent::LetterNotDelivered { channel: PreferredChannel::Email, .. }))
        );
        assert!(sent(&history).is_empty());

        // The case page offers to send it again only where the person can be reached.
        let page = b.get(&format!("/staff/cases/{}", encode(&number))).await.body;
        let page = String::from_utf8_lossy(&page);
        assert!(page.contains("<option value=\"post\">") && page.contains("<option value=\"in_person\">"));
        assert!(!page.contains("<option value=\"phone\">") && !page.contains("<option value=\"fax\">"));

        // The officer sees it on the not-delivered list and sends it by post.
        let list = b.get("/staff/deliveries/undelivered").await;
        assert!(text(&list).contains(&outgoing), "{}", text(&list));
        let offered = String::from_utf8_lossy(&list.body).into_owned();
        assert!(offered.contains("<option value=\"post\">") && !offered.contains("<option value=\"phone\">"));
        let csrf = field(&list, "csrf");
        let again = format!("/staff/cases/{}/letters/1/deliveries", encode(&number));
        let r = b.post(&again, &[("csrf", &csrf), ("channel", "post"), ("back", "undelivered")]).await;
        assert_eq!(r.header("location"), Some("/staff/deliveries/undelivered?saved=1"));
        assert!(!text(&b.get("/staff/deliveries/undelivered").await).contains(&outgoing));
        // While it is on its way, no second channel.
        let r = b.post(&again, &[("csrf", &csrf), ("channel", "email"), ("back", "case")]).await;
        assert!(r.header("location").unwrap().contains("refused=delivery_pending"));

        // The registry office prints the day's letters as one PDF and marks them posted.
        let queue = b.get("/staff/deliveries/post").await;
        let page = text(&queue);
        assert!(page.contains("Издадени на 25.11.2026") && page.contains("ул. „Хубча“ 5, 1612 София"), "{page}");
        let ids = page.split("name=\"ids\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let printed = b.get(&format!("/staff/deliveries/post/print?ids={ids}")).await;
        assert_eq!(printed.status, 200);
        assert_eq!(printed.header("content-type"), Some("application/pdf"));
        assert!(printed.body.starts_with(b"%PDF-"));
        assert!(sent(&events(&s, &me, &number).await).is_empty(), "printing is not posting");
        let r = b.post("/staff/deliveries/post/posted", &[("csrf", &csrf), ("ids", &ids)]).await;
        assert_eq!(r.header("location"), Some("/staff/deliveries/post?saved=posted"));
        let went = sent(&events(&s, &me, &number).await);
        assert_eq!(went, [(PreferredChannel::Post, "ул. „Хубча“ 5, 1612 София".to_string(), String::new())]);
        assert!(text(&b.get("/staff/deliveries/post").await).contains("Няма писма в този списък."));
        // A printed letter already posted is not printed again.
        assert_eq!(b.get(&format!("/staff/deliveries/post/print?ids={ids}")).await.status, 422);
        s.db.finish().await;
    }
}

/// The pages of a PDF.
fn pages(pdf: &[u8]) -> usize {
    hayro_syntax::Pdf::new(pdf.to_vec()).unwrap().pages().len()
}

#[tokio::test]
async fn a_letter_by_post_goes_with_a_return_receipt_printed_after_it_and_recorded_when_it_comes_back() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let (me, mut b) = officer(&s).await;
        let address = "ул. „Хубча“ 5, 1612 София";
        let number = case_for(&s, &me, person(None, None, Some(address), "post")).await;
        let by_email = case_for(&s, &me, person(Some("maria@example.bg"), None, None, "email")).await;

        // Offered where the letter goes by post, and refused, naming the field, where it does not.
        let form = |n: &str| format!("/staff/cases/{}/letters/new?kind=answer", encode(n));
        assert!(text(&b.get(&form(&number)).await).contains("С обратна разписка"));
        assert!(!text(&b.get(&form(&by_email)).await).contains("С обратна разписка"));
        let draft = s.app.draft_letter(&me, &by_email, "answer").await.unwrap();
        let draft = LetterDraft { body: "Поправихме лампата.".into(), return_receipt: true, ..draft };
        let refused = s.app.issue_letter(&me, &by_email, &draft).await;
        match refused {
            Err(harta_app::AppError::Invalid(found)) => assert_eq!(found[0].field, "return_receipt"),
            other => panic!("{other:?}"),
        }
        assert!(s.app.letters(&me, &by_email).await.unwrap().is_empty(), "nothing issued");

        let draft = s.app.draft_letter(&me, &number, "answer").await.unwrap();
        let letter = LetterDraft { body: "Поправихме лампата.".into(), return_receipt: true, ..draft };
        let outgoing = s.app.issue_letter(&me, &number, &letter).await.unwrap().number;
        let plain = s.app.letter_pdf(&me, &number, 1).await.unwrap().1;

        // The print queue says how it goes, and the run has the receipt after the letter.
        let queue = b.get("/staff/deliveries/post").await;
        let page = text(&queue);
        assert!(page.contains(&outgoing) && page.contains("Препоръчано, с обратна разписка"), "{page}");
        let ids = page.split("name=\"ids\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        let printed = b.get(&format!("/staff/deliveries/post/print?ids={ids}")).await;
        assert_eq!(printed.status, 200);
        assert_eq!(pages(&printed.body), pages(&plain) + 1, "the letter, then its receipt");

        // Not posted yet: nothing to record.
        let case_page = format!("/staff/cases/{}", encode(&number));
        let csrf = field(&queue, "csrf");
        let delivery = s.app.deliveries(&me, &number).await.unwrap()[0].id;
        let url = format!("/staff/delivery/{delivery}");
        let pairs =
            [("csrf", csrf.as_str()), ("outcome", "receipt_returned"), ("signed_on", "2026-11-25"), ("back", "case")];
        let r = b.post(&url, &pairs).await;
        assert!(r.header("location").unwrap().contains("refused=receipt_not_posted"), "{:?}", r.header("location"));
        b.post("/staff/deliveries/post/posted", &[("csrf", &csrf), ("ids", &ids)]).await;
        let shown = text(&b.get(&case_page).await);
        assert!(shown.contains("с обратна разписка, която още не се е върнала"), "{shown}");

        // A date that is not one, one after today and one before the posting are each refused.
        for (on, code) in [
            ("25.11", "receipt_not_a_date"),
            ("2026-11-26", "receipt_in_future"),
            ("2026-11-24", "receipt_before_posting"),
        ] {
            let pairs = [("csrf", csrf.as_str()), ("outcome", "receipt_returned"), ("signed_on", on), ("back", "case")];
            let r = b.post(&url, &pairs).await;
            assert!(
                r.header("location").unwrap().contains(&format!("refused={code}")),
                "{on}: {:?}",
                r.header("location")
            );
        }
        let pairs =
            [("csrf", csrf.as_str()), ("outcome", "receipt_returned"), ("signed_on", "2026-11-25"), ("back", "case")];
        let r = b.post(&url, &pairs).await;
        assert!(r.header("location").unwrap().ends_with("?saved=1#letters"), "{:?}", r.header("location"));
        let history = events(&s, &me, &number).await;
        assert!(history.iter().any(|e| matches!(e, CaseEvent::ReceiptReturned { number, signed_on }
            if *number == outgoing && signed_on.to_string() == "2026-11-25")));
        let shown = text(&b.get(&case_page).await);
        assert!(shown.contains("лицето е получило писмото на 25.11.2026"), "{shown}");
        assert!(!shown.contains("Дата на получаване по обратната разписка"), "the form is gone");
        let r = b.post(&url, &pairs).await;
        assert!(r.header("location").unwrap().contains("refused=receipt_already_done"));
        s.db.finish().await;
    }
}

#[tokio::test]
async fn calls_collection_at_the_counter_and_fax_each_confirm_in_their_own_way() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let (me, mut b) = officer(&s).await;
        let by_phone = case_for(&s, &me, person(None, Some("0888 123 456"), None, "phone")).await;
        let in_person = case_for(&s, &me, person(None, None, None, "in_person")).await;
        let by_fax = case_for(&s, &me, person(None, Some("02 895 11 02"), None, "fax")).await;
        for number in [&by_phone, &in_person, &by_fax] {
            issue(&s, &me, number, "answer").await;
        }

        // The call: its outcome must be said.
        let calls = b.get("/staff/deliveries/calls").await;
        assert!(text(&calls).contains("0888 123 456"), "{}", text(&calls));
        let csrf = field(&calls, "csrf");
        let id = s.app.deliveries(&me, &by_phone).await.unwrap()[0].id;
        let path = format!("/staff/delivery/{id}");
        let r = b.post(&path, &[("csrf", &csrf), ("outcome", "called"), ("note", " "), ("back", "calls")]).await;
        assert_eq!(r.header("location"), Some("/staff/deliveries/calls?refused=required"));
        let shown = text(&b.get(r.header("location").unwrap()).await);
        assert!(shown.contains("Опишете накратко разговора"), "{shown}");
        let note = "Прочетох писмото на г-жа Иванова.";
        b.post(&path, &[("csrf", &csrf), ("outcome", "called"), ("note", note), ("back", "calls")]).await;
        assert_eq!(
            sent(&events(&s, &me, &by_phone).await),
            [(PreferredChannel::Phone, "+359888123456".into(), note.into())]
        );
        // Done once: a second outcome is refused.
        let r = b.post(&path, &[("csrf", &csrf), ("outcome", "failed"), ("note", "x"), ("back", "calls")]).await;
        assert!(r.header("location").unwrap().contains("refused=already_done"));

        // The counter hands the letter over; the post outcome does not fit it.
        let id = s.app.deliveries(&me, &in_person).await.unwrap()[0].id;
        let path = format!("/staff/delivery/{id}");
        let wrong = b.post(&path, &[("csrf", &csrf), ("outcome", "posted"), ("back", "collection")]).await;
        assert!(wrong.header("location").unwrap().contains("refused=invalid"));
        assert!(text(&b.get("/staff/deliveries/collection").await).contains("Мария Иванова"));
        b.post(&path, &[("csrf", &csrf), ("outcome", "handed_over"), ("back", "collection")]).await;
        assert_eq!(
            sent(&events(&s, &me, &in_person).await),
            [(PreferredChannel::InPerson, String::new(), String::new())]
        );

        // The fax goes to the gateway with the PDF.
        let Some(peer) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        let fax = peer.received().into_iter().find(|m| m.to == ["35928951102@fax.example.bg"]).expect("the fax");
        assert!(fax.raw.contains("application/pdf"));
        assert_eq!(sent(&events(&s, &me, &by_fax).await)[0].0, PreferredChannel::Fax);

        // The gateway reports by e-mail: a confirmation changes nothing, a failure fails the
        // delivery; neither is a case.
        let message_id = s.app.deliveries(&me, &by_fax).await.unwrap()[0].detail.clone().unwrap();
        let report = |n: u32, subject: &str, text: &str| {
            harta_channels::inbound::read(
                format!(
                    "From: Fax Gateway <reports@fax.example.bg>\r\nTo: office@krasnoselo.net\r\nSubject: {subject}\r\n\
                     Message-ID: <r-{n}@fax.example.bg>\r\nIn-Reply-To: {message_id}\r\nAuto-Submitted: auto-generated\r\n\
                     Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
                )
                .as_bytes(),
            )
        };
        let confirmed = s.app.receive_mail(report(1, "Fax to 35928951102 sent", "2 pages in 0:41")).await.unwrap();
        assert_eq!(confirmed, Received::SetAside("the fax gateway confirms a fax"));
        assert!(s.app.delivery_queue(&me, Queue::Undelivered).await.unwrap().is_empty());
        let failed = s.app.receive_mail(report(2, "Fax to 35928951102 failed", "Line busy")).await.unwrap();
        assert_eq!(failed, Received::Bounced(by_fax.clone()));
        let undelivered = s.app.delivery_queue(&me, Queue::Undelivered).await.unwrap();
        assert_eq!(undelivered.iter().map(|d| d.registry_number.as_str()).collect::<Vec<_>>(), [by_fax.as_str()]);
        assert!(
            events(&s, &me, &by_fax).await.iter().any(|e| matches!(e,
            CaseEvent::LetterNotDelivered { channel: PreferredChannel::Fax, reason, .. } if reason.contains("failed")))
        );
        let stray = s.app.receive_mail(report(3, "Fax failed", "")).await;
        assert!(matches!(stray, Ok(Received::SetAside(_))), "an old report again: {stray:?}");

        // Another unit's officer does not see these deliveries.
        let other = staff(&s, "3001", "case_officer", Some("grao"), "парола-на-гео-1").await;
        let them = Principal {
            actor: Actor::Staff { id: StaffId(other) },
            role: Role::CaseOfficer,
            unit: Some("grao".into()),
        };
        assert!(s.app.delivery_queue(&them, harta_app::delivering::Queue::Undelivered).await.unwrap().is_empty());
        let err = s.app.delivery_done(&them, id, harta_app::delivering::Done::HandedOver).await.unwrap_err();
        assert!(matches!(err, harta_app::AppError::NotFound(_)), "{err:?}");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn an_administrator_cancels_and_retries_jobs_and_nobody_else_may() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let (me, mut b) = officer(&s).await;
        let number = case_for(&s, &me, person(Some("maria@example.bg"), None, None, "email")).await;
        issue(&s, &me, &number, "answer").await;
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        s.app.run_jobs(&mail_through(&format!("smtp://127.0.0.1:{port}"))).await.unwrap();

        assert_eq!(b.get("/staff/jobs").await.status, 403, "jobs are the administrators'");
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let waiting = s.app.jobs(&admin, harta_app::delivering::JobFilter::Waiting).await.unwrap();
        let deliver = waiting.iter().find(|j| j.kind == "deliver").unwrap().id;

        s.app.cancel_job(&admin, deliver).await.unwrap();
        let undelivered = s.app.delivery_queue(&me, harta_app::delivering::Queue::Undelivered).await.unwrap();
        assert_eq!(undelivered.len(), 1);
        assert_eq!(undelivered[0].detail.as_deref(), Some("cancelled"));
        let page = text(&b.get("/staff/deliveries/undelivered").await);
        assert!(page.contains("изпращането е отменено от администратор"), "{page}");

        // A cancelled job is not retried; the letter goes again on the channel chosen.
        assert!(s.app.retry_job(&admin, deliver).await.is_err());
        s.app.deliver_again(&me, &number, 1, "email", false).await.unwrap();
        let Some(peer) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        assert_eq!(sent(&events(&s, &me, &number).await).len(), 1);

        // A mailbox refused for good: the failed delivery is retried by the administrator (once
        // corrected, say); a failed acknowledgement is not, its access code being gone.
        let refused = case_for(&s, &me, person(Some("nobody@example.bg"), None, None, "email")).await;
        issue(&s, &me, &refused, "answer").await;
        s.app.run_jobs(&delivery(&peer)).await.unwrap();
        let failed = s.app.jobs(&admin, harta_app::delivering::JobFilter::Failed).await.unwrap();
        let deliver = failed.iter().find(|j| j.kind == "deliver").unwrap().id;
        let acknowledge = failed.iter().find(|j| j.kind == "acknowledge").unwrap().id;
        let err = s.app.retry_job(&admin, acknowledge).await.unwrap_err();
        assert!(matches!(err, harta_app::AppError::Conflict { code: "secret_gone", .. }), "{err:?}");
        let err = s.app.retry_job(&me, deliver).await.unwrap_err();
        assert!(matches!(err, harta_app::AppError::Forbidden(_)), "{err:?}");
        s.app.retry_job(&admin, deliver).await.unwrap();
        assert_eq!(s.app.deliveries(&me, &refused).await.unwrap()[0].state, DeliveryState::Pending);
        let err = s.app.retry_job(&admin, deliver).await.unwrap_err();
        assert!(matches!(err, harta_app::AppError::Conflict { code: "job_state", .. }), "{err:?}");
        s.db.finish().await;
    }
}
