//! The sandbox lane, list and search.

use super::*;

#[test]
fn the_sandbox_lane_counts_owners_and_lists_the_newest_first() {
    let config = config();
    let page = overview(&config, &snapshot(), Freshness::default());
    let lane = &page.sandboxes;
    assert_eq!(lane.count, 3);
    assert_eq!(lane.owners, 2, "zed has no owner");
    let newest: Vec<_> = lane.newest.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(newest, ["eve", "ann", "zed"], "unknown creation last");
    assert_eq!(
        places(&page.problems),
        [
            ("environments/stg-2.yaml", None),
            ("environments/dev.yaml", Some(4)),
            ("sandboxes/Bad_Name.yaml", None),
            ("sandboxes/zed.yaml", Some(1)),
        ]
    );

    let mut many = snapshot();
    let list = &mut many.repos[0].sandboxes.as_mut().unwrap().sandboxes;
    for i in 0..6 {
        let name = format!("s{i}");
        list.push(SandboxState {
            file: sandbox(&name, Some("ann"), 0),
            problems: Vec::new(),
            created: Some(change(&name, T0 + 1_000 + i)),
        });
    }
    let lane = overview(&config, &many, Freshness::default()).sandboxes;
    assert_eq!((lane.count, lane.owners), (9, 2));
    let newest: Vec<_> = lane.newest.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(newest, ["s5", "s4", "s3", "s2", "s1"], "five at most");
}

#[test]
fn sandbox_url_and_ssh_command_are_filled_and_escaped() {
    let config = config();
    let list = sandboxes(&config, &snapshot(), "", Freshness::default());
    let by_name = |name: &str| list.sandboxes.iter().find(|s| s.name == name).unwrap();

    let ann = by_name("ann");
    assert_eq!(ann.url, "https://ann.sb.example.com/?by=ann");
    assert_eq!(ann.ssh, "ssh ann@ann.sb.example.com");
    assert_eq!(ann.file, "sandboxes/ann.yaml");
    assert_eq!(ann.owner.as_deref(), Some("ann"));
    assert_eq!(ann.created, Some(change("ann", T0)));
    assert_eq!(
        ann.keys.iter().map(|k| k.line.as_str()).collect::<Vec<_>>(),
        ["256 SHA256:dCH7EbLNVqPyDJ3XrgaIMwdx7zuGFwRFOu8Y2Fm7OsQ kohbis@laptop (ED25519)"]
    );

    let zed = by_name("zed");
    assert_eq!(zed.owner, None);
    assert_eq!(
        (zed.url.as_str(), zed.ssh.as_str()),
        (
            "https://zed.sb.example.com/?by=zed",
            "ssh zed@zed.sb.example.com"
        ),
        "without an owner the sandbox's name is the login"
    );
    assert_eq!(places(&zed.problems), [("sandboxes/zed.yaml", Some(1))]);

    let eve = by_name("eve");
    assert_eq!(eve.ssh, "ssh 'x; RM -rf ~ #'@eve.sb.example.com");
    assert_eq!(
        eve.url,
        "https://eve.sb.example.com/?by=x%3B%20RM%20-rf%20~%20%23"
    );
}

#[test]
fn sandbox_search_matches_name_or_owner_and_keeps_the_total() {
    let config = config();
    let snapshot = snapshot();
    let names = |query: &str| -> (Vec<String>, usize) {
        let list = sandboxes(&config, &snapshot, query, Freshness::default());
        (
            list.sandboxes.into_iter().map(|s| s.name).collect(),
            list.total,
        )
    };
    assert_eq!(
        names(""),
        (vec!["ann".into(), "zed".into(), "eve".into()], 3)
    );
    assert_eq!(names(" ZE "), (vec!["zed".into()], 3), "trimmed, any case");
    assert_eq!(
        names("rm -RF"),
        (vec!["eve".into()], 3),
        "owners match too, in any case"
    );
    assert_eq!(names("nobody"), (Vec::new(), 3));
    let list = sandboxes(&config, &snapshot, "", Freshness::default());
    assert_eq!(
        places(&list.problems),
        [("sandboxes/Bad_Name.yaml", None)],
        "the list's own problems are the directory's"
    );
}
