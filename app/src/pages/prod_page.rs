use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{get_pipeline, ResumeAutomation, RollBack},
    components::{ErrorBox, FreshnessBar, LiveBadge, Loaded, PauseLine, WithViewer},
    format::{ago, duration, short_sha, until},
    live::use_live_feed,
    model::{
        BuildRun, MarkerProblem, PipelineCommit, ProdPipeline, Release, Role, ServicePipeline,
        Stage, Viewer,
    },
};

/// The page's two writes, made once and shared by every service section.
#[derive(Clone, Copy)]
struct Writes {
    roll_back: ServerAction<RollBack>,
    resume: ServerAction<ResumeAutomation>,
}

/// Prod per service: the recent default-branch commits on their way
/// (pushed, building, passed, deploying, deployed, or why not) and what
/// runs now. Follows builds and deploys as they happen.
#[component]
pub fn ProdPage() -> impl IntoView {
    let feed = use_live_feed();
    let writes = Writes {
        roll_back: ServerAction::<RollBack>::new(),
        resume: ServerAction::<ResumeAutomation>::new(),
    };
    let query = leptos_router::hooks::use_query_map();
    let pipeline = Resource::new(
        move || {
            let query = query.read();
            (
                feed.version.get(),
                feed.releases.get(),
                query.get("rolled_back"),
                query.get("resumed"),
            )
        },
        |_| get_pipeline(),
    );
    let errors = move || {
        [writes.roll_back.value().get(), writes.resume.value().get()]
            .into_iter()
            .flatten()
            .filter_map(Result::err)
            .map(|error| view! { <ErrorBox error/> })
            .collect_view()
    };
    view! {
        <Title text="Prod pipeline"/>
        <h1>"Prod pipeline"</h1>
        {errors}
        <Loaded data=pipeline render=move |pipeline| view! { <Pipeline pipeline writes/> }/>
    }
}

#[component]
fn Pipeline(pipeline: ProdPipeline, writes: Writes) -> impl IntoView {
    let now = pipeline.freshness.now;
    let environment = pipeline.environment.clone();
    let rule = if pipeline.auto_deploy {
        "A green build of a default branch deploys when its commit is newer than every commit already deployed or deploying; an older one never replaces a newer."
    } else {
        "Green builds are not deployed by themselves here (auto_deploy_prod is off)."
    };
    let image_set = pipeline.image_set.map(|l| {
        view! {
            <p class="muted image-set">
                {format!(
                    "Build reported → image set on the Dev and Stg Applications following its branch: p50 {} ms, p99 {} ms, longest {} ms (last {} builds).",
                    l.p50_ms, l.p99_ms, l.max_ms, l.count
                )}
            </p>
        }
    });
    let markers = (!pipeline.marker_problems.is_empty()).then(|| {
        let problems = pipeline.marker_problems.clone();
        view! { <MarkerProblems problems now/> }
    });
    view! {
        <FreshnessBar freshness=pipeline.freshness/>
        {markers}
        <p class="muted">{rule}</p>
        {image_set}
        {pipeline
            .services
            .into_iter()
            .map(|service| view! { <ServiceSection service environment=environment.clone() now writes/> })
            .collect_view()}
    }
}

#[component]
fn ServiceSection(
    service: ServicePipeline,
    environment: String,
    now: i64,
    writes: Writes,
) -> impl IntoView {
    let repo = service.repo_url.clone();
    let deployed = service.deployed.clone().map(|c| {
        let when = c.deploy_ended_at.map(|at| ago(now, at)).unwrap_or_default();
        view! {
            <p class="live-now">
                "Live now: " <code>{c.image_tag.clone().unwrap_or_default()}</code>
                " from " <CommitLink sha=c.sha.clone() repo=repo.clone()/>
                {format!(" · deployed {when}")}
            </p>
        }
    });
    let name = service.service.clone();
    let section = name.clone();
    let paused = service.paused.clone();
    let is_paused = paused.is_some();
    let targets = service.rollback_to.clone();
    let controls = {
        let name = name.clone();
        let paused = paused.is_some();
        view! {
            <WithViewer render=move |viewer: Viewer| {
                let may = matches!(viewer.role, Some(Role::Qa | Role::Admin));
                let admin = viewer.role == Some(Role::Admin);
                may.then(|| view! {
                    <ProdControls service=name.clone() paused targets=targets.clone() admin now writes/>
                })
            }/>
        }
    };
    view! {
        <section class="pipeline" class:paused=is_paused data-service=section>
            <h2>{name.clone()} <span class="muted">{format!(" · {}", service.default_branch)}</span></h2>
            {paused.map(|pause| view! { <PauseLine pause now/> })}
            {deployed}
            {controls}
            <LiveBadge environment service=name page=service.live now/>
            {if service.commits.is_empty() {
                view! { <p class="empty">"No pushes to the default branch seen yet."</p> }.into_any()
            } else {
                view! { <CommitTable commits=service.commits runs=service.runs repo=service.repo_url now/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn CommitLink(sha: String, repo: Option<String>) -> impl IntoView {
    let short = short_sha(&sha).to_string();
    match repo {
        Some(repo) => {
            view! { <a href=format!("{repo}/commit/{sha}")><code>{short}</code></a> }.into_any()
        }
        None => view! { <code>{short}</code> }.into_any(),
    }
}

#[component]
fn CommitTable(
    commits: Vec<PipelineCommit>,
    runs: Vec<BuildRun>,
    repo: Option<String>,
    now: i64,
) -> impl IntoView {
    view! {
        <table class="pipeline-commits">
            <thead>
                <tr>
                    <th scope="col">"Commit"</th>
                    <th scope="col">"Message"</th>
                    <th scope="col">"Pushed"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Build"</th>
                    <th scope="col">"Deploy"</th>
                </tr>
            </thead>
            <tbody>
                {commits
                    .into_iter()
                    .map(|c| {
                        let stage = c.stage.as_str();
                        // How long CI's run took, linked to it; without
                        // one, push to the build's report.
                        let run = runs.iter().find(|r| r.sha == c.sha).cloned().unwrap_or_default();
                        let took = match (run.started_at, run.finished_at) {
                            (Some(start), Some(end)) => duration(end.saturating_sub(start)),
                            // A cancelled run never says it ended: after a day it is
                            // no longer "so far".
                            (Some(start), None) if c.stage == Stage::Building && now.saturating_sub(start) < 86_400 => {
                                format!("{} so far", duration(now.saturating_sub(start)))
                            }
                            _ => c.built_at.map(|at| duration(at - c.pushed_at)).unwrap_or_default(),
                        };
                        let build = match run.url {
                            Some(url) => view! { <a href=url class="build-run">{if took.is_empty() { "run".to_string() } else { took }}</a> }.into_any(),
                            None => view! { {took} }.into_any(),
                        };
                        let deploy = match (c.deploy_started_at, c.deploy_ended_at) {
                            (Some(start), Some(end)) => duration(end - start),
                            (Some(start), None) if c.stage == Stage::Deploying => format!("{} so far", duration(now - start)),
                            _ => String::new(),
                        };
                        view! {
                            <tr class=format!("stage-{stage}") data-sha=c.sha.clone()>
                                <td><CommitLink sha=c.sha.clone() repo=repo.clone()/></td>
                                <td>{c.message} <div class="muted">{c.author}</div></td>
                                <td>{ago(now, c.pushed_at)}</td>
                                <td>
                                    <span class=format!("stage stage-{stage}")>{stage_words(c.stage)}</span>
                                    <div class="muted">{c.note}</div>
                                </td>
                                <td>{build}</td>
                                <td>{deploy}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}

fn stage_words(stage: Stage) -> &'static str {
    match stage {
        Stage::Pushed => "pushed",
        Stage::Building => "building",
        Stage::Passed => "passed",
        Stage::Failed => "build failed",
        Stage::Superseded => "superseded",
        Stage::Deploying => "deploying",
        Stage::Deployed => "deployed",
        Stage::DeployFailed => "deploy failed",
    }
}

/// Deploy markers that did not get through: deploys are not held up by
/// them, but the people who rely on them should know.
#[component]
fn MarkerProblems(problems: Vec<MarkerProblem>, now: i64) -> impl IntoView {
    view! {
        <section class="marker-problems notice" role="status">
            <h2>"Deploy markers not sent"</h2>
            <ul>
                {problems
                    .into_iter()
                    .map(|p| {
                        let next = match p.next_at {
                            Some(at) if at > now => format!("tried {} times; next {}", p.attempts, until(now, at)),
                            Some(_) => format!("tried {} times; trying again now", p.attempts),
                            None => format!("gave up after {} tries", p.attempts),
                        };
                        let sink = p.sink.clone();
                        view! {
                            <li data-sink=sink>
                                <strong>{p.sink}</strong>
                                {format!(" · {} {} · {next}: ", p.service, p.image_tag)}
                                <span class="message">{p.error}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

/// Roll back to a release deployed before, and resume automation after.
#[component]
fn ProdControls(
    service: String,
    paused: bool,
    targets: Vec<Release>,
    admin: bool,
    now: i64,
    writes: Writes,
) -> impl IntoView {
    let resume = paused.then(|| {
        let service = service.clone();
        view! {
            <ActionForm action=writes.resume attr:class="inline resume">
                <input type="hidden" name="service" value=service/>
                <button type="submit">"Resume automation"</button>
            </ActionForm>
        }
    });
    let rollback = (!targets.is_empty()).then(|| {
        let options = targets
            .into_iter()
            .map(|r| {
                let label = format!(
                    "{} ({}) · deployed {}",
                    r.image_tag,
                    short_sha(&r.sha),
                    r.finished_at.map(|at| ago(now, at)).unwrap_or_default()
                );
                view! { <option value=r.id.to_string()>{label}</option> }
            })
            .collect_view();
        view! {
            <details class="rollback">
                <summary>"Roll back…"</summary>
                <ActionForm action=writes.roll_back attr:class="confirm rollback-form">
                    <input type="hidden" name="service" value=service.clone()/>
                    <label>"To " <select name="release">{options}</select></label>
                    <label>
                        "Why "
                        <input type="text" name="reason" required maxlength="300" placeholder="e.g. checkout errors since the last deploy"/>
                    </label>
                    {admin.then(|| view! {
                        <label>
                            "Break the glass (only if prod is locked or frozen) "
                            <input type="text" name="break_glass" maxlength="300"/>
                        </label>
                    })}
                    <button type="submit" class="primary">"Roll back"</button>
                </ActionForm>
            </details>
        }
    });
    view! { <div class="prod-controls">{resume}{rollback}</div> }
}
