//! The figures of how promises are kept, over HTTP: a seeded October whose answers are known,
//! counted by the open data (JSON and CSV) and shown on the public scorecard; bad parameters
//! refused with the parameter named.

use harta_app::{Principal, Role};
use harta_domain::case::Actor;
use serde_json::{Value, json};

use crate::support::{Server, get, post_event, post_json, request, start};

async fn officer(s: &Server, number: &str, unit: &str) -> i64 {
    let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
    let staff = harta_app::administration::StaffInput {
        employee_number: Some(number.into()),
        name: Some("Петя Колева".into()),
        role: Some("case_officer".into()),
        unit: Some(unit.into()),
        email: None,
        phone: None,
        position: None,
    };
    s.app.add_staff(&admin, &staff).await.unwrap()
}

fn case(kind: &str, unit: &str) -> String {
    json!({
        "kind": kind, "channel": "post", "subject": "Улично осветление", "text": "Лампата не свети.", "unit": unit,
        "party": {"type": "person", "name": "Мария Иванова", "phone": "0888 123 456"}
    })
    .to_string()
}

/// October 2026, as the open data must count it. Received on Monday 5 October: letters are
/// due on 19 October (10 working days), complaints on 14 October (7).
/// - letter 1: answered on 7 October (2 working days): on time;
/// - letter 2: a holding reply on 16 October to 30 October, answered on 27 October (16 days):
///   on time only thanks to the holding reply;
/// - letter 3: answered on 21 October (12 days): late;
/// - letter 4: never answered: open and overdue;
/// - letter 5: withdrawn;
/// - a complaint to the civil registration unit answered on 8 October (3 days): on time.
async fn seed_october(s: &Server) {
    let (cao, grao) = (officer(s, "2001", "cao").await, officer(s, "2002", "grao").await);
    let manager = s.token(Role::Manager, None).await;
    let at = |day: &str| format!("{day}T07:00:00Z");
    s.set_now(&at("2026-10-05"));
    let mut urls = Vec::new();
    for _ in 0..5 {
        urls.push(
            post_json(s.addr, &manager, &case("letter", "cao")).await.json()["url"].as_str().unwrap().to_string(),
        );
    }
    let complaint =
        post_json(s.addr, &manager, &case("complaint", "grao")).await.json()["url"].as_str().unwrap().to_string();
    let event = |url: &str, body: Value| {
        let (url, manager) = (url.to_string(), manager.clone());
        async move {
            let r = post_event(s.addr, &manager, &url, body.clone()).await;
            assert_eq!(r.status, 201, "{body}: {}", String::from_utf8_lossy(&r.body));
        }
    };
    let spoken = json!({"type": "answered", "summary": "Лампата е сменена.", "spoken": "phone"});
    for url in &urls[..4] {
        event(url, json!({"type": "assigned", "officer": cao})).await;
    }
    event(&complaint, json!({"type": "assigned", "officer": grao})).await;
    event(&urls[4], json!({"type": "withdrawn", "reason": "Вече не е нужно."})).await;
    s.set_now(&at("2026-10-07"));
    event(&urls[0], spoken.clone()).await;
    s.set_now(&at("2026-10-08"));
    event(&complaint, spoken.clone()).await;
    s.set_now(&at("2026-10-16"));
    let hold = json!({"type": "holding_reply_sent", "reasons": "Нужна е проверка на място.", "still_needed": "", "new_due": "2026-10-30"});
    event(&urls[1], hold).await;
    s.set_now(&at("2026-10-21"));
    event(&urls[2], spoken.clone()).await;
    s.set_now(&at("2026-10-27"));
    event(&urls[1], spoken).await;
    s.set_now("2026-12-02T10:00:00Z");
}

/// The open data's JSON for a query.
async fn open_data(s: &Server, path: &str) -> Value {
    request(s.addr, "GET", path, &[], b"").await.json()
}

fn row<'a>(rows: &'a [Value], commitment: &str, unit: Option<&str>) -> &'a Value {
    rows.iter()
        .find(|r| r["commitment"] == commitment && r["unit"].as_str() == unit)
        .unwrap_or_else(|| panic!("no row for {commitment} {unit:?} in {rows:?}"))
}

#[tokio::test]
async fn the_open_data_counts_a_known_october_exactly() {
    for db in harta_store::testing::backends().await {
        let s = start(db, "2026-10-01T07:00:00Z").await;
        seed_october(&s).await;
        let r = request(s.addr, "GET", "/open-data/performance.json?from=2026-10-01&to=2026-10-31", &[], b"").await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let data = r.json();
        assert_eq!(
            (data["from"].as_str(), data["to"].as_str(), data["by"].as_str()),
            (Some("2026-10-01"), Some("2026-10-31"), Some("commitment"))
        );
        assert_eq!(data["counted_on"], "2026-12-02");
        let rows = data["rows"].as_array().unwrap();
        let commitments: Vec<&str> = rows.iter().map(|r| r["commitment"].as_str().unwrap()).collect();
        assert_eq!(commitments, ["service_request", "letter", "complaint", "suggestion", "holding_reply"]);
        let letters = row(rows, "letter", None);
        let expected = json!({
            "period_start": "2026-10-01", "period_end": "2026-10-31", "commitment": "letter", "unit": null,
            "service": null, "received": 5, "answered": 3, "answered_on_time": 1,
            "answered_on_time_with_holding_reply": 1, "answered_late": 1, "open": 1, "open_overdue": 1,
            "withdrawn": 1, "forwarded": 0, "median_working_days": 12, "p90_working_days": 16, "channel": null
        });
        assert_eq!(letters, &expected, "{}", s.db.db.backend());
        let complaints = row(rows, "complaint", None);
        assert_eq!((complaints["received"].as_u64(), complaints["answered_on_time"].as_u64()), (Some(1), Some(1)));
        assert_eq!(complaints["median_working_days"], 3);
        let holding = row(rows, "holding_reply", None);
        assert_eq!((holding["received"].as_u64(), holding["answered_on_time"].as_u64()), (Some(1), Some(1)));
        assert_eq!(holding["median_working_days"], 9);
        // Every count is the total of the case list behind it.
        let manager = s.token(Role::Manager, None).await;
        let listed = |kind: &'static str, outcome: &'static str| {
            let manager = manager.clone();
            async move {
                let kind = if kind.is_empty() { String::new() } else { format!("&kind={kind}") };
                let path =
                    format!("/api/v1/cases?received_from=2026-10-01&received_until=2026-10-31&outcome={outcome}{kind}");
                get(s.addr, &manager, &path).await.json()["total"].clone()
            }
        };
        for (outcome, field) in [
            ("answered", "answered"),
            ("on_time", "answered_on_time"),
            ("on_time_with_holding_reply", "answered_on_time_with_holding_reply"),
            ("late", "answered_late"),
            ("open", "open"),
            ("open_overdue", "open_overdue"),
            ("withdrawn", "withdrawn"),
            ("forwarded", "forwarded"),
        ] {
            assert_eq!(listed("letter", outcome).await, letters[field], "{outcome}");
        }
        for (outcome, field) in [
            ("holding_reply", "received"),
            ("holding_reply_in_time", "answered_on_time"),
            ("holding_reply_late", "answered_late"),
        ] {
            assert_eq!(listed("", outcome).await, holding[field], "{outcome}");
        }
        let services = row(rows, "service_request", None);
        assert_eq!((services["received"].as_u64(), services["median_working_days"].is_null()), (Some(0), true));

        // By unit: every unit has its rows, and they add up to the whole.
        let by_unit =
            request(s.addr, "GET", "/open-data/performance.json?from=2026-10-01&to=2026-10-31&by=unit", &[], b"")
                .await
                .json();
        let rows = by_unit["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 10 * 5, "every unit of the charter, every commitment");
        assert_eq!(row(rows, "letter", Some("cao"))["received"], 5);
        assert_eq!(row(rows, "letter", Some("grao"))["received"], 0);
        assert_eq!(row(rows, "complaint", Some("grao"))["answered_on_time"], 1);
        // Narrowed to a unit and a commitment.
        let narrowed =
            open_data(&s, "/open-data/performance.json?from=2026-10-01&to=2026-10-31&unit=grao&commitment=complaint")
                .await;
        let rows = narrowed["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0]["unit"].as_str(), rows[0]["received"].as_u64()), (Some("grao"), Some(1)));
        // By channel: every channel has its rows; the post brought all five letters.
        let by_channel =
            open_data(&s, "/open-data/performance.json?from=2026-10-01&to=2026-10-31&by=channel&commitment=letter")
                .await;
        let rows = by_channel["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 7);
        let post = rows.iter().find(|r| r["channel"] == "post").unwrap();
        assert_eq!(post["received"], 5);
        assert!(rows.iter().filter(|r| r["channel"] != "post").all(|r| r["received"] == 0));
        // By month: the months of the period, each cut to it.
        let by_month =
            open_data(&s, "/open-data/performance.json?from=2026-09-15&to=2026-11-30&by=month&commitment=letter").await;
        let months: Vec<(String, String, u64)> = by_month["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["period_start"].as_str().unwrap().into(),
                    r["period_end"].as_str().unwrap().into(),
                    r["received"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            months,
            [
                ("2026-09-15".into(), "2026-09-30".into(), 0),
                ("2026-10-01".into(), "2026-10-31".into(), 5),
                ("2026-11-01".into(), "2026-11-30".into(), 0)
            ]
        );

        // The CSV: the same fields, one line per row.
        let csv = request(s.addr, "GET", "/open-data/performance.csv?from=2026-10-01&to=2026-10-31", &[], b"").await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let text = String::from_utf8(csv.body).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "period_start,period_end,commitment,unit,service,received,answered,answered_on_time,\
             answered_on_time_with_holding_reply,answered_late,open_overdue,median_working_days,\
             p90_working_days,open,withdrawn,forwarded,channel"
        );
        assert_eq!(lines[2], "2026-10-01,2026-10-31,letter,,,5,3,1,1,1,1,12,16,1,1,0,");
        assert_eq!(lines.len(), 6);

        // The public scorecard of October (the last whole month on 5 November): the same
        // numbers, and too few cases for any percentage.
        s.set_now("2026-11-05T10:00:00Z");
        let page = request(s.addr, "GET", "/performance?period=month", &[], b"").await;
        assert_eq!(page.status, 200);
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains("01.10.2026 – 31.10.2026"), "{html}");
        let letters = &html[html.find("id=\"letter\"").unwrap()..html.find("id=\"complaint\"").unwrap()];
        assert!(letters.contains("<th scope=\"row\">Получени</th><td>5</td><td>0</td>"), "{letters}");
        assert!(letters.contains("<td>1 (твърде малко преписки, за да се каже)</td>"), "{letters}");
        assert!(letters.contains("<td>12 работни дни</td>"), "{letters}");
        assert!(!html.contains("Мария"), "no personal data on the scorecard");
    }
}

#[tokio::test]
async fn bad_parameters_are_refused_with_the_parameter_named() {
    for db in harta_store::testing::backends().await {
        let s = start(db, "2026-12-02T10:00:00Z").await;
        for (query, field, code) in [
            ("from=2026-05-01&to=2026-04-30", "to", "backwards"),
            ("from=2010-01-01&to=2026-01-01", "to", "too_long"),
            ("from=2026-13-01", "from", "malformed_date"),
            ("to=yesterday", "to", "malformed_date"),
            ("unit=nowhere", "unit", "unknown"),
            ("commitment=promises", "commitment", "unknown"),
            ("by=week", "by", "unknown"),
            ("channel=pigeon", "channel", "unknown"),
            ("service=none-such", "service", "unknown"),
        ] {
            for ext in ["json", "csv"] {
                let r = request(s.addr, "GET", &format!("/open-data/performance.{ext}?{query}"), &[], b"").await;
                assert_eq!(r.status, 400, "{query}");
                assert_eq!(r.header("content-type"), Some("application/problem+json"));
                let problem = r.json();
                assert_eq!(problem["errors"][0]["field"], field, "{query}");
                assert_eq!(problem["errors"][0]["code"], code, "{query}");
            }
        }
        let page = request(s.addr, "GET", "/performance?period=fortnight", &[], b"").await;
        assert_eq!(page.status, 400);
        let html = String::from_utf8(page.body).unwrap();
        assert!(html.contains("„fortnight“ не е период за сравнение"), "{html}");
    }
}

/// The dashboard: a head of unit sees their unit's figures, each a link to the inbox list of
/// the cases behind it; a manager sees every unit; a case officer does not see it.
#[tokio::test]
async fn the_dashboard_links_every_figure_to_its_cases_and_keeps_to_the_role() {
    use crate::staff::{Browser, staff, text};
    for db in harta_store::testing::backends().await {
        let s = start(db, "2026-10-01T07:00:00Z").await;
        seed_october(&s).await;
        staff(&s, "3001", "head_of_unit", Some("cao"), "парола за началник 1").await;
        staff(&s, "3002", "manager", None, "парола за кмета 12").await;
        staff(&s, "3003", "case_officer", Some("cao"), "парола за служител 1").await;
        let mut head = Browser::new(&s);
        head.sign_in_with_code("3001", "парола за началник 1", "2026-12-02T10:00:00Z").await;
        let page = head.get("/staff/performance?from=2026-10-01&to=2026-10-31").await;
        assert_eq!(page.status, 200);
        let html = text(&page);
        let late = "/staff?from=2026-10-01&#38;until=2026-10-31&#38;outcome=late&#38;kind=letter&#38;unit=cao";
        assert!(html.contains(&format!("<a href=\"{late}\">1 (твърде малко преписки, за да се каже)</a>")), "{html}");
        assert!(html.contains("<svg role=\"img\" aria-labelledby=\"trend-title trend-desc\""), "{html}");
        assert!(html.contains("Петя Колева"), "the officer with an overdue case: {html}");
        assert!(!html.contains("<select id=\"unit\""), "a head of unit has no other unit to choose");
        let complaints = &html[html.find("Жалби</th>").unwrap()..];
        assert!(complaints.starts_with("Жалби</th><td><a"), "{complaints}");
        assert!(complaints.contains(">0</a>"), "the civil registration's complaint is not the head's: {complaints}");
        // The link behind the figure lists exactly its case.
        let list = head.get(&late.replace("&#38;", "&")).await;
        assert!(text(&list).contains("Намерена е 1 преписка."), "{}", text(&list));

        let mut manager = Browser::new(&s);
        manager.sign_in_with_code("3002", "парола за кмета 12", "2026-12-02T10:00:00Z").await;
        let html = text(&manager.get("/staff/performance?from=2026-10-01&to=2026-10-31").await);
        let complaints = &html[html.find("Жалби</th>").unwrap()..];
        assert!(complaints.contains("outcome=received&#38;kind=complaint\">1</a>"), "{complaints}");
        let refused = manager.get("/staff/performance?from=2026-10-31&to=2026-10-01").await;
        assert_eq!(refused.status, 400);
        assert!(text(&refused).contains("Началната дата е след крайната."), "{}", text(&refused));

        let mut officer = Browser::new(&s);
        officer.sign_in_with_code("3003", "парола за служител 1", "2026-12-02T10:00:00Z").await;
        assert_eq!(officer.get("/staff/performance").await.status, 403);
    }
}

/// Every staff list downloads whole as CSV (with a byte-order mark for Excel) and XLSX, and
/// each download is in the audit trail.
#[tokio::test]
async fn lists_and_figures_download_as_csv_and_xlsx_and_each_download_is_audited() {
    use crate::staff::{Browser, staff};
    for db in harta_store::testing::backends().await {
        let s = start(db, "2026-10-01T07:00:00Z").await;
        seed_october(&s).await;
        staff(&s, "3002", "manager", None, "парола за кмета 12").await;
        staff(&s, "3004", "auditor", None, "парола за одитора 1").await;
        let mut manager = Browser::new(&s);
        manager.sign_in_with_code("3002", "парола за кмета 12", "2026-12-02T10:00:00Z").await;
        let csv =
            manager.get("/staff/export/cases.csv?kind=letter&from=2026-10-01&until=2026-10-31&outcome=received").await;
        assert_eq!(csv.status, 200);
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        assert!(csv.body.starts_with(b"\xEF\xBB\xBF"), "a byte-order mark for Excel");
        let text = String::from_utf8(csv.body[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Входящ номер,Вид,Канал,Тема,Отговорно звено,Състояние,Получена на,Срок за отговор,Отговорен служител"
        );
        assert_eq!(lines.len(), 6, "the five letters of October, not a page: {text}");
        assert!(lines[1..].iter().all(|l| l.contains(",Писмо,Поща,Улично осветление,")), "{text}");
        let xlsx =
            manager.get("/staff/export/cases.xlsx?kind=letter&outcome=received&from=2026-10-01&until=2026-10-31").await;
        assert_eq!(xlsx.status, 200);
        assert_eq!(
            xlsx.header("content-type"),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert!(xlsx.body.starts_with(b"PK\x03\x04"));
        assert!(xlsx.body.windows(24).any(|w| w == b"xl/worksheets/sheet1.xml"));
        let figures = manager.get("/staff/export/performance.csv?from=2026-10-01&to=2026-10-31").await;
        assert_eq!(figures.status, 200);
        let text = String::from_utf8(figures.body[3..].to_vec()).unwrap();
        assert!(text.starts_with("period_start,period_end,commitment,unit,service,received,"), "{text}");
        assert!(text.contains("01.10.2026,31.10.2026,letter,cao,,5,3,1,1,1,1,12,16,1,1,0,"), "{text}");
        let report = manager.get("/staff/performance/annual?year=2026").await;
        assert_eq!(report.status, 200);
        assert_eq!(report.header("content-type"), Some("application/pdf"));
        assert!(report.body.starts_with(b"%PDF-"));
        let title = "Годишен доклад за административното обслужване за 2026 г.";
        assert!(report.body.windows(title.len()).any(|w| w == title.as_bytes()));
        assert_eq!(manager.get("/staff/performance/annual?year=1999").await.status, 400);
        assert_eq!(manager.get("/staff/performance/annual?year=2027").await.status, 400);
        let directory = manager.get("/staff/export/directory.csv").await;
        let text = String::from_utf8(directory.body[3..].to_vec()).unwrap();
        assert!(text.starts_with("Служебен номер,"), "{text}");
        assert!(text.contains("2001,Петя Колева,,Експерт,Център за административно обслужване"), "{text}");
        let waiting = manager.get("/staff/export/deliveries-undelivered.xlsx").await;
        assert_eq!((waiting.status, waiting.body.starts_with(b"PK")), (200, true));
        assert_eq!(manager.get("/staff/export/deliveries-elsewhere.csv").await.status, 404);
        let refused = manager.get("/staff/export/cases.csv?from=someday").await;
        assert_eq!(refused.status, 400);
        assert_eq!(manager.get("/staff/export/audit.csv").await.status, 403);
        assert_eq!(manager.get("/staff/export/nothing.csv").await.status, 404);

        let mut auditor = Browser::new(&s);
        auditor.sign_in_with_code("3004", "парола за одитора 1", "2026-12-02T10:00:00Z").await;
        let trail = auditor.get("/staff/export/audit.csv?action=export_cases").await;
        assert_eq!(trail.status, 200);
        let text = String::from_utf8(trail.body[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "the two downloads of the case list: {text}");
        assert!(lines[1].contains("Изтеглен списък на преписки"), "{text}");
        let all = String::from_utf8(auditor.get("/staff/export/audit.csv").await.body).unwrap();
        assert!(all.contains("Изтеглени показатели") && all.contains("Изтеглен одитен журнал"), "{all}");
        assert!(all.contains("Изготвен годишен доклад"), "{all}");
        assert!(all.contains("Изтеглен указател на служителите"), "{all}");
        assert!(all.contains("Изтеглен списък на писма за връчване"), "{all}");
    }
}
