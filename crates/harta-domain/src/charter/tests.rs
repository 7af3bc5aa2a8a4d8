use super::*;

const KRASNO_SELO: &str = include_str!("../../../../charters/krasno-selo.toml");

fn with(from: &str, to: &str) -> Result<Charter, CharterError> {
    assert!(KRASNO_SELO.contains(from), "the fixture no longer contains {from}");
    Charter::from_toml(&KRASNO_SELO.replacen(from, to, 1))
}

#[test]
fn the_shipped_charter_loads() {
    let c = Charter::from_toml(KRASNO_SELO).unwrap();
    assert_eq!(c.administration.switchboard.as_str(), "+35928951100");
    assert_eq!(c.commitment(CaseKind::Letter).working_days.get(), 10);
    assert_eq!(c.commitment(CaseKind::Complaint).working_days.get(), 7);
    assert_eq!(c.registry.render(&c.commitment(CaseKind::Letter).index, 2026, 5).as_str(), "РКС26-ГР94-5");
    let mayor = c.unit("mayor").unwrap();
    assert_eq!(mayor.reception.len(), 1);
    assert!(mayor.reception[0].by_registration);
    assert_eq!(mayor.reception[0].day, Weekday::Wednesday);
    let grao = c.unit("grao").unwrap();
    assert_eq!(grao.reception.len(), 2);
    assert_eq!(grao.reception[0].from, Time::constant(13, 0, 0, 0));
    assert!(c.units.len() >= 10);
}

#[test]
fn a_wrong_value_names_its_field() {
    let cases = [
        (with(r#"switchboard = "02/895 11 00""#, r#"switchboard = "call us""#), "administration.switchboard"),
        (with(r#"email = "office@krasnoselo.net""#, r#"email = "office""#), "administration.email"),
        (with("working_days = 7", "working_days = 0"), "commitments.complaint.working_days"),
        (with("working_days = 7", "working_days = 20000"), "commitments.complaint.working_days"),
        (with(r#"index = "ЖБ12""#, r#"index = "ГР94""#), "commitments.letter.index"),
        (with("[commitments.suggestion]", "[commitments.idea]"), "commitments.idea"),
        (with(r#"sequence = "per_index""#, r#"sequence = "daily""#), "registry.sequence"),
        (with(r#"format = "{office}{yy}-{index}-{seq}""#, r#"format = "{office}-{seq}""#), "registry.format"),
        (
            with(
                r#"{ day = "monday", from = "13:00", to = "17:00" }"#,
                r#"{ day = "mon", from = "13:00", to = "17:00" }"#,
            ),
            "reception.default[0].day",
        ),
        (with(r#"from = "13:00", to = "17:00""#, r#"from = "13:00", to = "12:00""#), "reception.default[0].to"),
        (with(r#"from = "13:00""#, r#"from = "1pm""#), "reception.default[0].from"),
        (with(r#"code = "grao""#, r#"code = "cao""#), "units[2].code"),
        (with(r#"default_unit = "cao""#, r#"default_unit = "nowhere""#), "deadlines.default_unit"),
    ];
    for (result, field) in cases {
        let err = result.unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert!(!err.message.is_empty());
    }
}

#[test]
fn syntax_errors_and_unknown_fields_are_reported() {
    let err = Charter::from_toml("[administration").unwrap_err();
    assert!(err.to_string().contains("line 1"), "{err}");
    let err = with("[registry]", "[registry]\nprefix = \"X\"").unwrap_err();
    assert!(err.to_string().contains("prefix"), "{err}");
    let err = Charter::from_toml(&KRASNO_SELO.replace("[commitments.suggestion]\n", "[unused]\n")).unwrap_err();
    assert!(err.to_string().contains("unused"), "{err}");
}
