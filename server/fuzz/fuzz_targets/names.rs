//! Sandbox and branch names: never a panic, and an accepted sandbox name
//! always names a file directly inside the sandbox directory.
#![no_main]

use berth::gitops::names::{branch_slug, check_branch_name, check_sandbox_name};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = check_branch_name(text);
    let _ = branch_slug(text);
    if check_sandbox_name(text).is_ok() {
        let file = format!("sandboxes/{text}.yaml");
        assert_eq!(std::path::Path::new(&file).components().count(), 2);
        assert!(!text.contains(['/', '\\', '.']));
    }
});
