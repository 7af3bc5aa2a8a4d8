//! The audit trail in the page's language. Entries keep what was done as data (an action's
//! machine name, and a detail whose shape each action fixes: "from ADDRESS", "N document(s)",
//! an event's name); this reads each shape back and says it in Bulgarian or English. A detail
//! of a shape not known here (a search's words, a name) is shown as it was written.

use crate::i18n::Localizer;

/// The action in words (`audit-action-…`), or its machine name when there are none.
pub(super) fn action(l: Localizer, action: &str) -> String {
    // A citizen's change is recorded under the event's name.
    let event = own_or(l, &format!("event-{action}"), action);
    own_or(l, &format!("audit-action-{action}"), &event)
}

/// The detail in words, by the action it belongs to.
pub(super) fn detail(l: Localizer, action: &str, detail: &str) -> String {
    if detail.is_empty() {
        return String::new();
    }
    if let Some(from) = detail.strip_prefix("from ") {
        return l.ts("audit-detail-from", "address", from);
    }
    match action {
        "change_case" => own_or(l, &format!("event-{detail}"), detail),
        "issue_letter" => own_or(l, &format!("letter-kind-{detail}"), detail),
        "issue_token" => own_or(l, &format!("role-{detail}"), detail),
        "view_case" if detail == "case and party details" => l.t("audit-detail-case-and-party"),
        "add_documents" => count(l, detail, " document(s)", "audit-detail-documents"),
        "calendar_add" | "calendar_remove" => match detail.rsplit_once("; ") {
            Some((decision, moved)) => {
                let decision = decision.replace("day_off", &l.t("calendar-kind-day_off"));
                let decision = decision.replace("working_day", &l.t("calendar-kind-working_day"));
                format!("{decision}; {}", count(l, moved, " case(s) recomputed", "audit-detail-recomputed"))
            }
            None => count(l, detail, " case(s) recomputed", "audit-detail-recomputed"),
        },
        "open_document" => match detail.strip_prefix("document ") {
            Some(rest) => l.ts("audit-detail-document", "document", rest),
            None => detail.to_string(),
        },
        "case_out_of_scope" => match detail.strip_prefix("of unit ").and_then(|r| r.split_once(", asked from unit ")) {
            Some((theirs, asked)) => l.t_args("audit-detail-out-of-scope", &[("theirs", theirs), ("asked", asked)]),
            None => detail.to_string(),
        },
        "set_received_on" => match detail.strip_prefix("received on ").and_then(|r| r.split_once(", registered ")) {
            Some((on, registered)) => l.t_args("audit-detail-received-on", &[("on", on), ("registered", registered)]),
            None => detail.to_string(),
        },
        _ if detail == "through the public site" => l.t("audit-detail-public-site"),
        _ => detail.to_string(),
    }
}

/// Why a chain check failed, in words.
pub(super) fn broken(l: Localizer, why: &str) -> String {
    let key = match why {
        "this entry is missing" => "audit-broken-missing",
        "it does not follow the entry before it" => "audit-broken-order",
        "its content was changed" => "audit-broken-changed",
        "the last entries are missing" => "audit-broken-cut",
        "the trail is not keyed: it was broken before it could be" => "audit-broken-unkeyed",
        _ => return why.to_string(),
    };
    l.t(key)
}

/// `N<suffix>` said with the plural rules of `key`.
fn count(l: Localizer, detail: &str, suffix: &str, key: &str) -> String {
    match detail.strip_suffix(suffix).and_then(|n| n.parse::<i64>().ok()) {
        Some(n) => l.tn(key, "n", n),
        None => detail.to_string(),
    }
}

/// The message `key`, or `fallback` when the language has none.
fn own_or(l: Localizer, key: &str, fallback: &str) -> String {
    match l.t(key) {
        text if text != key => text,
        _ => fallback.to_string(),
    }
}
