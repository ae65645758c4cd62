//! Mailbox import (an mbox file, or a folder of `.eml` files, RFC 5322 with
//! MIME, read through mail-parser): every message becomes an `email`
//! activity of the account its customer-side addresses belong to.
//! `docs/mail.md` maps each header to the contract; in short:
//!
//! - `id` is the `Message-ID` (so a re-import, or the same message in two
//!   people's mailboxes, is stored once); a message without one gets
//!   `mail:` and a digest of its sender, instant, subject and recipients;
//! - `thread` is named by the thread's first message ([`threads`]), so a
//!   thread spread over several imports stays one;
//! - `direction`: outbound when `From` is on one of our team's domains;
//! - the account: for an inbound message its `From`, for an outbound one its
//!   `To` and `Cc` outside our domains, matched against the stored contacts,
//!   else their domains ([`crate::directory`]); a message that matches no account,
//!   or several, is listed with the reason and not imported; one with only
//!   our own addresses is internal, counted and skipped;
//! - `at` is `Date`; when that is missing, not a date or more than a day in
//!   the future, the topmost `Received` header's date, else the mbox `From `
//!   line's (the message is listed with the fallback used); with none the
//!   message is rejected;
//! - `subject` is decoded (RFC 2047) and cut to 200 characters; bodies and
//!   attachments are never decoded nor stored: only the header block is read.

pub mod headers;
pub mod mailbox;
pub mod threads;

#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use rapport_core::activity::Direction;
use rapport_core::{Activity, ActivityDetail, Email, ExternalId, Timestamp};

pub use crate::directory::ContactDirectory;
pub use threads::{StoredEmail, normalised_subject};

use self::headers::{MessageHeaders, header_parser, read_headers};
use self::mailbox::{CountingReader, Messages, RawMessage, files_of};
use self::threads::{ThreadInput, resolve_threads};
use crate::directory::domain_of;

/// The longest subject kept, in characters: enough to read, not a body.
pub const SUBJECT_MAX_CHARS: usize = 200;

/// What a mail import needs besides the mailbox.
#[derive(Debug, Clone)]
pub struct MailOptions {
    /// Our team's e-mail domains (lowercase): mail from one is outbound.
    pub team_domains: Vec<String>,
    /// The import's now: a `Date` more than a day after it is not believed.
    pub now: Timestamp,
}

/// Where a message is: its file, its 1-based index there (1 for an `.eml`),
/// the line it starts on, and its `Message-ID` when it has one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessagePlace {
    pub file: PathBuf,
    pub index: u64,
    pub line: u64,
    /// Whether the file is an mbox (then index and line tell messages apart).
    pub in_mbox: bool,
    pub message_id: Option<String>,
}

/// A message left out (or dated otherwise than by its `Date`), and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageProblem {
    pub place: MessagePlace,
    pub reason: String,
}

/// `FILE:INDEX (line N) <Message-ID>: reason`, the line for an mbox only.
impl fmt::Display for MessageProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = &self.place;
        write!(formatter, "{}:{}", place.file.display(), place.index)?;
        if place.in_mbox {
            write!(formatter, " (line {})", place.line)?;
        }
        if let Some(id) = &place.message_id {
            write!(formatter, " <{id}>")?;
        }
        write!(formatter, ": {}", self.reason)
    }
}

/// What reading mail gave: the e-mails and everything left out.
#[derive(Debug, Default)]
pub struct MailActivities {
    pub emails: Vec<(MessagePlace, Activity)>,
    /// Messages read, whatever became of them.
    pub messages: u64,
    /// Messages that cannot be an activity (no sender, no instant, no headers).
    pub rejected: Vec<MessageProblem>,
    /// Messages no account, or several, could be given.
    pub unmatched: Vec<MessageProblem>,
    /// Messages with only our team's addresses.
    pub internal: u64,
    /// Messages dated by a `Received` header or the mbox `From ` line.
    pub redated: Vec<MessageProblem>,
    /// Files that could not be read, or not to their end (the messages
    /// before the failure are kept).
    pub file_errors: Vec<(PathBuf, String)>,
}

/// A message read and given an account, waiting for its thread.
struct Pending {
    place: MessagePlace,
    id: String,
    headers: MessageHeaders,
    subject: Option<String>,
    account: ExternalId,
    direction: Direction,
}

/// Reads mail file by file, then names the threads of everything read.
pub struct MailReader<'d> {
    directory: &'d ContactDirectory,
    options: MailOptions,
    parser: mail_parser::MessageParser,
    pending: Vec<Pending>,
    read: MailActivities,
}

impl<'d> MailReader<'d> {
    pub fn new(directory: &'d ContactDirectory, options: MailOptions) -> Self {
        MailReader {
            directory,
            options,
            parser: header_parser(),
            pending: Vec::new(),
            read: MailActivities::default(),
        }
    }

    /// Reads one file: an mbox, or one message.
    pub fn read_file(&mut self, file: &Path, reader: impl BufRead) {
        let messages = match Messages::new(reader) {
            Ok(messages) => messages,
            Err(error) => {
                self.read
                    .file_errors
                    .push((file.to_path_buf(), format!("cannot read: {error}")));
                return;
            }
        };
        let in_mbox = messages.is_mbox();
        let mut read_here = 0;
        for message in messages {
            match message {
                Ok(message) => {
                    read_here += 1;
                    self.read_message(file, in_mbox, message);
                }
                Err(error) => {
                    let reason = if read_here == 0 {
                        format!("cannot read: {error}")
                    } else {
                        format!("cannot read past message {read_here}: {error}")
                    };
                    self.read.file_errors.push((file.to_path_buf(), reason));
                }
            }
        }
    }

    fn read_message(&mut self, file: &Path, in_mbox: bool, message: RawMessage) {
        self.read.messages += 1;
        let mut place = MessagePlace {
            file: file.to_path_buf(),
            index: message.index,
            line: message.line,
            in_mbox,
            message_id: None,
        };
        let headers = match read_headers(
            &self.parser,
            &message.bytes,
            message.envelope_date,
            self.options.now,
        ) {
            Ok(headers) => headers,
            Err(reason) => {
                // The id, when the headers got that far, names the message.
                place.message_id = self
                    .parser
                    .parse_headers(&message.bytes)
                    .and_then(|parsed| parsed.message_id().map(str::to_string));
                self.read.rejected.push(MessageProblem { place, reason });
                return;
            }
        };
        place.message_id = headers.message_id.clone();
        if let Some(note) = &headers.date_note {
            self.read.redated.push(MessageProblem {
                place: place.clone(),
                reason: note.clone(),
            });
        }
        let ours = |email: &Email| {
            domain_of(email.as_str())
                .is_some_and(|domain| self.options.team_domains.iter().any(|own| own == domain))
        };
        let direction = if ours(&headers.from) {
            Direction::Outbound
        } else {
            Direction::Inbound
        };
        // The customer's side: who wrote in, or whom we wrote to.
        let customer: Vec<&str> = match direction {
            Direction::Inbound => vec![headers.from.as_str()],
            Direction::Outbound => headers
                .recipients
                .iter()
                .filter(|email| !ours(email))
                .map(Email::as_str)
                .collect(),
        };
        if customer.is_empty() {
            self.read.internal += 1;
            return;
        }
        let account = match self.directory.account_of(&customer) {
            Ok(account) => account,
            Err(no_account) => {
                self.read.unmatched.push(MessageProblem {
                    place,
                    reason: no_account.to_string(),
                });
                return;
            }
        };
        let subject = headers.subject.as_deref().map(short_subject);
        let id = match &headers.message_id {
            Some(id) => id.clone(),
            None => made_up_id(&headers, subject.as_deref()),
        };
        self.pending.push(Pending {
            place,
            id,
            headers,
            subject,
            account,
            direction,
        });
    }

    /// Names the threads (`stored` gives an account's stored e-mails, asked
    /// only when a message's thread may be there) and makes the activities.
    pub fn finish(mut self, stored: impl FnMut(&ExternalId) -> Vec<StoredEmail>) -> MailActivities {
        let inputs: Vec<ThreadInput<'_>> = self
            .pending
            .iter()
            .map(|pending| ThreadInput {
                account: &pending.account,
                id: &pending.id,
                in_reply_to: pending.headers.in_reply_to.as_deref(),
                references: &pending.headers.references,
                subject: pending.subject.as_deref(),
                at: pending.headers.at,
            })
            .collect();
        let threads = resolve_threads(&inputs, stored);
        drop(inputs);
        self.read.emails = self
            .pending
            .into_iter()
            .zip(threads)
            .map(|(pending, thread)| {
                let activity = Activity {
                    source_id: Some(pending.id),
                    account: pending.account,
                    at: pending.headers.at,
                    detail: ActivityDetail::Email {
                        direction: pending.direction,
                        thread,
                        from: pending.headers.from,
                        to: pending.headers.recipients,
                        subject: pending.subject,
                    },
                };
                (pending.place, activity)
            })
            .collect();
        self.read
    }
}

/// The subject as stored: at most [`SUBJECT_MAX_CHARS`] characters, the
/// last an ellipsis when it was cut.
pub fn short_subject(subject: &str) -> String {
    if subject.chars().count() <= SUBJECT_MAX_CHARS {
        return subject.to_string();
    }
    let mut short: String = subject.chars().take(SUBJECT_MAX_CHARS - 1).collect();
    short.push('…');
    short
}

/// An id for a message without `Message-ID`: the same for the same message
/// in every import.
fn made_up_id(headers: &MessageHeaders, subject: Option<&str>) -> String {
    let mut digest = sha1_smol::Sha1::new();
    digest.update(headers.from.as_str().as_bytes());
    digest.update(&headers.at.millis().to_le_bytes());
    digest.update(subject.unwrap_or("").as_bytes());
    for recipient in &headers.recipients {
        digest.update(b"\n");
        digest.update(recipient.as_str().as_bytes());
    }
    format!("mail:{}", digest.digest())
}

// ---------------------------------------------------------------------------
// Into the store
// ---------------------------------------------------------------------------

/// What importing a mailbox did.
#[derive(Debug, Clone, Default)]
pub struct MailReport {
    /// The file or folder named.
    pub path: PathBuf,
    /// Files read (1 for an mbox or an `.eml`).
    pub files: u64,
    pub messages: u64,
    /// E-mails written, and those the store already had (same `Message-ID`).
    pub inserted: u64,
    pub unchanged: u64,
    pub rejected: Vec<MessageProblem>,
    pub unmatched: Vec<MessageProblem>,
    pub internal: u64,
    pub redated: Vec<MessageProblem>,
    pub file_errors: Vec<(PathBuf, String)>,
    /// Why nothing could be done, or the write failed (then nothing was written).
    pub fatal: Option<String>,
}

impl MailReport {
    /// E-mails the import wrote or found stored.
    pub fn imported_or_unchanged(&self) -> u64 {
        self.inserted + self.unchanged
    }
}

/// Imports a mailbox: an mbox file, one `.eml`, or a folder of `.eml` files.
/// The e-mails go to the store in one transaction; a re-import stores
/// nothing twice.
pub fn import_mail(
    store: &dyn rapport_store::Store,
    path: &Path,
    options: &MailOptions,
    progress: &dyn crate::ImportProgress,
) -> MailReport {
    let mut report = MailReport {
        path: path.to_path_buf(),
        ..MailReport::default()
    };
    if options.team_domains.is_empty() {
        report.fatal = Some(
            "no team domains are set (team_domains in rapport.toml, or RAPPORT_TEAM_DOMAINS): \
             without them our mail cannot be told from the customer's"
                .into(),
        );
        return report;
    }
    let files = match files_of(path) {
        Ok(files) if files.is_empty() => {
            report.fatal = Some("the folder holds no .eml file".into());
            return report;
        }
        Ok(files) => files,
        Err(error) => {
            report.fatal = Some(format!("cannot read: {error}"));
            return report;
        }
    };
    let contacts = match store.contacts() {
        Ok(contacts) => contacts,
        Err(error) => {
            report.fatal = Some(format!("cannot read the stored contacts: {error}"));
            return report;
        }
    };
    let directory = ContactDirectory::new(&contacts);
    let total_bytes = files
        .iter()
        .filter_map(|file| std::fs::metadata(file).ok())
        .map(|metadata| metadata.len())
        .sum();
    progress.start(path, total_bytes);
    let bytes_read = Cell::new(0u64);
    let mut reader = MailReader::new(&directory, options.clone());
    for file in &files {
        report.files += 1;
        match std::fs::File::open(file) {
            Ok(opened) => {
                let counting = CountingReader {
                    inner: opened,
                    on_bytes: |bytes| {
                        bytes_read.set(bytes_read.get() + bytes);
                        progress.advance_to(bytes_read.get());
                    },
                };
                reader.read_file(
                    file,
                    std::io::BufReader::with_capacity(256 * 1024, counting),
                );
            }
            Err(error) => report
                .file_errors
                .push((file.clone(), format!("cannot read: {error}"))),
        }
    }
    progress.finish();
    let mut store_error = None;
    let read = reader.finish(|account| match store.account_activities(account) {
        Ok(activities) => activities.iter().filter_map(StoredEmail::of).collect(),
        Err(error) => {
            store_error.get_or_insert(error);
            Vec::new()
        }
    });
    report.messages = read.messages;
    report.rejected = read.rejected;
    report.unmatched = read.unmatched;
    report.internal = read.internal;
    report.redated = read.redated;
    report.file_errors.extend(read.file_errors);
    if let Some(error) = store_error {
        report.fatal = Some(format!(
            "cannot read the stored e-mails to join their threads, nothing was written: {error}"
        ));
        return report;
    }
    let emails: Vec<Activity> = read
        .emails
        .into_iter()
        .map(|(_, activity)| activity)
        .collect();
    if !emails.is_empty() {
        match crate::import::insert_counting(store, &emails) {
            Ok((inserted, unchanged)) => {
                report.inserted += inserted;
                report.unchanged += unchanged;
            }
            Err(error) => {
                report.fatal = Some(format!(
                    "the store refused the e-mails, nothing of them was written: {error}"
                ));
            }
        }
    }
    if report.messages == 0 && report.file_errors.len() as u64 == report.files {
        // Nothing was read: that is the import's failure, said once.
        let reason = match report.file_errors.as_slice() {
            [(_, reason)] => reason.clone(),
            _ => "no file could be read".into(),
        };
        report.fatal.get_or_insert(reason);
        if report.files == 1 {
            report.file_errors.clear();
        }
    }
    report
}
