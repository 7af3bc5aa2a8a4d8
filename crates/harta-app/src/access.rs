//! Who may do what. Decided here, once, for every caller: every use case calls
//! [`Principal::require`] with its [`Action`], and pages ask [`Principal::may`] to show or hide
//! a control, so no rule is restated anywhere else. Which *cases* a caller sees (their unit's
//! or all) is [`Principal::unit_scope`].

use harta_domain::case::Actor;

harta_domain::names! {
    /// A staff role.
    Role {
        /// Registers walk-ins, calls and the morning post; reads the registry of all units.
        CounterClerk => "counter_clerk",
        /// Works the cases of their unit.
        CaseOfficer => "case_officer",
        /// Watches and assigns the cases of their unit.
        HeadOfUnit => "head_of_unit",
        /// Handles the mayor's office cases and appointments.
        MayorsSecretary => "mayors_secretary",
        /// The mayor and the district secretary: every case.
        Manager => "manager",
        /// Runs the system: staff, tokens, the calendar, the charter.
        Administrator => "administrator",
        /// The data protection officer: reads everything, changes nothing.
        Auditor => "auditor",
    }
}

harta_domain::names! {
    /// Something a role may or may not do.
    Action {
        /// Register a case (at the counter, by telephone, from the post, over the API).
        RegisterCase => "register_case",
        /// Look people up by name or personal number to register for them.
        LookUpPeople => "look_up_people",
        /// Register a case as received further back than the charter allows without approval.
        ApproveBackdating => "approve_backdating",
        /// Record what a citizen does at the counter: brings what was asked for, withdraws.
        RecordAtCounter => "record_at_counter",
        /// Handle a case: assign, start, ask for information, holding reply, answer, close,
        /// forward, internal notes.
        HandleCase => "handle_case",
        /// Add documents to a case.
        AddDocuments => "add_documents",
        /// Issue the acknowledgement letter.
        IssueAcknowledgement => "issue_acknowledgement",
        /// Issue any other letter (information request, holding reply, answer).
        IssueLetter => "issue_letter",
        /// Decide which suggestions the public board shows.
        ModerateSuggestions => "moderate_suggestions",
        /// Edit the service catalogue.
        EditCatalogue => "edit_catalogue",
        /// Edit the charter.
        EditCharter => "edit_charter",
        /// Add and remove days off and worked Saturdays (Council of Ministers decisions).
        ChangeCalendar => "change_calendar",
        /// Add staff, (de)activate them, set first passwords, reset second factors, edit
        /// anyone's contact details, see and clear stopped sign-ins.
        ManageStaff => "manage_staff",
        /// Make, see and revoke API tokens.
        ManageTokens => "manage_tokens",
        /// Read and verify the audit trail, and make checkpoints of it.
        ReadAudit => "read_audit",
        /// Deliver issued letters by hand: print and post them, call, hand them over at the
        /// counter, send one again on another channel.
        DeliverLetters => "deliver_letters",
        /// See, retry and cancel the jobs harta runs (mail that could not go).
        ManageJobs => "manage_jobs",
        /// See the figures of how promises are kept, with the cases behind them (a head of
        /// unit their unit's, the others every unit's).
        ViewPerformance => "view_performance",
    }
}

impl Action {
    /// What the action is, in words that follow "your role may not".
    pub fn what(self) -> &'static str {
        match self {
            Self::RegisterCase => "register cases",
            Self::LookUpPeople => "look people up",
            Self::ApproveBackdating => "approve an earlier date of receipt",
            Self::RecordAtCounter => "record this at the counter",
            Self::HandleCase => "handle cases",
            Self::AddDocuments => "add documents to a case",
            Self::IssueAcknowledgement => "issue acknowledgements",
            Self::IssueLetter => "issue this letter",
            Self::ModerateSuggestions => "decide what is published",
            Self::EditCatalogue => "edit the service catalogue",
            Self::EditCharter => "edit the charter",
            Self::ChangeCalendar => "change the calendar",
            Self::ManageStaff => "manage staff",
            Self::ManageTokens => "manage API tokens",
            Self::ReadAudit => "read the audit trail",
            Self::DeliverLetters => "deliver letters",
            Self::ManageJobs => "manage jobs",
            Self::ViewPerformance => "see the performance figures",
        }
    }
}

impl Role {
    /// The permission table: whether the role may do `action` (on the cases it sees).
    pub fn may(self, action: Action) -> bool {
        use Action as A;
        use Role as R;
        match action {
            A::RegisterCase
            | A::LookUpPeople
            | A::RecordAtCounter
            | A::AddDocuments
            | A::IssueAcknowledgement
            | A::DeliverLetters => self != R::Auditor,
            A::HandleCase | A::IssueLetter => !matches!(self, R::Auditor | R::CounterClerk),
            A::ApproveBackdating => matches!(self, R::HeadOfUnit | R::Manager | R::Administrator),
            A::ModerateSuggestions => {
                matches!(self, R::HeadOfUnit | R::MayorsSecretary | R::Manager | R::Administrator)
            }
            A::EditCatalogue => matches!(self, R::Manager | R::Administrator),
            A::EditCharter | A::ChangeCalendar | A::ManageStaff | A::ManageTokens | A::ManageJobs => {
                self == R::Administrator
            }
            A::ReadAudit => matches!(self, R::Auditor | R::Administrator),
            A::ViewPerformance => {
                matches!(self, R::HeadOfUnit | R::MayorsSecretary | R::Manager | R::Administrator | R::Auditor)
            }
        }
    }

    /// Whether the role sees only its own unit's cases (and so must have a unit).
    pub fn is_unit_scoped(self) -> bool {
        matches!(self, Self::CaseOfficer | Self::HeadOfUnit | Self::MayorsSecretary)
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who, for events and the audit trail.
    pub actor: Actor,
    /// What they may do.
    pub role: Role,
    /// Their unit, for unit-scoped roles.
    pub unit: Option<String>,
}

impl Principal {
    /// Whether the caller may do `action` (for pages, to show or hide a control).
    pub fn may(&self, action: Action) -> bool {
        self.role.may(action)
    }

    /// Goes on only when the caller may do `action`; every use case starts here.
    pub fn require(&self, action: Action) -> Result<(), crate::AppError> {
        if self.may(action) { Ok(()) } else { Err(crate::AppError::Forbidden(action.what())) }
    }

    /// The unit whose cases alone this caller may see, or `None` for all.
    pub fn unit_scope(&self) -> Option<&str> {
        if self.role.is_unit_scoped() { self.unit.as_deref() } else { None }
    }

    /// The unit whose figures alone this caller may see, or `None` for all: a head of unit
    /// watches their unit; the mayor's secretary, managers and auditors the whole
    /// administration.
    pub fn performance_scope(&self) -> Option<&str> {
        if self.role == Role::HeadOfUnit { self.unit.as_deref() } else { None }
    }

    /// How the caller is written in the audit trail.
    pub fn audit_name(&self) -> String {
        match &self.actor {
            Actor::Staff { id } => format!("staff:{}", id.0),
            Actor::ApiToken { id } => format!("token:{id}"),
            Actor::Citizen => "citizen".into(),
            Actor::System => "system".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out: a change to who may do what shows here first.
    #[test]
    fn every_role_may_do_exactly_its_actions() {
        use Action as A;
        use Role as R;
        // Columns: clerk, officer, head, secretary, manager, administrator, auditor.
        let table: [(Action, [bool; 7]); 18] = [
            (A::RegisterCase, [true, true, true, true, true, true, false]),
            (A::LookUpPeople, [true, true, true, true, true, true, false]),
            (A::ApproveBackdating, [false, false, true, false, true, true, false]),
            (A::RecordAtCounter, [true, true, true, true, true, true, false]),
            (A::HandleCase, [false, true, true, true, true, true, false]),
            (A::AddDocuments, [true, true, true, true, true, true, false]),
            (A::IssueAcknowledgement, [true, true, true, true, true, true, false]),
            (A::IssueLetter, [false, true, true, true, true, true, false]),
            (A::ModerateSuggestions, [false, false, true, true, true, true, false]),
            (A::EditCatalogue, [false, false, false, false, true, true, false]),
            (A::EditCharter, [false, false, false, false, false, true, false]),
            (A::ChangeCalendar, [false, false, false, false, false, true, false]),
            (A::ManageStaff, [false, false, false, false, false, true, false]),
            (A::ManageTokens, [false, false, false, false, false, true, false]),
            (A::ReadAudit, [false, false, false, false, false, true, true]),
            (A::DeliverLetters, [true, true, true, true, true, true, false]),
            (A::ManageJobs, [false, false, false, false, false, true, false]),
            (A::ViewPerformance, [false, false, true, true, true, true, true]),
        ];
        let roles = [
            R::CounterClerk,
            R::CaseOfficer,
            R::HeadOfUnit,
            R::MayorsSecretary,
            R::Manager,
            R::Administrator,
            R::Auditor,
        ];
        assert_eq!(roles.len(), Role::ALL.len());
        assert_eq!(table.len(), Action::ALL.len(), "every action has its row");
        for (action, row) in table {
            for (role, expected) in roles.iter().zip(row) {
                assert_eq!(role.may(action), expected, "{role} may {action}");
                let who = Principal { actor: Actor::System, role: *role, unit: None };
                assert_eq!(who.require(action).is_ok(), expected);
            }
        }
    }
}
