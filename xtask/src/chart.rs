//! The benchmark chart: ns per match against rule count, log-log, one line per engine.

use plotters::prelude::*;
use serde_json::Value;

pub fn draw(results: &str, out: &str) -> Result<(), String> {
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
        .map_err(|e| format!("the chart needs DejaVu Sans (apt-get install fonts-dejavu-core): {e}"))?;
    plotters::style::register_font("sans-serif", FontStyle::Normal, Box::leak(font.into_boxed_slice()))
        .map_err(|_| "cannot load the font".to_string())?;
    let results: Value = serde_json::from_str(&std::fs::read_to_string(results).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    // (engine label, criterion function) -> points (rules, ns per match) on the mixed requests.
    let engines = [
        ("detour compiled", "compiled"),
        ("reference scan", "reference"),
        ("per-rule regex scan", "regex_scan"),
        ("regex::RegexSet", "regex_set"),
        ("matchit (subset)", "matchit"),
    ];
    let mut series: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    for (label, function) in engines {
        let mut points: Vec<(f64, f64)> = results["criterion"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|c| c["function"] == function && c["parameter"] == "mixed")
            .filter_map(|c| {
                let rules: f64 = c["group"].as_str()?.strip_prefix("match/")?.parse().ok()?;
                Some((rules, c["ns_per_element"].as_f64()?))
            })
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        if !points.is_empty() {
            series.push((label, points));
        }
    }
    let max_ns = series.iter().flat_map(|(_, p)| p.iter().map(|x| x.1)).fold(1.0, f64::max);
    let root = BitMapBackend::new(out, (1000, 640)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut chart = ChartBuilder::on(&root)
        .caption("ns per match (mixed requests) against rule count", ("sans-serif", 26))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d((500f64..2_000_000f64).log_scale(), (5f64..max_ns * 3.0).log_scale())
        .map_err(|e| e.to_string())?;
    chart
        .configure_mesh()
        .x_desc("rules")
        .y_desc("ns per match")
        .x_label_formatter(&|x| format!("{}", *x as u64))
        .y_label_formatter(&|y| format!("{}", *y as u64))
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(|e| e.to_string())?;
    let colors = [RED, BLUE, GREEN, MAGENTA, BLACK];
    for ((label, points), color) in series.into_iter().zip(colors) {
        let style = ShapeStyle::from(&color).stroke_width(3);
        chart
            .draw_series(LineSeries::new(points.clone(), style))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 5, color.filled()))).map_err(|e| e.to_string())?;
    }
    chart
        .configure_series_labels()
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}
