//! The format-preserving edit: on any file text and any requested branch,
//! never a panic; an edit that succeeds sets exactly that service and keeps
//! every other entry of the file.
#![no_main]

use berth::gitops::{edit::set_branches, files::parse_environment_file};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (&str, &str, &str)| {
    let (text, service, branch) = input;
    let before = parse_environment_file("f.yaml", text);
    if let Ok(Some(after)) = set_branches("f.yaml", text, &[(service.into(), branch.into())]) {
        let parsed = parse_environment_file("f.yaml", &after);
        assert_eq!(parsed.branch_of(service), Some(branch));
        for entry in before.entries.iter().filter(|e| e.service != service) {
            assert_eq!(
                parsed.branch_of(&entry.service),
                Some(entry.branch.as_str())
            );
        }
    }
});
