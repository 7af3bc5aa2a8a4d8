//! For each role, what it can and cannot read or change, through the use cases every channel
//! calls (web pages and the API alike). Another unit's case is "not found", never "forbidden".

use harta_app::cases::{PartyInput, RegisterCaseInput};
use harta_app::{AppError, AuditFilter, Principal, Role};
use harta_domain::case::{Actor, CaseEvent, StaffId};
use harta_store::testing::backends;

use crate::support::start;

fn letter(unit: &str) -> RegisterCaseInput {
    RegisterCaseInput {
        kind: Some("letter".into()),
        channel: Some("post".into()),
        subject: Some("Неработещо осветление".into()),
        text: Some("Моля за отговор.".into()),
        unit: Some(unit.into()),
        party: PartyInput { name: Some("Мария Иванова".into()), ..PartyInput::default() },
        ..RegisterCaseInput::default()
    }
}

/// What a role may do: (read own unit's case, read another unit's case, register, assign,
/// read the audit trail, edit the catalogue, publish a suggestion).
type Can = (bool, bool, bool, bool, bool, bool, bool);

#[tokio::test]
async fn each_role_reads_and_changes_exactly_what_it_may() {
    for db in backends().await {
        let s = start(db, "2026-11-25T12:30:00Z").await;
        let admin = Principal { actor: Actor::System, role: Role::Administrator, unit: None };
        let officer = s
            .app
            .add_staff(
                &admin,
                &harta_app::administration::StaffInput {
                    employee_number: Some("1042".into()),
                    name: Some("Петя Колева".into()),
                    role: Some("case_officer".into()),
                    unit: Some("cao".into()),
                    email: None,
                    phone: None,
                    position: None,
                },
            )
            .await
            .unwrap();
        let ours = s.app.register_case(&admin, letter("cao")).await.unwrap().number.as_str().to_string();
        let theirs = s.app.register_case(&admin, letter("eco")).await.unwrap().number.as_str().to_string();
        let table: [(Role, Option<&str>, Can); 7] = [
            (Role::CounterClerk, None, (true, true, true, false, false, false, false)),
            (Role::CaseOfficer, Some("cao"), (true, false, true, true, false, false, false)),
            (Role::HeadOfUnit, Some("cao"), (true, false, true, true, false, false, true)),
            (Role::MayorsSecretary, Some("mayor"), (false, false, true, true, false, false, true)),
            (Role::Manager, None, (true, true, true, true, false, true, true)),
            (Role::Administrator, None, (true, true, true, true, true, true, true)),
            (Role::Auditor, None, (true, true, false, false, true, false, false)),
        ];
        for (role, unit, can) in table {
            let who = Principal { actor: Actor::Staff { id: StaffId(900) }, role, unit: unit.map(str::to_string) };
            let name = role.as_str();
            let read = |r: &Result<_, AppError>| match r {
                Ok(_) => true,
                Err(AppError::NotFound(_)) => false,
                Err(e) => panic!("{name}: reading answered {e}, not a plain not-found"),
            };
            assert_eq!(read(&s.app.view_case(&who, &ours).await.map(|_| ())), can.0, "{name} reads its unit's case");
            assert_eq!(read(&s.app.view_case(&who, &theirs).await.map(|_| ())), can.1, "{name} reads another unit's");
            let registered = s.app.register_case(&who, letter("cao")).await;
            assert_eq!(registered.is_ok(), can.2, "{name} registers");
            if !can.2 {
                assert!(matches!(registered, Err(AppError::Forbidden(_))));
            }
            // Assigning a fresh case of the service centre, whose officer is named.
            let fresh = s.app.register_case(&admin, letter("cao")).await.unwrap();
            let assign = CaseEvent::Assigned { officer: StaffId(officer), note: None };
            let assigned = s.app.record_event(&who, fresh.number.as_str(), assign).await;
            match (&assigned, can.3) {
                (Ok(_), true) => {}
                (Err(AppError::Forbidden(_)), false) => {}
                // The mayor's secretary may assign, but does not see the service centre's case.
                (Err(AppError::NotFound(_)), true) if role == Role::MayorsSecretary => {}
                (other, expected) => panic!("{name} assigns: {other:?}, expected {expected}"),
            }
            let audit = s.app.audit_entries(&who, AuditFilter { limit: 10, ..AuditFilter::default() }).await;
            assert_eq!(audit.is_ok(), can.4, "{name} reads the audit trail");
            let service = s.app.catalogue().service("2079").unwrap().clone();
            assert_eq!(s.app.put_service(&who, service).await.is_ok(), can.5, "{name} edits the catalogue");
            let published = s.app.decide_publication(&who, &ours, true, None).await;
            // Our case is a letter, not a suggestion: roles that may decide get a conflict.
            assert_eq!(
                matches!(published, Err(AppError::Conflict { .. })),
                can.6 && can.0,
                "{name} publishes: {published:?}"
            );
        }
        // An officer is named only for a case of their own unit (else they could not see it).
        let other = s.app.register_case(&admin, letter("eco")).await.unwrap();
        let assign = CaseEvent::Assigned { officer: StaffId(officer), note: None };
        let refused = s.app.record_event(&admin, other.number.as_str(), assign).await;
        assert!(matches!(&refused, Err(AppError::Invalid(f)) if f[0].field == "officer"), "{refused:?}");
        s.db.finish().await;
    }
}
