use proptest::prelude::*;

use super::*;

fn entry(key: &'static str, position: u64, stage: Stage) -> Entry<&'static str> {
    Entry {
        key,
        position,
        stage,
    }
}

#[test]
fn a_newer_green_commit_deploys_and_supersedes_older_ones_in_flight() {
    let entries = [
        entry("a", 1, Stage::Deployed),
        entry("b", 2, Stage::Deploying),
        entry("c", 3, Stage::Building),
        entry("d", 4, Stage::Passed),
        entry("e", 5, Stage::Failed),
    ];
    assert_eq!(
        on_green_build(&entries, 6),
        Decision::Deploy {
            supersede: vec!["b", "c", "d"]
        }
    );
}

#[test]
fn an_older_commit_never_replaces_a_newer_one() {
    let entries = [
        entry("a", 1, Stage::Passed),
        entry("b", 2, Stage::Deploying),
    ];
    assert_eq!(
        on_green_build(&entries, 1),
        Decision::Hold(Hold::Older { newer: 2 })
    );
    // Even when the newer one's deploy failed: going back is a rollback,
    // and that is a person's decision.
    let entries = [
        entry("a", 1, Stage::Passed),
        entry("b", 2, Stage::DeployFailed),
    ];
    assert_eq!(
        on_green_build(&entries, 1),
        Decision::Hold(Hold::Older { newer: 2 })
    );
}

#[test]
fn a_failed_build_blocks_nothing_after_it() {
    let entries = [entry("a", 1, Stage::Deployed), entry("b", 2, Stage::Failed)];
    assert_eq!(
        on_green_build(&entries, 3),
        Decision::Deploy { supersede: vec![] }
    );
    assert_eq!(after_build(Stage::Building, false), Stage::Failed);
    // A rebuild of a failed commit that passes may still deploy it.
    assert_eq!(after_build(Stage::Failed, true), Stage::Passed);
    assert_eq!(
        on_green_build(&entries, 2),
        Decision::Deploy { supersede: vec![] }
    );
}

#[test]
fn a_commit_already_started_is_not_deployed_twice() {
    let entries = [entry("a", 1, Stage::Deployed)];
    assert_eq!(
        on_green_build(&entries, 1),
        Decision::Hold(Hold::AlreadyStarted)
    );
}

#[test]
fn late_outcomes_change_only_deploys_still_running() {
    assert_eq!(after_deploy(Stage::Deploying, true), Stage::Deployed);
    assert_eq!(after_deploy(Stage::Deploying, false), Stage::DeployFailed);
    assert_eq!(after_deploy(Stage::Superseded, true), Stage::Superseded);
    assert_eq!(after_build(Stage::Superseded, true), Stage::Superseded);
    // Its build failing is news: main was red at that commit.
    assert_eq!(after_build(Stage::Superseded, false), Stage::Failed);
    assert_eq!(after_build(Stage::Deployed, false), Stage::Deployed);
}

#[test]
fn stages_read_back_as_written() {
    for stage in Stage::ALL {
        assert_eq!(Stage::parse(stage.as_str()), Some(stage));
    }
    assert_eq!(Stage::parse("shipped"), None);
}

/// A service's pipeline driven through the rule, as the engine does.
struct Pipeline {
    entries: Vec<Entry<u64>>,
    /// Positions of deploys in the order they started.
    started: Vec<u64>,
    /// A build of the next commit that finished before its push arrived:
    /// the engine keeps it and decides when the push comes.
    early: Option<bool>,
}

impl Pipeline {
    fn new() -> Pipeline {
        Pipeline {
            entries: Vec::new(),
            started: Vec::new(),
            early: None,
        }
    }

    fn push(&mut self, builds: &mut Vec<(u64, bool)>) {
        let position = self.entries.len() as u64 + 1;
        self.entries.push(Entry {
            key: position,
            position,
            stage: Stage::Building,
        });
        if let Some(green) = self.early.take() {
            builds.push((position, green));
            self.build(position, green);
        }
    }

    fn build(&mut self, position: u64, green: bool) {
        let i = position as usize - 1;
        self.entries[i].stage = after_build(self.entries[i].stage, green);
        if self.entries[i].stage != Stage::Passed {
            return;
        }
        if let Decision::Deploy { supersede } = on_green_build(&self.entries, position) {
            for key in supersede {
                self.entries[key as usize - 1].stage = Stage::Superseded;
            }
            self.entries[i].stage = Stage::Deploying;
            self.started.push(position);
        }
    }

    fn outcome(&mut self, position: u64, healthy: bool) {
        let i = position as usize - 1;
        self.entries[i].stage = after_deploy(self.entries[i].stage, healthy);
    }
}

#[derive(Debug, Clone)]
enum Step {
    Push,
    /// The build of the pick-th commit still building finishes.
    Build {
        pick: usize,
        green: bool,
    },
    /// The deploy still running (if any) reports.
    Outcome {
        healthy: bool,
    },
    /// A build of any pushed commit finishes again: a re-run (red, then
    /// green), or the same delivery sent twice.
    Rerun {
        pick: usize,
        green: bool,
    },
    /// The build of the next commit finishes before its push arrives.
    Early {
        green: bool,
    },
    /// A deploy that was started at some point reports late (it may have
    /// been superseded since).
    LateOutcome {
        pick: usize,
        healthy: bool,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Push),
        3 => (any::<usize>(), prop::bool::weighted(0.7))
            .prop_map(|(pick, green)| Step::Build { pick, green }),
        2 => prop::bool::weighted(0.8).prop_map(|healthy| Step::Outcome { healthy }),
        1 => (any::<usize>(), any::<bool>()).prop_map(|(pick, green)| Step::Rerun { pick, green }),
        1 => prop::bool::weighted(0.7).prop_map(|green| Step::Early { green }),
        1 => (any::<usize>(), any::<bool>())
            .prop_map(|(pick, healthy)| Step::LateOutcome { pick, healthy }),
    ]
}

fn building(pipeline: &Pipeline) -> Vec<u64> {
    pipeline
        .entries
        .iter()
        .filter(|e| e.stage == Stage::Building)
        .map(|e| e.position)
        .collect()
}

fn run(pipeline: &mut Pipeline, step: &Step, builds: &mut Vec<(u64, bool)>) {
    match *step {
        Step::Push => pipeline.push(builds),
        Step::Build { pick, green } => {
            let pending = building(pipeline);
            if !pending.is_empty() {
                let position = pending[pick % pending.len()];
                builds.push((position, green));
                pipeline.build(position, green);
            }
        }
        Step::Outcome { healthy } => {
            let deploying: Vec<u64> = pipeline
                .entries
                .iter()
                .filter(|e| e.stage == Stage::Deploying)
                .map(|e| e.position)
                .collect();
            for position in deploying {
                pipeline.outcome(position, healthy);
            }
        }
        Step::Rerun { pick, green } => {
            if !pipeline.entries.is_empty() {
                let position = (pick % pipeline.entries.len()) as u64 + 1;
                builds.push((position, green));
                pipeline.build(position, green);
            }
        }
        Step::Early { green } => pipeline.early = Some(green),
        Step::LateOutcome { pick, healthy } => {
            if !pipeline.started.is_empty() {
                let position = pipeline.started[pick % pipeline.started.len()];
                pipeline.outcome(position, healthy);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// Over any interleaving of pushes, build results (re-runs, repeated
    /// deliveries and builds that arrive before their push among them)
    /// and deploy outcomes (late ones of superseded deploys too): deploys
    /// start in first-parent order, at most one runs at a time, no commit
    /// deploys without a green build, and once every build has finished
    /// the newest green commit has been deployed (or its deploy started).
    #[test]
    fn newest_wins_over_any_interleaving(
        steps in prop::collection::vec(step(), 0..80),
        finish_green in prop::collection::vec(prop::bool::weighted(0.7), 60),
    ) {
        let mut pipeline = Pipeline::new();
        let mut builds = Vec::new();
        for step in &steps {
            run(&mut pipeline, step, &mut builds);
            let deploying = pipeline.entries.iter().filter(|e| e.stage == Stage::Deploying).count();
            prop_assert!(deploying <= 1, "two deploys at once: {:?}", pipeline.entries);
        }
        // Every build still running finishes, newest first: the hardest
        // order for the rule, as older green builds arrive last.
        for (i, position) in building(&pipeline).into_iter().rev().enumerate() {
            builds.push((position, finish_green[i % finish_green.len()]));
            pipeline.build(position, finish_green[i % finish_green.len()]);
        }
        prop_assert!(pipeline.started.windows(2).all(|w| w[0] < w[1]),
            "a deploy started after a newer one: {:?}", pipeline.started);
        for position in &pipeline.started {
            let green = builds.iter().any(|&(p, g)| p == *position && g);
            prop_assert!(green, "commit {position} deployed without a green build");
        }
        let newest_green = builds.iter().filter(|(_, g)| *g).map(|(p, _)| *p).max();
        if let Some(newest) = newest_green {
            prop_assert_eq!(pipeline.started.last().copied(), Some(newest));
        } else {
            prop_assert!(pipeline.started.is_empty());
        }
    }
}
