//! Every kind of bad input gets a specific 4xx naming the field; nothing is stored and no
//! number is consumed.

use harta_app::Role;
use harta_store::testing::backends;
use serde_json::{Value, json};

use crate::support::{letter, post_json, request, start};

fn with(path: &[&str], value: Value) -> String {
    let mut body: Value = serde_json::from_str(&letter("cao")).unwrap();
    let mut at = &mut body;
    for key in &path[..path.len() - 1] {
        at = &mut at[*key];
    }
    at[path[path.len() - 1]] = value;
    body.to_string()
}

#[tokio::test]
async fn each_invalid_field_is_named_and_nothing_is_stored() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let clerk = s.token(Role::CounterClerk, None).await;
        let cases = [
            (with(&["kind"], json!("memo")), "kind"),
            (with(&["channel"], json!("pigeon")), "channel"),
            (with(&["subject"], json!("   ")), "subject"),
            (with(&["subject"], json!("я".repeat(301))), "subject"),
            (with(&["text"], json!("")), "text"),
            (with(&["text"], json!("a".repeat(100_001))), "text"),
            (with(&["unit"], json!("nowhere")), "unit"),
            (with(&["party", "email"], json!("maria@")), "party.email"),
            (with(&["party", "phone"], json!("123")), "party.phone"),
            (with(&["party", "egn"], json!("8032056032")), "party.egn"),
            (with(&["party", "egn"], json!("7502300000")), "party.egn"),
            (with(&["party", "lnch"], json!("7111042922")), "party.lnch"),
            (with(&["party", "eik"], json!("123456789")), "party.eik"),
            (with(&["party", "name"], json!("")), "party.name"),
            (with(&["party", "type"], json!("robot")), "party.type"),
            (with(&["party", "preferred_channel"], json!("telegram")), "party.preferred_channel"),
            (with(&["subject"], json!(42)), "subject"),
            (with(&["party"], json!("Мария")), "party"),
            (with(&["colour"], json!("blue")), "colour"),
        ];
        for (body, field) in &cases {
            let r = post_json(s.addr, &clerk, body).await;
            assert_eq!(r.status, 422, "{field}: {}", String::from_utf8_lossy(&r.body));
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            let problem = r.json();
            let fields: Vec<&str> =
                problem["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
            assert_eq!(fields, [*field], "{}", problem);
            assert!(problem["errors"][0]["detail"].as_str().unwrap().starts_with(field));
        }
        // Each field problem has a stable code for clients that say it in their own words.
        for (i, code) in [(2, "required"), (3, "too_long"), (6, "unknown"), (9, "check_digit")] {
            let body = &cases[i].0;
            assert_eq!(post_json(s.addr, &clerk, body).await.json()["errors"][0]["code"], code);
        }
        // Several wrong fields are all reported at once.
        let many =
            post_json(s.addr, &clerk, r#"{"kind":"x","channel":"y","subject":"","text":"","party":{"name":""}}"#).await;
        assert_eq!(many.json()["errors"].as_array().unwrap().len(), 5);

        let auth = format!("Bearer {clerk}");
        let json_type = ("Content-Type", "application/json");
        let bodies: [(&[u8], u16, &str); 5] = [
            (b"{not json", 400, "not valid JSON"),
            (b"[1, 2]", 400, "JSON object"),
            (b"{\"kind\": \"letter\xff\"}", 400, "UTF-8"),
            (b"", 400, "not valid JSON"),
            (b"null", 400, "JSON object"),
        ];
        for (body, status, says) in bodies {
            let r = request(s.addr, "POST", "/api/v1/cases", &[("Authorization", &auth), json_type], body).await;
            assert_eq!(r.status, status);
            assert!(r.json()["detail"].as_str().unwrap().contains(says), "{}", r.json());
        }
        let big = vec![b'a'; 2 * 1024 * 1024];
        let r = request(s.addr, "POST", "/api/v1/cases", &[("Authorization", &auth), json_type], &big).await;
        assert_eq!(r.status, 413);
        let r = request(
            s.addr,
            "POST",
            "/api/v1/cases",
            &[("Authorization", &auth), ("Content-Type", "text/plain")],
            letter("cao").as_bytes(),
        )
        .await;
        assert_eq!(r.status, 415);

        // Tokens: missing, malformed, unknown.
        let r = request(s.addr, "POST", "/api/v1/cases", &[json_type], letter("cao").as_bytes()).await;
        assert_eq!(r.status, 401);
        assert!(r.header("www-authenticate").is_some());
        assert_eq!(post_json(s.addr, "nonsense", &letter("cao")).await.status, 401);
        assert_eq!(post_json(s.addr, &format!("harta_{}", "0".repeat(64)), &letter("cao")).await.status, 401);

        // Bad list filters.
        let r =
            crate::support::get(s.addr, &clerk, "/api/v1/cases?state=lost&due_before=2026-02-30&per_page=1000").await;
        assert_eq!(r.status, 422);
        assert_eq!(r.json()["errors"].as_array().unwrap().len(), 3);

        // Nothing was stored, and the first good registration gets number 1.
        let ok = post_json(s.addr, &clerk, &letter("cao")).await;
        assert_eq!(ok.status, 201);
        assert_eq!(ok.json()["registry_number"], "РКС26-ГР94-1");
        s.db.finish().await;
    }
}
