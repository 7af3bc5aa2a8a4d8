//! Services written before tiers stated their fee and deadline in words, in leva:
//! `5,00 лв. (обикновена услуга); 10,00 лв. (бърза услуга)` and `В деня на подаване
//! (обикновена); до 1 час (бърза)`. This reads those words into tiers so that old catalogue
//! files and stored services migrate: amounts converted to euro at the fixed rate, deadlines as
//! rules, and the old words kept as a note only where they say more than the data.
//! Hand-written: the phrases are few and our own, and a parser crate would not know them.

use crate::calendar::WorkingDays;
use crate::charter::Text;
use crate::deadline::DeadlineRule;
use crate::money::Money;

use super::{Tier, TierKind};

/// What the words of an old service give.
pub(super) struct Migrated {
    pub(super) tiers: Vec<Tier>,
    pub(super) fee_note: Option<Text>,
    pub(super) deadline_note: Option<Text>,
}

/// The tiers in an old service's fee and deadline words (the Bulgarian, which is the
/// authoritative text; the English was its translation).
pub(super) fn tiers(fee: &Text, deadline: &Text) -> Migrated {
    let mut tiers: Vec<Tier> = Vec::new();
    let mut fee_understood = true;
    for part in fee.bg.split(';') {
        let part = part.to_lowercase();
        let i = slot(&mut tiers, tier_of(&part));
        let free = part.trim().starts_with("безплатно");
        let (amount, rest) = leva(&part);
        let amount = match amount {
            Some(stotinki) => Money::from_leva_stotinki(stotinki).ok(),
            None if free => Some(Money::FREE),
            None => None,
        };
        // A term written among the fee's words: `10,00 лв. (бърза, до 3 дни)`.
        let (term, rest) = rule_in(&rest);
        if amount.is_none() || !only_labels(&rest, free) {
            fee_understood = false;
        }
        tiers[i].fee = tiers[i].fee.or(amount);
        tiers[i].deadline = tiers[i].deadline.or(term);
    }
    let mut deadline_understood = true;
    for part in deadline.bg.split(';') {
        let part = part.to_lowercase();
        let i = slot(&mut tiers, tier_of(&part));
        let (term, rest) = rule_in(&part);
        if term.is_none() || !only_labels(&rest, false) {
            deadline_understood = false;
        }
        if term.is_some() {
            tiers[i].deadline = term;
        }
    }
    // The ordinary tier first: it is the one a request that names no tier gets.
    tiers.sort_by_key(|t| t.tier);
    Migrated {
        tiers,
        fee_note: (!fee_understood).then(|| fee.clone()),
        deadline_note: (!deadline_understood).then(|| deadline.clone()),
    }
}

/// The place of a tier in the list, added when new.
fn slot(tiers: &mut Vec<Tier>, kind: TierKind) -> usize {
    if let Some(i) = tiers.iter().position(|t| t.tier == kind) {
        return i;
    }
    tiers.push(Tier { tier: kind, fee: None, deadline: None });
    tiers.len() - 1
}

/// The tier a phrase is about: ordinary unless it says fast or express.
fn tier_of(lower: &str) -> TierKind {
    if lower.contains("експресн") {
        TierKind::Express
    } else if lower.contains("бърз") {
        TierKind::Fast
    } else {
        TierKind::Ordinary
    }
}

/// The first amount in leva (`5,00 лв.`, `5 лв`) as stotinki, and the words without it.
fn leva(lower: &str) -> (Option<i64>, String) {
    let Some(at) = lower.find("лв") else { return (None, lower.to_string()) };
    let before = lower[..at].trim_end();
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit() || *c == ',' || *c == '.' || *c == ' ')
        .last()
        .map_or(before.len(), |(i, _)| i);
    let number: String = before[start..].chars().filter(|c| !c.is_whitespace()).collect();
    let stotinki = Money::parse(&number).ok().map(Money::cents);
    let after = lower[at..].trim_start_matches("лв").trim_start_matches('.');
    (stotinki, format!("{}{}", &lower[..start], after))
}

/// A term in words (`в деня на подаване`, `до 1 час`, `до 7 дни`, `7 работни дни`), and the
/// words without it.
fn rule_in(lower: &str) -> (Option<DeadlineRule>, String) {
    for same_day in ["в деня на подаване", "в деня на подаването", "в деня"] {
        if let Some(at) = lower.find(same_day) {
            // "в деня на церемонията" is a day no rule knows.
            let rest = &lower[at + same_day.len()..];
            if same_day == "в деня" && !rest.trim_start().starts_with(|c: char| !c.is_alphabetic()) {
                continue;
            }
            return (Some(DeadlineRule::SameDay), format!("{}{}", &lower[..at], rest));
        }
    }
    let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',')).collect();
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<u32>() else { continue };
        let next = words.get(i + 1).copied().unwrap_or("");
        let after = words.get(i + 2).copied().unwrap_or("");
        // The rule and how many words it took, the number included.
        let rule = match (next, after) {
            (u, _) if u.starts_with("час") => Some((DeadlineRule::Hours(n), 2)),
            ("работни" | "работен", d) if d.starts_with('д') => {
                WorkingDays::new(i64::from(n)).ok().map(|n| (DeadlineRule::WorkingDays(n), 3))
            }
            ("календарни" | "календарен", d) if d.starts_with('д') => {
                Some((DeadlineRule::CalendarDays(n), 3))
            }
            ("дни" | "ден", _) => Some((DeadlineRule::CalendarDays(n), 2)),
            _ => None,
        };
        if let Some((rule, taken)) = rule.filter(|(r, _)| DeadlineRule::parse(&r.to_string()).is_ok()) {
            let rest: Vec<&str> =
                words.iter().enumerate().filter(|(j, _)| *j < i || *j >= i + taken).map(|(_, w)| *w).collect();
            return (Some(rule), rest.join(" "));
        }
    }
    (None, lower.to_string())
}

/// Whether what is left of a phrase only names its tier (`(обикновена услуга)`, `до`), so
/// the data says all the words said.
fn only_labels(rest: &str, free: bool) -> bool {
    const LABELS: &[&str] = &[
        "обикновена",
        "бърза",
        "експресна",
        "услуга",
        "услуги",
        "до",
        "за",
        "и",
        "в",
        "срок",
        "работни",
        "календарни",
    ];
    rest.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .all(|w| LABELS.contains(&w) || (free && w == "безплатно"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bg: &str) -> Text {
        Text { bg: bg.into(), en: format!("(en) {bg}") }
    }

    fn rule(s: &str) -> Option<DeadlineRule> {
        Some(DeadlineRule::parse(s).unwrap())
    }

    fn eur(cents: i64) -> Option<Money> {
        Some(Money::from_cents(cents).unwrap())
    }

    #[test]
    fn ordinary_and_fast_in_leva_become_two_tiers_in_euro() {
        let m = tiers(
            &text("5,00 лв. (обикновена услуга); 10,00 лв. (бърза услуга)"),
            &text("В деня на подаване (обикновена); до 1 час (бърза)"),
        );
        assert_eq!(
            m.tiers,
            vec![
                Tier { tier: TierKind::Ordinary, fee: eur(256), deadline: rule("same day") },
                Tier { tier: TierKind::Fast, fee: eur(511), deadline: rule("1 hour") },
            ]
        );
        assert_eq!((m.fee_note, m.deadline_note), (None, None));
    }

    #[test]
    fn a_term_inside_the_fee_words_belongs_to_its_tier() {
        let m = tiers(&text("5,00 лв. (до 7 дни); 10,00 лв. (бърза, до 3 дни)"), &text("До 7 дни"));
        assert_eq!(
            m.tiers,
            vec![
                Tier { tier: TierKind::Ordinary, fee: eur(256), deadline: rule("7 calendar days") },
                Tier { tier: TierKind::Fast, fee: eur(511), deadline: rule("3 calendar days") },
            ]
        );
        assert!(m.fee_note.is_none());
    }

    #[test]
    fn words_that_say_more_than_the_data_are_kept() {
        let m = tiers(&text("Безплатно; плащат се само разходите по предоставянето (напр. копия)"), &text("До 14 дни"));
        assert_eq!(m.tiers, vec![Tier { tier: TierKind::Ordinary, fee: eur(0), deadline: rule("14 calendar days") }]);
        assert!(m.fee_note.is_some());
        let m = tiers(&text("Според Наредбата за местните такси на Столична община"), &text("До 1 месец"));
        assert_eq!(m.tiers, vec![Tier { tier: TierKind::Ordinary, fee: None, deadline: None }]);
        assert!(m.fee_note.is_some() && m.deadline_note.is_some());
        let m = tiers(&text("Безплатно"), &text("В деня на церемонията"));
        assert_eq!(m.tiers, vec![Tier { tier: TierKind::Ordinary, fee: eur(0), deadline: None }]);
        assert_eq!((m.fee_note.is_some(), m.deadline_note.is_some()), (false, true));
    }

    #[test]
    fn working_days_and_plain_free_read_whole() {
        let m = tiers(&text("Безплатно"), &text("7 работни дни"));
        assert_eq!(m.tiers, vec![Tier { tier: TierKind::Ordinary, fee: eur(0), deadline: rule("7 working days") }]);
        assert_eq!((m.fee_note, m.deadline_note), (None, None));
    }
}
