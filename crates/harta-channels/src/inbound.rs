//! A message from the mailbox, read as harta-app needs it: decoded by mail-parser (MIME,
//! encoded words, quoted-printable and base64, Windows-1251, KOI8-R, UTF-8…) and classified by
//! its headers and structure as a person's letter, a bounce, an automatic reply or list mail.

use harta_app::mail_in::{InboundMail, MailKind};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders};
use sha2::{Digest, Sha256};

/// Reads a raw message. A message that does not parse at all is still a letter with an empty
/// text, identified by its bytes' digest: nothing a sender writes stops the reader.
pub fn read(raw: &[u8]) -> InboundMail {
    let digest = || format!("sha256:{}", harta_app::secrets::hex(&Sha256::digest(raw)));
    let Some(message) = MessageParser::default().parse(raw) else {
        return InboundMail { key: digest(), ..InboundMail::default() };
    };
    let key = message.message_id().map_or_else(digest, |id| format!("<{}>", id.trim()));
    let sender = message.from().and_then(|from| from.first());
    let from = sender
        .and_then(|a| a.address())
        .map(|a| a.trim().to_lowercase())
        .filter(|a| a.contains('@') && !a.chars().any(char::is_control));
    let name = sender.and_then(|a| a.name()).map(|n| n.chars().filter(|c| !c.is_control()).collect::<String>());
    let subject = message.subject().unwrap_or_default().chars().filter(|c| !c.is_control()).collect();
    // The plain text, or the HTML turned into text by mail-parser: HTML is never kept.
    let text = message.body_text(0).map(|t| t.into_owned()).unwrap_or_default();
    let attachments = message
        .attachments()
        .filter(|part| !part.is_message())
        .map(|part| (part.attachment_name().unwrap_or("приложение").to_string(), part.contents().to_vec()))
        .collect();
    let kind = kind_of(&message, raw);
    let ids = |value: &HeaderValue<'_>| -> Vec<String> {
        match value {
            HeaderValue::Text(id) => vec![format!("<{}>", id.trim())],
            HeaderValue::TextList(ids) => ids.iter().map(|id| format!("<{}>", id.trim())).collect(),
            _ => Vec::new(),
        }
    };
    let mut answers = ids(message.in_reply_to());
    answers.extend(ids(message.references()));
    InboundMail { key, from, name, subject, text, attachments, kind, answers }
}

/// Whether a message was written by a person, or by a machine that must not get an answer.
fn kind_of(message: &mail_parser::Message<'_>, raw: &[u8]) -> MailKind {
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("report"))
            && ct.attribute("report-type").is_some_and(|r| r.eq_ignore_ascii_case("delivery-status"))
    });
    let from_daemon = message
        .from()
        .and_then(|f| f.first())
        .and_then(|a| a.address())
        .is_some_and(|a| a.to_ascii_lowercase().starts_with("mailer-daemon@"));
    if report || from_daemon {
        return bounce(message, raw);
    }
    // RFC 3834: anything but "no" is automatic.
    if header("Auto-Submitted").is_some_and(|v| v != "no")
        || header("X-Autoreply").is_some()
        || header("X-Autorespond").is_some()
        || header("Precedence").is_some_and(|v| v == "bulk" || v == "junk" || v == "auto_reply")
    {
        return MailKind::AutoReply;
    }
    if header("List-Id").is_some() || header("Precedence").is_some_and(|v| v == "list") {
        return MailKind::List;
    }
    MailKind::Letter
}

/// A delivery status notification: the `Message-ID` of the message it returns (the first one
/// in the report after the notification's own) and its diagnostic.
fn bounce(message: &mail_parser::Message<'_>, raw: &[u8]) -> MailKind {
    let text = String::from_utf8_lossy(raw);
    let own = message.message_id().map(str::trim);
    let original = text
        .lines()
        .filter_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("message-id").then(|| value.trim())
        })
        .map(|v| v.trim_start_matches('<').trim_end_matches('>').trim().to_string())
        .find(|v| !v.is_empty() && Some(v.as_str()) != own)
        .map(|v| format!("<{v}>"));
    let field = |name: &str| {
        text.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.trim().eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    };
    let reason = field("Diagnostic-Code")
        .or_else(|| field("Status").map(|s| format!("status {s}")))
        .or_else(|| match message.header("Subject") {
            Some(HeaderValue::Text(s)) => Some(s.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| "bounced".into());
    MailKind::Bounce { original, reason }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_letter_in_windows_1251_with_an_encoded_word_subject_reads_in_cyrillic() {
        // "Уличното осветление" in Windows-1251, as encoded words and as quoted-printable.
        let raw = b"From: =?windows-1251?B?zODw6P8gyOLg7e7i4A==?= <Maria@Example.bg>\r\n\
Subject: =?windows-1251?Q?=D3=EB=E8=F7=ED=EE=F2=EE_=EE=F1=E2=E5=F2=EB=E5=ED=E8=E5?=\r\n\
Message-ID: <abc@example.bg>\r\n\
Content-Type: text/plain; charset=windows-1251\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n\
=CB=E0=EC=EF=E0=F2=E0 =ED=E5 =F1=E2=E5=F2=E8.\r\n";
        let mail = read(raw);
        assert_eq!(mail.key, "<abc@example.bg>");
        assert_eq!(mail.from.as_deref(), Some("maria@example.bg"));
        assert_eq!(mail.name.as_deref(), Some("Мария Иванова"));
        assert_eq!(mail.subject, "Уличното осветление");
        assert_eq!(mail.text.trim(), "Лампата не свети.");
        assert_eq!(mail.kind, MailKind::Letter);
    }

    #[test]
    fn koi8_r_and_html_only_are_read_as_text_never_as_html() {
        let raw = b"From: ivan@example.bg\r\nSubject: =?koi8-r?B?8NLP18XSy8E=?=\r\n\
Content-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><p>\xd0\x94\xd0\xbe\xd0\xb1\xd1\x8a\xd1\x80 \xd0\xb4\xd0\xb5\xd0\xbd</p><script>alert(1)</script></body></html>\r\n";
        let mail = read(raw);
        assert_eq!(mail.subject, "Проверка");
        assert!(mail.text.contains("Добър ден"), "{:?}", mail.text);
        assert!(!mail.text.contains("<p>") && !mail.text.contains("<script>"), "{:?}", mail.text);
        assert!(mail.key.starts_with("sha256:"), "no Message-ID: the content's digest");
    }

    #[test]
    fn automatic_replies_lists_and_bounces_are_told_apart() {
        let auto = read(b"From: a@b.bg\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nx\r\n");
        assert_eq!(auto.kind, MailKind::AutoReply);
        let said_no = read(b"From: a@b.bg\r\nAuto-Submitted: no\r\nSubject: x\r\n\r\nx\r\n");
        assert_eq!(said_no.kind, MailKind::Letter);
        assert_eq!(read(b"From: a@b.bg\r\nX-Autoreply: yes\r\n\r\nx\r\n").kind, MailKind::AutoReply);
        assert_eq!(read(b"From: a@b.bg\r\nPrecedence: bulk\r\n\r\nx\r\n").kind, MailKind::AutoReply);
        assert_eq!(read(b"From: a@b.bg\r\nList-Id: <news.example.bg>\r\n\r\nx\r\n").kind, MailKind::List);
        let dsn = b"From: Mail Delivery System <MAILER-DAEMON@mx.example.bg>\r\n\
Message-ID: <dsn-1@mx.example.bg>\r\n\
Subject: Undelivered Mail Returned to Sender\r\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\
--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.bg\r\n\r\n\
Final-Recipient: rfc822; nobody@example.bg\r\nAction: failed\r\nStatus: 5.1.1\r\n\
Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.bg>: Recipient address rejected\r\n\
--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <ours-7@krasnoselo.net>\r\nSubject: x\r\n\
--b--\r\n";
        match read(dsn).kind {
            MailKind::Bounce { original, reason } => {
                assert_eq!(original.as_deref(), Some("<ours-7@krasnoselo.net>"));
                assert!(reason.contains("550 5.1.1"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_messages_are_read_safely() {
        // Not MIME at all, no From: a letter without a sender, identified by its bytes.
        let garbage = read(b"\x00\xff\xfe not a message");
        assert_eq!(garbage.from, None);
        assert!(garbage.key.starts_with("sha256:"));
        // A From that is not an address.
        assert_eq!(read(b"From: nobody\r\nSubject: x\r\n\r\nx\r\n").from, None);
        // Only an attachment, with a name that climbs out of a directory: the name is kept as
        // written (the documents' own checks neutralise it), the text is empty.
        let raw = b"From: a@b.bg\r\nContent-Type: application/pdf; name=\"../../etc/passwd\"\r\n\
Content-Disposition: attachment; filename=\"../../etc/passwd\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
JVBERi0xLjcKJeLjz9M=\r\n";
        let only = read(raw);
        assert_eq!(only.attachments.len(), 1);
        assert_eq!(only.attachments[0].0, "../../etc/passwd");
        assert!(only.attachments[0].1.starts_with(b"%PDF-"));
    }
}
