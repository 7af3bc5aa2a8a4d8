use harta_domain::case::{Actor, CaseEvent};
use harta_store::cases::Cases;
use harta_store::jobs::{Jobs, NewJob};
use harta_store::testing::backends;
use jiff::{SignedDuration, Timestamp};

use crate::support::{letter, registrar};

#[tokio::test]
async fn a_job_is_written_with_its_case_claimed_once_per_lease_retried_and_finished_with_an_event() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        let jobs = Jobs::new(t.db.clone());
        let mut case = letter("2026-11-25T09:00:00Z", "cao");
        case.jobs.push(NewJob { kind: "acknowledge".into(), payload: r#"{"lang":"bg"}"#.into() });
        let done = registrar.register(case).await.unwrap();
        // A case registered without jobs adds none.
        registrar.register(letter("2026-11-25T09:00:00Z", "cao")).await.unwrap();
        assert_eq!(jobs.waiting().await.unwrap(), 1);

        let now: Timestamp = "2026-11-25T09:00:01Z".parse().unwrap();
        let lease = SignedDuration::from_mins(5);
        let claimed = jobs.claim(now, lease, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let job = &claimed[0];
        assert_eq!((job.kind.as_str(), job.case_id, job.attempts), ("acknowledge", Some(done.id), 1));
        // Under its lease nobody else takes it; once the lease runs out (a worker died) it is due again.
        assert!(jobs.claim(now, lease, 10).await.unwrap().is_empty());
        let later = now + SignedDuration::from_mins(6);
        let again = jobs.claim(later, lease, 10).await.unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].attempts, 2);

        // A failed attempt waits for its time.
        jobs.retry(&again[0], later + SignedDuration::from_mins(1), "connection refused").await.unwrap();
        assert!(jobs.claim(later + SignedDuration::from_secs(30), lease, 10).await.unwrap().is_empty());
        let third = jobs.claim(later + SignedDuration::from_mins(1), lease, 10).await.unwrap();
        assert_eq!(third[0].attempts, 3);

        let event = CaseEvent::MailSent { to: "maria@example.bg".into(), subject: "Регистрирано".into() };
        let at = later + SignedDuration::from_mins(2);
        jobs.finish(&third[0], at, None, Some((&Actor::System, &event))).await.unwrap();
        assert_eq!(jobs.waiting().await.unwrap(), 0);
        assert!(jobs.claim(at + SignedDuration::from_hours(1), lease, 10).await.unwrap().is_empty());
        let record = jobs.of_case(done.id).await.unwrap();
        assert_eq!(record.len(), 1);
        assert_eq!(record[0].outcome.as_deref(), Some("done"));
        assert_eq!(record[0].last_error.as_deref(), Some("connection refused"));
        assert_eq!(record[0].attempts, 3);
        let events = Cases::new(t.db.clone()).events(done.id).await.unwrap();
        assert_eq!(events.last().unwrap().event, event);
        t.finish().await;
    }
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    for t in backends().await {
        let (registrar, _) = registrar(&t.db).await;
        for _ in 0..40 {
            let mut case = letter("2026-11-25T09:00:00Z", "cao");
            case.jobs.push(NewJob { kind: "acknowledge".into(), payload: "{}".into() });
            registrar.register(case).await.unwrap();
        }
        let now: Timestamp = "2026-11-25T10:00:00Z".parse().unwrap();
        let mut workers = Vec::new();
        for _ in 0..4 {
            let jobs = Jobs::new(t.db.clone());
            workers.push(tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let got = jobs.claim(now, SignedDuration::from_mins(5), 3).await.unwrap();
                    if got.is_empty() {
                        return mine;
                    }
                    mine.extend(got.into_iter().map(|j| j.id));
                }
            }));
        }
        let mut all = Vec::new();
        for w in workers {
            all.extend(w.await.unwrap());
        }
        all.sort_unstable();
        let claimed = all.len();
        all.dedup();
        assert_eq!((claimed, all.len()), (40, 40));
        t.finish().await;
    }
}
