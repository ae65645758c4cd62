//! Every fuzz target over its committed inputs, in the ordinary test suite:
//! the seeds (`fuzz/seeds/TARGET/`, the sample files each fuzzer starts
//! from) and every input that once made a target fail
//! (`fuzz/regressions/TARGET/`, kept after the fix). A target without seeds,
//! or whose seeds give no good record (a fuzzer stuck at the parser's first
//! refusal), fails.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files of `dir`, sorted; none when it does not exist.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_target_runs_its_seeds_and_past_crashes() {
    for (name, target) in rapport_fuzz::TARGETS {
        let seeds = inputs(&fuzz_dir().join("seeds").join(name));
        assert!(!seeds.is_empty(), "fuzz/seeds/{name}/ has no seed");
        let regressions = inputs(&fuzz_dir().join("regressions").join(name));
        let mut records = 0;
        for (index, file) in seeds.iter().chain(&regressions).enumerate() {
            let data = std::fs::read(file).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            let Ok(made) = outcome else {
                panic!("{name} failed on {}", file.display());
            };
            if index < seeds.len() {
                records += made;
            }
        }
        assert!(records > 0, "the seeds of {name} give no good record");
    }
}

#[test]
fn every_target_has_a_fuzzer() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in rapport_fuzz::TARGETS {
        let source = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&source)
            .unwrap_or_else(|_| panic!("no fuzzer {}", source.display()));
        assert!(
            text.contains(&format!("rapport_fuzz::{name}")),
            "{} does not call rapport_fuzz::{name}",
            source.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}

#[test]
fn the_empty_input_and_a_lone_choice_byte_are_fine() {
    for (_, target) in rapport_fuzz::TARGETS {
        target(b"");
        for choice in 0..=u8::MAX {
            target(&[choice]);
        }
    }
}
