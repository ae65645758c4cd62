//! The plain HTML index: a list of accounts with links to their JSON.

use std::fmt::Write;

use rapport_core::AccountListing;

pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

pub fn account_index(accounts: &[AccountListing]) -> String {
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rapport</title>\
         <style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}\
         td,th{padding:.3rem .8rem;border-bottom:1px solid #ddd;text-align:left}\
         td.num{text-align:right}</style></head><body><h1>Rapport</h1>",
    );
    let _ = write!(
        page,
        "<p>{} accounts. JSON: <a href=\"/api/accounts\">/api/accounts</a></p>\
         <table><thead><tr><th>Account</th><th>Tier</th><th>ARR</th><th>CSM</th><th>Status</th></tr></thead><tbody>",
        accounts.len()
    );
    for account in accounts {
        let _ = write!(
            page,
            "<tr><td><a href=\"/api/accounts/{id}\">{name}</a></td><td>{tier}</td>\
             <td class=\"num\">{arr:.0}</td><td>{csm}</td><td>{status}</td></tr>",
            id = account.id,
            name = escape(&account.name),
            tier = account.tier,
            arr = account.arr,
            csm = escape(&account.csm),
            status = account.status,
        );
    }
    page.push_str("</tbody></table></body></html>");
    page
}
