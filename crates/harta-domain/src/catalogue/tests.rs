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
fn every_shipped_service_has_a_priced_tier_or_says_how_its_fee_is_set() {
    for s in shipped().services() {
        assert!(!s.tiers.is_empty(), "{}", s.code);
        assert_eq!(s.tier(None), s.tiers.first());
        assert!(s.tiers.iter().all(|t| t.fee.is_some()) || s.fee_note.is_some(), "{}", s.code);
        assert!(s.appeal.as_ref().is_some_and(|a| a.days == 14), "{}", s.code);
    }
    let c = shipped();
    let appeal = c.service("2079").unwrap().appeal.as_ref().unwrap().sentence_bg();
    assert_eq!(
        appeal,
        "Можете да обжалвате този отказ пред Административен съд – София-град, чрез кмета на район „Красно село“ \
         в 14-дневен срок от съобщаването му."
    );
    // ЗДОИ: 14 calendar days (art. 28), free.
    let zdoi = c.service("2").unwrap();
    assert_eq!(zdoi.tiers[0].deadline, Some(DeadlineRule::CalendarDays(14)));
    assert_eq!(zdoi.tiers[0].fee, Some(Money::FREE));
    // 5,00 лв. became 2,56 €, 10,00 лв. 5,11 €.
    let address = c.service("2079").unwrap();
    let fees: Vec<i64> = address.tiers.iter().filter_map(|t| t.fee.map(Money::cents)).collect();
    assert_eq!(fees, vec![256, 511]);
    assert_eq!(address.tier(Some(TierKind::Fast)).unwrap().deadline, Some(DeadlineRule::Hours(1)));
    assert!(address.tier(Some(TierKind::Express)).is_none());
}

#[test]
fn a_service_in_the_old_shape_migrates_and_writes_back_in_the_new() {
    let charter = charter();
    let old = r#"{"code": "2079", "name": {"bg": "а", "en": "a"}, "purpose": {"bg": "а", "en": "a"},
        "who": {"bg": "а", "en": "a"}, "documents": [{"bg": "а", "en": "a"}],
        "fee": {"bg": "5,00 лв. (обикновена услуга); 10,00 лв. (бърза услуга)", "en": "BGN 5.00; BGN 10.00"},
        "deadline": {"bg": "В деня на подаване (обикновена); до 1 час (бърза)", "en": "same day; 1 hour"},
        "unit": "grao", "how": {"bg": "а", "en": "a"}, "needs_national_id": true, "keywords": []}"#;
    let mut from = serde_json::Deserializer::from_str(old);
    let service = Service::deserialize_checked(&mut from, &charter).unwrap();
    assert_eq!(service.tiers.len(), 2);
    assert_eq!((service.fee_note.as_ref(), service.deadline_note.as_ref()), (None, None));
    let json = serde_json::to_string(&service).unwrap();
    assert!(json.contains(r#""tiers":[{"tier":"ordinary","fee":"2.56","deadline":"same day"}"#), "{json}");
    let mut again = serde_json::Deserializer::from_str(&json);
    assert_eq!(Service::deserialize_checked(&mut again, &charter).unwrap(), service);
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
tiers = [{ tier = "ordinary", fee = "2.56", deadline = "7 working days" }]
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
    let tiers =
        |t: &str| good.replace(r#"tiers = [{ tier = "ordinary", fee = "2.56", deadline = "7 working days" }]"#, t);
    for (text, field, code) in [
        (tiers(r#"tiers = [{ tier = "ordinary", fee = "-1" }]"#), "services[0].tiers[0].fee", "negative"),
        (tiers(r#"tiers = [{ tier = "ordinary", fee = "пет" }]"#), "services[0].tiers[0].fee", "not_an_amount"),
        (tiers(r#"tiers = [{ tier = "ordinary" }]"#), "services[0].tiers[0].fee", "required"),
        (tiers(r#"tiers = [{ tier = "slow", fee = "1" }]"#), "services[0].tiers[0].tier", "unknown"),
        (
            tiers(r#"tiers = [{ tier = "fast", fee = "1" }, { tier = "fast", fee = "2" }]"#),
            "services[0].tiers[1].tier",
            "invalid",
        ),
        (
            tiers(r#"tiers = [{ tier = "ordinary", fee = "1", deadline = "soon" }]"#),
            "services[0].tiers[0].deadline",
            "deadline",
        ),
        (tiers("tiers = []"), "services[0].tiers", "required"),
        (tiers(""), "services[0].tiers", "required"),
    ] {
        let err = Catalogue::from_toml(&one(&text), &charter).unwrap_err();
        assert_eq!((err.field.as_str(), err.code), (field, code), "{err}");
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
