use super::*;

const MINIMAL: &str = "[[repositories]]\nname = \"gitops\"\nurl = \"/tmp/x.git\"\n";

#[test]
fn minimal_config_gets_the_documented_defaults() {
    let config = Config::from_toml(MINIMAL).unwrap();
    assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
    assert_eq!(config.refresh_interval_secs, 30);
    assert_eq!(config.repositories[0].branch, "main");
    let names: Vec<_> = config
        .environments
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    assert_eq!(names, ["prod", "stg-1", "stg-2", "dev"]);
    assert_eq!(config.sandboxes.dir, "sandboxes");
    assert!(config.database_url().ends_with("berth.db"));
}

#[test]
fn unknown_fields_and_duplicates_are_refused() {
    assert!(Config::from_toml(&format!("{MINIMAL}colour = \"red\"\n")).is_err());
    let twice = format!("{MINIMAL}[[services]]\nname = \"a\"\n[[services]]\nname = \"a\"\n");
    assert!(Config::from_toml(&twice)
        .unwrap_err()
        .to_string()
        .contains("configured twice"));
    assert!(Config::from_toml("")
        .unwrap_err()
        .to_string()
        .contains("repositories"));
}

#[test]
fn environment_must_name_a_known_repository() {
    let text = format!("{MINIMAL}[[environments]]\nname = \"dev\"\nkind = \"dev\"\nfile = \"dev.yaml\"\nrepository = \"nope\"\n");
    assert!(Config::from_toml(&text)
        .unwrap_err()
        .to_string()
        .contains("nope"));
}

#[test]
fn the_example_config_is_valid() {
    let config = Config::from_toml(include_str!("../../../berth.example.toml")).unwrap();
    assert_eq!(config.environments.len(), 4);
    assert_eq!(config.services[1].default_branch, "master");
}

#[test]
fn token_is_read_from_its_reference() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, "s3cret\n").unwrap();
    let creds = Credentials {
        token_file: Some(file),
        ..Default::default()
    };
    assert_eq!(creds.token().unwrap().as_deref(), Some("s3cret"));
    let missing = Credentials {
        token_env: Some("BERTH_TEST_NO_SUCH_VAR".into()),
        ..Default::default()
    };
    assert!(missing.token().is_err());
}

#[test]
fn clusters_are_optional_and_each_needs_one_way_in() {
    assert!(Config::from_toml(MINIMAL).unwrap().clusters.is_empty());
    let one = format!("{MINIMAL}[[clusters]]\nname = \"main\"\nkubeconfig = \"/etc/berth/kubeconfig\"\nnamespaces = [\"dev\"]\n");
    let config = Config::from_toml(&one).unwrap();
    assert_eq!(config.clusters[0].argocd_namespace, "argocd");
    assert_eq!(config.clusters[0].namespaces, ["dev"]);

    let neither = format!("{MINIMAL}[[clusters]]\nname = \"main\"\n");
    let error = Config::from_toml(&neither).unwrap_err().to_string();
    assert!(
        error.contains("`kubeconfig` (a path) or `in_cluster = true`"),
        "{error}"
    );
    let both =
        format!("{MINIMAL}[[clusters]]\nname = \"main\"\nkubeconfig = \"k\"\nin_cluster = true\n");
    assert!(Config::from_toml(&both)
        .unwrap_err()
        .to_string()
        .contains("choose one"));
    let twice = format!("{one}[[clusters]]\nname = \"main\"\nin_cluster = true\n");
    assert!(Config::from_toml(&twice)
        .unwrap_err()
        .to_string()
        .contains("cluster `main` is configured twice"));
}

#[test]
fn environments_run_on_their_cluster_under_templated_application_names() {
    let text = format!(
        "{MINIMAL}[[clusters]]\nname = \"nonprod\"\nin_cluster = true\n\
         [[clusters]]\nname = \"prod\"\nin_cluster = true\n\
         [[environments]]\nname = \"prod\"\nkind = \"prod\"\ncluster = \"prod\"\napplication_template = \"{{service}}\"\n\
         [[environments]]\nname = \"dev\"\nkind = \"dev\"\nfile = \"dev.yaml\"\n"
    );
    let config = Config::from_toml(&text).unwrap();
    let (prod, dev) = (&config.environments[0], &config.environments[1]);
    assert_eq!(config.cluster_of(prod).unwrap().name, "prod");
    assert_eq!(config.cluster_of(dev).unwrap().name, "nonprod");
    assert_eq!(config.sandbox_cluster().unwrap().name, "nonprod");
    assert_eq!(config.application_name(prod, "app-a"), "app-a");
    assert_eq!(config.application_name(dev, "app-a"), "app-a-dev");
    assert_eq!(config.sandbox_application_name("kohbis"), "sandbox-kohbis");

    let unknown = text.replace("cluster = \"prod\"", "cluster = \"moon\"");
    let error = Config::from_toml(&unknown).unwrap_err().to_string();
    assert!(error.contains("names the cluster `moon`"), "{error}");
    let shared = text.replace(
        "application_template = \"{service}\"",
        "application_template = \"prod\"",
    );
    let error = Config::from_toml(&shared).unwrap_err().to_string();
    assert!(error.contains("must contain {service}"), "{error}");
}
