//! A plain-language check for Bulgarian letters, shown to the officer as advice before a letter
//! is issued (never a refusal: the officer decides). It looks for what makes official letters
//! hard to read: long sentences, stock bureaucratic phrases, the passive voice, and
//! abbreviations nobody explained.

use std::collections::BTreeSet;

/// The longest sentence, in words, that the check lets pass.
pub const MAX_SENTENCE_WORDS: usize = 25;

/// One piece of advice about a letter's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advice {
    /// A sentence longer than [`MAX_SENTENCE_WORDS`] words.
    LongSentence {
        /// Its length in words.
        words: usize,
        /// Its first words, to find it by.
        start: String,
    },
    /// A stock phrase with a plainer way to say it.
    Bureaucratic {
        /// The phrase as found.
        phrase: String,
        /// What to write instead.
        instead: &'static str,
    },
    /// A passive construction: say who does what.
    Passive {
        /// The words as found.
        phrase: String,
    },
    /// An abbreviation that the text does not explain (explained: written out once with the
    /// abbreviation in brackets, "Закон за устройство на територията (ЗУТ)").
    Abbreviation {
        /// The abbreviation.
        abbreviation: String,
    },
}

impl Advice {
    /// A stable code for each kind of advice (pages say it in their own words).
    pub fn code(&self) -> &'static str {
        match self {
            Self::LongSentence { .. } => "long_sentence",
            Self::Bureaucratic { .. } => "bureaucratic",
            Self::Passive { .. } => "passive",
            Self::Abbreviation { .. } => "abbreviation",
        }
    }
}

/// Stock phrases of Bulgarian official letters and a plainer way to say each.
const PHRASES: &[(&str, &str)] = &[
    ("във връзка с", "за, заради"),
    ("с оглед на", "заради"),
    ("следва да", "трябва да"),
    ("е необходимо да", "трябва да"),
    ("по отношение на", "за"),
    ("в съответствие с", "според"),
    ("съгласно", "според"),
    ("предвид", "тъй като, заради"),
    ("с цел", "за да"),
    ("на основание", "според"),
    ("уведомяваме ви", "кажете го направо"),
    ("с настоящото", "махнете го"),
    ("в законоустановения срок", "до коя дата"),
    ("компетентния орган", "назовете институцията"),
    ("компетентен орган", "назовете институцията"),
];

/// Auxiliary verbs that, before a past passive participle, make the passive voice.
const AUXILIARIES: &[&str] = &["бъде", "бъдат", "бе", "бяха", "бил", "била", "било", "били"];

/// Endings of Bulgarian past passive participles.
const PARTICIPLE_ENDINGS: &[&str] = &["н", "на", "но", "ни", "т", "та", "то", "ти"];

/// Reads a text and gives every piece of advice about it, in the order found.
pub fn advise(text: &str) -> Vec<Advice> {
    let mut advice = Vec::new();
    for sentence in sentences(text) {
        let words: Vec<&str> = sentence.split_whitespace().filter(|w| w.chars().any(char::is_alphabetic)).collect();
        if words.len() > MAX_SENTENCE_WORDS {
            advice.push(Advice::LongSentence { words: words.len(), start: words[..6].join(" ") + " …" });
        }
    }
    let lower = text.to_lowercase();
    for (phrase, instead) in PHRASES {
        if contains_words(&lower, phrase) {
            advice.push(Advice::Bureaucratic { phrase: (*phrase).to_string(), instead });
        }
    }
    let words: Vec<String> =
        lower.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_string()).collect();
    let mut passives = BTreeSet::new();
    for pair in words.windows(2) {
        let (aux, verb) = (&pair[0], &pair[1]);
        if AUXILIARIES.contains(&aux.as_str())
            && verb.chars().count() > 3
            && PARTICIPLE_ENDINGS.iter().any(|e| verb.ends_with(e))
            && passives.insert(format!("{aux} {verb}"))
        {
            advice.push(Advice::Passive { phrase: format!("{aux} {verb}") });
        }
    }
    let mut seen = BTreeSet::new();
    for token in text.split_whitespace() {
        // Registry numbers (РКС26-ГР94-15) and codes carry digits: they are not abbreviations.
        if token.chars().any(|c| c.is_ascii_digit()) {
            continue;
        }
        let word = token.trim_matches(|c: char| !c.is_alphabetic());
        let letters = word.chars().count();
        let cyrillic_capitals = word.chars().all(|c| ('А'..='Я').contains(&c) || c == 'Ѝ');
        if (2..=6).contains(&letters)
            && cyrillic_capitals
            && !text.contains(&format!("({word})"))
            && seen.insert(word.to_string())
        {
            advice.push(Advice::Abbreviation { abbreviation: word.to_string() });
        }
    }
    advice
}

/// Whether `phrase` occurs in `text` as whole words.
fn contains_words(text: &str, phrase: &str) -> bool {
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphabetic) && !after.is_some_and(char::is_alphabetic)
    })
}

/// The text's sentences: ended by `.`, `!` or `?` before a space or the end, or by a new line.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|(_, n)| *n);
        let ends = c == '\n' || (matches!(c, '.' | '!' | '?') && next.is_none_or(char::is_whitespace));
        if ends {
            out.push(&text[start..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn codes(text: &str) -> Vec<&'static str> {
        advise(text).iter().map(Advice::code).collect()
    }

    #[test]
    fn a_plain_letter_gets_no_advice() {
        let text = "Получихме писмото ви на 25.11.2026. Поправихме лампата на ул. „Дебър“. \
                    Ако отново не свети, обадете ни се на 02/895 11 00.";
        assert_eq!(advise(text), vec![]);
    }

    #[test]
    fn long_sentences_are_found_by_their_first_words() {
        let long = format!("{}.", vec!["дума"; 26].join(" "));
        assert_eq!(
            advise(&long),
            vec![Advice::LongSentence {
                words: 26, start: "дума дума дума дума дума дума …".into()
            }]
        );
        assert_eq!(advise(&format!("{}.", vec!["дума"; 25].join(" "))), vec![]);
        // Numbers and dashes are not words; a line break ends a sentence.
        let listed = format!("{}\n{}", vec!["дума"; 20].join(" "), vec!["дума"; 20].join(" "));
        assert_eq!(advise(&listed), vec![]);
        assert_eq!(advise(&format!("{} – 12 34", vec!["дума"; 25].join(" "))), vec![]);
    }

    #[test]
    fn stock_phrases_passives_and_unexplained_abbreviations_are_named() {
        let text = "Във връзка с Вашето писмо Ви уведомяваме, че съгласно ЗУТ следва да бъде издадено \
                    разрешение от НАП.";
        assert_eq!(
            codes(text),
            vec!["bureaucratic", "bureaucratic", "bureaucratic", "passive", "abbreviation", "abbreviation"]
        );
        let advice = advise(text);
        assert!(advice.contains(&Advice::Passive { phrase: "бъде издадено".into() }));
        assert!(advice.contains(&Advice::Abbreviation { abbreviation: "ЗУТ".into() }));
        assert!(advice.contains(&Advice::Bureaucratic { phrase: "следва да".into(), instead: "трябва да" }));
    }

    #[test]
    fn explained_abbreviations_registry_numbers_and_words_inside_words_pass() {
        let text = "Законът за устройство на територията (ЗУТ) го позволява. ЗУТ е ясен. \
                    Писмо РКС26-ГР94-15. Предвидено е.";
        assert_eq!(advise(text), vec![]);
        // "предвид" inside "предвидено" is not the stock phrase.
        assert!(!contains_words("предвидено е", "предвид"));
        assert!(contains_words("предвид това", "предвид"));
    }

    proptest! {
        /// Any text can be checked, and a sentence is long exactly when it has more words
        /// than the limit.
        #[test]
        fn any_text_is_checked_and_sentence_length_is_exact(text in "\\PC{0,400}", n in 1usize..60) {
            let _ = advise(&text);
            let sentence = format!("{}.", vec!["слово"; n].join(" "));
            let long = advise(&sentence).iter().any(|a| matches!(a, Advice::LongSentence { .. }));
            prop_assert_eq!(long, n > MAX_SENTENCE_WORDS);
        }
    }
}
