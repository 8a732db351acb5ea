//! Loading the config the way the binary does: a file, `BERTH_*`
//! overrides, and the demo that `berth demo init` leaves in the data dir.
//! One test, because it changes process-wide environment variables.

use berth::{
    config::Config,
    demo::{self, DemoSize},
};

#[test]
fn config_file_env_overrides_and_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("berth.toml");
    std::fs::write(
        &file,
        "[[repositories]]\nname = \"gitops\"\nurl = \"/srv/gitops.git\"\n",
    )
    .unwrap();

    std::env::set_var("BERTH_LISTEN", "127.0.0.1:4010");
    std::env::set_var("BERTH_SANDBOXES__DOMAIN", "dev.example.org");
    std::env::set_var("BERTH_LOG_FORMAT", "json");
    let config = Config::load(Some(&file)).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:4010");
    assert_eq!(config.sandboxes.domain, "dev.example.org");
    assert_eq!(config.log_format, berth::config::LogFormat::Json);

    std::env::set_var("BERTH_LISTEN", "not an address");
    let err = Config::load(Some(&file)).unwrap_err().to_string();
    assert!(err.to_lowercase().contains("listen"), "{err}");
    for var in [
        "BERTH_LISTEN",
        "BERTH_SANDBOXES__DOMAIN",
        "BERTH_LOG_FORMAT",
    ] {
        std::env::remove_var(var);
    }

    let missing = Config::load(Some(&dir.path().join("nope.toml")))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("does not exist"), "{missing}");

    // Without a config, Berth looks for the demo in the data dir.
    let data = dir.path().join("data");
    std::env::set_var("BERTH_DATA_DIR", &data);
    let err = Config::load(None).unwrap_err().to_string();
    assert!(err.contains("berth demo init"), "{err}");

    let size = DemoSize::default();
    demo::init(&data, &size, false, 1_800_000_000).unwrap();
    let config = Config::load(None).unwrap();
    assert!(config.banner.as_deref().unwrap().contains("Demo data"));
    assert!(config.services.len() >= 8);
    let repo = std::path::Path::new(&config.repositories[0].url);
    assert!(
        repo.join("HEAD").exists(),
        "the demo repository is a real bare repository"
    );

    let log = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["log", "--format=%an %at", "main"])
        .output()
        .unwrap();
    let log = String::from_utf8(log.stdout).unwrap();
    let authors: std::collections::HashSet<_> =
        log.lines().map(|l| l.rsplit_once(' ').unwrap().0).collect();
    assert!(log.lines().count() > 100, "about 60 days of commits");
    assert!(authors.len() >= 4);
    let files = std::process::Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["ls-tree", "--name-only", "main", "sandboxes/"])
        .output()
        .unwrap();
    assert!(String::from_utf8(files.stdout).unwrap().lines().count() >= 12);

    let again = demo::init(&data, &size, false, 1_800_000_000).unwrap_err();
    assert!(
        again.contains("--force"),
        "an existing demo is not overwritten silently"
    );
    demo::init(&data, &size, true, 1_800_000_000).unwrap();
    std::env::remove_var("BERTH_DATA_DIR");
}
