//! Charts drawn on the server as SVG, so that they need no script and print as they show:
//! horizontal bars, each with its label and value written beside it (never colour alone), a
//! title and a description for screen readers, and the same numbers in a table on the page.
//! Hand-written because it is this one shape; the template (`chart.html`) escapes every text.

/// A bar chart ready for `chart.html`.
pub(crate) struct BarChart {
    /// The element id its title and description hang from.
    pub id: String,
    pub title: String,
    /// What it shows, in a sentence (the SVG's description).
    pub summary: String,
    pub height: u32,
    pub bars: Vec<DrawnBar>,
}

/// One bar, placed.
pub(crate) struct DrawnBar {
    pub label: String,
    pub value: String,
    pub y: u32,
    pub text_y: u32,
    pub width: u32,
    pub value_x: u32,
}

/// Where the bars start, how long the longest is, and how tall each row is.
const LABEL_WIDTH: u32 = 260;
const BAR_SPACE: u32 = 300;
const ROW: u32 = 28;
/// Labels longer than this are cut (the table beside the chart has them whole).
const LABEL_CHARS: usize = 34;

impl BarChart {
    /// Bars of `(label, amount, value as written)`, the longest `max` (at least 1).
    pub(crate) fn new(id: &str, title: String, summary: String, items: Vec<(String, u64, String)>, max: u64) -> Self {
        let max = max.max(1);
        let bars = items
            .into_iter()
            .zip(0u32..)
            .map(|((label, amount, value), i)| {
                let width = u32::try_from(amount.min(max) * u64::from(BAR_SPACE) / max).unwrap_or(BAR_SPACE);
                let label = if label.chars().count() > LABEL_CHARS {
                    format!("{}…", label.chars().take(LABEL_CHARS - 1).collect::<String>())
                } else {
                    label
                };
                DrawnBar { label, value, y: i * ROW + 4, text_y: i * ROW + 18, width, value_x: LABEL_WIDTH + width + 6 }
            })
            .collect::<Vec<_>>();
        let height = u32::try_from(bars.len()).unwrap_or(0) * ROW + 8;
        Self { id: id.to_string(), title, summary, height, bars }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_share_of_the_longest_and_long_labels_are_cut() {
        let chart = BarChart::new(
            "c",
            "t".into(),
            "s".into(),
            vec![
                ("a".into(), 10, "10".into()),
                ("б".repeat(40), 5, "5".into()),
                ("c".into(), 0, "0".into()),
                ("d".into(), 99, "99".into()),
            ],
            10,
        );
        let widths: Vec<u32> = chart.bars.iter().map(|b| b.width).collect();
        assert_eq!(widths, [BAR_SPACE, BAR_SPACE / 2, 0, BAR_SPACE]);
        assert_eq!(chart.bars[1].label.chars().count(), LABEL_CHARS);
        assert!(chart.bars[1].label.ends_with('…'));
        assert_eq!(chart.height, 4 * ROW + 8);
        assert_eq!(
            BarChart::new("e", "t".into(), "s".into(), vec![("x".into(), 3, "3".into())], 0).bars[0].width,
            BAR_SPACE
        );
    }
}
