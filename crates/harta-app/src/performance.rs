//! How promises are kept (C16, C17, C22, C24): the figures per commitment, for the public
//! scorecard, the open data, the management dashboard and the annual report alike. The
//! definitions are the domain's ([`harta_domain::performance`]); this counts the store's facts
//! by them with the calendar in force.

use std::collections::BTreeMap;

use harta_domain::case::Channel;
use harta_domain::format::in_sofia;
use harta_domain::performance::{Commitment, Grouping, Period, Tally};
pub use harta_store::performance::Overdue;
use harta_store::performance::{Key, Scope, SharedContribution};
use jiff::civil::Date;
use serde::Deserialize;

use crate::{Action, App, AppError, FieldError, Principal};

/// What figures are asked for, as given in a query string or on the command line; every
/// part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct FiguresQuery {
    /// The first day of receipt, YYYY-MM-DD (default: 1 January of this year).
    pub from: Option<String>,
    /// The last day of receipt, YYYY-MM-DD (default: today).
    pub to: Option<String>,
    /// `month`, `unit`, `commitment` (the default) or `service`.
    pub by: Option<String>,
    /// Only this unit's cases (its code).
    pub unit: Option<String>,
    /// Only this commitment's figures.
    pub commitment: Option<String>,
    /// Only cases received on this channel.
    pub channel: Option<String>,
    /// Only requests for this service (its code).
    pub service: Option<String>,
}

/// A table of figures: one row per group, each about one commitment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// The days of receipt it covers.
    pub period: Period,
    /// What its rows stand for besides their commitment.
    pub by: Grouping,
    /// The unit it is narrowed to, if any.
    pub unit: Option<String>,
    /// The day "open and overdue now" was counted on.
    pub today: Date,
    /// Groups of fewer cases get no percentage.
    pub too_few: u64,
    /// The rows, by period, then commitment (in the charter's order), then unit or service.
    pub rows: Vec<FigureRow>,
}

/// The figures of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureRow {
    /// The days of receipt of its cases (a month of the period, or all of it).
    pub period: Period,
    /// The commitment.
    pub commitment: Commitment,
    /// The unit, when the figures are by unit.
    pub unit: Option<String>,
    /// The service, when the figures are by service.
    pub service: Option<String>,
    /// The channel of receipt, when the figures are by channel (or narrowed to one).
    pub channel: Option<Channel>,
    /// The counts.
    pub tally: Tally,
}

impl Figures {
    /// The rows added up per commitment: the whole period's figures.
    pub fn totals(&self) -> BTreeMap<Commitment, Tally> {
        let mut totals = BTreeMap::new();
        for row in &self.rows {
            totals.entry(row.commitment).or_insert_with(Tally::default).add(&row.tally);
        }
        totals
    }
}

/// A query parsed: what the store is asked, and how the rows are grouped and kept.
struct Asked {
    scope: Scope,
    by: Grouping,
    commitment: Option<Commitment>,
}

impl App {
    /// The figures anyone may read (the public scorecard and the open data): no personal data
    /// and no case text, only counts, over every unit or the one asked for.
    pub async fn public_figures(&self, query: &FiguresQuery) -> Result<Figures, AppError> {
        let asked = self.parse_figures(query, None)?;
        self.count_figures(asked).await
    }

    /// The figures of the management dashboard: a head of unit's are their unit's, whatever
    /// the query says; the mayor's secretary, managers, administrators and auditors see all.
    pub async fn figures(&self, who: &Principal, query: &FiguresQuery) -> Result<Figures, AppError> {
        who.require(Action::ViewPerformance)?;
        let asked = self.parse_figures(query, who.performance_scope())?;
        self.count_figures(asked).await
    }

    fn parse_figures(&self, q: &FiguresQuery, unit_scope: Option<&str>) -> Result<Asked, AppError> {
        let today = in_sofia(self.now()).date();
        let given = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let mut errors = Vec::new();
        let this_year = Period::new(today.first_of_year(), today).map_err(AppError::internal)?;
        let period = Period::parse(q.from.as_deref(), q.to.as_deref(), this_year)
            .map_err(|e| errors.push(FieldError::coded(e.field(), &e)))
            .ok();
        let mut unknown = |field: &str, value: &str, known: &str| {
            errors.push(FieldError::new(field, format!("\"{value}\" is not {known}")).with_code("unknown"));
        };
        let by = match given(&q.by) {
            None => Some(Grouping::Commitment),
            Some(by) => Grouping::parse(&by).or_else(|| {
                unknown("by", &by, "one of month, unit, commitment, service, channel");
                None
            }),
        };
        let commitment = given(&q.commitment).and_then(|c| {
            Commitment::parse(&c).or_else(|| {
                unknown("commitment", &c, "one of service_request, letter, complaint, suggestion, holding_reply");
                None
            })
        });
        let charter = self.charter();
        let mut unit = given(&q.unit);
        if let Some(code) = &unit
            && !charter.units.iter().any(|u| &u.code == code)
        {
            unknown("unit", code, "the code of a unit of this administration");
        }
        if let Some(scope) = unit_scope {
            unit = Some(scope.to_string());
        }
        let channel = given(&q.channel).and_then(|c| {
            Channel::parse(&c).or_else(|| {
                unknown("channel", &c, "one of counter, post, fax, email, web, phone, forum");
                None
            })
        });
        let service = given(&q.service);
        if let Some(code) = &service
            && self.catalogue().service(code).is_none()
        {
            unknown("service", code, "the code of a service in the catalogue");
        }
        let (Some(period), Some(by), true) = (period, by, errors.is_empty()) else {
            return Err(AppError::Invalid(errors));
        };
        let mut kind = commitment.and_then(Commitment::kind);
        if by == Grouping::Service || service.is_some() {
            kind = Some(harta_domain::case::CaseKind::ServiceRequest);
        }
        let scope = Scope { from: period.from(), to: period.to(), unit, kind, channel, service };
        Ok(Asked { scope, by, commitment })
    }

    async fn count_figures(&self, asked: Asked) -> Result<Figures, AppError> {
        let by_month = asked.by == Grouping::Month;
        let counted = self.inner.performance.contributions(&asked.scope, key_of(asked.by), by_month).await?;
        self.tally_figures(asked, &counted)
    }

    /// The dashboard's two tables, by unit and by month of receipt, read side by side (one
    /// reading by unit and month would hand back ten times the rows, each of which costs more
    /// to carry than to count).
    pub async fn dashboard_figures(
        &self,
        who: &Principal,
        query: &FiguresQuery,
    ) -> Result<(Figures, Figures), AppError> {
        who.require(Action::ViewPerformance)?;
        let by_unit =
            self.parse_figures(&FiguresQuery { by: Some("unit".into()), ..query.clone() }, who.performance_scope())?;
        let by_month = Asked { scope: by_unit.scope.clone(), by: Grouping::Month, commitment: by_unit.commitment };
        let performance = &self.inner.performance;
        let (units, months) = tokio::try_join!(
            performance.contributions(&by_unit.scope, Key::Unit, false),
            performance.contributions(&by_month.scope, Key::None, true)
        )?;
        Ok((self.tally_figures(by_unit, &units)?, self.tally_figures(by_month, &months)?))
    }

    /// Counts the store's contributions into the rows `asked` for (contributions keyed by more
    /// than the rows need are added up).
    fn tally_figures(&self, asked: Asked, counted: &[SharedContribution]) -> Result<Figures, AppError> {
        let Asked { scope, by, commitment } = asked;
        let period = Period::new(scope.from, scope.to).map_err(AppError::internal)?;
        let keyed = key_of(by) != Key::None;
        let today = in_sofia(self.now()).date();
        let months: Vec<Period> = period.months().collect();
        let group_of = |month: Option<Date>| match (by, month) {
            (Grouping::Month, Some(month)) => {
                months.iter().copied().find(|m| m.from().first_of_month() == month).unwrap_or(period)
            }
            _ => period,
        };
        // Keyed by (group's period, key); each holds every commitment its cases count for.
        let mut groups: BTreeMap<(Period, Option<String>), BTreeMap<Commitment, Tally>> = BTreeMap::new();
        for shared in counted {
            let key = if keyed { shared.key.clone() } else { None };
            let group = groups.entry((group_of(shared.month), key)).or_default();
            let cases = u64::try_from(shared.cases)
                .map_err(|_| AppError::internal(format!("{} cases counted for a figure", shared.cases)))?;
            shared.contribution.count(cases, today, group);
        }
        // Every month, unit and commitment has its row, with nothing received or not, so that a
        // trend has no holes and a quiet unit is seen to be quiet.
        let shown: Vec<Commitment> =
            Commitment::ALL.iter().copied().filter(|c| commitment.is_none_or(|only| only == *c)).collect();
        let keys: Vec<Option<String>> = match by {
            Grouping::Unit => match &scope.unit {
                Some(unit) => vec![Some(unit.clone())],
                None => self.charter().units.iter().map(|u| Some(u.code.clone())).collect(),
            },
            Grouping::Channel => match scope.channel {
                Some(c) => vec![Some(c.as_str().to_string())],
                None => Channel::ALL.iter().map(|c| Some(c.as_str().to_string())).collect(),
            },
            Grouping::Service => Vec::new(),
            Grouping::Month | Grouping::Commitment => vec![None],
        };
        let periods = if by == Grouping::Month { months.clone() } else { vec![period] };
        for p in &periods {
            for key in &keys {
                let group = groups.entry((*p, key.clone())).or_default();
                for c in &shown {
                    // Service requests only when by service.
                    if by != Grouping::Service {
                        group.entry(*c).or_default();
                    }
                }
            }
        }
        let mut rows = Vec::new();
        for ((p, key), tallies) in groups {
            for (c, tally) in tallies {
                if !shown.contains(&c) || (scope.kind.is_some() && c.kind().is_some() && c.kind() != scope.kind) {
                    continue;
                }
                let (unit, service) = match by {
                    Grouping::Unit => (key.clone(), None),
                    Grouping::Service => (scope.unit.clone(), key.clone()),
                    _ => (scope.unit.clone(), scope.service.clone()),
                };
                let channel = match by {
                    Grouping::Channel => key.as_deref().and_then(Channel::parse),
                    _ => scope.channel,
                };
                rows.push(FigureRow { period: p, commitment: c, unit, service, channel, tally });
            }
        }
        let order = |c: Commitment| Commitment::ALL.iter().position(|x| *x == c);
        rows.sort_by(|a, b| {
            (a.period, order(a.commitment), &a.unit, &a.service).cmp(&(
                b.period,
                order(b.commitment),
                &b.unit,
                &b.service,
            ))
        });
        Ok(Figures { period, by, unit: scope.unit, today, too_few: self.charter().too_few_cases, rows })
    }
}

impl App {
    /// The dashboard's figures for an export (CSV, XLSX), recorded in the audit trail.
    pub async fn export_figures(&self, who: &Principal, query: &FiguresQuery) -> Result<Figures, AppError> {
        let figures = self.figures(who, query).await?;
        let detail = format!(
            "{} rows; from={} to={} by={} unit={}",
            figures.rows.len(),
            figures.period.from(),
            figures.period.to(),
            figures.by,
            figures.unit.as_deref().unwrap_or("")
        );
        self.inner.audit.record(self.now(), &who.audit_name(), "export_figures", "performance", &detail).await?;
        Ok(figures)
    }

    /// The open cases past their date today, per unit and officer: a head of unit's own
    /// unit's, everyone else's who may see the figures, all.
    pub async fn overdue_now(&self, who: &Principal) -> Result<Vec<Overdue>, AppError> {
        who.require(Action::ViewPerformance)?;
        let today = in_sofia(self.now()).date();
        Ok(self.inner.performance.overdue_now(today, who.performance_scope()).await?)
    }
}

/// What the store's contributions must be keyed by for rows by `by`.
fn key_of(by: Grouping) -> Key {
    match by {
        Grouping::Unit => Key::Unit,
        Grouping::Service => Key::Service,
        Grouping::Channel => Key::Channel,
        Grouping::Month | Grouping::Commitment => Key::None,
    }
}

/// A year's figures, for the annual report on administrative service (REFERENCE §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualFigures {
    /// The year.
    pub year: i16,
    /// Per unit (added up, per commitment: [`Figures::totals`]).
    pub units: Figures,
    /// Per month of receipt.
    pub months: Figures,
    /// Per channel of receipt.
    pub channels: Figures,
    /// Per service (service requests).
    pub services: Figures,
}

impl App {
    /// The figures of the annual report of `year` (YYYY, from 2000 to this year): as the
    /// dashboard's, scoped as they are, and the report's making in the audit trail.
    pub async fn annual_figures(&self, who: &Principal, year: &str) -> Result<AnnualFigures, AppError> {
        who.require(Action::ViewPerformance)?;
        let this_year = in_sofia(self.now()).year();
        let year = match year.trim().parse::<i16>() {
            Ok(y) if (2000..=this_year).contains(&y) && year.trim().len() == 4 => y,
            _ => {
                let why = format!("\"{year}\" is not a year from 2000 to {this_year}");
                return Err(AppError::Invalid(vec![FieldError::new("year", why)]));
            }
        };
        let ask = |by: Grouping| FiguresQuery {
            from: Some(format!("{year}-01-01")),
            to: Some(format!("{year}-12-31")),
            by: Some(by.as_str().into()),
            ..FiguresQuery::default()
        };
        // Units and months as the dashboard reads them; the commitments are the units added up.
        let (units, ch, s) = (ask(Grouping::Unit), ask(Grouping::Channel), ask(Grouping::Service));
        let ((units, months), channels, services) =
            tokio::try_join!(self.dashboard_figures(who, &units), self.figures(who, &ch), self.figures(who, &s))?;
        let detail = format!("year={year} unit={}", units.unit.as_deref().unwrap_or(""));
        self.inner.audit.record(self.now(), &who.audit_name(), "annual_report", "performance", &detail).await?;
        Ok(AnnualFigures { year, units, months, channels, services })
    }
}

/// The period a scorecard shows by default and the one before it: the last whole quarter that
/// has ended, whose cases have had their time to be answered, against the quarter before.
pub fn scorecard_periods(today: Date) -> (Period, Period) {
    let kind = harta_domain::performance::PeriodKind::Quarter;
    let last = Period::last_complete(kind, today);
    (last, last.before(kind))
}
