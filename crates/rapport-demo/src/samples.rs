//! Sample files of the sources Rapport reads besides its own contract (a
//! calendar, a mailbox, Zendesk, Salesforce and HubSpot exports, a Segment
//! batch), made against the default demo portfolio's accounts and contacts
//! and compiled into the binary, so an installed `rapport generate` writes
//! them next to the contract files without the source tree. The contract
//! files are not touched: `rapport import DIR` reads only their names.

use std::path::Path;

use crate::DemoError;

/// The folder, inside a generated portfolio's, that holds the samples.
pub const SAMPLES_DIR: &str = "samples";

/// One sample: its path under [`SAMPLES_DIR`] (`/`-separated) and its bytes.
#[derive(Clone, Copy, Debug)]
pub struct SampleFile {
    pub path: &'static str,
    pub bytes: &'static [u8],
}

macro_rules! sample {
    ($path:literal) => {
        SampleFile {
            path: $path,
            bytes: include_bytes!(concat!("../samples/", $path)),
        }
    };
}

/// Every sample, `README.md` (the command that imports each one and what it
/// changes) first.
pub const SAMPLES: &[SampleFile] = &[
    sample!("README.md"),
    sample!("calendar/ourco-csm-calendar.ics"),
    sample!("mail/ourco-csm-mailbox.mbox"),
    sample!("helpdesk/zendesk-tickets.csv"),
    sample!("helpdesk/zendesk-tickets.json"),
    sample!("crm/salesforce-accounts.csv"),
    sample!("crm/salesforce-contacts.csv"),
    sample!("crm/hubspot-companies.csv"),
    sample!("crm/hubspot-contacts.csv"),
    sample!("segment/batch.json"),
];

/// Writes every sample into `out_dir/samples/` (folders created as needed;
/// files already there replaced). Returns how many files were written.
pub fn write_samples(out_dir: &Path) -> Result<usize, DemoError> {
    let root = out_dir.join(SAMPLES_DIR);
    for sample in SAMPLES {
        let path = sample
            .path
            .split('/')
            .fold(root.clone(), |path, part| path.join(part));
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| DemoError::CreateDir {
                path: folder.to_path_buf(),
                source,
            })?;
        }
        std::fs::write(&path, sample.bytes).map_err(|source| DemoError::Io { path, source })?;
    }
    Ok(SAMPLES.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the samples folder is shipped, and nothing else is.
    #[test]
    fn every_file_of_the_samples_folder_is_shipped() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(SAMPLES_DIR);
        let mut on_disk = Vec::new();
        for folder in std::fs::read_dir(&root).unwrap() {
            let folder = folder.unwrap().path();
            let name = folder.file_name().unwrap().to_str().unwrap().to_owned();
            if folder.is_dir() {
                for file in std::fs::read_dir(&folder).unwrap() {
                    let file = file.unwrap().path();
                    let file = file.file_name().unwrap().to_str().unwrap().to_owned();
                    on_disk.push(format!("{name}/{file}"));
                }
            } else {
                on_disk.push(name);
            }
        }
        on_disk.sort();
        let mut shipped: Vec<_> = SAMPLES.iter().map(|sample| sample.path).collect();
        shipped.sort();
        assert_eq!(on_disk, shipped);
    }

    #[test]
    fn the_samples_are_written_under_samples() {
        let out = tempfile::tempdir().unwrap();
        assert_eq!(write_samples(out.path()).unwrap(), SAMPLES.len());
        for sample in SAMPLES {
            let written = std::fs::read(out.path().join("samples").join(sample.path)).unwrap();
            assert_eq!(written, sample.bytes, "{}", sample.path);
        }
        // Written again over themselves: the same files.
        assert_eq!(write_samples(out.path()).unwrap(), SAMPLES.len());
    }

    #[test]
    fn the_readme_names_every_sample() {
        let readme = std::str::from_utf8(SAMPLES[0].bytes).unwrap();
        for sample in &SAMPLES[1..] {
            assert!(
                readme.contains(&format!("samples/{}", sample.path)),
                "samples/README.md does not name {}",
                sample.path
            );
        }
    }
}
