//! The product's two languages: Bulgarian first, English second. Every word on a page comes
//! from `locales/{bg,en}/main.ftl` through Fluent, so a translator edits text, not templates.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use harta_domain::charter::Text;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "bg",
        // Pages are plain HTML: no Unicode isolation marks around arguments.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static BG: LanguageIdentifier = langid!("bg");
static EN: LanguageIdentifier = langid!("en");

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// Bulgarian, the default.
    #[default]
    Bg,
    /// English.
    En,
}

impl Lang {
    /// The language's code (`bg`, `en`), as in `<html lang>` and the language cookie.
    pub fn code(self) -> &'static str {
        match self {
            Self::Bg => "bg",
            Self::En => "en",
        }
    }

    /// A language by its code.
    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "bg" => Some(Self::Bg),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The other language, for the switch on every page.
    pub fn other(self) -> Self {
        match self {
            Self::Bg => Self::En,
            Self::En => Self::Bg,
        }
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Self::Bg => &BG,
            Self::En => &EN,
        }
    }
}

/// Looks up the page's words in its language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Localizer {
    lang: Lang,
}

impl Localizer {
    /// A localizer for a language.
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    /// The language.
    pub fn lang(&self) -> Lang {
        self.lang
    }

    /// The language's code.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A message. A missing key shows as the key itself (and the key-parity test keeps both
    /// languages complete).
    pub fn t(&self, key: &str) -> String {
        LOCALES.try_lookup(self.lang.id(), key).unwrap_or_else(|| key.to_string())
    }

    /// A message with one text argument.
    pub fn ts(&self, key: &str, name: &'static str, value: &str) -> String {
        self.with(key, name, FluentValue::from(value.to_string()))
    }

    /// A message with several text arguments.
    pub fn t_args(&self, key: &str, args: &[(&'static str, &str)]) -> String {
        let args = args.iter().map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(v.to_string()))).collect();
        LOCALES.try_lookup_with_args(self.lang.id(), key, &args).unwrap_or_else(|| key.to_string())
    }

    /// A message with one number argument (plural forms choose by it).
    pub fn tn(&self, key: &str, name: &'static str, value: i64) -> String {
        self.with(key, name, FluentValue::from(value))
    }

    fn with(&self, key: &str, name: &'static str, value: FluentValue<'static>) -> String {
        let args = HashMap::from([(Cow::Borrowed(name), value)]);
        LOCALES.try_lookup_with_args(self.lang.id(), key, &args).unwrap_or_else(|| key.to_string())
    }

    /// What is wrong with a field, in the page's words: the message for the refusal's code,
    /// naming the field by its label (and the limit passed, where there is one).
    pub fn field_error(&self, e: &harta_app::FieldError, label: &str) -> String {
        let limit = e.limit.map(|n| n.to_string()).unwrap_or_default();
        self.t_args(&format!("err-{}", e.code), &[("field", label), ("limit", &limit)])
    }

    /// An amount of money as this language writes it (`2,56 €`, `€2.56`); free is "free".
    pub fn money(&self, amount: harta_domain::money::Money) -> String {
        if amount.is_free() {
            return self.t("fee-free");
        }
        match self.lang {
            Lang::Bg => amount.bg(),
            Lang::En => amount.en(),
        }
    }

    /// A tier's fee in words: the amount, or "set case by case" where none is stated.
    pub fn fee(&self, fee: Option<harta_domain::money::Money>) -> String {
        fee.map_or_else(|| self.t("fee-case-by-case"), |m| self.money(m))
    }

    /// A deadline rule in words (`в деня на подаване`, `до 2 часа`, `7 работни дни`).
    pub fn deadline_rule(&self, rule: harta_domain::deadline::DeadlineRule) -> String {
        use harta_domain::deadline::DeadlineRule as R;
        match rule {
            R::SameDay => self.t("rule-same-day"),
            R::Hours(n) => self.tn("rule-hours", "n", i64::from(n)),
            R::WorkingDays(n) => self.tn("working-days", "n", i64::from(n.get())),
            R::CalendarDays(n) => self.tn("rule-calendar-days", "n", i64::from(n)),
        }
    }

    /// A tier's name (`обикновена услуга`).
    pub fn tier(&self, tier: harta_domain::catalogue::TierKind) -> String {
        self.t(&format!("tier-{}", tier.as_str()))
    }

    /// Charter text in the page's language.
    pub fn pick<'a>(&self, text: &'a Text) -> &'a str {
        match self.lang {
            Lang::Bg => &text.bg,
            Lang::En => &text.en,
        }
    }

    /// A date as people in Bulgaria write it: 25.11.2026.
    pub fn date(&self, date: &jiff::civil::Date) -> String {
        harta_domain::format::date_bg(*date)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn keys(ftl: &str) -> BTreeSet<String> {
        ftl.lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_lowercase()))
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_string()))
            .collect()
    }

    #[test]
    fn both_languages_have_the_same_messages() {
        let bg = keys(include_str!("../locales/bg/main.ftl"));
        let en = keys(include_str!("../locales/en/main.ftl"));
        let only_bg: Vec<_> = bg.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&bg).collect();
        assert!(only_bg.is_empty() && only_en.is_empty(), "only in bg: {only_bg:?}; only in en: {only_en:?}");
        assert!(bg.len() > 50);
    }

    #[test]
    fn messages_resolve_with_plurals() {
        let bg = Localizer::new(Lang::Bg);
        let en = Localizer::new(Lang::En);
        assert_eq!(bg.tn("working-days", "n", 1), "1 работен ден");
        assert_eq!(bg.tn("working-days", "n", 10), "10 работни дни");
        assert_eq!(en.tn("working-days", "n", 1), "1 working day");
        assert_eq!(en.tn("working-days", "n", 7), "7 working days");
        assert_eq!(bg.t("no-such-key"), "no-such-key");
    }
}
