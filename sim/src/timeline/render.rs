//! `Timeline` → one self-contained HTML page: inline CSS and SVG, no script, no URL.
//! Hovering a mark or span shows its details through SVG `<title>` elements.

use super::{Lane, Mark, MarkKind, NodeState, Span, Timeline};
use std::fmt::Write as _;

const WIDTH: f64 = 1200.0;
const LABEL: f64 = 160.0;
const PLOT: f64 = WIDTH - LABEL - 20.0;
const AXIS: f64 = 24.0;
const LANE: f64 = 30.0;
const RATES: f64 = 160.0;
/// Marks kept per lane; the rest are counted in the lane's label (a limit on everything).
const MARKS_PER_LANE_MAX: usize = 2_000;

const CSS: &str = "body{font:13px sans-serif;margin:16px;color:#222}\
h1{font-size:18px;margin:0 0 8px}\
table.info td{padding:1px 10px 1px 0;vertical-align:top}\
code{background:#f3f3f3;padding:1px 4px}\
.pass{color:#2e7d32;font-weight:bold}.fail{color:#c62828;font-weight:bold}\
.legend span{display:inline-block;margin-right:12px}\
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}\
svg text{font:11px sans-serif}\
svg .grid{stroke:#e0e0e0}\
ul.violations li{color:#c62828}";

fn state_color(state: NodeState) -> &'static str {
    match state {
        NodeState::Up => "#66bb6a",
        NodeState::Paused => "#f0c419",
        NodeState::Killed => "#bdbdbd",
        NodeState::PowerLost => "#6d4c41",
        NodeState::Cut => "#ff9800",
    }
}

fn mark_color(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::Kill => "#000000",
        MarkKind::Restart => "#1e88e5",
        MarkKind::PowerLoss => "#4e342e",
        MarkKind::Pause | MarkKind::Resume => "#f9a825",
        MarkKind::Net => "#ef6c00",
        MarkKind::Clock => "#8e24aa",
        MarkKind::Disk => "#795548",
        MarkKind::Route => "#00897b",
        MarkKind::Event => "#90a4ae",
        MarkKind::Violation => "#d32f2f",
    }
}

const SERIES_COLORS: [&str; 6] = [
    "#1e88e5", "#43a047", "#e53935", "#8e24aa", "#fb8c00", "#00897b",
];

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn secs(nanos: u64) -> f64 {
    nanos as f64 / 1e9
}

/// The time axis: virtual nanoseconds → x.
struct Scale {
    end_nanos: u64,
}

impl Scale {
    fn x(&self, nanos: u64) -> f64 {
        LABEL + PLOT * nanos as f64 / self.end_nanos.max(1) as f64
    }

    /// Seconds between grid lines: at most 12 of them.
    fn step_s(&self) -> u64 {
        let end_s = secs(self.end_nanos);
        let steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600];
        steps
            .into_iter()
            .find(|&step| end_s / step as f64 <= 12.0)
            .unwrap_or(7200)
    }
}

/// Renders the page.
pub fn render(timeline: &Timeline) -> String {
    let scale = Scale {
        end_nanos: timeline.end_nanos,
    };
    let mut html = String::new();
    let title = format!(
        "{} seed {} — rocketsim timeline",
        timeline.info.scenario, timeline.info.seed
    );
    let _ = write!(
        html,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>",
        escape(&title)
    );
    header(&mut html, timeline);
    legend(&mut html);
    lanes(&mut html, timeline, &scale);
    rates(&mut html, timeline, &scale);
    violations(&mut html, timeline);
    html.push_str("</body></html>\n");
    html
}

fn header(html: &mut String, timeline: &Timeline) {
    let info = &timeline.info;
    let class = if info.result == "pass" {
        "pass"
    } else {
        "fail"
    };
    let _ = write!(
        html,
        "<h1>{}</h1><table class=\"info\">\
         <tr><td>seed</td><td>{}</td></tr>\
         <tr><td>result</td><td class=\"{class}\" id=\"result\">{}</td></tr>\
         <tr><td>trace hash</td><td><code>{:016x}</code></td></tr>\
         <tr><td>virtual time</td><td>{:.3} s</td></tr>\
         <tr><td>reproduce</td><td><code>{}</code></td></tr>\
         <tr><td>final line</td><td><code>{}</code></td></tr></table>",
        escape(&info.scenario),
        info.seed,
        escape(&info.result),
        info.trace_hash,
        secs(timeline.end_nanos),
        escape(&info.reproduce),
        escape(&info.final_line),
    );
}

fn legend(html: &mut String) {
    html.push_str("<p class=\"legend\">");
    let states = [
        ("up", NodeState::Up),
        ("paused", NodeState::Paused),
        ("killed", NodeState::Killed),
        ("power lost", NodeState::PowerLost),
        ("network cut", NodeState::Cut),
    ];
    for (name, state) in states {
        let _ = write!(
            html,
            "<span><i style=\"background:{}\"></i>{name}</span>",
            state_color(state)
        );
    }
    let marks = [
        ("kill", MarkKind::Kill),
        ("restart", MarkKind::Restart),
        ("power loss", MarkKind::PowerLoss),
        ("pause/resume", MarkKind::Pause),
        ("network", MarkKind::Net),
        ("clock", MarkKind::Clock),
        ("disk", MarkKind::Disk),
        ("route", MarkKind::Route),
        ("event", MarkKind::Event),
        ("violation", MarkKind::Violation),
    ];
    for (name, kind) in marks {
        let _ = write!(
            html,
            "<span><i style=\"background:{};width:3px\"></i>{name}</span>",
            mark_color(kind)
        );
    }
    html.push_str(" — hover a mark for its details</p>");
}

fn lanes(html: &mut String, timeline: &Timeline, scale: &Scale) {
    let rows = timeline.lanes.len() + 2;
    let height = AXIS + LANE * rows as f64 + 4.0;
    let _ = write!(
        html,
        "<svg id=\"lanes\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">"
    );
    grid(html, scale, height);
    let mut y = AXIS;
    for lane in &timeline.lanes {
        lane_row(html, lane, scale, y);
        y += LANE;
    }
    let world = Lane {
        name: "world".into(),
        marks: timeline.global.clone(),
        ..Lane::default()
    };
    lane_row(html, &world, scale, y);
    y += LANE;
    let violations = Lane {
        name: "violations".into(),
        marks: timeline.violations.clone(),
        ..Lane::default()
    };
    lane_row(html, &violations, scale, y);
    html.push_str("</svg>");
}

fn grid(html: &mut String, scale: &Scale, height: f64) {
    let step_s = scale.step_s();
    let end_s = secs(scale.end_nanos);
    let mut t = 0;
    while t as f64 <= end_s {
        let x = scale.x(t * 1_000_000_000);
        let _ = write!(
            html,
            "<line class=\"grid\" x1=\"{x:.1}\" y1=\"{}\" x2=\"{x:.1}\" y2=\"{height}\"/>\
             <text x=\"{x:.1}\" y=\"14\" text-anchor=\"middle\">{t}s</text>",
            AXIS - 4.0
        );
        t += step_s;
    }
}

fn lane_row(html: &mut String, lane: &Lane, scale: &Scale, y: f64) {
    let name = escape(&lane.name);
    let _ = write!(
        html,
        "<g class=\"lane\" data-node=\"{name}\"><text x=\"4\" y=\"{:.1}\">{name}</text>\
         <line class=\"grid\" x1=\"{LABEL}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\"/>",
        y + 18.0,
        y + LANE - 1.0,
        LABEL + PLOT,
        y + LANE - 1.0
    );
    for span in &lane.spans {
        span_rect(html, span, scale, y + 6.0, 14.0);
    }
    for span in &lane.cuts {
        span_rect(html, span, scale, y + 22.0, 5.0);
    }
    for mark in lane.marks.iter().take(MARKS_PER_LANE_MAX) {
        mark_rect(html, mark, scale, y);
    }
    if lane.marks.len() > MARKS_PER_LANE_MAX {
        let more = lane.marks.len() - MARKS_PER_LANE_MAX;
        let _ = write!(
            html,
            "<text x=\"4\" y=\"{:.1}\">(+{more} marks)</text>",
            y + 28.0
        );
    }
    html.push_str("</g>");
}

fn span_rect(html: &mut String, span: &Span, scale: &Scale, y: f64, height: f64) {
    let (x1, x2) = (scale.x(span.from_nanos), scale.x(span.to_nanos));
    let state = match span.state {
        NodeState::Up => "up",
        NodeState::Paused => "paused",
        NodeState::Killed => "killed",
        NodeState::PowerLost => "power lost",
        NodeState::Cut => "network cut",
    };
    let _ = write!(
        html,
        "<rect class=\"span\" x=\"{x1:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{height}\" fill=\"{}\">\
         <title>{state} {:.3}s – {:.3}s: {}</title></rect>",
        (x2 - x1).max(0.5),
        state_color(span.state),
        secs(span.from_nanos),
        secs(span.to_nanos),
        escape(&span.text)
    );
}

fn mark_rect(html: &mut String, mark: &Mark, scale: &Scale, y: f64) {
    let x = scale.x(mark.at_nanos) - 2.0;
    let _ = write!(
        html,
        "<rect class=\"mark\" x=\"{x:.1}\" y=\"{:.1}\" width=\"4\" height=\"{:.1}\" fill=\"{}\">\
         <title>{:.3}s {}</title></rect>",
        y + 2.0,
        LANE - 6.0,
        mark_color(mark.kind),
        secs(mark.at_nanos),
        escape(&mark.text)
    );
}

fn rates(html: &mut String, timeline: &Timeline, scale: &Scale) {
    if timeline.rates.is_empty() {
        html.push_str("<p>No rates recorded by this workload.</p>");
        return;
    }
    let max = timeline
        .rates
        .values()
        .flat_map(|series| series.values())
        .copied()
        .max()
        .unwrap_or(1)
        .max(1);
    let height = RATES + AXIS;
    let _ = write!(
        html,
        "<h2 style=\"font-size:14px\">Per-second counts</h2>\
         <svg id=\"rates\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\">"
    );
    grid(html, scale, height);
    let y = |count: u64| AXIS + RATES - RATES * count as f64 / max as f64;
    let _ = write!(
        html,
        "<text x=\"4\" y=\"{:.1}\">{max}/s</text><text x=\"4\" y=\"{:.1}\">0/s</text>",
        AXIS + 10.0,
        AXIS + RATES
    );
    let end_s = timeline.end_nanos / 1_000_000_000;
    for (index, (name, series)) in timeline.rates.iter().enumerate() {
        let color = SERIES_COLORS[index % SERIES_COLORS.len()];
        let points: Vec<String> = (0..=end_s)
            .map(|second| {
                let count = series.get(&second).copied().unwrap_or(0);
                format!("{:.1},{:.1}", scale.x(second * 1_000_000_000), y(count))
            })
            .collect();
        let total: u64 = series.values().sum();
        let _ = write!(
            html,
            "<polyline class=\"series\" data-series=\"{name}\" fill=\"none\" stroke=\"{color}\" \
             stroke-width=\"1.5\" points=\"{}\"><title>{name}: {total} in all</title></polyline>\
             <text x=\"{:.1}\" y=\"{:.1}\" fill=\"{color}\">{name}</text>",
            points.join(" "),
            LABEL + 8.0 + 110.0 * index as f64,
            AXIS + 12.0,
            name = escape(name)
        );
    }
    html.push_str("</svg>");
}

fn violations(html: &mut String, timeline: &Timeline) {
    if timeline.violations.is_empty() {
        html.push_str("<p>No violations.</p>");
        return;
    }
    html.push_str("<h2 style=\"font-size:14px\">Violations</h2><ul class=\"violations\">");
    for mark in &timeline.violations {
        let _ = write!(html, "<li>{}</li>", escape(&mark.text));
    }
    html.push_str("</ul>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timeline::build;
    use crate::timeline::build::tests::{info, small_trace};

    fn page() -> String {
        let violations = vec!["SAFETY: lost <key> & more".to_string()];
        render(&build(info(), &small_trace(), &violations))
    }

    #[test]
    fn one_lane_per_node_plus_world_and_violations() {
        let html = page();
        assert_eq!(html.matches("<g class=\"lane\"").count(), 4);
        for node in ["a", "b", "world", "violations"] {
            assert!(html.contains(&format!("data-node=\"{node}\"")), "{node}");
        }
        // a: kill, restart, partition; b: partition, clock, route; world: heal; 1 violation.
        assert_eq!(html.matches("class=\"mark\"").count(), 8);
        // a: up, killed, up + one cut; b: up + one cut.
        assert_eq!(html.matches("class=\"span\"").count(), 6);
        assert_eq!(html.matches("class=\"series\"").count(), 4);
    }

    #[test]
    fn header_says_what_ran_and_how_to_reproduce() {
        let html = page();
        assert!(html.contains("<h1>tiny</h1>"));
        assert!(html.contains("0000000000000abc"));
        assert!(html.contains("rocketsim run tiny.toml --seed 7"));
        assert!(html.contains("id=\"result\">fail<"));
    }

    #[test]
    fn self_contained_and_escaped() {
        let html = page();
        assert!(!html.contains("http://") && !html.contains("https://"));
        assert!(!html.contains("<script") && !html.contains("<link"));
        assert!(html.contains("SAFETY: lost &lt;key&gt; &amp; more"));
        assert!(!html.contains("<key>"));
    }
}
