//! The annual report on administrative service and satisfaction (REFERENCE §2) in words: the
//! year's figures per commitment, channel, unit, month and service, and the complaints, as
//! sections of tables and bars that the letters' typesetter lays out as a PDF. The staff page
//! (`/staff/performance/annual`) and `harta report annual` both make it here.

use harta_app::App;
use harta_app::letters::{Report, ReportSection};
use harta_app::performance::{AnnualFigures, Figures};
use harta_domain::performance::{Commitment, Tally};

use crate::i18n::{Lang, Localizer};
use crate::public::performance::{on_time_text, share_text};

/// The report of `f` in `lang`.
pub fn annual(app: &App, lang: Lang, f: &AnnualFigures) -> Report {
    let l = Localizer::new(lang);
    let charter = app.charter();
    let administration = l.pick(&charter.administration.name).to_string();
    let too_few = f.units.too_few;
    let scope = match &f.units.unit {
        Some(code) => charter.unit(code).map_or_else(|| code.clone(), |u| l.pick(&u.name).to_string()),
        None => l.t("report-all-units"),
    };
    let year = f.year.to_string();
    let totals = f.units.totals();
    let tally = |c: Commitment| totals.get(&c).cloned().unwrap_or_default();
    let days = |d: Option<u32>| d.map_or_else(|| "—".into(), |d| d.to_string());
    let share = |t: &Tally| on_time_text(&l, t, too_few);
    let bar = |label: String, t: &Tally| (label, t.on_time_share(too_few).per_mille().unwrap_or(0), share(t));

    let figures = ["received", "answered", "on-time", "on-time-held", "late", "open-overdue", "withdrawn", "forwarded"];
    let mut headers = vec![l.t("staff-performance-commitment")];
    headers.extend(figures.iter().map(|h| l.t(&format!("perf-{h}"))));
    headers.extend([l.t("report-median"), l.t("report-p90")]);
    let commitments = ReportSection {
        heading: l.t("report-commitments"),
        text: l.t_args("report-commitments-text", &[("year", &year), ("n", &too_few.to_string())]),
        headers,
        rows: Commitment::ALL
            .iter()
            .map(|c| {
                let t = tally(*c);
                let part = |n: u64| share_text(&l, n, harta_domain::performance::Share::of(n, t.answered, too_few));
                vec![
                    l.t(&format!("perf-commitment-{}", c.as_str())),
                    t.received.to_string(),
                    t.answered.to_string(),
                    part(t.answered_on_time),
                    part(t.answered_on_time_with_holding_reply),
                    part(t.answered_late),
                    t.open_overdue.to_string(),
                    t.withdrawn.to_string(),
                    t.forwarded.to_string(),
                    days(t.median_working_days()),
                    days(t.p90_working_days()),
                ]
            })
            .collect(),
        bars: Commitment::ALL
            .iter()
            .map(|c| bar(l.t(&format!("perf-commitment-{}", c.as_str())), &tally(*c)))
            .collect(),
    };

    // The other sections count the answers to cases of every kind (a holding reply is not one).
    let groups = |figures: &Figures, key: &dyn Fn(&harta_app::performance::FigureRow) -> String| {
        let mut out: Vec<(String, Tally)> = Vec::new();
        for row in figures.rows.iter().filter(|r| r.commitment != Commitment::HoldingReply) {
            let k = key(row);
            match out.iter_mut().find(|(name, _)| *name == k) {
                Some((_, t)) => t.add(&row.tally),
                None => out.push((k, row.tally.clone())),
            }
        }
        out
    };
    let section = |heading: &str, text: &str, first: String, rows: Vec<(String, Tally)>, bars: bool| ReportSection {
        heading: l.t(heading),
        text: l.t(text),
        headers: vec![
            first,
            l.t("perf-received"),
            l.t("perf-answered"),
            l.t("staff-performance-share"),
            l.t("perf-open-overdue"),
        ],
        bars: if bars { rows.iter().map(|(name, t)| bar(name.clone(), t)).collect() } else { Vec::new() },
        rows: rows
            .iter()
            .map(|(name, t)| {
                vec![name.clone(), t.received.to_string(), t.answered.to_string(), share(t), t.open_overdue.to_string()]
            })
            .collect(),
    };
    let channels =
        groups(&f.channels, &|r| r.channel.map_or_else(String::new, |c| l.t(&format!("channel-{}", c.as_str()))));
    let units = groups(&f.units, &|r| {
        let code = r.unit.clone().unwrap_or_default();
        charter.unit(&code).map_or(code, |u| l.pick(&u.name).to_string())
    });
    let months = groups(&f.months, &|r| format!("{:02}.{}", r.period.from().month(), r.period.from().year()));
    let catalogue = app.catalogue();
    let mut services = groups(&f.services, &|r| {
        let code = r.service.clone().unwrap_or_default();
        catalogue.service(&code).map_or(code.clone(), |s| format!("{code} {}", l.pick(&s.name)))
    });
    services.sort_by(|a, b| b.1.received.cmp(&a.1.received).then_with(|| a.0.cmp(&b.0)));
    services.truncate(20);

    let complaints = tally(Commitment::Complaint);
    let complaint_rows = [
        ("perf-received", complaints.received),
        ("perf-answered", complaints.answered),
        ("perf-on-time", complaints.answered_on_time),
        ("perf-on-time-held", complaints.answered_on_time_with_holding_reply),
        ("perf-late", complaints.answered_late),
        ("report-open", complaints.open),
        ("perf-withdrawn", complaints.withdrawn),
        ("perf-forwarded", complaints.forwarded),
    ];
    Report {
        title: l.ts("report-title", "year", &year),
        subtitle: l.t_args("report-subtitle", &[("administration", &administration), ("scope", &scope)]),
        author: administration.clone(),
        made: {
            let today = harta_domain::format::in_sofia(app.now()).date();
            (today.year(), today.month(), today.day())
        },
        sections: vec![
            ReportSection {
                heading: l.t("report-about"),
                text: l.ts("report-about-text", "year", &year),
                ..ReportSection::default()
            },
            commitments,
            section("report-channels", "report-channels-text", l.t("staff-channel"), channels, false),
            section("report-units", "report-units-text", l.t("perf-unit"), units, true),
            section("report-months", "report-months-text", l.t("staff-performance-month"), months, true),
            section("report-services", "report-services-text", l.t("report-service"), services, false),
            ReportSection {
                heading: l.t("report-complaints"),
                text: l.t("report-complaints-text"),
                headers: vec![l.t("perf-figure"), l.t("report-complaints-count")],
                rows: complaint_rows.iter().map(|(k, n)| vec![l.t(k), n.to_string()]).collect(),
                bars: Vec::new(),
            },
        ],
    }
}
