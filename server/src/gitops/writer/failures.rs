//! git's failures as the writer tells them: a push that lost a race is
//! retried, anything else is final. git's own output goes to the log with
//! the command; the person reads a sentence, plus the remote's message
//! when the remote refused a push (a hook explaining a change freeze is
//! written for the person pushing).

use super::WriteError;
use crate::gitops::git::GitError;

/// What the writer was doing when git failed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Stage {
    Fetch,
    Read,
    Commit,
    Push,
}

/// The error for the person; git's stderr is logged, not shown.
pub fn failed(repository: &str, stage: Stage, err: GitError) -> WriteError {
    tracing::error!(
        repository,
        ?stage,
        command = %err.command,
        stderr = %err.message,
        "git failed while writing to the GitOps repository"
    );
    let sentence = match stage {
        Stage::Fetch => "the GitOps repository could not be reached",
        Stage::Read => "the file could not be read from the GitOps repository",
        Stage::Commit => "Berth could not prepare the commit",
        Stage::Push => match remote_refusal(&err.message) {
            Some(refusal) => {
                return WriteError::Failed(format!(
                    "the GitOps repository refused the push {refusal}; nothing was committed"
                ))
            }
            None => "the GitOps repository could not be pushed to",
        },
    };
    WriteError::Failed(format!("{sentence}; nothing was committed, try again"))
}

/// The longest remote message passed on; a hook may print a whole page.
const MAX_REFUSAL_CHARS: usize = 300;

/// `(pre-receive hook declined): <what the remote said>` when the remote
/// refused the push with a message of its own.
fn remote_refusal(stderr: &str) -> Option<String> {
    let said: Vec<&str> = stderr
        .lines()
        .filter_map(|line| line.strip_prefix("remote:"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    // ` ! [remote rejected] abc -> main (pre-receive hook declined)`
    let reason = stderr
        .lines()
        .find(|line| line.contains("[remote rejected]"))
        .and_then(|line| Some(&line[line.find('(')?..=line.rfind(')')?]));
    if said.is_empty() && reason.is_none() {
        return None;
    }
    let mut text = [reason.unwrap_or_default(), &said.join(" ")]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": ");
    // Control characters from a remote are not passed on to a page.
    text.retain(|c| !c.is_control());
    if let Some((cut, _)) = text.char_indices().nth(MAX_REFUSAL_CHARS) {
        text.truncate(cut);
        text.push('…');
    }
    Some(text)
}

/// git's ways of saying "someone else pushed first"; anything else is a
/// real failure and is not retried. A bare `[rejected]` is not enough: a
/// server-side hook, a protected branch or a missing permission also
/// reject, and retrying them only delays the answer.
pub fn is_push_race(stderr: &str) -> bool {
    const FINAL: &[&str] = &[
        "hook declined",
        "protected branch",
        "permission",
        "denied",
        "not allowed",
    ];
    const RACES: &[&str] = &[
        "(non-fast-forward)",
        "(fetch first)",
        "(stale info)",
        "failed to update ref",
        "cannot lock ref",
        "incorrect old value provided",
    ];
    let lower = stderr.to_lowercase();
    !FINAL.iter().any(|sign| lower.contains(sign)) && RACES.iter().any(|sign| lower.contains(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git_error(command: &str, message: &str) -> GitError {
        GitError {
            command: command.into(),
            message: message.into(),
        }
    }

    #[test]
    fn push_races_are_told_apart_from_failures() {
        // Real stderr of `git push`, from git 2.47 and the big forges.
        let races = [
            " ! [rejected]        abc -> main (fetch first)\nerror: failed to push some refs to '/srv/gitops.git'\nhint: Updates were rejected because the remote contains work that you do not\n",
            " ! [rejected]        abc -> main (non-fast-forward)\nerror: failed to push some refs to 'git@github.com:acme/gitops.git'\n",
            " ! [rejected]        abc -> main (stale info)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (failed to update ref)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (cannot lock ref 'refs/heads/main': is at 1111111111111111111111111111111111111111 but expected 2222222222222222222222222222222222222222)\n",
            "error: cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': File exists.\n",
        ];
        for stderr in races {
            assert!(is_push_race(stderr), "{stderr}");
        }
        let final_answers = [
            "remote: change freeze until Monday\nTo /srv/gitops.git\n ! [remote rejected] abc -> main (pre-receive hook declined)\nerror: failed to push some refs to '/srv/gitops.git'\n",
            " ! [remote rejected] abc -> main (hook declined)\nerror: failed to push some refs\n",
            " ! [remote rejected] abc -> main (update hook declined)\nerror: failed to push some refs\n",
            "remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: Changes must be made through a pull request.\n ! [remote rejected] abc -> main (protected branch hook declined)\n",
            "remote: GitLab: You are not allowed to push code to protected branches on this project.\n ! [remote rejected] abc -> main (pre-receive hook declined)\n",
            "remote: Permission to acme/gitops.git denied to berth-bot.\nfatal: unable to access 'https://github.com/acme/gitops.git/': The requested URL returned error: 403\n",
            "ERROR: Permission to acme/gitops.git denied to deploy key\nfatal: Could not read from remote repository.\n",
            " ! [remote rejected] abc -> main (shallow update not allowed)\n",
            // Hooks that quote git's words for a race.
            "remote: rejected (non-fast-forward) by policy\n ! [remote rejected] abc -> main (pre-receive hook declined)\n",
            // A policy hook that mentions what it forbids.
            "remote: non-fast-forward pushes and direct commits to main are not allowed; open a merge request\n ! [remote rejected] abc -> main (pre-receive hook declined)\n",
            // A ref the remote can never write: locking fails every time.
            "remote: error: cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': Permission denied\n ! [remote rejected] abc -> main (cannot lock ref 'refs/heads/main': Unable to create '/srv/gitops.git/refs/heads/main.lock': Permission denied)\n",
            "fatal: ref updates aborted by hook\nfatal: the remote end hung up unexpectedly\n",
            "fatal: could not read Username for 'https://github.com': terminal prompts disabled\n",
            "git push failed: timed out after 120s and was stopped",
        ];
        for stderr in final_answers {
            assert!(!is_push_race(stderr), "{stderr}");
        }
    }

    #[test]
    fn a_refused_push_passes_on_the_remote_message_and_nothing_local() {
        let hook = "remote: change freeze until Monday\u{7}\nTo /srv/gitops.git\n ! [remote rejected] abc -> main (pre-receive hook declined)\nerror: failed to push some refs to '/srv/gitops.git'\n";
        assert_eq!(
            failed("gitops", Stage::Push, git_error("push", hook)).to_string(),
            "the GitOps repository refused the push (pre-receive hook declined): change freeze until Monday; nothing was committed"
        );
        let github = "remote: error: GH006: Protected branch update failed for refs/heads/main.\nremote: error: Changes must be made through a pull request.\n ! [remote rejected] abc -> main (protected branch hook declined)\n";
        assert_eq!(
            failed("gitops", Stage::Push, git_error("push", github)).to_string(),
            "the GitOps repository refused the push (protected branch hook declined): error: GH006: Protected branch update failed for refs/heads/main. error: Changes must be made through a pull request.; nothing was committed"
        );
        let long = format!("remote: {}\n", "x".repeat(5_000));
        let told = failed("gitops", Stage::Push, git_error("push", &long)).to_string();
        assert!(told.len() < 400, "{told}");
    }

    #[test]
    fn other_failures_are_a_sentence_without_git_output() {
        let cases = [
            (Stage::Fetch, "fetch", "fatal: unable to access 'https://x:secret@git.example/': 403", "the GitOps repository could not be reached; nothing was committed, try again"),
            (Stage::Push, "push", "fatal: could not read Username for 'https://github.com': terminal prompts disabled", "the GitOps repository could not be pushed to; nothing was committed, try again"),
            (Stage::Push, "push", "timed out after 120s and was stopped", "the GitOps repository could not be pushed to; nothing was committed, try again"),
            (Stage::Commit, "write-tree", "fatal: /data/writes/gitops.git: disk full", "Berth could not prepare the commit; nothing was committed, try again"),
            (Stage::Read, "cat-file", "fatal: bad object", "the file could not be read from the GitOps repository; nothing was committed, try again"),
        ];
        for (stage, command, stderr, sentence) in cases {
            assert_eq!(
                failed("gitops", stage, git_error(command, stderr)),
                WriteError::Failed(sentence.into())
            );
        }
    }
}
