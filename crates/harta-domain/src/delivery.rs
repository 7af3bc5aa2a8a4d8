//! Delivering an issued letter on the channel the person chose (C20): where it goes on each
//! channel, and how a delivery ends. A letter is *issued* when it is numbered and stored; it is
//! *sent* only when its channel confirms it went (the mail server accepted it, the registry
//! office posted it, the officer read it on the telephone, the person collected it).

use crate::case::PreferredChannel;

names! {
    /// Where a delivery is.
    DeliveryState {
        /// Waiting: for the mail server, for the registry office to post it, for the officer's
        /// call, for the person to come to the counter.
        Pending => "pending",
        /// The channel confirmed that it went.
        Sent => "sent",
        /// It did not go and will not be tried again on this channel: somebody has to choose
        /// another.
        Failed => "failed",
    }
}

/// Why a letter cannot go on a channel at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Undeliverable {
    /// The person gave no e-mail address.
    #[error("the person gave no e-mail address")]
    NoEmail,
    /// The person gave no postal address.
    #[error("the person gave no postal address")]
    NoAddress,
    /// The person gave no telephone (or fax) number.
    #[error("the person gave no telephone number")]
    NoPhone,
    /// Fax is chosen, but this administration has no e-mail-to-fax gateway.
    #[error("no fax gateway is configured (HARTA_FAX_GATEWAY)")]
    NoFaxGateway,
}

impl crate::Coded for Undeliverable {
    fn code(&self) -> &'static str {
        match self {
            Self::NoEmail => "no_email",
            Self::NoAddress => "no_address",
            Self::NoPhone => "no_phone",
            Self::NoFaxGateway => "no_fax_gateway",
        }
    }
}

/// How the person can be reached, as their record holds it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reach<'a> {
    /// Their e-mail address.
    pub email: Option<&'a str>,
    /// Their telephone number in E.164 (`+35928951102`); a person who prefers fax gives their
    /// fax number here.
    pub phone: Option<&'a str>,
    /// Their postal address.
    pub address: Option<&'a str>,
}

/// Where a letter goes on `channel`: the e-mail address, the gateway address of the fax
/// number, the postal address, the number to call; for collection in person, the counter.
/// `fax_gateway` is the administration's e-mail-to-fax pattern (`{number}@fax.example.bg`).
pub fn destination(
    channel: PreferredChannel,
    reach: Reach<'_>,
    fax_gateway: Option<&str>,
) -> Result<String, Undeliverable> {
    let given = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    match channel {
        PreferredChannel::Email => given(reach.email).ok_or(Undeliverable::NoEmail),
        PreferredChannel::Post => given(reach.address).ok_or(Undeliverable::NoAddress),
        PreferredChannel::Phone => given(reach.phone).ok_or(Undeliverable::NoPhone),
        PreferredChannel::Fax => {
            let number = given(reach.phone).ok_or(Undeliverable::NoPhone)?;
            let gateway = given(fax_gateway).ok_or(Undeliverable::NoFaxGateway)?;
            Ok(fax_address(&gateway, &number))
        }
        PreferredChannel::InPerson => Ok(String::new()),
    }
}

/// The gateway's address for a fax number: `{number}` replaced by the number's digits in
/// international form without the `+` (`+35928951102` → `35928951102@fax.example.bg`), which
/// is what e-mail-to-fax gateways take.
pub fn fax_address(gateway: &str, number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    gateway.replace("{number}", &digits)
}

/// Whether `from` is the fax gateway's own address (its domain is the gateway pattern's):
/// what it sends is a report on a fax, never a letter from a person.
pub fn from_fax_gateway(gateway: &str, from: &str) -> bool {
    let domain = |address: &str| address.rsplit_once('@').map(|(_, d)| d.trim().to_ascii_lowercase());
    matches!((domain(gateway), domain(from)), (Some(g), Some(f)) if !g.is_empty() && g == f)
}

/// Words with which e-mail-to-fax gateways report a fax that did not go through (in English
/// and Bulgarian); a report without them confirms the fax.
const FAX_FAILED: [&str; 16] = [
    "fail",
    "error",
    "unsuccessful",
    "not sent",
    "not delivered",
    "undeliverable",
    "busy",
    "no answer",
    "could not",
    "неуспешн",
    "грешка",
    "не е изпратен",
    "не е доставен",
    "не може",
    "заето",
    "няма отговор",
];

/// Whether a fax gateway's report (its subject and text) says the fax did not go through.
pub fn fax_report_failed(subject: &str, text: &str) -> bool {
    let said = format!("{subject}\n{text}").to_lowercase();
    FAX_FAILED.iter().any(|w| said.contains(w))
}

/// Whether a channel is worked by harta itself (a mail server takes the letter) rather than by
/// a person (the registry office posts it, the officer calls, the counter hands it over).
pub fn is_electronic(channel: PreferredChannel) -> bool {
    matches!(channel, PreferredChannel::Email | PreferredChannel::Fax)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach() -> Reach<'static> {
        Reach {
            email: Some("maria@example.bg"), phone: Some("+35928951102"), address: Some("ул. „Хубча“ 5")
        }
    }

    #[test]
    fn each_channel_goes_where_the_person_said() {
        let gateway = Some("{number}@fax.example.bg");
        assert_eq!(destination(PreferredChannel::Email, reach(), None).unwrap(), "maria@example.bg");
        assert_eq!(destination(PreferredChannel::Post, reach(), None).unwrap(), "ул. „Хубча“ 5");
        assert_eq!(destination(PreferredChannel::Phone, reach(), None).unwrap(), "+35928951102");
        assert_eq!(destination(PreferredChannel::Fax, reach(), gateway).unwrap(), "35928951102@fax.example.bg");
        assert_eq!(destination(PreferredChannel::InPerson, Reach::default(), None).unwrap(), "");
    }

    #[test]
    fn a_channel_without_its_address_cannot_be_used() {
        let none = Reach { email: Some("  "), ..Reach::default() };
        assert_eq!(destination(PreferredChannel::Email, none, None), Err(Undeliverable::NoEmail));
        assert_eq!(destination(PreferredChannel::Post, none, None), Err(Undeliverable::NoAddress));
        assert_eq!(destination(PreferredChannel::Phone, none, None), Err(Undeliverable::NoPhone));
        assert_eq!(destination(PreferredChannel::Fax, none, Some("{number}@f.bg")), Err(Undeliverable::NoPhone));
        assert_eq!(destination(PreferredChannel::Fax, reach(), None), Err(Undeliverable::NoFaxGateway));
        assert_eq!(destination(PreferredChannel::Fax, reach(), Some(" ")), Err(Undeliverable::NoFaxGateway));
    }

    #[test]
    fn only_mail_and_fax_go_by_themselves() {
        let electronic: Vec<_> = PreferredChannel::ALL.iter().filter(|c| is_electronic(**c)).collect();
        assert_eq!(electronic, [&PreferredChannel::Email, &PreferredChannel::Fax]);
    }

    #[test]
    fn a_fax_gateway_is_known_by_its_domain_and_its_reports_by_their_words() {
        let gateway = "{number}@Fax.Example.bg";
        assert!(from_fax_gateway(gateway, "reports@fax.example.bg"));
        assert!(!from_fax_gateway(gateway, "maria@example.bg"));
        assert!(!from_fax_gateway(gateway, "fax.example.bg"));
        assert!(!from_fax_gateway("no-domain", "a@fax.example.bg"));
        assert!(fax_report_failed("Fax to 35928951102 FAILED", ""));
        assert!(fax_report_failed("Факс", "Изпращането е неуспешно: линията е заета, заето."));
        assert!(fax_report_failed("Re: РКС26-ГР94-7", "Line busy after 3 attempts"));
        assert!(!fax_report_failed("Fax to 35928951102 sent", "3 pages delivered in 0:42."));
        assert!(!fax_report_failed("Факсът е изпратен успешно", ""));
    }
}
