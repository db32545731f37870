//! `bench-chart RESULTS.tsv OUT.png`: the chart of `docs/performance.md`,
//! drawn by `scripts/bench-http.sh` from the run it just made.
//!
//! Each row of the TSV is `label<TAB>requests/s<TAB>pgbench tps or -`; the
//! chart puts each request's throughput over HTTP (dark bar) in front of its
//! database ceiling — pgbench on the same statements at the same concurrency
//! (light bar) — so the ratio the table reports is visible at a glance.
//! Built only with `--features chart` (plotters is not part of the test build).

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use std::error::Error;

const FONT: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

struct Row {
    label: String,
    rps: f64,
    ceiling: Option<f64>,
}

fn read_rows(path: &str) -> Result<Vec<Row>, Box<dyn Error>> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            let [label, rps, ceiling] = fields[..] else {
                return Err(format!("expected 3 tab-separated fields: {line}").into());
            };
            Ok(Row {
                label: label.to_owned(),
                rps: rps.parse()?,
                ceiling: ceiling.parse().ok(),
            })
        })
        .collect()
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, input, output] = &args[..] else {
        return Err("usage: bench-chart RESULTS.tsv OUT.png".into());
    };
    let rows = read_rows(input)?;
    if rows.is_empty() {
        return Err(format!("{input} has no rows").into());
    }
    // plotters' pure-Rust text needs a font it is given: Debian's DejaVu
    // (fonts-dejavu-core), leaked once for the 'static the API wants.
    let font: &'static [u8] = Box::leak(std::fs::read(FONT)?.into_boxed_slice());
    register_font("sans-serif", FontStyle::Normal, font).map_err(|_| "unusable font")?;

    let height = 110 + 52 * u32::try_from(rows.len())?;
    let root = BitMapBackend::new(output, (1000, height)).into_drawing_area();
    root.fill(&WHITE)?;
    let top = rows
        .iter()
        .map(|row| row.rps.max(row.ceiling.unwrap_or(0.0)))
        .fold(0.0, f64::max)
        * 3.0;
    let count = rows.len();
    // One band of height 1 per row, first row at the top: its label above
    // its bars, the ceiling (light) behind the HTTP throughput (dark). A log
    // scale: /health (tens of thousands) and login (a handful) on one chart.
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "req/s over HTTP (dark) vs pgbench on the same statements (light), 64 connections",
            ("sans-serif", 18),
        )
        .margin(16)
        .x_label_area_size(36)
        .build_cartesian_2d((1.0..top).log_scale(), 0.0..count as f64)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("requests (or transactions) per second, log scale")
        .label_style(("sans-serif", 13))
        .draw()?;
    let light = RGBColor(170, 200, 235);
    let dark = RGBColor(31, 90, 160);
    for (position, row) in rows.iter().enumerate() {
        let base = (count - 1 - position) as f64;
        chart.draw_series(std::iter::once(Text::new(
            row.label.clone(),
            (1.05, base + 0.97),
            ("sans-serif", 14),
        )))?;
        if let Some(ceiling) = row.ceiling {
            chart.draw_series(std::iter::once(Rectangle::new(
                [(1.0, base + 0.08), (ceiling, base + 0.58)],
                light.filled(),
            )))?;
        }
        chart.draw_series(std::iter::once(Rectangle::new(
            [(1.0, base + 0.18), (row.rps, base + 0.48)],
            dark.filled(),
        )))?;
        let text = match row.ceiling {
            Some(ceiling) if ceiling > 0.0 => format!(
                "{:.0}  ({:.0} % of {:.0})",
                row.rps,
                100.0 * row.rps / ceiling,
                ceiling
            ),
            _ => format!("{:.0}", row.rps),
        };
        chart.draw_series(std::iter::once(Text::new(
            text,
            (row.rps.max(row.ceiling.unwrap_or(0.0)) * 1.15, base + 0.5),
            ("sans-serif", 13),
        )))?;
    }
    root.present()?;
    println!("bench-chart: wrote {output} ({count} rows)");
    Ok(())
}
