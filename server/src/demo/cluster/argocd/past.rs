//! Prod's past in the demo: prod Applications keep a long sync history
//! (`spec.revisionHistoryLimit`), made from the default branch's
//! first-parent log as a team releasing several times a day leaves it.
//! About half the commits were deployed (the others were overtaken by a
//! newer one on their way), each within two hours of its commit; one
//! service once rolled back a bad release. Deterministic: the same log
//! gives the same past.

use sha2::{Digest, Sha256};

use super::live::Deploy;

/// How many syncs a prod Application remembers (Argo CD's default is 10).
pub const PROD_HISTORY_LIMIT: usize = 1000;

/// A number from 0 to 99 that a commit always gets.
fn roll(sha: &str, salt: &str) -> u64 {
    let digest = Sha256::digest(format!("{salt}{sha}").as_bytes());
    u64::from(u16::from_le_bytes([digest[0], digest[1]])) % 100
}

/// The deploys of `commits` (oldest first, with their times) before the
/// head's, which is the current one; images are tagged `{slug}-{sha7}`.
/// With `rollback`, the deploy about three weeks back was undone 25
/// minutes later by redeploying the one before it.
pub fn past_deploys(
    commits: &[(String, i64)],
    slug: &str,
    revision: &str,
    rollback: bool,
    before: i64,
) -> Vec<Deploy> {
    let Some((_, older)) = commits.split_last() else {
        return Vec::new();
    };
    let mut deploys: Vec<Deploy> = Vec::new();
    let mut rolled_back = !rollback;
    for (sha, at) in older {
        if roll(sha, "deploy") >= 55 {
            continue;
        }
        let lead = 15 * 60 + roll(sha, "lead") as i64 * 60;
        let last = deploys.last().map_or(0, |d| d.deployed_at);
        let deployed_at = (at + lead).max(last + 600);
        if deployed_at >= before {
            break;
        }
        let tag = format!("{slug}-{}", sha.get(..7).unwrap_or(sha));
        deploys.push(Deploy {
            id: 0,
            revision: revision.to_string(),
            tag,
            started_at: deployed_at - 60 - roll(sha, "sync") as i64 * 3,
            deployed_at,
        });
        if !rolled_back && before - deployed_at < 21 * 86_400 && deploys.len() > 1 {
            rolled_back = true;
            let previous = deploys[deploys.len() - 2].tag.clone();
            deploys.push(Deploy {
                id: 0,
                revision: revision.to_string(),
                tag: previous,
                started_at: deployed_at + 24 * 60,
                deployed_at: deployed_at + 25 * 60,
            });
        }
    }
    deploys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize) -> Vec<(String, i64)> {
        (0..n)
            .map(|i| {
                (
                    format!("{:07x}{:033x}", i * 7919 + 1, i),
                    1_790_000_000 + i as i64 * 20_000,
                )
            })
            .collect()
    }

    #[test]
    fn about_half_the_commits_are_deployed_in_order_with_one_rollback() {
        let commits = log(200);
        let before = 1_790_000_000 + 200 * 20_000;
        let deploys = past_deploys(&commits, "main", "rev", true, before);
        assert!((70..130).contains(&deploys.len()), "{}", deploys.len());
        assert!(deploys
            .windows(2)
            .all(|w| w[0].deployed_at < w[1].deployed_at));
        assert!(deploys
            .iter()
            .all(|d| d.started_at < d.deployed_at && d.deployed_at < before));
        let repeats = deploys.windows(3).filter(|w| w[2].tag == w[0].tag).count();
        assert_eq!(repeats, 1, "one rollback to the deploy before");
        assert_eq!(past_deploys(&commits, "main", "rev", true, before), deploys);
    }
}
