//! Audit entries as stored: `NewAuditEntry` and the bound of every field.
//!
//! Bounded so a hostile request can never make a huge row.

/// One write attempt, as it is recorded.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewAuditEntry {
    pub actor: String,
    pub via: String,
    pub remote: Option<String>,
    pub action: String,
    pub target: String,
    pub detail: String,
    pub outcome: String,
    pub message: String,
    pub commit: Option<String>,
}

/// How much of each field a row keeps: enough to read what was tried,
/// never what a hostile request sent (a 1 MB name once made a 2.4 MB row).
const ACTOR_CHARS: usize = 100;
const VIA_CHARS: usize = 20;
const REMOTE_CHARS: usize = 64;
const ACTION_CHARS: usize = 200;
const TARGET_CHARS: usize = 300;
const DETAIL_CHARS: usize = 500;
const OUTCOME_CHARS: usize = 20;
const MESSAGE_CHARS: usize = 600;
const COMMIT_CHARS: usize = 64;

impl NewAuditEntry {
    /// The entry as it is stored: every field cut to its bound, marked `…`.
    pub fn bounded(self) -> NewAuditEntry {
        NewAuditEntry {
            actor: cut(&self.actor, ACTOR_CHARS),
            via: cut(&self.via, VIA_CHARS),
            remote: self.remote.map(|r| cut(&r, REMOTE_CHARS)),
            action: cut(&self.action, ACTION_CHARS),
            target: cut(&self.target, TARGET_CHARS),
            detail: cut(&self.detail, DETAIL_CHARS),
            outcome: cut(&self.outcome, OUTCOME_CHARS),
            message: cut(&self.message, MESSAGE_CHARS),
            commit: self.commit.map(|c| cut(&c, COMMIT_CHARS)),
        }
    }
}

/// What `AccessStore::finish_audit` writes into a row, bounded like the
/// same fields of a `NewAuditEntry`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct AuditOutcome {
    pub outcome: String,
    pub message: String,
    pub commit: Option<String>,
}

impl AuditOutcome {
    pub(super) fn bounded(outcome: &str, message: &str, commit: Option<&str>) -> AuditOutcome {
        AuditOutcome {
            outcome: cut(outcome, OUTCOME_CHARS),
            message: cut(message, MESSAGE_CHARS),
            commit: commit.map(|c| cut(c, COMMIT_CHARS)),
        }
    }
}

/// `text` up to `max` characters; a longer one ends in `…` within them.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some(_) => {
            let end = text
                .char_indices()
                .nth(max.saturating_sub(1))
                .map_or(0, |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_at_its_bound_is_kept_and_one_char_more_is_cut_to_the_bound() {
        assert_eq!(cut("abcde", 5), "abcde");
        assert_eq!(cut("abcdef", 5), "abcd…");
        assert_eq!(cut("", 5), "");
    }

    #[test]
    fn cutting_counts_characters_and_never_splits_one() {
        // Four 3-byte characters fit a bound of 4; a fifth is cut.
        assert_eq!(cut("éééé", 4), "éééé");
        assert_eq!(cut("日本語日本", 4), "日本語…");
        assert_eq!(cut("日本語日本", 4).chars().count(), 4);
    }

    #[test]
    fn every_field_of_an_entry_is_bounded_and_absent_ones_stay_absent() {
        let long = "x".repeat(10_000);
        let entry = NewAuditEntry {
            actor: long.clone(),
            via: long.clone(),
            remote: Some(long.clone()),
            action: long.clone(),
            target: long.clone(),
            detail: long.clone(),
            outcome: long.clone(),
            message: long.clone(),
            commit: Some(long.clone()),
        }
        .bounded();
        let chars = |s: &str| s.chars().count();
        assert_eq!(chars(&entry.actor), ACTOR_CHARS);
        assert_eq!(chars(&entry.via), VIA_CHARS);
        assert_eq!(chars(entry.remote.as_deref().unwrap()), REMOTE_CHARS);
        assert_eq!(chars(&entry.action), ACTION_CHARS);
        assert_eq!(chars(&entry.target), TARGET_CHARS);
        assert_eq!(chars(&entry.detail), DETAIL_CHARS);
        assert_eq!(chars(&entry.outcome), OUTCOME_CHARS);
        assert_eq!(chars(&entry.message), MESSAGE_CHARS);
        assert_eq!(chars(entry.commit.as_deref().unwrap()), COMMIT_CHARS);
        assert!(entry.actor.ends_with('…'));

        let short = NewAuditEntry {
            actor: "alice".into(),
            ..NewAuditEntry::default()
        };
        assert_eq!(short.clone().bounded(), short);
    }

    #[test]
    fn an_outcome_is_bounded_like_the_same_fields_of_an_entry() {
        let long = "y".repeat(10_000);
        let done = AuditOutcome::bounded(&long, &long, Some(&long));
        assert_eq!(done.outcome.chars().count(), OUTCOME_CHARS);
        assert_eq!(done.message.chars().count(), MESSAGE_CHARS);
        assert_eq!(done.commit.unwrap().chars().count(), COMMIT_CHARS);
        assert_eq!(
            AuditOutcome::bounded("done", "ok", None),
            AuditOutcome {
                outcome: "done".into(),
                message: "ok".into(),
                commit: None,
            }
        );
    }
}
