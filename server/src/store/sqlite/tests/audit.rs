//! The audit log: rows as recorded, bounded, finished, filtered and paged.

use app::model::{AuditEntry, AuditQuery};

use super::{fresh, TestDb};
use crate::store::{AccessStore, NewAuditEntry};

const NOW: i64 = 1_800_000_000;

fn entry(actor: &str, action: &str, target: &str, outcome: &str) -> NewAuditEntry {
    NewAuditEntry {
        actor: actor.into(),
        via: "token".into(),
        remote: None,
        action: action.into(),
        target: target.into(),
        detail: String::new(),
        outcome: outcome.into(),
        message: String::new(),
        commit: None,
    }
}

/// The ids a query returns, in order.
async fn ids(db: &TestDb, query: AuditQuery) -> Vec<i64> {
    db.audit(&query)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect()
}

#[tokio::test]
async fn a_row_reads_back_as_recorded() {
    let db = fresh().await;
    let full = NewAuditEntry {
        actor: "alice".into(),
        via: "session".into(),
        remote: Some("192.0.2.7".into()),
        action: "promote".into(),
        target: "staging".into(),
        detail: "app-a → main".into(),
        outcome: "committed".into(),
        message: "done".into(),
        commit: Some("abc123".into()),
    };
    let id = db.record_audit(full, NOW).await.unwrap();
    let bare = db
        .record_audit(entry("bob", "a", "t", "refused"), NOW + 1)
        .await
        .unwrap();
    assert_eq!(bare, id + 1, "ids grow");
    let rows = db.audit(&AuditQuery::default()).await.unwrap();
    assert_eq!(
        rows,
        [
            AuditEntry {
                id: bare,
                at: NOW + 1,
                actor: "bob".into(),
                via: "token".into(),
                remote: None,
                action: "a".into(),
                target: "t".into(),
                detail: String::new(),
                outcome: "refused".into(),
                message: String::new(),
                commit: None,
            },
            AuditEntry {
                id,
                at: NOW,
                actor: "alice".into(),
                via: "session".into(),
                remote: Some("192.0.2.7".into()),
                action: "promote".into(),
                target: "staging".into(),
                detail: "app-a → main".into(),
                outcome: "committed".into(),
                message: "done".into(),
                commit: Some("abc123".into()),
            },
        ]
    );
}

#[tokio::test]
async fn a_huge_row_is_stored_bounded() {
    let db = fresh().await;
    let huge = "x".repeat(1 << 20);
    let e = NewAuditEntry {
        actor: huge.clone(),
        via: huge.clone(),
        remote: Some(huge.clone()),
        action: huge.clone(),
        target: huge.clone(),
        detail: huge.clone(),
        outcome: huge.clone(),
        message: huge.clone(),
        commit: Some(huge.clone()),
    };
    let id = db.record_audit(e.clone(), NOW).await.unwrap();
    let b = e.bounded();
    let stored = AuditEntry {
        id,
        at: NOW,
        actor: b.actor,
        via: b.via,
        remote: b.remote,
        action: b.action,
        target: b.target,
        detail: b.detail,
        outcome: b.outcome,
        message: b.message,
        commit: b.commit,
    };
    assert_eq!(db.audit(&AuditQuery::default()).await.unwrap(), [stored]);
    let bytes = "SELECT LENGTH(CAST(actor || via || remote || action || target || detail
                   || outcome || message || commit_sha AS BLOB)) FROM audit_log";
    assert!(db.count(bytes).await < 8_000, "9 MB sent, a few kB stored");
}

#[tokio::test]
async fn finishing_a_row_sets_its_outcome_bounded_and_leaves_the_rest() {
    let db = fresh().await;
    let first = db
        .record_audit(entry("alice", "promote", "staging", "accepted"), NOW)
        .await
        .unwrap();
    let second = db
        .record_audit(entry("bob", "promote", "prod", "accepted"), NOW)
        .await
        .unwrap();

    db.finish_audit(first, "committed", "ok", Some("abc123"))
        .await
        .unwrap();
    let long = "m".repeat(5_000);
    db.finish_audit(second, "failed", &long, None)
        .await
        .unwrap();

    let rows = db.audit(&AuditQuery::default()).await.unwrap();
    let (second_row, first_row) = (&rows[0], &rows[1]);
    assert_eq!(
        (
            first_row.outcome.as_str(),
            first_row.message.as_str(),
            first_row.commit.as_deref()
        ),
        ("committed", "ok", Some("abc123"))
    );
    assert_eq!(
        (first_row.actor.as_str(), first_row.target.as_str()),
        ("alice", "staging")
    );
    assert_eq!(second_row.outcome, "failed");
    assert_eq!(second_row.commit, None);
    let bounded = NewAuditEntry {
        message: long,
        ..NewAuditEntry::default()
    }
    .bounded();
    assert_eq!(second_row.message, bounded.message);
    assert_eq!(second_row.message.chars().count(), 600);
}

#[tokio::test]
async fn filters_match_exactly_except_target_which_matches_a_part() {
    let db = fresh().await;
    let a = db
        .record_audit(entry("alice", "promote", "staging/app-a", "committed"), NOW)
        .await
        .unwrap();
    let b = db
        .record_audit(entry("alice", "delete", "sandboxes/x", "refused"), NOW)
        .await
        .unwrap();
    let c = db
        .record_audit(entry("bob", "promote", "prod/app-a", "refused"), NOW)
        .await
        .unwrap();
    let d = db
        .record_audit(entry("alice2", "promote", "staging", "committed"), NOW)
        .await
        .unwrap();
    let q =
        |actor: Option<&str>, action: Option<&str>, outcome: Option<&str>, target: Option<&str>| {
            AuditQuery {
                actor: actor.map(Into::into),
                action: action.map(Into::into),
                outcome: outcome.map(Into::into),
                target: target.map(Into::into),
                ..AuditQuery::default()
            }
        };
    assert_eq!(
        ids(&db, q(Some("alice"), None, None, None)).await,
        [b, a],
        "not alice2"
    );
    assert_eq!(
        ids(&db, q(Some("ali"), None, None, None)).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&db, q(None, Some("promote"), None, None)).await,
        [d, c, a]
    );
    assert_eq!(ids(&db, q(None, None, Some("refused"), None)).await, [c, b]);
    assert_eq!(ids(&db, q(None, None, None, Some("app-a"))).await, [c, a]);
    assert_eq!(
        ids(
            &db,
            q(
                Some("alice"),
                Some("promote"),
                Some("committed"),
                Some("staging")
            )
        )
        .await,
        [a],
        "filters combine"
    );
    // Blank filters are no filters; padded ones are trimmed.
    assert_eq!(
        ids(&db, q(Some(""), Some("  "), None, Some(""))).await,
        [d, c, b, a]
    );
    assert_eq!(ids(&db, q(Some(" bob "), None, None, None)).await, [c]);
}

#[tokio::test]
async fn a_page_holds_its_size_plus_the_next_row_and_before_is_exclusive() {
    let db = fresh().await;
    let mut all = Vec::new();
    for i in 0..5 {
        all.push(
            db.record_audit(entry("alice", "a", "t", "ok"), NOW + i)
                .await
                .unwrap(),
        );
    }
    all.reverse(); // newest first
    let page = |limit: i64, before: Option<i64>| AuditQuery {
        limit: Some(limit),
        before,
        ..AuditQuery::default()
    };
    assert_eq!(
        ids(&db, page(2, None)).await,
        all[..3],
        "2 rows and the next one"
    );
    assert_eq!(
        ids(&db, page(2, Some(all[1]))).await,
        all[2..5],
        "older than all[1]"
    );
    assert_eq!(
        ids(&db, page(2, Some(all[2]))).await,
        all[3..5],
        "the last page, nothing after it"
    );
    assert_eq!(
        ids(&db, page(2, Some(all[4]))).await,
        Vec::<i64>::new(),
        "nothing older than the oldest"
    );
    assert_eq!(
        ids(&db, page(5, None)).await,
        all,
        "exactly one full page: no next row"
    );
    assert_eq!(
        ids(&db, page(0, None)).await,
        all[..2],
        "the smallest page is one row"
    );
    assert_eq!(
        ids(&db, page(2, Some(all[0] + 100))).await,
        all[..3],
        "a cursor past the newest"
    );
}
