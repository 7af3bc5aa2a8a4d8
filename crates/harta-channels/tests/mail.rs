//! Mail goes out through a real SMTP conversation.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use harta_app::outbox::{Mail, Mailer};
use harta_channels::mail::Outgoing;
use harta_channels::testing::SmtpPeer;
use mail_parser::MimeHeaders;

fn mail(to: &str) -> Mail {
    Mail {
        to: to.into(),
        subject: "Вашето писмо е регистрирано под № РКС26-ГР94-7".into(),
        text: "Здравейте, Мария!\nСрокът за отговор е 10.12.2026.".into(),
        ..Mail::default()
    }
}

#[tokio::test]
async fn a_letter_goes_as_text_and_html_with_its_pdf_under_the_message_id_reported() {
    let Some(peer) = SmtpPeer::start() else { return };
    let out = Outgoing::smtp(&peer.url, "Район „Красно село“ <office@krasnoselo.net>").unwrap();
    let letter = Mail {
        html: Some("<!DOCTYPE html><html><body><p>Отговор по преписка РКС26-ГР94-7</p></body></html>".into()),
        attachments: vec![harta_app::outbox::Attachment {
            name: "РКС26-ГР94-7-1.pdf".into(),
            media_type: "application/pdf".into(),
            bytes: b"%PDF-1.7 letter".to_vec(),
        }],
        ..mail("maria@example.bg")
    };
    let message_id = out.send(&letter).await.unwrap();
    assert!(message_id.starts_with('<') && message_id.ends_with("@krasnoselo.net>"), "{message_id}");
    let got = peer.received();
    let parsed = mail_parser::MessageParser::default().parse(got[0].raw.as_bytes()).unwrap();
    assert_eq!(parsed.message_id().map(|id| format!("<{id}>")), Some(message_id));
    assert_eq!(parsed.subject(), Some("Вашето писмо е регистрирано под № РКС26-ГР94-7"));
    assert!(parsed.body_text(0).unwrap().contains("Срокът за отговор е 10.12.2026."));
    assert!(parsed.body_html(0).unwrap().contains("Отговор по преписка РКС26-ГР94-7"));
    let pdf = parsed.attachment(0).unwrap();
    assert_eq!(pdf.attachment_name(), Some("РКС26-ГР94-7-1.pdf"));
    assert_eq!(pdf.contents(), b"%PDF-1.7 letter");
}

#[tokio::test]
async fn an_smtp_server_receives_the_mail_in_cyrillic() {
    let Some(peer) = SmtpPeer::start() else { return };
    let out = Outgoing::smtp(&peer.url, "Район „Красно село“ <office@krasnoselo.net>").unwrap();
    out.send(&mail("maria@example.bg")).await.unwrap();
    let got = peer.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, vec!["maria@example.bg".to_string()]);
    assert!(got[0].raw.contains("From: "), "{}", got[0].raw);
    assert!(got[0].text().contains("Срокът за отговор е 10.12.2026."), "{}", got[0].raw);
}

#[tokio::test]
async fn a_refused_mailbox_is_permanent_and_a_server_that_is_down_is_not() {
    let Some(peer) = SmtpPeer::start() else { return };
    let out = Outgoing::smtp(&peer.url, "office@krasnoselo.net").unwrap();
    let refused = out.send(&mail("nobody@example.bg")).await.unwrap_err();
    assert!(refused.permanent, "{refused}");
    assert!(peer.received().is_empty());

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let down = Outgoing::smtp(&format!("smtp://127.0.0.1:{port}"), "office@krasnoselo.net").unwrap();
    let failed = down.send(&mail("maria@example.bg")).await.unwrap_err();
    assert!(!failed.permanent, "{failed}");

    let invalid = out.send(&mail("not an address")).await.unwrap_err();
    assert!(invalid.permanent);
}

#[tokio::test]
async fn without_a_server_mail_is_written_to_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = Outgoing::directory(dir.path(), "office@krasnoselo.net").unwrap();
    // Kept for the operator, and not reported as sent: nobody received it.
    let kept = out.send(&mail("maria@example.bg")).await.unwrap_err();
    assert!(kept.permanent && kept.message.contains("no SMTP server is configured"), "{kept}");
    let files: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    assert!(std::fs::read_to_string(&files[0]).unwrap().contains("To: maria@example.bg"));
}

#[tokio::test]
async fn a_bad_sender_or_url_is_refused_at_start_up() {
    assert!(Outgoing::smtp("smtp://127.0.0.1:25", "not an address").is_err());
    assert!(Outgoing::smtp("ftp://nowhere", "office@krasnoselo.net").is_err());
}
