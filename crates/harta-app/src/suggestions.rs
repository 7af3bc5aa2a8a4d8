//! The public suggestions board (C3): suggestions whose authors agreed to publication appear
//! once a member of staff approves the wording (free of personal data), with the
//! administration's answer when there is one.

use harta_domain::case::CaseKind;
use harta_domain::text::Body;
use harta_store::publications::{BoardEntry, Candidate};

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// Suggestions on one page of the board.
pub const BOARD_PAGE: u32 = 20;

/// A page of the board.
#[derive(Debug, Clone)]
pub struct Board {
    /// The suggestions, newest first.
    pub entries: Vec<BoardEntry>,
    /// This page, from 1.
    pub page: u32,
    /// How many pages there are.
    pub pages: u32,
}

impl App {
    /// Publishes a suggestion in the given wording (its own text when none is given), or takes
    /// it off the board. Only for suggestions whose author agreed; by heads of unit, the mayor's
    /// secretary, managers and administrators.
    pub async fn decide_publication(
        &self,
        who: &Principal,
        number: &str,
        publish: bool,
        text: Option<&str>,
    ) -> Result<(), AppError> {
        who.require(Action::ModerateSuggestions)?;
        let case = self.find_case(who, number).await?;
        if case.kind != CaseKind::Suggestion || !case.publish_consent {
            return Err(AppError::conflict(
                "not_publishable",
                format!("{number} is not a suggestion whose author agreed to publish it"),
            ));
        }
        let wording = text.filter(|t| !t.trim().is_empty()).unwrap_or(&case.body);
        let wording = Body::parse(wording).map_err(|e| AppError::Invalid(vec![FieldError::coded("text", &e)]))?;
        let now = self.now();
        self.inner.publications.decide(case.id, publish, wording.as_str(), now, &who.audit_name()).await?;
        let action = if publish { "publish_suggestion" } else { "unpublish_suggestion" };
        self.inner.audit.record(now, &who.audit_name(), action, &case.registry_number, "").await?;
        Ok(())
    }

    /// The suggestions awaiting a publication decision, or decided (undecided first): a unit's
    /// for a head of unit or the mayor's secretary, all for managers and administrators.
    pub async fn publication_candidates(&self, who: &Principal) -> Result<Vec<Candidate>, AppError> {
        who.require(Action::ModerateSuggestions)?;
        let found = self.inner.publications.candidates(who.unit_scope(), 200).await?;
        // The texts are the authors' own words, before anyone removed personal data from them.
        let unit = who.unit_scope().unwrap_or("all units");
        self.inner.audit.record(self.now(), &who.audit_name(), "view_suggestions", unit, "").await?;
        Ok(found)
    }

    /// A page of the board (from 1; past the last page is empty).
    pub async fn board(&self, page: u32) -> Result<Board, AppError> {
        let page = page.max(1);
        let total = u32::try_from(self.inner.publications.count().await?).unwrap_or(u32::MAX);
        let entries = self.inner.publications.board(BOARD_PAGE, (page - 1).saturating_mul(BOARD_PAGE)).await?;
        Ok(Board { entries, page, pages: total.div_ceil(BOARD_PAGE).max(1) })
    }
}
