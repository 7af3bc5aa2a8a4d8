//! The morning run: on every working day at the configured hour (Sofia time), each officer gets
//! one e-mail of their cases at risk, due today or overdue, each head of unit one of the unit's
//! overdue and unassigned cases, and each citizen asked for information one reminder on the
//! last working day before the date they were given: by e-mail, or, for a citizen without an
//! address (or who prefers the telephone), as a call in the responsible officer's digest. Whichever replica comes first does it,
//! once a day: the day is claimed in the transaction that writes the mails' jobs.

use harta_domain::calendar::WorkingDays;
use harta_domain::deadline::DeadlineStatus;
use harta_domain::digest::{Line, RemindBy, Watched, for_head, for_officer, remind_today, reminder_calls};
use harta_domain::format::in_sofia;
use harta_store::jobs::NewJob;
use jiff::civil::Time;

use crate::outbox::{Digest, DigestLine, ReminderCall, Work};
use crate::{App, AppError, Role};

/// The hour of the morning run unless configured otherwise.
pub const DEFAULT_MORNING: Time = Time::constant(8, 0, 0, 0);

fn line(l: &Line<'_>) -> DigestLine {
    let (status, days) = match l.status {
        DeadlineStatus::OnTrack { working_days_left } => ("on_track", working_days_left),
        DeadlineStatus::AtRisk { working_days_left } => ("at_risk", working_days_left),
        DeadlineStatus::DueToday => ("due_today", 0),
        DeadlineStatus::Overdue { working_days_late } => ("overdue", working_days_late),
    };
    DigestLine {
        number: l.case.number.clone(),
        subject: l.case.subject.clone(),
        due: l.case.due,
        status: status.into(),
        days,
    }
}

fn call(c: &Watched) -> Option<ReminderCall> {
    let (RemindBy::Phone(phone), Some((what, by))) = (&c.remind_by, &c.asked) else { return None };
    Some(ReminderCall {
        number: c.number.clone(),
        name: c.person.clone(),
        phone: phone.clone(),
        what: what.clone(),
        by: *by,
    })
}

fn unassigned(c: &Watched) -> DigestLine {
    DigestLine {
        number: c.number.clone(),
        subject: c.subject.clone(),
        due: c.due,
        status: "unassigned".into(),
        days: 0,
    }
}

impl App {
    /// Sets the hour of the morning run (the server's `HARTA_MORNING_AT`).
    pub fn set_morning(&self, at: Time) {
        let _ = self.inner.morning.set(at);
    }

    /// Writes today's digests and reminders if it is a working day, the hour has come and no
    /// replica has done it yet; returns how many mails were written (0 otherwise). The server
    /// calls this every minute.
    pub async fn morning_run(&self) -> Result<usize, AppError> {
        let now = self.now();
        let local = in_sofia(now);
        let today = local.date();
        if local.time() < *self.inner.morning.get().unwrap_or(&DEFAULT_MORNING) {
            return Ok(0);
        }
        let calendar = self.inner.calendar.current();
        if !calendar.is_working_day(today).map_err(AppError::internal)? {
            return Ok(0);
        }
        let at_risk = self.charter().at_risk_working_days;
        let ahead = WorkingDays::new(i64::from(at_risk.max(1))).map_err(AppError::internal)?;
        let horizon = calendar.add_working_days(today, ahead).map_err(AppError::internal)?.date();
        let cases = self.inner.cases.watch_list(horizon).await?;
        let mut jobs = Vec::new();
        for member in self.inner.admin.staff().await?.into_iter().filter(|m| m.active) {
            let Some(to) = member.email.clone() else { continue };
            let role = Role::parse(&member.role);
            let handles = matches!(role, Some(Role::CaseOfficer | Role::HeadOfUnit | Role::MayorsSecretary));
            let (mine, calls): (Vec<DigestLine>, Vec<ReminderCall>) = if handles {
                (
                    for_officer(&cases, member.id, &calendar, today, at_risk).iter().map(line).collect(),
                    reminder_calls(&cases, member.id, &calendar, today).into_iter().filter_map(call).collect(),
                )
            } else {
                (Vec::new(), Vec::new())
            };
            let (overdue, nobody) = match (role, member.unit.as_deref()) {
                (Some(Role::HeadOfUnit), Some(unit)) => {
                    let (overdue, nobody) = for_head(&cases, unit, &calendar, today, at_risk);
                    (overdue.iter().map(line).collect(), nobody.into_iter().map(unassigned).collect())
                }
                _ => (Vec::new(), Vec::new()),
            };
            if mine.is_empty() && overdue.is_empty() && nobody.is_empty() && calls.is_empty() {
                continue;
            }
            let digest = Digest { name: member.name, day: today, mine, overdue, unassigned: nobody, calls };
            let payload = serde_json::to_string(&Work::Digest { to, digest }).map_err(AppError::internal)?;
            jobs.push((None, NewJob { kind: "digest".into(), payload }));
        }
        for case in &cases {
            let Some((what, by)) = &case.asked else { continue };
            if case.remind_by != RemindBy::Email || !remind_today(&calendar, *by, today) {
                continue;
            }
            let work = Work::Remind { what: what.clone(), by: *by };
            let payload = serde_json::to_string(&work).map_err(AppError::internal)?;
            jobs.push((Some(case.id), NewJob { kind: "remind".into(), payload }));
        }
        let written = jobs.len();
        if self.inner.jobs.schedule_daily("morning", today, now, &jobs).await? {
            tracing::info!(mails = written, "the morning digests and reminders are written");
            Ok(written)
        } else {
            Ok(0)
        }
    }
}
