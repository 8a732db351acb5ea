//! API tokens: who a live token acts for, expiry, listing and revoking.

use app::model::ApiToken;

use super::fresh;
use crate::store::{AccessStore, TokenOwner};

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn groups(names: &[&str]) -> Vec<String> {
    names.iter().map(|g| g.to_string()).collect()
}

#[tokio::test]
async fn a_token_acts_for_its_owner_with_their_groups_and_is_marked_used() {
    let db = fresh().await;
    let id = db
        .create_token(
            "alice",
            "ci",
            "h-alice",
            &groups(&["dev", "ops"]),
            NOW,
            NOW + DAY,
        )
        .await
        .unwrap();
    assert_eq!(
        db.token_owner("h-alice", NOW + 5).await.unwrap(),
        Some(TokenOwner {
            user: "alice".into(),
            expires_at: Some(NOW + DAY),
            groups: groups(&["dev", "ops"]),
        })
    );
    assert_eq!(
        db.tokens("alice", NOW + 6).await.unwrap(),
        [ApiToken {
            id,
            label: "ci".into(),
            created_at: NOW,
            last_used_at: Some(NOW + 5),
            expires_at: Some(NOW + DAY),
        }]
    );
    assert_eq!(db.token_owner("h-unknown", NOW).await.unwrap(), None);
}

#[tokio::test]
async fn a_token_without_groups_has_none_rather_than_one_empty_group() {
    let db = fresh().await;
    db.create_token("bob", "", "h-bob", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    let owner = db.token_owner("h-bob", NOW).await.unwrap().unwrap();
    assert_eq!(owner.groups, Vec::<String>::new());
}

#[tokio::test]
async fn a_token_hash_is_stored_once() {
    let db = fresh().await;
    db.create_token("alice", "a", "h", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    let err = db
        .create_token("mallory", "m", "h", &[], NOW, NOW + DAY)
        .await
        .unwrap_err();
    assert!(err.0.contains("UNIQUE"), "{err}");
    assert_eq!(
        db.token_owner("h", NOW).await.unwrap().unwrap().user,
        "alice"
    );
}

#[tokio::test]
async fn a_token_is_dead_from_the_second_it_expires_and_is_not_marked_used_then() {
    let db = fresh().await;
    db.create_token("alice", "ci", "h", &[], NOW, NOW + 100)
        .await
        .unwrap();
    assert_eq!(
        db.token_owner("h", NOW + 99)
            .await
            .unwrap()
            .map(|o| o.user)
            .as_deref(),
        Some("alice")
    );
    assert_eq!(db.token_owner("h", NOW + 100).await.unwrap(), None);
    assert_eq!(db.token_owner("h", NOW + 101).await.unwrap(), None);
    assert_eq!(
        db.count("SELECT last_used_at FROM api_tokens").await,
        NOW + 99,
        "only the live lookup marks it used"
    );
    assert_eq!(db.tokens("alice", NOW + 99).await.unwrap().len(), 1);
    assert_eq!(db.tokens("alice", NOW + 100).await.unwrap(), []);
}

#[tokio::test]
async fn a_token_from_before_expiry_existed_never_expires() {
    let db = fresh().await;
    let id = db
        .create_token("alice", "old", "h", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    db.execute("UPDATE api_tokens SET expires_at = NULL").await;
    let later = NOW + 1000 * DAY;
    assert_eq!(
        db.token_owner("h", later).await.unwrap(),
        Some(TokenOwner {
            user: "alice".into(),
            expires_at: None,
            groups: vec![],
        })
    );
    let listed = db.tokens("alice", later).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|t| (t.id, t.expires_at))
            .collect::<Vec<_>>(),
        [(id, None)]
    );
}

#[tokio::test]
async fn a_person_sees_only_their_own_live_tokens_newest_first() {
    let db = fresh().await;
    let first = db
        .create_token("alice", "one", "h1", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    let revoked = db
        .create_token("alice", "two", "h2", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    let third = db
        .create_token("alice", "three", "h3", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    db.create_token("alice", "short", "h4", &[], NOW, NOW + 10)
        .await
        .unwrap();
    db.create_token("bob", "bobs", "h5", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    assert!(db.revoke_token("alice", revoked, NOW + 1).await.unwrap());

    let listed = db.tokens("alice", NOW + 10).await.unwrap();
    let labels: Vec<(i64, &str)> = listed.iter().map(|t| (t.id, t.label.as_str())).collect();
    assert_eq!(labels, [(third, "three"), (first, "one")]);
    assert_eq!(db.tokens("nobody", NOW).await.unwrap(), []);
}

#[tokio::test]
async fn a_revoked_token_acts_for_nobody() {
    let db = fresh().await;
    let id = db
        .create_token("alice", "ci", "h", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    assert!(db.revoke_token("alice", id, NOW + 1).await.unwrap());
    assert_eq!(db.token_owner("h", NOW + 2).await.unwrap(), None);
    assert!(
        !db.revoke_token("alice", id, NOW + 3).await.unwrap(),
        "only once"
    );
    assert_eq!(
        db.count("SELECT revoked_at FROM api_tokens").await,
        NOW + 1,
        "the first revocation is the one kept"
    );
}

#[tokio::test]
async fn nobody_can_revoke_another_persons_token() {
    let db = fresh().await;
    let alices = db
        .create_token("alice", "ci", "h", &[], NOW, NOW + DAY)
        .await
        .unwrap();
    assert!(!db.revoke_token("mallory", alices, NOW).await.unwrap());
    assert!(
        !db.revoke_token("alice", alices + 1, NOW).await.unwrap(),
        "no such id"
    );
    assert_eq!(
        db.token_owner("h", NOW + 1)
            .await
            .unwrap()
            .map(|o| o.user)
            .as_deref(),
        Some("alice")
    );
    assert_eq!(db.tokens("alice", NOW + 1).await.unwrap().len(), 1);
}
