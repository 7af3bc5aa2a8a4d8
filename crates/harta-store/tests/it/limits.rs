use harta_store::limits::{Bucket, Limits};
use harta_store::testing::backends;
use jiff::{SignedDuration, Timestamp};

#[tokio::test]
async fn counts_hold_per_key_and_window_and_old_windows_are_swept() {
    for t in backends().await {
        let limits = Limits::new(t.db.clone());
        let hour = SignedDuration::from_hours(1);
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let first = Bucket::at("submit 10.0.0.1".into(), at("2026-11-25T12:59:59Z"), hour);
        assert_eq!(first, Bucket::at("submit 10.0.0.1".into(), at("2026-11-25T12:00:00Z"), hour));
        let next = Bucket::at("submit 10.0.0.1".into(), at("2026-11-25T13:00:00Z"), hour);
        let other = Bucket::at("submit 10.0.0.2".into(), at("2026-11-25T12:30:00Z"), hour);
        for _ in 0..3 {
            limits.add(std::slice::from_ref(&first)).await.unwrap();
        }
        limits.add(&[next.clone(), other.clone()]).await.unwrap();
        assert_eq!(limits.count(&first).await.unwrap(), 3);
        assert_eq!(limits.count(&next).await.unwrap(), 1);
        assert_eq!(limits.count(&other).await.unwrap(), 1);
        assert_eq!(limits.sweep(at("2026-11-25T13:00:00Z")).await.unwrap(), 2);
        assert_eq!(limits.count(&first).await.unwrap(), 0);
        assert_eq!(limits.count(&next).await.unwrap(), 1);
        t.finish().await;
    }
}
