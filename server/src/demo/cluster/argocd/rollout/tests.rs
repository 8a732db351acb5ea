use super::*;
use crate::demo::cluster::argocd::desired::Target;

fn desired(sandbox: bool) -> Desired {
    let target = if sandbox {
        Target::Sandbox {
            name: "ann".into(),
            host: "ann.sandbox.example".into(),
        }
    } else {
        Target::Service {
            env: "dev".into(),
            service: "photo-api".into(),
            branch: "main".into(),
        }
    };
    Desired {
        name: if sandbox {
            "sandbox-ann"
        } else {
            "photo-api-dev"
        }
        .into(),
        target,
        namespace: "dev".into(),
        repo: "gitops".into(),
        repo_url: "/srv/gitops.git".into(),
        repo_branch: "main".into(),
        file: None,
    }
}

fn image(tag: &str, exists: bool) -> Image {
    Image {
        repository: "registry.example.com/photo-api".into(),
        tag: tag.into(),
        exists,
    }
}

/// Advances until the rollout is done; the states it showed on the way.
fn run(app: &mut App) -> Vec<(bool, Health)> {
    let mut seen = vec![(app.synced(), app.health())];
    let mut now = 1_000;
    while let Some(delay) = app.advance(now) {
        now += delay.as_secs() as i64;
        seen.push((app.synced(), app.health()));
    }
    seen.push((app.synced(), app.health()));
    seen
}

#[test]
fn a_new_image_rolls_out_and_replaces_the_old_pod() {
    let mut app = App::settled(
        desired(false),
        image("main-aaaaaaa", true),
        None,
        "c1".into(),
        ("c1", 100),
        500,
    );
    assert_eq!((app.synced(), app.health()), (true, Health::Healthy));
    let old = app.current.clone().unwrap();
    app.retarget(
        desired(false),
        image("main-bbbbbbb", true),
        "c2".into(),
        1_000,
    );
    let seen = run(&mut app);
    assert_eq!(
        seen[0],
        (false, Health::Healthy),
        "noticed, not yet syncing"
    );
    assert!(seen.contains(&(false, Health::Progressing)));
    assert_eq!(seen.last(), Some(&(true, Health::Healthy)));
    let new = app.current.clone().unwrap();
    assert_ne!(new.name, old.name);
    assert!(new.image.ends_with(":main-bbbbbbb"));
    assert!(app.next.is_none());
    assert_eq!(app.images, [new.image]);
    assert_eq!(app.history.len(), 2);
    assert_eq!(app.history[1].revision, "c2");
}

#[test]
fn a_new_sandbox_is_healthy_once_its_ingress_has_an_address() {
    let mut app = App::created(desired(true), image("v1", true), "c1".into(), 1_000);
    assert_eq!(app.health(), Health::Missing);
    let mut now = 1_000;
    let mut exposed_while_progressing = false;
    while let Some(delay) = app.advance(now) {
        now += delay.as_secs() as i64;
        exposed_while_progressing |= app.exposed && app.health() != Health::Healthy;
    }
    assert!(app.exposed);
    assert!(!exposed_while_progressing, "the address comes last");
    assert_eq!(app.health(), Health::Healthy);
    assert_eq!(app.operation.as_ref().unwrap().phase, Phase::Succeeded);
    assert_eq!(app.history.len(), 1);
}

#[test]
fn an_image_that_does_not_exist_keeps_the_old_pod_and_ends_degraded() {
    let mut app = App::settled(
        desired(false),
        image("main-aaaaaaa", true),
        None,
        "c1".into(),
        ("c1", 100),
        500,
    );
    app.retarget(desired(false), image("nope", false), "c2".into(), 1_000);
    let seen = run(&mut app);
    assert_eq!(seen.last(), Some(&(true, Health::Degraded)));
    assert_eq!(app.current.as_ref().unwrap().state, PodState::Ready);
    assert_eq!(app.next.as_ref().unwrap().state, PodState::PullBackOff);
    assert!(app.deadline_exceeded());
}

#[test]
fn standing_faults_are_settled_and_heal_with_another_image() {
    let crash = App::settled(
        desired(false),
        image("main-aaaaaaa", true),
        Some(Fault::Crash),
        "c1".into(),
        ("c1", 100),
        500,
    );
    assert_eq!((crash.synced(), crash.health()), (true, Health::Degraded));
    assert_eq!(crash.current.as_ref().unwrap().state, PodState::CrashLoop);

    let mut pull = App::settled(
        desired(true),
        image("v1", true),
        Some(Fault::PullFails),
        "c1".into(),
        ("c1", 100),
        500,
    );
    assert_eq!(pull.health(), Health::Degraded);
    assert_eq!(pull.operation.as_ref().unwrap().phase, Phase::Failed);
    assert_eq!(pull.next.as_ref().unwrap().state, PodState::PullBackOff);
    pull.retarget(desired(true), image("v2", true), "c2".into(), 1_000);
    assert_eq!(run(&mut pull).last(), Some(&(true, Health::Healthy)));
}

#[test]
fn generated_names_look_like_kubernetes_ones() {
    let id = kube_id("photo-api-dev/registry/x:1", 10);
    assert_eq!(id.len(), 10);
    assert!(id
        .chars()
        .all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    assert_eq!(id, kube_id("photo-api-dev/registry/x:1", 10));
}
