//! E-mail in, against a real IMAP server (dovecot on loopback): letters become cases with their
//! attachments and are acknowledged; replies join their case; bounces fail the delivery they
//! are about; automatic replies, list mail and messages without a sender create nothing; the
//! same message is registered once, also when it is fetched again after harta stopped between
//! registering it and flagging it; the reader comes back after the server restarts.

use harta_app::cases::ListInput;
use harta_app::{Principal, Role};
use harta_channels::imap::Mailbox;
use harta_channels::testing::{ImapPeer, SmtpPeer};
use harta_domain::case::{Actor, CaseEvent, Channel, State};
use harta_store::testing::backends;

use crate::support::{Server, delivery, start};

fn manager() -> Principal {
    Principal { actor: Actor::System, role: Role::Manager, unit: None }
}

/// The e-mail cases, oldest first: number, subject, state.
async fn mail_cases(s: &Server) -> Vec<(String, String, State)> {
    let input = ListInput { per_page: Some("100".into()), sort: Some("received".into()), ..ListInput::default() };
    let mut found: Vec<_> = s
        .app
        .list_cases(&manager(), &input)
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|c| c.channel == Channel::Email)
        .map(|c| (c.id, c.registry_number, c.subject, c.state))
        .collect();
    found.sort();
    found.into_iter().map(|(_, n, subject, state)| (n, subject, state)).collect()
}

fn message(id: &str, from: &str, subject: &str, extra: &str, body: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: office@krasnoselo.net\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// A letter in Windows-1251 (encoded-word subject, quoted-printable text) with a PDF attached.
fn cyrillic_letter_with_pdf() -> Vec<u8> {
    b"From: =?windows-1251?B?zODw6P8gyOLg7e7i4A==?= <Maria@Example.bg>\r\n\
Subject: =?windows-1251?Q?=D3=EB=E8=F7=ED=EE=F2=EE_=EE=F1=E2=E5=F2=EB=E5=ED=E8=E5?=\r\n\
Message-ID: <letter-1@example.bg>\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain; charset=windows-1251\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
=CB=E0=EC=EF=E0=F2=E0 =ED=E5 =F1=E2=E5=F2=E8.\r\n\
--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"snimka.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjcKJeLjz9MKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK\r\n--b--\r\n"
        .to_vec()
}

#[tokio::test]
async fn letters_become_cases_once_and_machines_get_no_answer() {
    for db in backends().await {
        let Some(imap) = ImapPeer::start() else { return };
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mailbox = Mailbox::parse(&imap.url, None).unwrap();
        imap.append(&cyrillic_letter_with_pdf()).await;
        imap.append(&message(
            "auto-1@example.bg",
            "ivan@example.bg",
            "Out of office",
            "Auto-Submitted: auto-replied\r\n",
            "I am away.",
        ))
        .await;
        imap.append(&message(
            "list-1@example.bg",
            "news@example.bg",
            "Бюлетин",
            "List-Id: <news.example.bg>\r\n",
            "Новини.",
        ))
        .await;
        imap.append("Subject: no sender\r\nMessage-ID: <nosender@example.bg>\r\n\r\nКой съм аз?\r\n".as_bytes()).await;
        imap.append(&cyrillic_letter_with_pdf()).await; // the same message again
        let spoof = message(
            "spoof-1@example.bg",
            "\"Кмет\" <mayor@krasnoselo.net>",
            "Спешно",
            "",
            "<script>alert(1)</script> Платете.",
        );
        imap.append(&spoof).await;
        assert_eq!(mailbox.take_new(&s.app).await.unwrap(), 6);

        let cases = mail_cases(&s).await;
        assert_eq!(cases.len(), 2, "{cases:?}");
        let (number, subject, state) = &cases[0];
        assert_eq!((subject.as_str(), *state), ("Уличното осветление", State::Registered));
        let view = s.app.view_case(&manager(), number).await.unwrap();
        assert_eq!(view.case.party.name, "Мария Иванова");
        assert_eq!(view.case.party.email.as_deref(), Some("maria@example.bg"));
        assert!(view.case.body.contains("Лампата не свети."));
        let documents = s.app.case_documents(&manager(), number).await.unwrap();
        assert_eq!(documents.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(), ["snimka.pdf"]);
        // A sender that looks like staff is a citizen like any other; the script stays text.
        let spoofed = s.app.view_case(&manager(), &cases[1].0).await.unwrap();
        assert_eq!(spoofed.case.party.email.as_deref(), Some("mayor@krasnoselo.net"));
        assert!(spoofed.case.body.contains("<script>alert(1)</script>"), "kept as text, shown escaped");

        // Every message is still on the server, taken; those set aside are marked so.
        let flags = imap.flags().await;
        assert_eq!(flags.len(), 6);
        assert!(
            flags.iter().all(|f| f.iter().any(|x| x.contains("HartaDone")) && f.iter().any(|x| x.contains("Seen")))
        );
        let aside: Vec<bool> = flags.iter().map(|f| f.iter().any(|x| x.contains("HartaSetAside"))).collect();
        assert_eq!(aside, [false, true, true, true, false, false]);
        // Nothing new: nothing taken again.
        assert_eq!(mailbox.take_new(&s.app).await.unwrap(), 0);

        // The senders of letters are acknowledged; the machines are not.
        let Some(smtp) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&smtp)).await.unwrap();
        let mut sent: Vec<String> = smtp.received().into_iter().flat_map(|m| m.to).collect();
        sent.sort();
        assert_eq!(sent, ["maria@example.bg", "mayor@krasnoselo.net"]);
        assert!(smtp.received().iter().any(|m| m.text().contains(number.as_str())));

        // harta stopped after registering a message and before flagging it: fetched again,
        // it is recognised and flagged, not registered twice.
        let raw = message("crash-1@example.bg", "petar@example.bg", "Шум", "", "Шум през нощта.");
        s.app.receive_mail(harta_channels::inbound::read(&raw)).await.unwrap();
        imap.append(&raw).await;
        assert_eq!(mailbox.take_new(&s.app).await.unwrap(), 1);
        assert_eq!(mail_cases(&s).await.len(), 3);
        s.db.finish().await;
    }
}

#[tokio::test]
async fn a_reply_joins_its_case_and_a_bounce_fails_the_letter_it_returns() {
    for db in backends().await {
        let Some(imap) = ImapPeer::start() else { return };
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let mailbox = Mailbox::parse(&imap.url, None).unwrap();
        imap.append(&cyrillic_letter_with_pdf()).await;
        mailbox.take_new(&s.app).await.unwrap();
        let number = mail_cases(&s).await[0].0.clone();

        // The officer asks for a photograph; the reply from the same address brings it.
        let officer = crate::staff::staff(&s, "1042", "case_officer", Some("cao"), "парола-на-петя-1").await;
        let me = Principal {
            actor: Actor::Staff { id: harta_domain::case::StaffId(officer) },
            role: Role::CaseOfficer,
            unit: Some("cao".into()),
        };
        let assign = CaseEvent::Assigned { officer: harta_domain::case::StaffId(officer), note: None };
        s.app.record_event(&me, &number, assign).await.unwrap();
        let ask = CaseEvent::InformationRequested {
            what: "Снимка на лампата".into(),
            by: "2026-12-04".parse().unwrap(),
        };
        s.app.record_event(&me, &number, ask).await.unwrap();
        let reply = String::from_utf8(cyrillic_letter_with_pdf())
            .unwrap()
            .replace("<letter-1@example.bg>", "<reply-1@example.bg>")
            .replace(
                "=?windows-1251?Q?=D3=EB=E8=F7=ED=EE=F2=EE_=EE=F1=E2=E5=F2=EB=E5=ED=E8=E5?=",
                &format!("Re: {number}"),
            );
        imap.append(reply.as_bytes()).await;
        // From another address, the same number makes a new case.
        imap.append(&message(
            "other-1@example.bg",
            "georgi@example.bg",
            &format!("Относно {number}"),
            "",
            "И при мен.",
        ))
        .await;
        assert_eq!(mailbox.take_new(&s.app).await.unwrap(), 2);
        let view = s.app.view_case(&me, &number).await.unwrap();
        assert_eq!(view.case.state, State::InProgress, "the case is back at work");
        assert!(view.events.iter().any(
            |e| matches!(&e.event, CaseEvent::InformationReceived { note, .. } if note.contains("Лампата не свети."))
        ));
        assert_eq!(s.app.case_documents(&me, &number).await.unwrap().len(), 2);
        let cases = mail_cases(&s).await;
        assert_eq!(cases.len(), 2);
        assert_eq!(cases[1].1, format!("Относно {number}"));

        // An answer letter by e-mail, then the bounce that returns it.
        let contact = crate::staff::contact("02 895 11 42", "p.koleva@krasnoselo.net");
        s.app.set_staff_contact(&me, officer, &contact).await.unwrap();
        let draft = s.app.draft_letter(&me, &number, "answer").await.unwrap();
        let letter = harta_app::letters::LetterDraft {
            body: "Поправихме лампата.".into(),
            next: "Не е нужно да правите нищо.".into(),
            ..draft
        };
        s.app.issue_letter(&me, &number, &letter).await.unwrap();
        let Some(smtp) = SmtpPeer::start() else { return };
        s.app.run_jobs(&delivery(&smtp)).await.unwrap();
        let message_id = s.app.deliveries(&me, &number).await.unwrap()[0].detail.clone().unwrap();
        let dsn = format!(
            "From: Mail Delivery System <MAILER-DAEMON@mx.example.bg>\r\nMessage-ID: <dsn-1@mx.example.bg>\r\n\
             Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n\
             Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
             --b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
             --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.bg\r\n\r\n\
             Final-Recipient: rfc822; maria@example.bg\r\nAction: failed\r\nStatus: 5.2.2\r\n\
             Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\
             --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\nSubject: x\r\n--b--\r\n"
        );
        imap.append(dsn.as_bytes()).await;
        assert_eq!(mailbox.take_new(&s.app).await.unwrap(), 1);
        let undelivered = s.app.delivery_queue(&me, harta_app::delivering::Queue::Undelivered).await.unwrap();
        assert_eq!(undelivered.len(), 1, "the bounced letter waits for another channel");
        assert!(undelivered[0].detail.as_deref().unwrap().contains("552 5.2.2 mailbox full"));
        assert_eq!(mail_cases(&s).await.len(), 2, "a bounce is no case");
        s.db.finish().await;
    }
}

#[tokio::test]
async fn the_reader_waits_for_new_mail_and_comes_back_after_the_server_restarts() {
    let Some(mut imap) = ImapPeer::start() else { return };
    let db = backends().await.into_iter().next().unwrap();
    let s = start(db, "2026-11-25T12:30:00Z").await;
    let mailbox = Mailbox::parse(&imap.url, None).unwrap();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let reader = tokio::spawn({
        let app = s.app.clone();
        async move { mailbox.run(app, stopped).await }
    });
    // Bounds, not timings: a loaded machine may take its time.
    let registered = |n: usize| {
        let s = &s;
        async move {
            let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
            while std::time::Instant::now() < until {
                if mail_cases(s).await.len() >= n {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            false
        }
    };
    imap.append(&message("idle-1@example.bg", "maria@example.bg", "Първо", "", "Първо писмо.")).await;
    assert!(registered(1).await, "taken while the reader idles");
    imap.pause();
    imap.resume();
    imap.append(&message("idle-2@example.bg", "maria@example.bg", "Второ", "", "Второ писмо.")).await;
    assert!(registered(2).await, "taken after the reader reconnected");
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), reader).await.unwrap().unwrap();
    s.db.finish().await;
}

#[tokio::test]
async fn an_attachment_too_large_is_left_out_and_the_letter_still_registered() {
    let db = backends().await.into_iter().next().unwrap();
    let s = start(db, "2026-11-25T12:30:00Z").await;
    // Known from an earlier case: her name, telephone and address are taken from it.
    let clerk = Principal { actor: Actor::System, role: Role::CounterClerk, unit: None };
    let earlier = harta_app::cases::RegisterCaseInput {
        kind: Some("letter".into()),
        channel: Some("counter".into()),
        subject: Some("Осветление".into()),
        text: Some("Лампата не свети.".into()),
        party: harta_app::cases::PartyInput {
            name: Some("Мария Иванова".into()),
            email: Some("maria@example.bg".into()),
            address: Some("ул. „Хубча“ 5".into()),
            ..harta_app::cases::PartyInput::default()
        },
        ..harta_app::cases::RegisterCaseInput::default()
    };
    s.app.register_case(&clerk, earlier).await.unwrap();
    let mail = harta_app::mail_in::InboundMail {
        key: "<big-1@example.bg>".into(),
        from: Some("maria@example.bg".into()),
        subject: "Голям файл".into(),
        attachments: vec![
            ("huge.pdf".into(), [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 50 * 1024 * 1024]].concat()),
            ("program.pdf".into(), b"MZ\x90\x00 not a pdf".to_vec()),
        ],
        ..harta_app::mail_in::InboundMail::default()
    };
    let received = s.app.receive_mail(mail).await.unwrap();
    let harta_app::mail_in::Received::Registered(number) = received else { panic!("{received:?}") };
    assert!(s.app.case_documents(&manager(), &number).await.unwrap().is_empty());
    let view = s.app.view_case(&manager(), &number).await.unwrap();
    assert_eq!(view.case.party.name, "Мария Иванова", "matched by her address");
    assert_eq!(view.case.party.address.as_deref(), Some("ул. „Хубча“ 5"));
    assert!(view.case.body.contains("без текст"));
    s.db.finish().await;
}
