//! Who may do what. Decided here, once, for every caller.

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

impl Role {
    /// Whether the role sees only its own unit's cases (and so must have a unit).
    pub fn is_unit_scoped(self) -> bool {
        matches!(self, Self::CaseOfficer | Self::HeadOfUnit | Self::MayorsSecretary)
    }

    /// Whether the role may register cases.
    pub fn may_register(self) -> bool {
        !matches!(self, Self::Auditor)
    }

    /// Whether the role may register a case as received further back than the charter allows
    /// without approval (its own approval: a head of unit or above).
    pub fn may_approve_backdating(self) -> bool {
        matches!(self, Self::HeadOfUnit | Self::Manager | Self::Administrator)
    }

    /// Whether the role may change the calendar, staff and tokens.
    pub fn may_administer(self) -> bool {
        matches!(self, Self::Administrator)
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
    /// The unit whose cases alone this caller may see, or `None` for all.
    pub fn unit_scope(&self) -> Option<&str> {
        if self.role.is_unit_scoped() { self.unit.as_deref() } else { None }
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
