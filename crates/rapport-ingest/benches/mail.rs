//! Mailbox import speed (not a test): writes a 10,000-message mbox shaped
//! like a customer-success mailbox (threads of one to six messages with
//! `References` and `In-Reply-To`, `Received` headers, multipart/alternative
//! quoted-printable bodies, a base64 attachment on every tenth message, RFC
//! 2047 subjects, newsletters no account has) for 200 accounts, then imports
//! it into a fresh SQLite store on disk, twice (the second finds every e-mail
//! stored), and reads it once more without a store, printing messages per
//! second for each. `cargo bench -p rapport-ingest --bench mail [-- MESSAGES]`.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use rapport_core::Timestamp;
use rapport_ingest::mail::{ContactDirectory, MailOptions, MailReader, import_mail};
use rapport_ingest::{ContractFile, NoProgress, import_file};

const ACCOUNTS: u64 = 200;
const CONTACTS_PER_ACCOUNT: u64 = 5;

/// xorshift64*: the same mailbox on every run without a dependency.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn contact(account: u64, index: u64) -> String {
    format!("person{index}.acct{account}@acct{account}.example")
}

fn csm(account: u64) -> String {
    format!("csm{}@ourco.example", account % 8)
}

const SUBJECTS: &[&str] = &[
    "Renewal plan for next year",
    "Quarterly business review agenda",
    "SSO configuration",
    "Invoice question",
    "Onboarding the new team",
    "API rate limits on bulk export",
    "Feature request: audit log export",
    "Training session follow-up",
];

/// One message of the mailbox, with the instant it is sorted by.
struct Written {
    at_seconds: i64,
    text: String,
}

fn rfc2822(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%a, %-d %b %Y %H:%M:%S +0000")
        .to_string()
}

fn asctime(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

fn body(random: &mut Random, with_attachment: bool) -> String {
    let mut text = String::new();
    let boundary = format!("b{:016x}", random.next());
    let outer = format!("m{:016x}", random.next());
    if with_attachment {
        let _ = write!(
            text,
            "Content-Type: multipart/mixed; boundary=\"{outer}\"\n\n--{outer}\n"
        );
    }
    let _ = write!(
        text,
        "Content-Type: multipart/alternative; boundary=\"{boundary}\"\n\n--{boundary}\n\
         Content-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    );
    for line in 0..20 {
        if line == 7 {
            // mboxrd quoting of a body line that starts with "From ".
            text.push_str(">From our side the numbers look right =E2=80=94 see below.\n");
        } else {
            let _ = writeln!(
                text,
                "Line {line} of the message: usage is up {}% since the last review, and the=\n team asked about seats.",
                random.below(40)
            );
        }
    }
    let _ = write!(
        text,
        "\n--{boundary}\nContent-Type: text/html; charset=\"UTF-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
    );
    for _ in 0..20 {
        text.push_str("<div dir=3D\"ltr\">Usage is up since the last review =E2=80=94 the team a=\nsked about seats.</div>\n");
    }
    let _ = write!(text, "\n--{boundary}--\n");
    if with_attachment {
        let _ = write!(
            text,
            "\n--{outer}\nContent-Type: application/pdf; name=\"report.pdf\"\n\
             Content-Disposition: attachment; filename=\"report.pdf\"\nContent-Transfer-Encoding: base64\n\n"
        );
        for _ in 0..400 {
            let _ = writeln!(
                text,
                "JVBERi0xLjQKJcfsj6IKMSAwIG9iago8PC9UeXBlL0NhdGFsb2c+PgplbmRvYmoKdHJh{:08x}",
                random.next() as u32
            );
        }
        let _ = write!(text, "\n--{outer}--\n");
    }
    text
}

/// The mailbox's messages, in time order, and how many are e-mails of an account.
fn mailbox(messages: u64) -> (String, u64) {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    let mut written: Vec<Written> = Vec::new();
    let start = 1_767_225_600; // 2026-01-01T00:00:00Z
    let mut thread = 0u64;
    let mut of_accounts = 0u64;
    while (written.len() as u64) < messages {
        thread += 1;
        let thread_start = start + (thread as i64) * 9_000 + random.below(3_600) as i64;
        if thread.is_multiple_of(50) {
            // A newsletter: no account has its sender.
            let at = thread_start;
            let text = format!(
                "Received: from mailer.vendor.example by mx.ourco.example; {date}\n\
                 From: Vendor News <news@vendor.example>\nTo: {to}\nSubject: This week {thread}\n\
                 Date: {date}\nMessage-ID: <news-{thread}@vendor.example>\n\
                 List-Unsubscribe: <mailto:unsubscribe@vendor.example>\nMIME-Version: 1.0\n{body}",
                date = rfc2822(at),
                to = csm(thread),
                body = body(&mut random, false),
            );
            written.push(Written {
                at_seconds: at,
                text,
            });
            continue;
        }
        let account = random.below(ACCOUNTS);
        let customer = contact(account, random.below(CONTACTS_PER_ACCOUNT));
        let ours = csm(account);
        let subject = SUBJECTS[random.below(SUBJECTS.len() as u64) as usize];
        let encoded = thread.is_multiple_of(10);
        let length = 1 + random.below(6);
        let mut outbound = random.below(2) == 0;
        let mut chain: Vec<String> = Vec::new();
        let mut at = thread_start;
        for position in 0..length {
            if written.len() as u64 >= messages {
                break;
            }
            let id = format!(
                "{thread}.{position}.{:x}@{}",
                random.next(),
                if outbound {
                    "mail.ourco.example"
                } else {
                    "mail.acct.example"
                }
            );
            let (from, to) = if outbound {
                (&ours, &customer)
            } else {
                (&customer, &ours)
            };
            let prefix = if position == 0 { "" } else { "Re: " };
            let subject_line = if encoded {
                format!(
                    "=?UTF-8?Q?{}{}_=E2=80=94_{}?=",
                    prefix.replace(' ', "_").replace(':', "=3A"),
                    subject.replace(' ', "_").replace(':', "=3A"),
                    account
                )
            } else {
                format!("{prefix}{subject} ({account})")
            };
            let mut headers = String::new();
            if !outbound {
                let _ = writeln!(
                    headers,
                    "Received: from mail.acct{account}.example (mail.acct{account}.example [198.51.100.{}])\n\
                     \tby mx.ourco.example with ESMTPS id {:x}\n\tfor <{ours}>; {}",
                    account % 250,
                    random.next(),
                    rfc2822(at)
                );
            }
            let _ = writeln!(headers, "From: Person <{from}>\nTo: <{to}>");
            if random.below(3) == 0 {
                let _ = writeln!(
                    headers,
                    "Cc: {}",
                    contact(account, random.below(CONTACTS_PER_ACCOUNT))
                );
            }
            let _ = writeln!(
                headers,
                "Subject: {subject_line}\nDate: {}\nMessage-ID: <{id}>",
                rfc2822(at)
            );
            if let Some(parent) = chain.last() {
                let _ = writeln!(headers, "In-Reply-To: <{parent}>");
                let references: Vec<String> = chain.iter().map(|id| format!("<{id}>")).collect();
                let _ = writeln!(headers, "References: {}", references.join("\n "));
            }
            headers.push_str("MIME-Version: 1.0\n");
            let with_attachment = random.below(10) == 0;
            let text = format!("{headers}{}", body(&mut random, with_attachment));
            written.push(Written {
                at_seconds: at,
                text,
            });
            of_accounts += 1;
            chain.push(id);
            outbound = !outbound;
            at += 600 + random.below(2 * 86_400) as i64;
        }
    }
    written.sort_by_key(|message| message.at_seconds);
    let mut mbox = String::new();
    for message in &written {
        let _ = write!(
            mbox,
            "From - {}\n{}\n",
            asctime(message.at_seconds),
            message.text
        );
    }
    (mbox, of_accounts)
}

fn seed_store(store: &dyn rapport_store::Store, folder: &Path, now: Timestamp) {
    let mut accounts = String::from("id,name,tier\n");
    let mut contacts = String::from("account,email\n");
    for account in 0..ACCOUNTS {
        let _ = writeln!(accounts, "acct{account},Account {account},core");
        for index in 0..CONTACTS_PER_ACCOUNT {
            let _ = writeln!(contacts, "acct{account},{}", contact(account, index));
        }
    }
    for (kind, name, text) in [
        (ContractFile::Accounts, "accounts.csv", accounts),
        (ContractFile::Contacts, "contacts.csv", contacts),
    ] {
        let path = folder.join(name);
        std::fs::write(&path, text).unwrap();
        let report = import_file(store, kind, &path, now, &NoProgress);
        assert!(
            report.fatal.is_none() && report.rejected.is_empty(),
            "{report:?}"
        );
    }
}

fn main() {
    let messages: u64 = std::env::args()
        .skip(1)
        .find_map(|argument| argument.parse().ok())
        .unwrap_or(10_000);
    let folder = tempfile::tempdir().unwrap();
    let now = Timestamp::parse_rfc3339("2026-12-01T00:00:00Z").unwrap();
    let (mbox, of_accounts) = mailbox(messages);
    let path = folder.path().join("mailbox.mbox");
    std::fs::write(&path, &mbox).unwrap();
    println!(
        "mailbox: {messages} messages ({of_accounts} of accounts), {:.1} MB",
        mbox.len() as f64 / 1e6
    );
    let store = rapport_store::open(&format!(
        "sqlite://{}",
        folder.path().join("bench.db").display()
    ))
    .unwrap();
    seed_store(&*store, folder.path(), now);
    let options = MailOptions {
        team_domains: vec!["ourco.example".into()],
        now,
    };
    for run in ["first import", "re-import (all stored)"] {
        let started = Instant::now();
        let report = import_mail(&*store, &path, &options, &NoProgress);
        let seconds = started.elapsed().as_secs_f64();
        assert!(report.fatal.is_none(), "{:?}", report.fatal);
        assert_eq!(report.messages, messages);
        assert_eq!(
            report.inserted + report.unchanged,
            of_accounts,
            "{:?}",
            report.rejected.first()
        );
        println!(
            "{run}: {} messages in {seconds:.2} s = {:.0} messages/s ({:.0} MB/s); inserted {}, unchanged {}, without an account {}",
            report.messages,
            report.messages as f64 / seconds,
            mbox.len() as f64 / 1e6 / seconds,
            report.inserted,
            report.unchanged,
            report.unmatched.len()
        );
    }
    let contacts = store.contacts().unwrap();
    let directory = ContactDirectory::new(&contacts);
    let started = Instant::now();
    let mut reader = MailReader::new(&directory, options);
    reader.read_file(
        &path,
        std::io::BufReader::new(std::fs::File::open(&path).unwrap()),
    );
    let read = reader.finish(|_| Vec::new());
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "reading alone (split, headers, accounts, threads; no store): {} messages in {seconds:.2} s = {:.0} messages/s",
        read.messages,
        read.messages as f64 / seconds
    );
}
