//! Acknowledgements by e-mail: written in the same transaction as the case, sent after the
//! commit through a real SMTP server, retried while the server is down, recorded in the history.

use harta_app::Role;
use harta_channels::testing::SmtpPeer;
use harta_domain::case::CaseEvent;
use harta_store::cases::Cases;
use harta_store::testing::backends;

use crate::support::{Server, delivery, mail_through, post_json, start};

async fn register(s: &Server, token: &str, email: &str, language: &str) -> String {
    let mut body: serde_json::Value = serde_json::from_str(&crate::support::letter("cao")).unwrap();
    body["party"]["email"] = email.into();
    body["language"] = language.into();
    let r = post_json(s.addr, token, &body.to_string()).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()["registry_number"].as_str().unwrap().to_string()
}

async fn last_event(s: &Server, number: &str) -> CaseEvent {
    let number = s.app.charter().registry.parse(number).unwrap();
    let cases = Cases::new(s.db.db.clone());
    let case = cases.by_number(&number, None).await.unwrap().unwrap();
    cases.events(case.id).await.unwrap().pop().unwrap().event
}

#[tokio::test]
async fn mail_waits_for_a_server_that_is_down_and_a_refused_mailbox_is_recorded() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let token = s.token(Role::CounterClerk, Some("cao")).await;
        let number = register(&s, &token, "maria@example.bg", "en").await;
        let refused = register(&s, &token, "nobody@example.bg", "bg").await;
        assert_eq!(s.app.jobs_waiting().await.unwrap(), 2);

        // The server is down: nothing is lost, both wait.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let down = mail_through(&format!("smtp://127.0.0.1:{port}"));
        assert_eq!(s.app.run_jobs(&down).await.unwrap(), 2);
        assert_eq!(s.app.jobs_waiting().await.unwrap(), 2);
        assert!(matches!(last_event(&s, &number).await, CaseEvent::Registered { .. }));
        // Not due again before its back-off has passed.
        let Some(peer) = SmtpPeer::start() else { return };
        assert_eq!(s.app.run_jobs(&delivery(&peer)).await.unwrap(), 0);

        s.set_now("2026-11-25T12:31:00Z");
        assert_eq!(s.app.run_jobs(&delivery(&peer)).await.unwrap(), 2);
        assert_eq!(s.app.jobs_waiting().await.unwrap(), 0);
        let mail = peer.received();
        assert_eq!(mail.len(), 1, "the refused mailbox gets nothing");
        let body = mail[0].text();
        assert!(body.contains("Hello Мария Иванова,"), "{body}");
        assert!(body.contains(&format!("Registry number: {number}")), "{body}");
        assert!(body.contains("10 working days, by 09.12.2026"), "{body}");
        match last_event(&s, &number).await {
            CaseEvent::MailSent { to, subject } => {
                assert_eq!(to, "maria@example.bg");
                assert!(subject.contains(&number), "{subject}");
            }
            other => panic!("{other:?}"),
        }
        match last_event(&s, &refused).await {
            CaseEvent::MailFailed { to, reason, .. } => {
                assert_eq!(to, "nobody@example.bg");
                assert!(reason.contains("550"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
        // No e-mail, no mail; an unknown language is refused by name.
        let mut body: serde_json::Value = serde_json::from_str(&crate::support::letter("cao")).unwrap();
        body["party"].as_object_mut().unwrap().remove("email");
        body["party"]["preferred_channel"] = "phone".into();
        assert_eq!(post_json(s.addr, &token, &body.to_string()).await.status, 201);
        assert_eq!(s.app.jobs_waiting().await.unwrap(), 0);
        body["language"] = "de".into();
        let r = post_json(s.addr, &token, &body.to_string()).await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["errors"][0]["field"], "language");
        s.db.finish().await;
    }
}
