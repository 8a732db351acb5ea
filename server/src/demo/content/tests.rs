use super::*;

#[test]
fn default_demo_is_big_enough_to_be_believable() {
    let now = 1_800_000_000;
    let history = History::generate(&DemoSize::default(), now);
    assert!(history.services.len() >= 8);
    let authors: std::collections::HashSet<_> = history.commits.iter().map(|c| c.author).collect();
    assert!(authors.len() >= 4, "only {} authors", authors.len());
    let first = history.commits.first().unwrap().at;
    assert!(now - first >= 59 * 86_400);
    assert!(
        history.commits.windows(2).all(|w| w[0].at <= w[1].at),
        "history is in date order"
    );
}

#[test]
fn generation_is_deterministic() {
    let a = History::generate(&DemoSize::default(), 1_800_000_000).fast_import_stream();
    let b = History::generate(&DemoSize::default(), 1_800_000_000).fast_import_stream();
    assert_eq!(a, b);
}
