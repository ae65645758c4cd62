//! Threads: which conversation a message belongs to, named by the id of the
//! message that started it, so that the same thread gets the same name in
//! every import, whatever else each import holds.
//!
//! For each message, in this order:
//!
//! 1. `References` (oldest first): the thread of the first referenced message
//!    this import holds, else the first id itself: the root, by RFC 5322
//!    §3.6.4 the first entry (the store is not read for these);
//! 2. else `In-Reply-To`: the thread of the parent when known, else the
//!    parent's id (a reply to a thread's first message names it so);
//! 3. else, when the subject carries a reply or forward prefix (`Re:`,
//!    `Fwd:`, `AW:`, `SV:`, …), the subject fallback: the thread of the
//!    account's message with the same normalised subject (this import's or
//!    the store's), the latest at or before this one, else the earliest
//!    after; with none, `subject:` and a digest of the account and the
//!    normalised subject, the same in every import;
//! 4. else the message starts a thread: its own id.

use std::collections::HashMap;

use rapport_core::{Activity, ActivityDetail, ExternalId, Timestamp};

/// Reply and forward prefixes in the languages mail clients write them:
/// English `Re`, `Fw`, `Fwd`; German `AW` (Antwort), `WG` (Weitergeleitet);
/// Scandinavian `SV` (svar), `VS`, `VB`, `VL`; Dutch `Antw`, `Doorst`;
/// French `TR`; Spanish and Portuguese `RV`, `ENC`; Italian `RIF`; Polish
/// `Odp`, `PD`; Turkish `YNT`, `ILT`. (Italian `R:` and `I:` are left out:
/// too easily a subject's own words.)
pub const REPLY_PREFIXES: &[&str] = &[
    "re", "fw", "fwd", "aw", "wg", "sv", "vs", "vb", "vl", "antw", "doorst", "tr", "rv", "enc",
    "rif", "odp", "pd", "ynt", "ilt",
];

/// A subject as threads compare it: reply and forward prefixes removed, again
/// and again (`Re: AW: Fwd: x`, `Re[2]: x`, `RE :x`), white space made one
/// space, lowercase. The flag tells whether any prefix was removed.
pub fn normalised_subject(subject: &str) -> (String, bool) {
    let mut rest = subject.trim();
    let mut stripped = false;
    while let Some(after) = strip_prefix(rest) {
        rest = after.trim_start();
        stripped = true;
    }
    let normalised = rest
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    (normalised, stripped)
}

/// `rest` after one leading prefix: letters from [`REPLY_PREFIXES`], an
/// optional counter (`[2]`, `(2)`), optional spaces, then `:` (or a full-width `：`).
fn strip_prefix(text: &str) -> Option<&str> {
    let word_end = text
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(text.len(), |(at, _)| at);
    let word = &text[..word_end];
    if word.is_empty()
        || !REPLY_PREFIXES
            .iter()
            .any(|prefix| word.eq_ignore_ascii_case(prefix))
    {
        return None;
    }
    let mut rest = text[word_end..].trim_start_matches(' ');
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(inner) = rest.strip_prefix(open)
            && let Some(end) = inner.find(close)
            && inner[..end].chars().all(|c| c.is_ascii_digit())
        {
            rest = &inner[end + close.len_utf8()..];
        }
    }
    let rest = rest.trim_start_matches(' ');
    rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))
}

/// The subject fallback's thread name: the same for an account and a
/// normalised subject in every import.
pub fn subject_thread(account: &ExternalId, normalised: &str) -> String {
    let mut digest = sha1_smol::Sha1::new();
    digest.update(account.as_str().as_bytes());
    digest.update(b"\n");
    digest.update(normalised.as_bytes());
    let hex = digest.digest().to_string();
    format!("subject:{}", &hex[..16])
}

/// An e-mail already in the store, as threads need it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEmail {
    /// Its source id (a message's `Message-ID`).
    pub id: Option<String>,
    pub thread: String,
    pub subject: Option<String>,
    pub at: Timestamp,
}

impl StoredEmail {
    /// The e-mail among stored activities; `None` for other kinds.
    pub fn of(activity: &Activity) -> Option<StoredEmail> {
        match &activity.detail {
            ActivityDetail::Email {
                thread, subject, ..
            } => Some(StoredEmail {
                id: activity.source_id.clone(),
                thread: thread.clone(),
                subject: subject.clone(),
                at: activity.at,
            }),
            _ => None,
        }
    }
}

/// A message being imported, as threads need it.
#[derive(Debug, Clone)]
pub struct ThreadInput<'a> {
    pub account: &'a ExternalId,
    /// Its `Message-ID` (or the id made for it).
    pub id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub references: &'a [String],
    /// The subject as it will be stored.
    pub subject: Option<&'a str>,
    pub at: Timestamp,
}

/// How deep a chain of replies known only by `In-Reply-To` is followed
/// within one import before a message is named after its parent: real
/// threads carry `References`, which need one step.
const MAX_DEPTH: usize = 256;

/// What the store knows of one account's e-mails.
#[derive(Default)]
struct KnownEmails {
    threads: HashMap<String, String>,
    by_subject: HashMap<String, Vec<(Timestamp, String)>>,
}

/// Names every message's thread (see the module's doc). `stored` is asked
/// once per account, and only for accounts with a message that has no
/// `References` and whose parent or subject is not in this import.
pub fn resolve_threads(
    messages: &[ThreadInput<'_>],
    mut stored: impl FnMut(&ExternalId) -> Vec<StoredEmail>,
) -> Vec<String> {
    let mut resolver = Resolver {
        messages,
        position: HashMap::new(),
        by_subject: HashMap::new(),
        threads: vec![None; messages.len()],
        visiting: vec![false; messages.len()],
        known: HashMap::new(),
        stored: &mut stored,
    };
    for (index, message) in messages.iter().enumerate() {
        resolver.position.entry(message.id).or_insert(index);
        let has_reply_headers = !message.references.is_empty() || message.in_reply_to.is_some();
        if let Some(subject) = message.subject {
            let (normalised, is_reply) = normalised_subject(subject);
            // Only messages placed by their headers (or starting a thread)
            // are what a subject fallback joins.
            if !normalised.is_empty() && (has_reply_headers || !is_reply) {
                resolver
                    .by_subject
                    .entry((message.account.as_str(), normalised))
                    .or_default()
                    .push(index);
            }
        }
    }
    // In time order, so a parent is named before its replies and chains stay shallow.
    let mut order: Vec<usize> = (0..messages.len()).collect();
    order.sort_by_key(|index| messages[*index].at);
    for index in order {
        resolver.thread(index, 0);
    }
    resolver
        .threads
        .into_iter()
        .enumerate()
        .map(|(index, thread)| thread.unwrap_or_else(|| messages[index].id.to_string()))
        .collect()
}

struct Resolver<'m, 'a, F> {
    messages: &'m [ThreadInput<'a>],
    position: HashMap<&'a str, usize>,
    by_subject: HashMap<(&'a str, String), Vec<usize>>,
    threads: Vec<Option<String>>,
    visiting: Vec<bool>,
    known: HashMap<ExternalId, KnownEmails>,
    stored: &'m mut F,
}

impl<F: FnMut(&ExternalId) -> Vec<StoredEmail>> Resolver<'_, '_, F> {
    fn thread(&mut self, index: usize, depth: usize) -> String {
        if let Some(thread) = &self.threads[index] {
            return thread.clone();
        }
        let message = self.messages[index].clone();
        if self.visiting[index] || depth > MAX_DEPTH {
            // A loop of references, or a chain too long: the message's own id.
            return message.id.to_string();
        }
        self.visiting[index] = true;
        let thread = if let Some(first) = message.references.first() {
            // The store is not asked: the first id is the root, and reading
            // an account's stored activities for every reply would make an
            // import of new replies to old threads read whole accounts.
            message
                .references
                .iter()
                .find_map(|id| self.imported_thread(id, index, depth))
                .unwrap_or_else(|| first.clone())
        } else if let Some(parent) = message.in_reply_to {
            self.known_thread(message.account, parent, index, depth)
                .unwrap_or_else(|| parent.to_string())
        } else {
            match message.subject.map(normalised_subject) {
                Some((normalised, true)) if !normalised.is_empty() => self
                    .subject_match(message.account, &normalised, message.at, depth)
                    .unwrap_or_else(|| subject_thread(message.account, &normalised)),
                _ => message.id.to_string(),
            }
        };
        self.visiting[index] = false;
        self.threads[index] = Some(thread.clone());
        thread
    }

    /// The thread of message `id` when this import has it (another message
    /// than `asking`).
    fn imported_thread(&mut self, id: &str, asking: usize, depth: usize) -> Option<String> {
        let other = *self.position.get(id)?;
        (other != asking).then(|| self.thread(other, depth + 1))
    }

    /// The thread of message `id` when this import or the store (for
    /// `account`) has it.
    fn known_thread(
        &mut self,
        account: &ExternalId,
        id: &str,
        asking: usize,
        depth: usize,
    ) -> Option<String> {
        self.imported_thread(id, asking, depth)
            .or_else(|| self.known(account).threads.get(id).cloned())
    }

    /// The thread of the account's message with this normalised subject:
    /// the latest at or before `at`, else the earliest after.
    fn subject_match(
        &mut self,
        account: &ExternalId,
        normalised: &str,
        at: Timestamp,
        depth: usize,
    ) -> Option<String> {
        let mut candidates: Vec<(Timestamp, String)> = Vec::new();
        let key = (account.as_str(), normalised.to_string());
        let in_import = self.by_subject.get(&key).cloned().unwrap_or_default();
        for other in in_import {
            if !self.visiting[other] {
                let thread = self.thread(other, depth + 1);
                candidates.push((self.messages[other].at, thread));
            }
        }
        if let Some(stored) = self.known(account).by_subject.get(normalised) {
            candidates.extend(stored.iter().cloned());
        }
        let before = candidates
            .iter()
            .filter(|(when, _)| *when <= at)
            .max_by_key(|(when, _)| *when);
        let after = candidates
            .iter()
            .filter(|(when, _)| *when > at)
            .min_by_key(|(when, _)| *when);
        before.or(after).map(|(_, thread)| thread.clone())
    }

    fn known(&mut self, account: &ExternalId) -> &KnownEmails {
        if !self.known.contains_key(account) {
            let mut known = KnownEmails::default();
            for email in (self.stored)(account) {
                if let Some(subject) = &email.subject {
                    let (normalised, _) = normalised_subject(subject);
                    if !normalised.is_empty() {
                        known
                            .by_subject
                            .entry(normalised)
                            .or_default()
                            .push((email.at, email.thread.clone()));
                    }
                }
                if let Some(id) = email.id {
                    known.threads.insert(id, email.thread);
                }
            }
            self.known.insert(account.clone(), known);
        }
        &self.known[account]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_stripped_again_and_again_in_many_languages() {
        let cases = [
            ("Renewal", ("renewal", false)),
            ("Re: Renewal", ("renewal", true)),
            ("RE: AW: Fwd:  Renewal   plan", ("renewal plan", true)),
            ("Re[2]: Renewal", ("renewal", true)),
            ("Re (3) : Renewal", ("renewal", true)),
            ("SV: Sv: renewal", ("renewal", true)),
            ("WG: Antw: Renewal", ("renewal", true)),
            ("Réponse: x", ("réponse: x", false)),
            ("Regarding: x", ("regarding: x", false)),
            ("Re:", ("", true)),
            ("Re：全角", ("全角", true)),
        ];
        for (subject, (normalised, stripped)) in cases {
            assert_eq!(
                normalised_subject(subject),
                (normalised.to_string(), stripped),
                "{subject}"
            );
        }
    }

    #[test]
    fn the_subject_thread_is_the_same_for_the_same_account_and_subject() {
        let acme = ExternalId::parse("acme").unwrap();
        let globex = ExternalId::parse("globex").unwrap();
        let thread = subject_thread(&acme, "renewal");
        assert!(
            thread.starts_with("subject:") && thread.len() == 24,
            "{thread}"
        );
        assert_eq!(thread, subject_thread(&acme, "renewal"));
        assert_ne!(thread, subject_thread(&globex, "renewal"));
        assert_ne!(thread, subject_thread(&acme, "renewal plan"));
    }
}
