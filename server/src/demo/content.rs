//! What the demo repository contains: services, people, branches, and a
//! day-by-day story of promotions and sandboxes. Deterministic.

use std::{fmt::Write as _, path::Path};

use crate::gitops::{
    sandbox_edit,
    ssh::{ed25519_line, parse_public_key},
};

pub struct DemoSize {
    pub services: usize,
    pub sandboxes: usize,
    pub days: i64,
}

impl Default for DemoSize {
    fn default() -> Self {
        DemoSize {
            services: 10,
            sandboxes: 14,
            days: 60,
        }
    }
}

const SERVICES: &[(&str, &str)] = &[
    ("web-app", "main"),
    ("photo-api", "main"),
    ("upload-worker", "master"),
    ("thumbnailer", "main"),
    ("auth", "master"),
    ("notifications", "main"),
    ("search", "main"),
    ("billing", "master"),
    ("album-service", "main"),
    ("print-orders", "main"),
    ("face-grouping", "main"),
    ("feed", "main"),
];

pub(crate) const PEOPLE: &[(&str, &str)] = &[
    ("aiko", "Aiko Tanaka"),
    ("kohbis", "Kohei Bisawa"),
    ("maria", "Maria Silva"),
    ("jonas", "Jonas Weber"),
    ("priya", "Priya Nair"),
    ("sam", "Sam Okafor"),
    ("lena", "Lena Fischer"),
    ("tomo", "Tomoya Sato"),
    ("chen", "Chen Wei"),
    ("ines", "Inês Costa"),
    ("omar", "Omar Haddad"),
    ("yuki", "Yuki Mori"),
    ("nora", "Nora Lind"),
    ("raj", "Raj Patel"),
    ("eva", "Eva Novak"),
    ("luca", "Luca Bianchi"),
];

/// What the default branches' commits say.
pub(crate) const WORK: &[&str] = &[
    "Speed up thumbnail generation",
    "Retry uploads on 503",
    "Tidy the album sharing dialog",
    "Log the request id with every error",
    "Bump the image library",
    "Cache the user's plan for a minute",
    "Fix the date shown on old photos",
    "Add a metric for slow exports",
    "Handle empty albums in the feed",
    "Merge feature-album-share",
    "Drop the old upload endpoint",
    "Translate the print order page",
];

const BRANCHES: &[&str] = &[
    "feature-album-share",
    "feature-face-grouping-v2",
    "fix-upload-retry",
    "feature-print-orders",
    "feature-memories",
    "fix-exif-timezone",
    "feature-family-invite",
    "chore-deps-weekly",
    "feature/live-photos",
    "fix-thumbnail-webp",
    "feature-search-by-place",
    "release/2026.11",
];

/// A tiny deterministic generator: the demo must look the same every time.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes32(&mut self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for chunk in out.chunks_mut(8) {
            chunk.copy_from_slice(&self.next().to_le_bytes());
        }
        out
    }
}

struct Commit {
    author: usize,
    at: i64,
    message: String,
    /// `(path, Some(content))` writes a file, `None` deletes it.
    files: Vec<(String, Option<String>)>,
}

struct Env {
    name: &'static str,
    title: &'static str,
    mapping: Vec<(String, String)>,
}

pub struct History {
    services: Vec<(String, String)>,
    commits: Vec<Commit>,
}

fn service_list(count: usize) -> Vec<(String, String)> {
    (0..count)
        .map(|i| match SERVICES.get(i) {
            Some((name, branch)) => (name.to_string(), branch.to_string()),
            None => (format!("service-{:02}", i + 1), "main".to_string()),
        })
        .collect()
}

/// The branches a service's team works on: a project branch shared with
/// neighbouring services (a project spans services), a service-specific
/// one, and the weekly dependency bump.
fn service_branches(index: usize) -> [&'static str; 3] {
    let n = BRANCHES.len() - 1; // the last one is the shared dependency bump
    [
        BRANCHES[(index / 3) % n],
        BRANCHES[(index * 5 + 4) % n],
        BRANCHES[n],
    ]
}

fn handle(i: usize) -> String {
    match PEOPLE.get(i) {
        Some((h, _)) => h.to_string(),
        None => format!("dev{:04}", i + 1),
    }
}

fn render_env(env: &Env) -> String {
    let mut text = format!(
        "# {} environment: service -> branch.\n# Edit via Berth or by hand; both are fine.\n\n",
        env.title
    );
    for (service, branch) in &env.mapping {
        let _ = writeln!(text, "{service}: \"{branch}\"");
    }
    text
}

/// The file exactly as Berth writes it for a new sandbox.
fn render_sandbox(path: &str, name: &str, key: &str) -> String {
    let key = parse_public_key(key).expect("the demo's generated keys parse");
    sandbox_edit::render_sandbox(path, name, name, &[key]).expect("demo names are plain")
}

impl History {
    pub fn generate(size: &DemoSize, now: i64) -> History {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let services = service_list(size.services.max(1));
        let start = now - size.days * 86_400;
        let defaults = |take: usize| -> Vec<(String, String)> {
            services.iter().take(take).cloned().collect()
        };
        let mut envs = [
            Env {
                name: "dev",
                title: "Dev",
                mapping: defaults(services.len()),
            },
            Env {
                name: "stg-1",
                title: "Stg-1",
                mapping: defaults(services.len() * 2 / 3 + 1),
            },
            Env {
                name: "stg-2",
                title: "Stg-2",
                mapping: defaults(services.len() / 2 + 1),
            },
        ];
        let mut first = Commit {
            author: 0,
            at: start,
            message: "Set up the GitOps repository".into(),
            files: Vec::new(),
        };
        first.files.push((
            "README.md".into(),
            Some(
                "# GitOps\n\nDev, Stg and sandbox definitions. Argo CD deploys what is here.\n"
                    .into(),
            ),
        ));
        for env in &envs {
            first.files.push((
                format!("environments/{}.yaml", env.name),
                Some(render_env(env)),
            ));
        }
        let mut commits = vec![first];

        // Sandboxes are created over the whole period; a few are deleted again.
        let mut live: Vec<String> = Vec::new();
        let creations = size.sandboxes + size.sandboxes / 6;
        let span = (size.days * 86_400).max(1);
        let mut events: Vec<(i64, usize)> = (0..creations)
            .map(|i| (start + 600 + (i as i64 * span) / creations as i64, i))
            .collect();
        // Promotions: about four a day, at working hours.
        for day in 0..size.days {
            for slot in 0..4 {
                events.push((
                    start + day * 86_400 + 9 * 3600 + slot * 7200 + rng.below(3000) as i64,
                    usize::MAX,
                ));
            }
        }
        events.sort();
        let mut created = 0usize;
        for (at, kind) in events {
            if at >= now {
                break;
            }
            let author = rng.below(PEOPLE.len().min(8));
            if kind != usize::MAX {
                let name = handle(created);
                created += 1;
                let key = ed25519_line(rng.bytes32(), &format!("{name}@laptop"));
                let path = format!("sandboxes/{name}.yaml");
                commits.push(Commit {
                    author: created.min(PEOPLE.len()) - 1,
                    at,
                    message: format!("Create sandbox {name}"),
                    files: vec![(path.clone(), Some(render_sandbox(&path, &name, &key)))],
                });
                live.push(name);
                // Every seventh creation, an older sandbox goes away.
                if created.is_multiple_of(7) && live.len() > 3 {
                    let gone = live.remove(rng.below(live.len() - 1));
                    commits.push(Commit {
                        author,
                        at: at + 1800,
                        message: format!("Delete sandbox {gone}"),
                        files: vec![(format!("sandboxes/{gone}.yaml"), None)],
                    });
                }
                continue;
            }
            let env = &mut envs[rng.below(3)];
            if env.mapping.is_empty() {
                continue;
            }
            let slot = rng.below(env.mapping.len());
            let (service, current) = env.mapping[slot].clone();
            let default = &services
                .iter()
                .find(|(s, _)| *s == service)
                .expect("known service")
                .1;
            let branch = if current != *default && rng.below(3) == 0 {
                default.clone()
            } else {
                let index = services
                    .iter()
                    .position(|(s, _)| *s == service)
                    .unwrap_or(0);
                service_branches(index)[rng.below(3)].to_string()
            };
            if branch == current {
                continue;
            }
            env.mapping[slot].1 = branch.clone();
            commits.push(Commit {
                author,
                at,
                message: format!("Point {} {service} at {branch}", env.title),
                files: vec![(
                    format!("environments/{}.yaml", env.name),
                    Some(render_env(env)),
                )],
            });
        }
        // Keep only the sandboxes' wished-for count alive at the end.
        while live.len() > size.sandboxes {
            let gone = live.remove(0);
            commits.push(Commit {
                author: 0,
                at: now - 60,
                message: format!("Delete sandbox {gone}"),
                files: vec![(format!("sandboxes/{gone}.yaml"), None)],
            });
        }
        // Stable: commits at the same second keep their story order.
        commits.sort_by_key(|c| c.at);
        History { services, commits }
    }

    pub fn fast_import_stream(&self) -> Vec<u8> {
        let mut out = String::new();
        for commit in &self.commits {
            let (handle, name) = PEOPLE[commit.author % PEOPLE.len()];
            let who = format!("{name} <{handle}@photos.example> {} +0000", commit.at);
            let _ = write!(
                out,
                "commit refs/heads/main\nauthor {who}\ncommitter {who}\ndata {}\n{}\n",
                commit.message.len(),
                commit.message
            );
            for (path, content) in &commit.files {
                match content {
                    Some(text) => {
                        let _ =
                            write!(out, "M 100644 inline {path}\ndata {}\n{text}\n", text.len());
                    }
                    None => {
                        let _ = writeln!(out, "D {path}");
                    }
                }
            }
            out.push('\n');
        }
        out.into_bytes()
    }

    /// Each service's source repository branches: its default branch, the
    /// branches its team works on, and one that no environment runs yet.
    pub fn source_branches(&self) -> Vec<(String, Vec<String>)> {
        self.services
            .iter()
            .enumerate()
            .map(|(i, (name, default))| {
                let mut branches = vec![default.clone()];
                for b in service_branches(i) {
                    if !branches.iter().any(|x| x == b) {
                        branches.push(b.to_string());
                    }
                }
                branches.push(format!("spike-{name}"));
                (name.clone(), branches)
            })
            .collect()
    }

    /// A `git fast-import` stream for one service's source repository: a
    /// first commit at `start` that every branch points at, then `days`
    /// of work on the default branch up to an hour before `now`, most
    /// days a commit or two (what prod has been releasing).
    pub fn source_stream(
        service: &str,
        branches: &[String],
        start: i64,
        days: i64,
        now: i64,
    ) -> Vec<u8> {
        let commit = |out: &mut String,
                      branch: &str,
                      (handle, name): (&str, &str),
                      at: i64,
                      message: &str| {
            let who = format!("{name} <{handle}@photos.example> {at} +0000");
            let _ = write!(
                out,
                "commit refs/heads/{branch}\nauthor {who}\ncommitter {who}\ndata {}\n{message}\n\n",
                message.len()
            );
        };
        let mut out = String::new();
        let readme = format!("# {service}\n");
        let message = format!("Start {service}");
        let who = format!(
            "{} <{}@photos.example> {start} +0000",
            PEOPLE[0].1, PEOPLE[0].0
        );
        let _ = write!(
            out,
            "commit refs/heads/{}\nmark :1\nauthor {who}\ncommitter {who}\ndata {}\n{message}\nM 100644 inline README.md\ndata {}\n{readme}\n\n",
            branches[0],
            message.len(),
            readme.len()
        );
        for branch in &branches[1..] {
            let _ = write!(out, "reset refs/heads/{branch}\nfrom :1\n\n");
        }
        let mut rng = Rng(service.bytes().fold(0x2545_f491_4f6c_dd1d, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        }));
        let first_day = (now - days * 86_400).div_euclid(86_400);
        for day in first_day..now.div_euclid(86_400) + 1 {
            // Weekends are quiet; weekdays see up to three commits.
            let weekday = (day + 4).rem_euclid(7) < 5;
            let count = if weekday {
                rng.below(4)
            } else {
                rng.below(5) / 4
            };
            let mut times: Vec<i64> = (0..count)
                .map(|_| day * 86_400 + 8 * 3600 + rng.below(10 * 3600) as i64)
                .filter(|at| *at < now - 3600)
                .collect();
            times.sort_unstable();
            for at in times {
                let person = PEOPLE[rng.below(PEOPLE.len())];
                // Now and then a change broke the build (the demo's CI
                // fails commits that say "flaky"), so the past has red
                // builds too.
                let subject = if rng.below(12) == 0 {
                    "Flaky: speed up the album test"
                } else {
                    WORK[rng.below(WORK.len())]
                };
                commit(&mut out, &branches[0], person, at, subject);
            }
        }
        out.into_bytes()
    }

    pub fn config_toml(
        &self,
        repo: &Path,
        sources: &Path,
        kubeconfig: &Path,
        webhook_secret: &Path,
    ) -> String {
        let mut text = String::from(
            "# Written by `berth demo init`. Edit freely, or point --config at your own file.\n\
             banner = \"Demo data: a generated GitOps repository and two simulated clusters. Sign in with any name; `qa` may also change Stg, `admin` may do everything.\"\n\
             refresh_interval_secs = 30\n\n[auth]\nadmins = [\"admin\"]\nqa = [\"qa\"]\n\n[[repositories]]\nname = \"gitops\"\n",
        );
        let _ = writeln!(
            text,
            "url = {:?}\nbranch = \"main\"\n",
            repo.display().to_string()
        );
        for (name, branch) in &self.services {
            let _ = writeln!(
                text,
                "[[services]]\nname = \"{name}\"\ndefault_branch = \"{branch}\"\nrepo_url = \"https://git.example.com/photos/{name}\"\nimage = \"registry.example.com/photos/{name}\"\ngit_url = {:?}\n",
                sources.join(format!("{name}.git")).display().to_string()
            );
        }
        text.push_str("[sandboxes]\ndomain = \"sandbox.photos.example\"\n\n");
        // Builds come from the demo's CI through a signed GitHub webhook.
        let _ = writeln!(
            text,
            "[releases]\ngithub_webhook_secret_file = {:?}\nbuild_workflows = [\"build\"]\n",
            webhook_secret.display().to_string()
        );
        // The reference setup: Dev, both Stgs and the sandboxes on one
        // cluster, Prod on another. `berth serve` starts both.
        for (name, title, kind, cluster) in [
            ("prod", "Prod", "prod", "prod"),
            ("stg-1", "Stg-1", "stg", "nonprod"),
            ("stg-2", "Stg-2", "stg", "nonprod"),
            ("dev", "Dev", "dev", "nonprod"),
        ] {
            let file = match kind {
                "prod" => String::new(),
                _ => format!("file = \"environments/{name}.yaml\"\n"),
            };
            let _ = writeln!(
                text,
                "[[environments]]\nname = \"{name}\"\ntitle = \"{title}\"\nkind = \"{kind}\"\n{file}cluster = \"{cluster}\"\n"
            );
        }
        for (name, namespaces) in [
            ("nonprod", "[\"dev\", \"stg-1\", \"stg-2\", \"sandboxes\"]"),
            ("prod", "[\"prod\"]"),
        ] {
            let _ = writeln!(
                text,
                "[[clusters]]\nname = \"{name}\"\nkubeconfig = {:?}\ncontext = \"{name}\"\nnamespaces = {namespaces}\n",
                kubeconfig.display().to_string()
            );
        }
        text
    }
}

#[cfg(test)]
mod tests;
