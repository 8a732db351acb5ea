use serde_json::{json, Value};

use super::*;

fn application(spec: Value) -> Value {
    json!({
        "metadata": { "name": "photo-api-dev", "namespace": "argocd", "resourceVersion": "42" },
        "spec": spec,
        "status": { "sync": { "status": "Synced" } }
    })
}

fn helm() -> ImageField {
    ImageField::default()
}

fn kustomize() -> ImageField {
    ImageField::KustomizeImage("registry.example.com/photos/app-a".into())
}

fn patch_for(
    object: &Value,
    field: &ImageField,
    tag: &str,
) -> Result<Option<Value>, ImagePatchError> {
    let app: Application = serde_json::from_value(object.clone()).unwrap();
    Ok(image_tag_patch(&app, field, tag)?.map(|p| serde_json::to_value(p).unwrap()))
}

/// The object after the patch, as the API server would apply it.
fn patched(object: &Value, field: &ImageField, tag: &str) -> Value {
    let patch = patch_for(object, field, tag).unwrap().expect("a patch");
    let mut object = object.clone();
    json_patch::patch(
        &mut object,
        &serde_json::from_value::<json_patch::Patch>(patch).unwrap(),
    )
    .unwrap();
    object
}

fn helm_source(parameters: Value) -> Value {
    json!({
        "repoURL": "https://git.example/charts.git",
        "path": "charts/photo-api",
        "helm": { "valueFiles": ["values-dev.yaml"], "parameters": parameters }
    })
}

#[test]
fn a_helm_parameter_is_replaced_at_its_index_guarded_by_its_name_and_old_value() {
    let object = application(json!({ "source": helm_source(json!([
        { "name": "replicaCount", "value": "2" },
        { "name": "image.tag", "value": "main-1a2b3c4" },
        { "name": "image.repository", "value": "registry.example.com/photos/api" }
    ])) }));
    let patch = patch_for(&object, &helm(), "main-9f8e7d6")
        .unwrap()
        .unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/spec/source/helm/parameters/1/name", "value": "image.tag" },
            { "op": "test", "path": "/spec/source/helm/parameters/1/value", "value": "main-1a2b3c4" },
            { "op": "replace", "path": "/spec/source/helm/parameters/1/value", "value": "main-9f8e7d6" }
        ])
    );
    let mut expected = object.clone();
    expected["spec"]["source"]["helm"]["parameters"][1]["value"] = json!("main-9f8e7d6");
    assert_eq!(patched(&object, &helm(), "main-9f8e7d6"), expected);
}

#[test]
fn the_guards_fail_when_the_parameters_were_reordered_meanwhile() {
    let object = application(json!({ "source": helm_source(json!([
        { "name": "replicaCount", "value": "2" },
        { "name": "image.tag", "value": "main-1a2b3c4" }
    ])) }));
    let patch: json_patch::Patch = serde_json::from_value(
        patch_for(&object, &helm(), "main-9f8e7d6")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let mut reordered = object.clone();
    reordered["spec"]["source"]["helm"]["parameters"]
        .as_array_mut()
        .unwrap()
        .reverse();
    let before = reordered.clone();
    assert!(json_patch::patch(&mut reordered, &patch).is_err());
    assert_eq!(reordered, before, "nothing written");
}

#[test]
fn a_tag_already_set_needs_no_patch() {
    let object = application(json!({ "source": helm_source(json!([
        { "name": "image.tag", "value": "main-1a2b3c4" }
    ])) }));
    assert_eq!(patch_for(&object, &helm(), "main-1a2b3c4").unwrap(), None);
    let object = application(json!({ "source": { "repoURL": "x", "kustomize": {
        "images": ["registry.example.com/photos/app-a:v1"]
    } } }));
    assert_eq!(patch_for(&object, &kustomize(), "v1").unwrap(), None);
}

#[test]
fn a_missing_helm_parameter_is_added_guarded_by_the_object_version() {
    let object = application(json!({ "source": helm_source(json!([
        { "name": "replicaCount", "value": "2" }
    ])) }));
    let patch = patch_for(&object, &helm(), "20240101").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/metadata/resourceVersion", "value": "42" },
            { "op": "add", "path": "/spec/source/helm/parameters/-",
              "value": { "name": "image.tag", "value": "20240101", "forceString": true } }
        ])
    );
    let mut expected = object.clone();
    expected["spec"]["source"]["helm"]["parameters"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "image.tag", "value": "20240101", "forceString": true }));
    assert_eq!(patched(&object, &helm(), "20240101"), expected);
}

#[test]
fn a_missing_parameters_list_or_helm_block_is_added_to_the_single_source() {
    let entry = json!({ "name": "image.tag", "value": "v2", "forceString": true });
    let object = application(
        json!({ "source": { "repoURL": "r", "chart": "api", "helm": { "releaseName": "api" } } }),
    );
    let after = patched(&object, &helm(), "v2");
    assert_eq!(
        after["spec"]["source"]["helm"],
        json!({ "releaseName": "api", "parameters": [entry] })
    );

    let object = application(json!({ "source": { "repoURL": "r", "path": "charts/api" } }));
    let patch = patch_for(&object, &helm(), "v2").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/metadata/resourceVersion", "value": "42" },
            { "op": "add", "path": "/spec/source/helm", "value": { "parameters": [entry] } }
        ])
    );
}

#[test]
fn a_parameter_without_a_value_gets_one() {
    let object = application(json!({ "source": helm_source(json!([{ "name": "image.tag" }])) }));
    let patch = patch_for(&object, &helm(), "v3").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/metadata/resourceVersion", "value": "42" },
            { "op": "test", "path": "/spec/source/helm/parameters/0/name", "value": "image.tag" },
            { "op": "add", "path": "/spec/source/helm/parameters/0/value", "value": "v3" }
        ])
    );
}

#[test]
fn an_old_value_the_api_server_cannot_compare_is_guarded_by_the_version() {
    // kube-apiserver writes '&' as \u0026, so a `test` of it never holds.
    let object = application(json!({ "source": helm_source(json!([
        { "name": "image.tag", "value": "a&b" }
    ])) }));
    let patch = patch_for(&object, &helm(), "v4").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/metadata/resourceVersion", "value": "42" },
            { "op": "test", "path": "/spec/source/helm/parameters/0/name", "value": "image.tag" },
            { "op": "replace", "path": "/spec/source/helm/parameters/0/value", "value": "v4" }
        ])
    );
}

#[test]
fn a_kustomize_source_gets_no_helm_parameter() {
    let object =
        application(json!({ "source": { "repoURL": "r", "kustomize": { "images": [] } } }));
    let error = patch_for(&object, &helm(), "v1").unwrap_err();
    assert!(
        matches!(error, ImagePatchError::NoImageField { .. }),
        "{error}"
    );
    assert_eq!(
        error.to_string(),
        "Argo CD Application argocd/photo-api-dev has no Helm parameter `image.tag` and no single place to add it: its source uses Kustomize"
    );
}

#[test]
fn a_kustomize_image_keeps_its_name_and_new_name_and_changes_only_the_tag() {
    let cases = [
        (
            "registry.example.com/photos/app-a:v1",
            "registry.example.com/photos/app-a:v2",
        ),
        (
            "registry.example.com/photos/app-a=mirror.example.com/app-a:v1",
            "registry.example.com/photos/app-a=mirror.example.com/app-a:v2",
        ),
        (
            "registry.example.com/photos/app-a=mirror.example.com:5000/app-a",
            "registry.example.com/photos/app-a=mirror.example.com:5000/app-a:v2",
        ),
        (
            "registry.example.com/photos/app-a@sha256:abc",
            "registry.example.com/photos/app-a:v2",
        ),
        (
            "registry.example.com/photos/app-a:v1@sha256:abc",
            "registry.example.com/photos/app-a:v2",
        ),
    ];
    for (entry, expected) in cases {
        assert!(
            entry_for(&json!(entry), "registry.example.com/photos/app-a"),
            "{entry}"
        );
        assert_eq!(with_tag(entry, "v2"), expected, "{entry}");
    }
    assert!(!entry_for(
        &json!("registry.example.com/photos/app-b:v1"),
        "registry.example.com/photos/app-a"
    ));
    assert!(!entry_for(
        &json!("registry.example.com/photos/app-a-worker:v1"),
        "registry.example.com/photos/app-a"
    ));
    assert!(entry_for(
        &json!("localhost:5000/app:1"),
        "localhost:5000/app"
    ));
    assert_eq!(with_tag("localhost:5000/app", "2"), "localhost:5000/app:2");

    let object = application(
        json!({ "source": { "repoURL": "r", "kustomize": { "images": [
        "registry.example.com/photos/worker:v1",
        "registry.example.com/photos/app-a=mirror.example.com/app-a:v1"
    ] } } }),
    );
    let patch = patch_for(&object, &kustomize(), "v2").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/spec/source/kustomize/images/1",
              "value": "registry.example.com/photos/app-a=mirror.example.com/app-a:v1" },
            { "op": "replace", "path": "/spec/source/kustomize/images/1",
              "value": "registry.example.com/photos/app-a=mirror.example.com/app-a:v2" }
        ])
    );
}

#[test]
fn a_missing_kustomize_image_is_added() {
    let object =
        application(json!({ "source": { "repoURL": "r", "kustomize": { "namePrefix": "dev-" } } }));
    let after = patched(&object, &kustomize(), "v2");
    assert_eq!(
        after["spec"]["source"]["kustomize"],
        json!({ "namePrefix": "dev-", "images": ["registry.example.com/photos/app-a:v2"] })
    );
    let object = application(
        json!({ "source": { "repoURL": "r", "kustomize": { "images": ["other:1"] } } }),
    );
    let after = patched(&object, &kustomize(), "v2");
    assert_eq!(
        after["spec"]["source"]["kustomize"]["images"],
        json!(["other:1", "registry.example.com/photos/app-a:v2"])
    );
    let object = application(json!({ "source": { "repoURL": "r", "chart": "app-a" } }));
    assert!(matches!(
        patch_for(&object, &kustomize(), "v2"),
        Err(ImagePatchError::NoImageField { .. })
    ));
}

fn multi(sources: Value) -> Value {
    application(json!({ "sources": sources }))
}

#[test]
fn of_several_sources_the_one_holding_the_parameter_is_patched() {
    let object = multi(json!([
        { "repoURL": "https://charts.example", "chart": "api", "helm": { "valueFiles": ["$values/dev.yaml"] } },
        { "repoURL": "https://git.example/values.git", "ref": "values" },
        helm_source(json!([{ "name": "image.tag", "value": "v1" }]))
    ]));
    let patch = patch_for(&object, &helm(), "v2").unwrap().unwrap();
    assert_eq!(
        patch,
        json!([
            { "op": "test", "path": "/spec/sources/2/repoURL", "value": "https://git.example/charts.git" },
            { "op": "test", "path": "/spec/sources/2/helm/parameters/0/name", "value": "image.tag" },
            { "op": "test", "path": "/spec/sources/2/helm/parameters/0/value", "value": "v1" },
            { "op": "replace", "path": "/spec/sources/2/helm/parameters/0/value", "value": "v2" }
        ])
    );
    // With `spec.sources`, a left-over `spec.source` is not what Argo CD renders.
    let mut both = object.clone();
    both["spec"]["source"] = helm_source(json!([{ "name": "image.tag", "value": "v0" }]));
    let after = patched(&both, &helm(), "v2");
    assert_eq!(after["spec"]["source"], both["spec"]["source"]);
    assert_eq!(
        after["spec"]["sources"][2]["helm"]["parameters"][0]["value"],
        "v2"
    );
}

#[test]
fn of_several_sources_none_holding_it_the_only_helm_one_gets_it() {
    let object = multi(json!([
        { "repoURL": "https://charts.example", "chart": "api" },
        { "repoURL": "https://git.example/values.git", "ref": "values" }
    ]));
    let after = patched(&object, &helm(), "v2");
    assert_eq!(
        after["spec"]["sources"][0]["helm"],
        json!({ "parameters": [{ "name": "image.tag", "value": "v2", "forceString": true }] })
    );
    assert_eq!(after["spec"]["sources"][1], object["spec"]["sources"][1]);
}

#[test]
fn several_candidate_sources_are_an_error_naming_the_application() {
    let two_charts = multi(json!([
        { "repoURL": "https://charts.example", "chart": "api" },
        { "repoURL": "https://charts.example", "chart": "worker", "helm": {} }
    ]));
    let error = patch_for(&two_charts, &helm(), "v2").unwrap_err();
    assert!(matches!(error, ImagePatchError::Ambiguous { .. }));
    assert_eq!(
        error.to_string(),
        "Argo CD Application argocd/photo-api-dev: cannot tell which Helm parameter `image.tag` to set: sources 0, 1 use Helm and none holds it"
    );

    let two_holders = multi(json!([
        helm_source(json!([{ "name": "image.tag", "value": "v1" }])),
        helm_source(json!([{ "name": "image.tag", "value": "v1" }]))
    ]));
    let error = patch_for(&two_holders, &helm(), "v2").unwrap_err();
    assert!(
        error.to_string().contains("sources 0, 1 all hold it"),
        "{error}"
    );

    let twice = application(json!({ "source": helm_source(json!([
        { "name": "image.tag", "value": "v1" },
        { "name": "image.tag", "value": "v0" }
    ])) }));
    let error = patch_for(&twice, &helm(), "v2").unwrap_err();
    assert!(
        error.to_string().contains("2 parameters named `image.tag`"),
        "{error}"
    );

    let no_helm = multi(json!([{ "repoURL": "a", "path": "x" }, { "repoURL": "b", "ref": "v" }]));
    let error = patch_for(&no_helm, &helm(), "v2").unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("none of its 2 sources uses Helm"),
        "{error}"
    );

    let no_source = application(json!({ "project": "default" }));
    let error = patch_for(&no_source, &helm(), "v2").unwrap_err();
    assert!(
        error
            .to_string()
            .ends_with("neither spec.source nor spec.sources"),
        "{error}"
    );
}

#[test]
fn tags_follow_the_oci_grammar() {
    let long = "a".repeat(128);
    for tag in [
        "v1",
        "main-1a2b3c4",
        "_build.7",
        "1.2.3-rc_1",
        "V",
        long.as_str(),
    ] {
        assert!(validate_tag(tag).is_ok(), "{tag}");
    }
    let too_long = "a".repeat(129);
    let cases = [
        ("", "it is empty"),
        (too_long.as_str(), "it is 129 characters long"),
        (".hidden", "it starts with '.'"),
        ("-x", "it starts with '-'"),
        ("feature/x", "it contains '/'"),
        ("v1\nv2", "it contains '\\n'"),
        ("v1: #x", "it contains ':'"),
        ("v1 #x", "it contains ' '"),
        ("v1#x", "it contains '#'"),
        ("vé", "it contains 'é'"),
    ];
    for (tag, reason) in cases {
        let error = validate_tag(tag).unwrap_err();
        assert!(matches!(error, ImagePatchError::InvalidTag { .. }));
        let message = error.to_string();
        assert!(message.contains(reason), "{tag:?}: {message}");
        assert!(message.contains("a tag is 1 to 128 letters"), "{message}");
    }
    // The pure function refuses too, before looking at the Application.
    let object = application(json!({}));
    assert!(matches!(
        patch_for(&object, &helm(), "a/b"),
        Err(ImagePatchError::InvalidTag { .. })
    ));
}

#[test]
fn an_image_field_must_name_something_it_can_find() {
    for field in [
        ImageField::HelmParameter(" ".into()),
        ImageField::KustomizeImage(String::new()),
        ImageField::KustomizeImage("registry.example.com/app:v1".into()),
        ImageField::KustomizeImage("app@sha256:abc".into()),
        ImageField::KustomizeImage("app=other".into()),
    ] {
        assert!(
            matches!(
                validate_field(&field),
                Err(ImagePatchError::InvalidField { .. })
            ),
            "{field}"
        );
    }
    assert!(validate_field(&ImageField::KustomizeImage("localhost:5000/app".into())).is_ok());
}

#[test]
fn the_image_field_reads_from_berth_toml() {
    #[derive(Deserialize)]
    struct Settings {
        #[serde(default)]
        image_field: ImageField,
    }
    use figment::providers::Format;
    let read = |text: &str| {
        figment::Figment::from(figment::providers::Toml::string(text))
            .extract::<Settings>()
            .map(|s| s.image_field)
            .ok()
    };
    assert_eq!(
        read("").unwrap(),
        ImageField::HelmParameter("image.tag".into())
    );
    assert_eq!(
        read("image_field = { helm = \"app.image.tag\" }").unwrap(),
        ImageField::HelmParameter("app.image.tag".into())
    );
    assert_eq!(
        read("image_field = { kustomize = \"registry.example.com/photos/app-a\" }").unwrap(),
        kustomize()
    );
    assert_eq!(read("image_field = { jsonnet = \"x\" }"), None);
}
