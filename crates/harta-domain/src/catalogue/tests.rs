use super::*;

fn charter() -> Charter {
    Charter::from_toml(include_str!("../../../../charters/krasno-selo.toml")).unwrap()
}

fn shipped() -> Catalogue {
    Catalogue::from_toml(include_str!("../../../../charters/krasno-selo.services.toml"), &charter()).unwrap()
}

fn codes(found: Vec<&Service>) -> Vec<&str> {
    found.into_iter().map(|s| s.code.as_str()).collect()
}

#[test]
fn the_shipped_catalogue_has_at_least_25_services() {
    let c = shipped();
    assert!(c.services().len() >= 25, "{}", c.services().len());
    assert_eq!(c.service("2079").unwrap().unit, "grao");
    assert!(c.service("9999").is_none());
}

#[test]
fn folding_makes_cyrillic_latin_case_and_accents_one() {
    assert_eq!(fold("Удостоверение"), "udostoverenie");
    assert_eq!(fold("UDOSTOVERÉNIE"), "udostoverenie");
    assert_eq!(fold("Щастие, Юлия!"), "shtastie  yuliya ");
    assert_eq!(fold("ГРАО 2079"), "grao 2079");
}

#[test]
fn search_finds_by_word_prefix_typo_number_and_in_either_script() {
    let c = shipped();
    // Exact word in Cyrillic, any case.
    assert!(codes(c.search("НАСЛЕДНИЦИ")).contains(&"2016"));
    // Latin spelling of a Cyrillic word.
    assert!(codes(c.search("naslednitsi")).contains(&"2016"));
    // English name.
    assert!(codes(c.search("heirs")).contains(&"2016"));
    // A prefix, as typed so far.
    assert!(codes(c.search("наслед")).contains(&"2016"));
    // One typo (swapped letters) and one missing letter.
    assert!(codes(c.search("населедници")).contains(&"2016"));
    assert!(codes(c.search("наследнци")).contains(&"2016"));
    // The register number.
    assert_eq!(codes(c.search("2079")), vec!["2079"]);
    // Keywords.
    assert!(codes(c.search("дърво")).contains(&"2031"));
    // Every word must match.
    assert!(c.search("наследници паркиране").is_empty());
    assert!(c.search("xyzzyq").is_empty());
    // An empty query lists everything.
    assert_eq!(c.search("  ").len(), c.services().len());
}

#[test]
fn exact_matches_rank_before_typos() {
    let c = shipped();
    let found = codes(c.search("брак"));
    assert!(found.len() >= 2);
    assert!(["2037", "1999"].contains(&found[0]), "{found:?}");
    assert!(found.iter().position(|c| *c == "2037").unwrap() < 2, "{found:?}");
}

#[test]
fn a_wrong_value_names_its_field() {
    let charter = charter();
    let one = |body: &str| format!("[[services]]\n{body}");
    let good = r#"code = "1"
name = { bg = "а", en = "a" }
purpose = { bg = "а", en = "a" }
who = { bg = "а", en = "a" }
documents = [{ bg = "а", en = "a" }]
fee = { bg = "а", en = "a" }
deadline = { bg = "а", en = "a" }
unit = "grao"
how = { bg = "а", en = "a" }
"#;
    assert!(Catalogue::from_toml(&one(good), &charter).is_ok());
    let cases = [
        (good.replace("code = \"1\"", "code = \"A1\""), "services[0].code"),
        (good.replace("unit = \"grao\"", "unit = \"nowhere\""), "services[0].unit"),
        (good.replace("documents = [{ bg = \"а\", en = \"a\" }]", "documents = []"), "services[0].documents"),
        (
            good.replace("purpose = { bg = \"а\", en = \"a\" }", "purpose = { bg = \" \", en = \"a\" }"),
            "services[0].purpose.bg",
        ),
    ];
    for (text, field) in cases {
        let err = Catalogue::from_toml(&one(&text), &charter).unwrap_err();
        assert_eq!(err.field, field, "{err}");
    }
    let twice = format!("{}{}", one(good), one(good));
    assert_eq!(Catalogue::from_toml(&twice, &charter).unwrap_err().field, "services[1].code");
    assert!(Catalogue::from_toml("services = 3", &charter).is_err());
}

proptest::proptest! {
    #[test]
    fn search_never_panics_and_fold_is_ascii(query in "\\PC{0,40}") {
        let c = shipped();
        let _ = c.search(&query);
        proptest::prop_assert!(fold(&query).is_ascii());
    }

    #[test]
    fn a_service_is_found_by_its_own_name(i in 0usize..25) {
        let c = shipped();
        let s = &c.services()[i];
        proptest::prop_assert!(codes(c.search(&s.name.bg)).contains(&s.code.as_str()));
        proptest::prop_assert!(codes(c.search(&s.name.en)).contains(&s.code.as_str()));
    }
}
