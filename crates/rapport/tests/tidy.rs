//! Tidy checks: the invariants of ARCHITECTURE.md, enforced rather than hoped for.

use std::path::{Path, PathBuf};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            found.push(path);
        }
    }
}

/// The crate that scores must stay pure: no IO, async, database, HTTP or clock.
#[test]
fn core_has_no_io_dependencies() {
    let manifest =
        std::fs::read_to_string(workspace_root().join("crates/rapport-core/Cargo.toml")).unwrap();
    let forbidden = [
        "tokio",
        "async-std",
        "axum",
        "hyper",
        "reqwest",
        "rusqlite",
        "sqlx",
        "postgres",
        "rapport-store",
        "rapport-server",
        "rapport-ingest",
        "tracing-subscriber",
        "rand",
    ];
    for line in manifest.lines() {
        let name = line.split(['=', '.']).next().unwrap_or("").trim();
        assert!(
            !forbidden.contains(&name),
            "rapport-core must not depend on `{name}`"
        );
        assert!(
            !(line.contains("chrono") && line.contains("clock")),
            "rapport-core must not enable chrono's clock"
        );
    }
    let mut files = Vec::new();
    rust_files(
        &workspace_root().join("crates/rapport-core/src"),
        &mut files,
    );
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for needle in [
            "std::fs",
            "std::net",
            "std::process",
            "SystemTime",
            "Instant::now",
            "Utc::now",
            "Local::now",
        ] {
            assert!(
                !text.contains(needle),
                "{} uses `{needle}`: the core does no IO and reads no clock",
                file.display()
            );
        }
    }
}

/// Every module says what it is for.
#[test]
fn every_module_has_a_doc_comment() {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(workspace_root().join("crates")).unwrap() {
        let crate_dir = entry.unwrap().path();
        for sub in ["src", "tests", "benches", "examples"] {
            let dir = crate_dir.join(sub);
            if dir.is_dir() {
                rust_files(&dir, &mut files);
            }
        }
    }
    assert!(files.len() > 10, "found only {} files", files.len());
    let undocumented: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            !text.trim_start().starts_with("//!")
        })
        .map(|file| file.display().to_string())
        .collect();
    assert!(
        undocumented.is_empty(),
        "modules without a //! doc: {undocumented:#?}"
    );
}

/// ARCHITECTURE.md names every crate of the workspace.
#[test]
fn architecture_names_every_crate() {
    let map = std::fs::read_to_string(workspace_root().join("ARCHITECTURE.md")).unwrap();
    for entry in std::fs::read_dir(workspace_root().join("crates")).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            map.contains(&format!("`{name}`")),
            "ARCHITECTURE.md does not describe `{name}`"
        );
    }
}

/// The CLI and the HTTP surface call the application layer for every use
/// case: they never write to the store themselves (a rule that lives at one
/// edge only is how the CLI and the API came to disagree), and the CLI reaches
/// into the server crate only to serve (`serve`, and `bench`, which times the API).
#[test]
fn surfaces_write_only_through_the_application_layer() {
    let writes = [
        ".upsert_accounts(",
        ".upsert_contacts(",
        ".upsert_features(",
        ".insert_activities(",
        ".upsert_outcomes(",
        ".put_goal(",
        ".delete_goal(",
        ".edit_goals(",
        ".record_override_event(",
        ".append_override_event(",
        ".write_alerts(",
        ".reconcile_alerts(",
        ".update_alert(",
        ".add_webhook(",
        ".remove_webhook(",
        ".enqueue_deliveries(",
        ".record_delivery_attempt(",
        ".put_snapshot(",
        ".record_person_activity(",
        ".create_share_link(",
        ".revoke_share_link(",
        ".open_share_link(",
        "rapport_ingest::import_",
    ];
    for dir in ["crates/rapport/src", "crates/rapport-server/src"] {
        let mut files = Vec::new();
        rust_files(&workspace_root().join(dir), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for line in text.lines() {
                for write in writes {
                    // `app.add_webhook(` is the application's; `store.…(` is not.
                    let direct = line.contains(&format!("store{write}"))
                        || line.contains(&format!("store(){write}"))
                        || (write.starts_with("rapport_ingest") && line.contains(write));
                    assert!(
                        !direct,
                        "{} writes to the store itself: `{}`",
                        file.display(),
                        line.trim()
                    );
                }
            }
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            if dir == "crates/rapport/src" && name != "serve.rs" && name != "bench.rs" {
                assert!(
                    !text.contains("rapport_server::"),
                    "{} reaches into the server crate",
                    file.display()
                );
            }
        }
    }
}

/// The core's modules, grouped by subdomain, and which group may import
/// which: lower groups never import higher ones, so no import circle can form.
/// A new top-level module must be placed in a group here.
const CORE_GROUPS: &[(&str, &[&str])] = &[
    ("domain", &["domain", "activity", "time"]),
    ("stats", &["stats"]),
    ("numbers", &["numbers"]),
    ("validation", &["validation"]),
    ("access", &["access"]),
    ("success", &["success"]),
    ("engine", &["engine"]),
    ("scoring", &["scoring"]),
    ("engagement", &["engagement"]),
    ("health", &["health"]),
    ("alerts", &["alerts"]),
    ("account_success", &["account_success"]),
    ("portfolio", &["portfolio"]),
    ("tasks", &["tasks"]),
];

const CORE_ALLOWED_IMPORTS: &[(&str, &[&str])] = &[
    ("domain", &[]),
    ("stats", &[]),
    ("numbers", &[]),
    ("validation", &[]),
    ("access", &["domain"]),
    ("success", &["domain", "stats", "validation"]),
    ("engine", &["domain", "success"]),
    ("scoring", &["domain", "engine", "validation"]),
    ("engagement", &["domain", "engine", "scoring", "stats"]),
    (
        "health",
        &["domain", "engine", "scoring", "engagement", "success"],
    ),
    (
        "alerts",
        &[
            "domain",
            "engine",
            "scoring",
            "engagement",
            "health",
            "validation",
        ],
    ),
    ("account_success", &["domain", "engine", "success"]),
    (
        "portfolio",
        &[
            "domain",
            "access",
            "engine",
            "scoring",
            "engagement",
            "health",
            "alerts",
        ],
    ),
    ("tasks", &["domain", "engine", "health", "validation"]),
];

fn core_group(module: &str) -> Option<&'static str> {
    CORE_GROUPS
        .iter()
        .find(|(_, modules)| modules.contains(&module))
        .map(|(group, _)| *group)
}

#[test]
fn core_groups_import_only_what_the_table_allows() {
    let source = workspace_root().join("crates/rapport-core/src");
    let mut files = Vec::new();
    rust_files(&source, &mut files);
    let mut refused = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&source).unwrap();
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "lib" {
            continue;
        }
        let group = core_group(&top)
            .unwrap_or_else(|| panic!("core module `{top}` is in no group of CORE_GROUPS"));
        let allowed = CORE_ALLOWED_IMPORTS
            .iter()
            .find(|(name, _)| *name == group)
            .map(|(_, allowed)| *allowed)
            .unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        for (index, _) in text.match_indices("crate::") {
            let rest = &text[index + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|character| character.is_ascii_alphanumeric() || *character == '_')
                .collect();
            // `crate::{…}` and `crate::Type` are the root's re-exports of the domain.
            let imported = if name.is_empty() || name.starts_with(char::is_uppercase) {
                "domain"
            } else {
                core_group(&name)
                    .unwrap_or_else(|| panic!("{}: unknown module `{name}`", file.display()))
            };
            // `numbers` (how figures are written) is a leaf every group may use.
            if imported != group && imported != "numbers" && !allowed.contains(&imported) {
                refused.push(format!(
                    "{} ({group}) imports {imported}",
                    relative.display()
                ));
            }
        }
    }
    refused.sort();
    refused.dedup();
    assert!(
        refused.is_empty(),
        "imports the table refuses: {refused:#?}"
    );
}
