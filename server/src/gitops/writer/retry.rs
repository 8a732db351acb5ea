//! The writer's retry rule as a pure step: given what just happened to an
//! edit (a head fetched, the change applied, a push landed or overtaken),
//! it says what to do next. No git and no clock, so every rule is pinned
//! by a test that runs in microseconds; `branch.rs` drives it.
//!
//! The rule: an edit is applied to a head and pushed; a push overtaken by
//! someone else is re-applied on the new head after a growing pause, at
//! most `MAX_ATTEMPTS` pushes. A head this writer pushed itself is built on
//! without a fetch, so "nothing to do" and refusals seen there are only
//! believed once a freshly fetched head says the same.

use std::time::Duration;

use super::{Outcome, WriteError};
use crate::gitops::change::{Applied, EditError};

/// Bounded retries with backoff; the bound is generous because each retry
/// means another writer succeeded, so progress is always being made.
pub const MAX_ATTEMPTS: u32 = 12;
/// The first pause after an overtaken push, doubled each time up to
/// `MAX_BACKOFF`: long enough for the winner's fetch-and-push to finish.
const FIRST_BACKOFF: Duration = Duration::from_millis(20);
const MAX_BACKOFF: Duration = Duration::from_millis(800);

/// What to do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Fetch the branch, after pausing `after` (zero: at once).
    Fetch { after: Duration },
    /// Read the file at `head` and apply the change to it.
    Apply { head: String },
    /// Commit `content` (`None`: remove the file) on `head` and push it.
    Push {
        head: String,
        content: Option<String>,
    },
    /// The answer for the person.
    Done(Result<Outcome, WriteError>),
}

/// What just happened.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Fetched {
        head: String,
    },
    Applied(Result<Applied, EditError>),
    /// The push landed: `sha` is the branch head now.
    Pushed {
        sha: String,
    },
    /// Someone else pushed first; nothing of this edit landed.
    Overtaken,
}

/// The state of one edit between steps.
#[derive(Debug)]
pub struct Retry {
    max_attempts: u32,
    /// Pushes tried so far.
    pushes: u32,
    /// The pause before the next fetch after an overtaken push.
    backoff: Duration,
    /// The head the change is being applied to (from `Apply` to `Applied`),
    /// and whether it was fetched for this edit rather than remembered from
    /// this writer's own last push.
    head: Option<(String, bool)>,
}

impl Retry {
    /// Starts an edit: on `known_head` (this writer's last push, when
    /// nothing is known to have moved the branch since) or on a fetch.
    pub fn start(known_head: Option<String>, max_attempts: u32) -> (Retry, Step) {
        let step = match &known_head {
            Some(head) => Step::Apply { head: head.clone() },
            None => Step::Fetch {
                after: Duration::ZERO,
            },
        };
        let retry = Retry {
            max_attempts,
            pushes: 0,
            backoff: FIRST_BACKOFF,
            head: known_head.map(|head| (head, false)),
        };
        (retry, step)
    }

    pub fn next(&mut self, event: Event) -> Step {
        match event {
            Event::Fetched { head } => {
                self.head = Some((head.clone(), true));
                Step::Apply { head }
            }
            Event::Applied(answer) => {
                let (head, fresh) = self.head.take().expect("applied on a head");
                match answer {
                    Ok(Applied::Write(content)) => {
                        self.pushes += 1;
                        Step::Push { head, content }
                    }
                    // "Nothing to do", "invalid" and "conflict" are only
                    // told from a fresh head: someone may have changed the
                    // file since this writer's own push.
                    _ if !fresh => Step::Fetch {
                        after: Duration::ZERO,
                    },
                    Ok(Applied::Unchanged(why)) => Step::Done(Ok(Outcome::Unchanged(why))),
                    Err(err) => Step::Done(Err(err.into())),
                }
            }
            Event::Pushed { sha } => Step::Done(Ok(Outcome::Committed {
                sha,
                attempts: self.pushes,
            })),
            Event::Overtaken if self.pushes >= self.max_attempts => {
                Step::Done(Err(WriteError::Failed(format!(
                    "the GitOps repository kept moving: {} pushes were overtaken; nothing was committed, try again",
                    self.pushes
                ))))
            }
            Event::Overtaken => {
                let after = self.backoff;
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                Step::Fetch { after }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> Event {
        Event::Applied(Ok(Applied::Write(Some(text.into()))))
    }

    fn fetched(head: &str) -> Event {
        Event::Fetched { head: head.into() }
    }

    fn push(head: &str, text: &str) -> Step {
        Step::Push {
            head: head.into(),
            content: Some(text.into()),
        }
    }

    const AT_ONCE: Step = Step::Fetch {
        after: Duration::ZERO,
    };

    #[test]
    fn an_edit_without_a_known_head_fetches_first() {
        let (mut retry, step) = Retry::start(None, MAX_ATTEMPTS);
        assert_eq!(step, AT_ONCE);
        assert_eq!(retry.next(fetched("h1")), Step::Apply { head: "h1".into() });
        assert_eq!(retry.next(write("x")), push("h1", "x"));
        let done = retry.next(Event::Pushed { sha: "c1".into() });
        assert_eq!(
            done,
            Step::Done(Ok(Outcome::Committed {
                sha: "c1".into(),
                attempts: 1
            }))
        );
    }

    #[test]
    fn an_overtaken_push_is_reapplied_on_the_next_head_after_a_growing_pause() {
        let (mut retry, _) = Retry::start(None, MAX_ATTEMPTS);
        let mut pauses = Vec::new();
        for n in 1..=7 {
            let head = format!("h{n}");
            assert_eq!(
                retry.next(fetched(&head)),
                Step::Apply { head: head.clone() }
            );
            assert_eq!(retry.next(write("x")), push(&head, "x"));
            let Step::Fetch { after } = retry.next(Event::Overtaken) else {
                panic!("an overtaken push is retried")
            };
            pauses.push(after.as_millis());
        }
        assert_eq!(pauses, [20, 40, 80, 160, 320, 640, 800]);
        retry.next(fetched("h8"));
        retry.next(write("x"));
        let done = retry.next(Event::Pushed { sha: "c8".into() });
        assert!(
            matches!(done, Step::Done(Ok(Outcome::Committed { attempts: 8, .. }))),
            "{done:?}"
        );
    }

    #[test]
    fn a_known_head_is_built_on_without_a_fetch_until_a_push_is_overtaken() {
        let (mut retry, step) = Retry::start(Some("mine".into()), MAX_ATTEMPTS);
        assert_eq!(
            step,
            Step::Apply {
                head: "mine".into()
            }
        );
        assert_eq!(retry.next(write("x")), push("mine", "x"));
        assert_eq!(
            retry.next(Event::Overtaken),
            Step::Fetch {
                after: FIRST_BACKOFF
            }
        );
        assert_eq!(
            retry.next(fetched("theirs")),
            Step::Apply {
                head: "theirs".into()
            }
        );
        assert_eq!(retry.next(write("y")), push("theirs", "y"));
    }

    #[test]
    fn refusals_and_no_change_on_a_known_head_are_checked_on_a_fresh_one() {
        let answers = [
            Ok(Applied::Unchanged("already".into())),
            Err(EditError::Conflict("taken".into())),
            Err(EditError::Invalid("not YAML".into())),
        ];
        for answer in answers {
            let (mut retry, _) = Retry::start(Some("mine".into()), MAX_ATTEMPTS);
            let step = retry.next(Event::Applied(answer.clone()));
            assert_eq!(step, AT_ONCE, "{answer:?} on a known head is not believed");
            retry.next(fetched("h2"));
            let Step::Done(told) = retry.next(Event::Applied(answer.clone())) else {
                panic!("{answer:?} on a fresh head is the answer")
            };
            let expected = match answer {
                Ok(Applied::Unchanged(why)) => Ok(Outcome::Unchanged(why)),
                Ok(Applied::Write(_)) => unreachable!(),
                Err(err) => Err(WriteError::from(err)),
            };
            assert_eq!(told, expected);
        }
    }

    #[test]
    fn a_recheck_that_can_write_pushes_and_counts_only_pushes() {
        let (mut retry, _) = Retry::start(Some("mine".into()), MAX_ATTEMPTS);
        let conflict = Event::Applied(Err(EditError::Conflict("taken".into())));
        assert_eq!(retry.next(conflict), AT_ONCE);
        retry.next(fetched("h2"));
        assert_eq!(retry.next(write("x")), push("h2", "x"));
        let done = retry.next(Event::Pushed { sha: "c".into() });
        assert!(
            matches!(done, Step::Done(Ok(Outcome::Committed { attempts: 1, .. }))),
            "{done:?}"
        );
    }

    #[test]
    fn invalid_and_conflict_stay_apart() {
        let (mut retry, _) = Retry::start(None, MAX_ATTEMPTS);
        retry.next(fetched("h1"));
        let invalid = retry.next(Event::Applied(Err(EditError::Invalid("bad".into()))));
        assert_eq!(invalid, Step::Done(Err(WriteError::Invalid("bad".into()))));
        let (mut retry, _) = Retry::start(None, MAX_ATTEMPTS);
        retry.next(fetched("h1"));
        let conflict = retry.next(Event::Applied(Err(EditError::Conflict("gone".into()))));
        assert_eq!(
            conflict,
            Step::Done(Err(WriteError::Conflict("gone".into())))
        );
    }

    #[test]
    fn attempts_run_out_after_the_last_overtaken_push() {
        let (mut retry, _) = Retry::start(None, 3);
        for n in 1..=3 {
            retry.next(fetched(&format!("h{n}")));
            retry.next(write("x"));
            let step = retry.next(Event::Overtaken);
            if n < 3 {
                assert!(matches!(step, Step::Fetch { .. }), "{step:?}");
            } else {
                assert_eq!(
                    step,
                    Step::Done(Err(WriteError::Failed(
                        "the GitOps repository kept moving: 3 pushes were overtaken; nothing was committed, try again".into()
                    )))
                );
            }
        }
    }
}
