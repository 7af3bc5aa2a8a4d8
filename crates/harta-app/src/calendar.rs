//! Council of Ministers decisions at run time: adding one (or removing a wrong one) recomputes
//! every open case whose deadline it moves.

use std::sync::Arc;

use harta_domain::calendar::{Calendar, Decision, DecisionKind};
pub use harta_store::calendar::Recomputed;
use harta_store::calendar::{DecisionError, StoredDecision};
use jiff::civil::Date;

use crate::access::{Action, Principal};
use crate::{App, AppError, FieldError};

/// A decision to add, unchecked.
#[derive(Debug, Clone, Default)]
pub struct DecisionInput {
    /// The day concerned, `YYYY-MM-DD`.
    pub date: Option<String>,
    /// `day_off` or `working_day`.
    pub kind: Option<String>,
    /// The decision's number.
    pub number: Option<String>,
    /// The date of the decision, `YYYY-MM-DD`.
    pub decided_on: Option<String>,
    /// A note.
    pub note: Option<String>,
}

fn parse_date(field: &str, s: &str) -> Result<Date, AppError> {
    s.trim().parse().map_err(|_| {
        AppError::Invalid(vec![
            FieldError::new(field, format!("\"{s}\" is not a date that exists, as YYYY-MM-DD")).with_code("not_a_date"),
        ])
    })
}

fn decision_error(e: DecisionError) -> AppError {
    match e {
        DecisionError::Calendar(c) => AppError::Invalid(vec![FieldError::coded("date", &c)]),
        DecisionError::NotFound(d) => AppError::NotFound(format!("a decision added for {d}")),
        DecisionError::Store(s) => AppError::Store(s),
    }
}

/// A decision as typed, checked.
fn parse_decision(input: &DecisionInput) -> Result<Decision, AppError> {
    let date = parse_date("date", input.date.as_deref().unwrap_or(""))?;
    let kind = match input.kind.as_deref() {
        Some(k) => DecisionKind::parse(k).ok_or_else(|| {
            AppError::Invalid(vec![FieldError::new("kind", "must be day_off or working_day").with_code("unknown")])
        })?,
        None => return Err(AppError::Invalid(vec![FieldError::required("kind")])),
    };
    let number = input.number.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    let decided_on = input
        .decided_on
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| parse_date("decided_on", d))
        .transpose()?;
    let note = input.note.as_deref().map(str::trim).unwrap_or("").to_string();
    if note.chars().count() > 500 {
        return Err(AppError::Invalid(vec![FieldError {
            limit: Some(500),
            ..FieldError::new("note", "must be at most 500 characters").with_code("too_long")
        }]));
    }
    Ok(Decision { date, kind, number, decided_on, note })
}

impl App {
    /// The calendar in force.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.inner.calendar.current()
    }

    /// Adds a decision (administrators only) and recomputes open cases.
    pub async fn add_decision(&self, who: &Principal, input: &DecisionInput) -> Result<Recomputed, AppError> {
        who.require(Action::ChangeCalendar)?;
        let decision = parse_decision(input)?;
        let now = self.now();
        let result = self
            .inner
            .decisions
            .add(&decision, &who.audit_name(), now, &self.commitments(), &self.inner.calendar)
            .await
            .map_err(decision_error)?;
        let detail =
            format!("{} {}; {} case(s) recomputed", decision.kind.as_str(), decision.citation(), result.moved.len());
        self.inner.audit.record(now, &who.audit_name(), "calendar_add", &decision.date.to_string(), &detail).await?;
        Ok(result)
    }

    /// The open cases a decision would move, and where to; nothing is stored.
    pub async fn preview_decision(&self, who: &Principal, input: &DecisionInput) -> Result<Recomputed, AppError> {
        who.require(Action::ChangeCalendar)?;
        let decision = parse_decision(input)?;
        let (now, commitments) = (self.now(), self.commitments());
        let decisions = &self.inner.decisions;
        decisions.preview_add(&decision, now, &commitments, &self.inner.calendar).await.map_err(decision_error)
    }

    /// Removes a decision added at run time (administrators only) and recomputes open cases.
    pub async fn remove_decision(&self, who: &Principal, date: &str) -> Result<Recomputed, AppError> {
        who.require(Action::ChangeCalendar)?;
        let date = parse_date("date", date)?;
        let now = self.now();
        let result = self
            .inner
            .decisions
            .remove(date, now, &self.commitments(), &self.inner.calendar)
            .await
            .map_err(decision_error)?;
        let detail = format!("{} case(s) recomputed", result.moved.len());
        self.inner.audit.record(now, &who.audit_name(), "calendar_remove", &date.to_string(), &detail).await?;
        Ok(result)
    }

    /// The open cases removing a decision would move; nothing is stored.
    pub async fn preview_removal(&self, who: &Principal, date: &str) -> Result<Recomputed, AppError> {
        who.require(Action::ChangeCalendar)?;
        let date = parse_date("date", date)?;
        let (now, commitments) = (self.now(), self.commitments());
        let decisions = &self.inner.decisions;
        decisions.preview_remove(date, now, &commitments, &self.inner.calendar).await.map_err(decision_error)
    }

    /// The decisions added at run time.
    pub async fn added_decisions(&self) -> Result<Vec<StoredDecision>, AppError> {
        Ok(self.inner.decisions.list().await?)
    }
}
