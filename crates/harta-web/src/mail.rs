//! The words of the mail harta sends, in the person's language, from the same Fluent messages
//! as the pages (the acknowledgement repeats the success page, so it uses its words).

use harta_app::outbox::{Acknowledgement, Compose};
use harta_domain::format::{in_sofia, time_bg};

use crate::i18n::{Lang, Localizer};

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
            l.t_args(
                "mail-ack-contacts",
                &[
                    ("phone", &admin.switchboard.national()),
                    ("email", admin.email.as_str()),
                    ("address", l.pick(&admin.address)),
                ],
            ),
            l.t_args("mail-ack-website", &[("url", &self.public_url)]),
            String::new(),
            l.t("mail-ack-automatic"),
        ];
        (subject, lines.join("\n"))
    }
}
