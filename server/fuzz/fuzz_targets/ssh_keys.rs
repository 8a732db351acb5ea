//! Pasted SSH keys: never a panic; an accepted key renders a sandbox file
//! that reads back with exactly those keys.
#![no_main]

use berth::gitops::{
    files::parse_sandbox_file,
    sandbox_edit::{check_keys, render_sandbox, KeyPolicy},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(keys) = check_keys(text, &KeyPolicy::default()) {
        let file = render_sandbox("sandboxes/fuzz.yaml", "fuzz", "fuzz", &keys)
            .expect("accepted keys always render");
        let (parsed, problems) = parse_sandbox_file("sandboxes/fuzz.yaml", "fuzz", &file);
        assert!(problems.is_empty());
        assert_eq!(parsed.unwrap().keys, keys);
    }
});
