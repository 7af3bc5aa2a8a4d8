//! The words of the mail harta sends, in the person's language, from the same Fluent messages
//! as the pages (the acknowledgement repeats the success page, so it uses its words).

use harta_app::outbox::{Acknowledgement, Compose, Digest, DigestLine, Reminder};
use harta_domain::format::{in_sofia, time_bg};

use crate::i18n::{Lang, Localizer};

/// The administration's telephone, e-mail and address, as every mail to a citizen ends.
fn contacts(l: &Localizer, admin: &harta_domain::charter::Administration) -> String {
    l.t_args(
        "mail-ack-contacts",
        &[
            ("phone", &admin.switchboard.national()),
            ("email", admin.email.as_str()),
            ("address", l.pick(&admin.address)),
        ],
    )
}

/// Writes mail for an administration whose public site is at `public_url`.
#[derive(Debug, Clone)]
pub struct MailWords {
    public_url: String,
}

impl MailWords {
    /// Mail that points people to `public_url` (`https://harta.example.bg`).
    pub fn new(public_url: &str) -> Self {
        Self { public_url: public_url.trim_end_matches('/').to_string() }
    }
}

impl Compose for MailWords {
    fn acknowledgement(&self, ack: &Acknowledgement<'_>) -> (String, String) {
        let l = Localizer::new(Lang::parse(ack.lang).unwrap_or_default());
        let case = ack.case;
        let admin = &ack.charter.administration;
        let number = case.registry_number.as_str();
        let subject = l.t_args("mail-ack-subject", &[("number", number), ("administration", l.pick(&admin.name))]);
        let unit = ack.charter.unit(&case.unit).map_or(case.unit.as_str(), |u| l.pick(&u.name));
        let received = format!("{} {}", l.date(&in_sofia(case.received_at).date()), time_bg(case.received_at));
        let days = l.deadline_rule(ack.deadline);
        let due = l.t_args("submit-done-due-days", &[("days", &days), ("date", &l.date(&case.due))]);
        let code = ack.access_code.to_string();
        let lines = [
            l.ts("mail-ack-greeting", "name", &case.party.name),
            l.ts("mail-ack-lead", "subject", &case.subject),
            String::new(),
            format!("{}: {number}", l.t("submit-done-number")),
            format!("{}: {code}", l.t("submit-done-code")),
            format!("{}: {received}", l.t("submit-done-received")),
            format!("{}: {due}", l.t("submit-done-due")),
            String::new(),
            l.t("submit-done-code-hint"),
            l.ts("mail-ack-track", "url", &format!("{}/track", self.public_url)),
            String::new(),
            l.t("submit-done-next"),
            l.ts("submit-done-next-body", "unit", unit),
            String::new(),
            l.pick(&admin.name).to_string(),
            contacts(&l, admin),
            l.t_args("mail-ack-website", &[("url", &self.public_url)]),
            String::new(),
            l.t("mail-ack-automatic"),
        ];
        (subject, lines.join("\n"))
    }

    fn digest(&self, d: &Digest) -> (String, String) {
        let l = Localizer::new(Lang::Bg);
        let line = |x: &DigestLine| {
            let state = match x.status.as_str() {
                "at_risk" => l.ts("deadline-at_risk", "days", &l.tn("working-days", "n", i64::from(x.days))),
                "due_today" => l.t("deadline-due_today"),
                "overdue" => l.ts("deadline-overdue", "days", &l.tn("working-days", "n", i64::from(x.days))),
                _ => l.t("mail-digest-nobody"),
            };
            format!("- {} – {} ({}: {}; {})", x.number, x.subject, l.t("mail-digest-due"), l.date(&x.due), state)
        };
        let mut lines = vec![l.ts("mail-ack-greeting", "name", &d.name), String::new()];
        for (title, cases) in [
            ("mail-digest-mine", &d.mine),
            ("mail-digest-overdue", &d.overdue),
            ("mail-digest-unassigned", &d.unassigned),
        ] {
            if !cases.is_empty() {
                lines.push(l.tn(title, "n", cases.len() as i64));
                lines.extend(cases.iter().map(line));
                lines.push(String::new());
            }
        }
        if !d.calls.is_empty() {
            lines.push(l.tn("mail-digest-calls", "n", d.calls.len() as i64));
            lines.extend(d.calls.iter().map(|c| {
                let phone = harta_domain::identifiers::Phone::parse(&c.phone)
                    .map_or_else(|_| c.phone.clone(), |p| p.national());
                format!(
                    "- {} – {}, {phone}: {} ({})",
                    c.number,
                    c.name,
                    c.what,
                    l.ts("mail-digest-call-by", "date", &l.date(&c.by))
                )
            }));
            lines.push(String::new());
        }
        lines.push(l.ts("mail-digest-open", "url", &format!("{}/staff", self.public_url)));
        lines.push(String::new());
        lines.push(l.t("mail-ack-automatic"));
        (l.ts("mail-digest-subject", "date", &l.date(&d.day)), lines.join("\n"))
    }

    fn reminder(&self, r: &Reminder<'_>) -> (String, String) {
        let l = Localizer::new(Lang::Bg);
        let number = r.case.registry_number.as_str();
        let admin = &r.charter.administration;
        let lines = [
            l.ts("mail-ack-greeting", "name", &r.case.party.name),
            String::new(),
            l.t_args("mail-remind-lead", &[("number", number), ("subject", &r.case.subject)]),
            String::new(),
            r.what.to_string(),
            String::new(),
            l.ts("mail-remind-by", "date", &l.date(&r.by)),
            l.ts("mail-ack-track", "url", &format!("{}/track", self.public_url)),
            String::new(),
            l.pick(&admin.name).to_string(),
            contacts(&l, admin),
            String::new(),
            l.t("mail-ack-automatic"),
        ];
        (l.ts("mail-remind-subject", "number", number), lines.join("\n"))
    }
}
