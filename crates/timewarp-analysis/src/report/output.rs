//! Writing the results: `plots/*.png` (and `.svg`), `metrics.json` and `report.html`, each
//! atomically.

use super::metrics::Metrics;
use crate::error::AnalysisError;
use crate::html;
use crate::plots::Rendered;
use std::path::Path;

pub(super) fn write_outputs(
    out_dir: &Path,
    metrics: &Metrics,
    figures: &[Rendered],
    write_svg: bool,
) -> Result<(), AnalysisError> {
    let plots_dir = out_dir.join("plots");
    std::fs::create_dir_all(&plots_dir).map_err(|e| AnalysisError::io(&plots_dir, e))?;
    for f in figures {
        let png = plots_dir.join(format!("{}.png", f.name));
        write_atomic(&png, &f.png)?;
        if write_svg {
            let svg = plots_dir.join(format!("{}.svg", f.name));
            write_atomic(&svg, f.svg.as_bytes())?;
        }
    }
    let json_path = out_dir.join("metrics.json");
    let json = serde_json::to_string_pretty(metrics).map_err(|source| AnalysisError::Json {
        path: json_path.clone(),
        source,
    })?;
    write_atomic(&json_path, json.as_bytes())?;
    let html_path = out_dir.join("report.html");
    write_atomic(
        &html_path,
        html::report_html(metrics, figures, write_svg).as_bytes(),
    )
}

/// Write durably and atomically (`timewarp_rundir::write_atomic`).
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AnalysisError> {
    timewarp_rundir::write_atomic(path, bytes).map_err(|e| match e {
        timewarp_rundir::RunDirError::Io { path, err } => AnalysisError::io(path, err),
        other => AnalysisError::io(path, std::io::Error::other(other.to_string())),
    })
}
