//! Sessions: live until they expire or are ended; expired ones pruned.

use super::fresh;
use crate::store::SessionStore;

const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn a_session_is_live_until_the_second_it_expires() {
    let db = fresh().await;
    db.create_session("s1", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    assert_eq!(
        db.session_user("s1", NOW).await.unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(
        db.session_user("s1", NOW + 59).await.unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(db.session_user("s1", NOW + 60).await.unwrap(), None);
    assert_eq!(db.session_user("unknown", NOW).await.unwrap(), None);
}

#[tokio::test]
async fn creating_a_session_prunes_every_expired_one_and_keeps_live_ones() {
    let db = fresh().await;
    db.create_session("old", "alice", NOW - 100, NOW)
        .await
        .unwrap();
    db.create_session("older", "bob", NOW - 100, NOW - 1)
        .await
        .unwrap();
    db.create_session("live", "bob", NOW - 100, NOW + 1)
        .await
        .unwrap();
    assert_eq!(db.count("SELECT COUNT(*) FROM sessions").await, 3);

    db.create_session("new", "carol", NOW, NOW + 60)
        .await
        .unwrap();
    let kept: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions ORDER BY id_hash")
        .fetch_all(db.pool())
        .await
        .unwrap();
    assert_eq!(kept, ["live", "new"], "expires_at <= now is pruned");
}

#[tokio::test]
async fn a_session_id_is_stored_once() {
    let db = fresh().await;
    db.create_session("s1", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    let err = db
        .create_session("s1", "mallory", NOW, NOW + 60)
        .await
        .unwrap_err();
    assert!(err.0.contains("UNIQUE"), "{err}");
    assert_eq!(
        db.session_user("s1", NOW).await.unwrap().as_deref(),
        Some("alice")
    );
}

#[tokio::test]
async fn ending_a_session_ends_that_one_only_and_only_once() {
    let db = fresh().await;
    db.create_session("s1", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    db.create_session("s2", "alice", NOW, NOW + 60)
        .await
        .unwrap();

    assert!(db.end_session("s1", NOW + 1).await.unwrap());
    assert_eq!(db.session_user("s1", NOW + 1).await.unwrap(), None);
    assert_eq!(
        db.session_user("s2", NOW + 1).await.unwrap().as_deref(),
        Some("alice")
    );
    assert!(
        !db.end_session("s1", NOW + 2).await.unwrap(),
        "already ended"
    );
    assert!(!db.end_session("unknown", NOW + 2).await.unwrap());
    assert_eq!(
        db.count("SELECT revoked_at FROM sessions WHERE id_hash = 's1'")
            .await,
        NOW + 1,
        "the first end is the one kept"
    );
}

#[tokio::test]
async fn ending_all_of_a_persons_sessions_counts_only_their_live_ones() {
    let db = fresh().await;
    db.create_session("a1", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    db.create_session("a2", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    db.create_session("a3", "alice", NOW, NOW + 60)
        .await
        .unwrap();
    db.create_session("a-expiring", "alice", NOW, NOW + 10)
        .await
        .unwrap();
    db.create_session("b1", "bob", NOW, NOW + 60).await.unwrap();
    assert!(db.end_session("a3", NOW).await.unwrap());

    // At NOW + 10: a3 is already ended and a-expiring has just expired.
    assert_eq!(db.end_sessions_of("alice", NOW + 10).await.unwrap(), 2);
    for id in ["a1", "a2", "a3", "a-expiring"] {
        assert_eq!(db.session_user(id, NOW + 10).await.unwrap(), None, "{id}");
    }
    assert_eq!(
        db.session_user("b1", NOW + 10).await.unwrap().as_deref(),
        Some("bob")
    );
    assert_eq!(db.end_sessions_of("alice", NOW + 11).await.unwrap(), 0);
    assert_eq!(db.end_sessions_of("nobody", NOW + 11).await.unwrap(), 0);
}
