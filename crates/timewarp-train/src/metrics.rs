//! Training metrics: `metrics.csv` and the loss curve (`loss.png`, `loss.svg`).

use crate::error::TrainError;
use plotters::prelude::*;
use std::io::Write;
use std::path::{Path, PathBuf};

/// One row of `metrics.csv`. Training values are means over the steps since the previous row.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsRow {
    pub step: u64,
    pub epoch: u64,
    /// The loss being minimised (equal to `train_nll` for the NLL loss).
    pub train_loss: f64,
    /// NLL per atom on the training batches (nats).
    pub train_nll: f64,
    /// Validation NLL per atom, when this step ran a validation.
    pub val_nll: Option<f64>,
    pub lr: f64,
    /// Global gradient norm before clipping.
    pub grad_norm: f64,
    /// Training throughput (pairs per second of training-step time).
    pub pairs_per_s: f64,
    /// Wall-clock seconds since the start of the run (all sessions).
    pub wall_s: f64,
    /// Mean MH acceptance probability of the flow's proposals (acceptance loss only).
    pub acceptance: Option<f64>,
    /// Mean reduced energy change u(y) − u(x) of the proposals in k_BT (acceptance loss only).
    pub energy_delta_kt: Option<f64>,
    /// Validation value of the loss being minimised, when this step ran a validation (equal to
    /// `val_nll` for the NLL loss); `best/` holds the weights with the lowest one.
    pub val_loss: Option<f64>,
    /// Mean MH acceptance of the flow's proposals from the validation states (acceptance loss
    /// only).
    pub val_acceptance: Option<f64>,
}

pub const CSV_HEADER: &str = concat!(
    "step,epoch,train_loss,train_nll,val_nll,lr,grad_norm,pairs_per_s,wall_s,",
    "acceptance,energy_delta_kt,val_loss,val_acceptance"
);

impl MetricsRow {
    /// Non-finite values (no training yet at step 0) are written as empty fields.
    fn to_csv(&self) -> String {
        let f = |v: f64, p: usize| {
            if v.is_finite() {
                format!("{v:.p$}")
            } else {
                String::new()
            }
        };
        let val = self.val_nll.map(|v| f(v, 6)).unwrap_or_default();
        let lr = if self.lr.is_finite() {
            format!("{:.6e}", self.lr)
        } else {
            String::new()
        };
        let opt = |v: Option<f64>| v.map(|v| f(v, 6)).unwrap_or_default();
        format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{}",
            self.step,
            self.epoch,
            f(self.train_loss, 6),
            f(self.train_nll, 6),
            val,
            lr,
            f(self.grad_norm, 6),
            f(self.pairs_per_s, 3),
            f(self.wall_s, 3),
            opt(self.acceptance),
            opt(self.energy_delta_kt),
            opt(self.val_loss),
            opt(self.val_acceptance)
        )
    }

    fn parse(line: &str) -> Option<MetricsRow> {
        let f: Vec<&str> = line.split(',').collect();
        // 11 columns: files written before the validation-loss columns existed.
        if f.len() != 11 && f.len() != 13 {
            return None;
        }
        let opt = |s: &str| {
            if s.is_empty() {
                Some(None)
            } else {
                s.parse().ok().map(Some)
            }
        };
        let num = |s: &str| {
            if s.is_empty() {
                Some(f64::NAN)
            } else {
                s.parse().ok()
            }
        };
        Some(MetricsRow {
            step: f[0].parse().ok()?,
            epoch: f[1].parse().ok()?,
            train_loss: num(f[2])?,
            train_nll: num(f[3])?,
            val_nll: if f[4].is_empty() {
                None
            } else {
                Some(f[4].parse().ok()?)
            },
            lr: num(f[5])?,
            grad_norm: num(f[6])?,
            pairs_per_s: num(f[7])?,
            wall_s: num(f[8])?,
            acceptance: opt(f[9])?,
            energy_delta_kt: opt(f[10])?,
            val_loss: if f.len() == 13 { opt(f[11])? } else { None },
            val_acceptance: if f.len() == 13 { opt(f[12])? } else { None },
        })
    }
}

/// Appends rows to `metrics.csv`, flushing each one so that a killed run keeps its history.
pub struct MetricsLog {
    path: PathBuf,
    file: std::fs::File,
    pub rows: Vec<MetricsRow>,
}

impl MetricsLog {
    /// Starts `run/metrics.csv`. When resuming from `resume_step`, rows up to that step are
    /// kept and later ones (written after the checkpoint, before the kill) dropped, so the file
    /// has no duplicate steps.
    pub fn open(run: &Path, resume_step: Option<u64>) -> Result<Self, TrainError> {
        let path = run.join("metrics.csv");
        let mut rows = Vec::new();
        if let Some(s) = resume_step {
            if let Ok(text) = std::fs::read_to_string(&path) {
                rows = text
                    .lines()
                    .skip(1)
                    .filter_map(MetricsRow::parse)
                    .filter(|r| r.step <= s)
                    .collect();
            }
        }
        let mut text = String::from(CSV_HEADER);
        text.push('\n');
        for r in &rows {
            text.push_str(&r.to_csv());
            text.push('\n');
        }
        timewarp_rundir::write_atomic(&path, text.as_bytes())?;
        let file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(TrainError::io(&path))?;
        Ok(MetricsLog { path, file, rows })
    }

    pub fn push(&mut self, row: MetricsRow) -> Result<(), TrainError> {
        writeln!(self.file, "{}", row.to_csv()).map_err(TrainError::io(&self.path))?;
        self.file.flush().map_err(TrainError::io(&self.path))?;
        self.rows.push(row);
        Ok(())
    }
}

static FONT: std::sync::Once = std::sync::Once::new();

fn register_font() {
    FONT.call_once(|| {
        // DejaVu Sans (free licence, see assets/DejaVuSans-LICENSE.txt), so that the PNG has
        // text on machines without system fonts.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            include_bytes!("../assets/DejaVuSans.ttf"),
        );
    });
}

/// Draws the training and validation NLL per atom against the step, with the Gaussian
/// baseline as a dashed line, to `run/loss.png` and `run/loss.svg`.
pub fn plot_loss(run: &Path, rows: &[MetricsRow], baseline: Option<f64>) -> Result<(), TrainError> {
    register_font();
    let png = run.join("loss.png");
    let svg = run.join("loss.svg");
    draw(
        BitMapBackend::new(&png, (900, 560)).into_drawing_area(),
        rows,
        baseline,
    )
    .map_err(|detail| TrainError::Plot {
        path: png.clone(),
        detail,
    })?;
    draw(
        SVGBackend::new(&svg, (900, 560)).into_drawing_area(),
        rows,
        baseline,
    )
    .map_err(|detail| TrainError::Plot {
        path: svg.clone(),
        detail,
    })?;
    Ok(())
}

fn draw<DB: DrawingBackend>(
    area: DrawingArea<DB, plotters::coord::Shift>,
    rows: &[MetricsRow],
    baseline: Option<f64>,
) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    area.fill(&WHITE).map_err(err)?;
    let train: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r.train_nll.is_finite())
        .map(|r| (r.step as f64, r.train_nll))
        .collect();
    let val: Vec<(f64, f64)> = rows
        .iter()
        .filter_map(|r| {
            r.val_nll
                .filter(|v| v.is_finite())
                .map(|v| (r.step as f64, v))
        })
        .collect();
    let ys = train.iter().chain(&val).map(|p| p.1).chain(baseline);
    let (mut lo, mut hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if !lo.is_finite() {
        (lo, hi) = (0.0, 1.0);
    }
    // The first steps of a run have a much larger NLL; clip the view to the last 90 % of the
    // training curve plus validation and baseline, so that the interesting part is visible.
    if train.len() > 10 {
        let tail = train[train.len() / 10..]
            .iter()
            .map(|p| p.1)
            .chain(val.iter().map(|p| p.1))
            .chain(baseline);
        let tail_hi = tail.fold(f64::NEG_INFINITY, f64::max);
        hi = hi.min(tail_hi + 0.25 * (tail_hi - lo).abs().max(0.1));
    }
    let pad = 0.05 * (hi - lo).abs().max(1e-3);
    let x_max = rows.iter().map(|r| r.step).max().unwrap_or(1).max(1) as f64;
    let mut chart = ChartBuilder::on(&area)
        .caption("Timewarp training: NLL per atom", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(64)
        .build_cartesian_2d(0.0..x_max, (lo - pad)..(hi + pad))
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("optimiser step")
        .y_desc("NLL per atom (nats)")
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(err)?;
    let blue = RGBColor(31, 119, 180);
    let orange = RGBColor(255, 127, 14);
    chart
        .draw_series(LineSeries::new(train.iter().copied(), blue.stroke_width(1)))
        .map_err(err)?
        .label("train")
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], blue));
    if !val.is_empty() {
        chart
            .draw_series(LineSeries::new(val.iter().copied(), orange.stroke_width(2)))
            .map_err(err)?
            .label("validation")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], orange));
        chart
            .draw_series(val.iter().map(|&p| Circle::new(p, 3, orange.filled())))
            .map_err(err)?;
    }
    if let Some(b) = baseline {
        let dash = x_max / 40.0;
        chart
            .draw_series((0..40).map(|k| {
                let x0 = k as f64 * dash;
                PathElement::new(vec![(x0, b), (x0 + 0.6 * dash, b)], BLACK.stroke_width(1))
            }))
            .map_err(err)?
            .label("Gaussian baseline (validation)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(SeriesLabelPosition::UpperRight)
        .draw()
        .map_err(err)?;
    area.present().map_err(err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(step: u64, val: Option<f64>) -> MetricsRow {
        MetricsRow {
            step,
            epoch: 0,
            train_loss: 1.0 / (step as f64 + 1.0),
            train_nll: 1.0 / (step as f64 + 1.0),
            val_nll: val,
            lr: 1e-3,
            grad_norm: 0.5,
            pairs_per_s: 100.0,
            wall_s: step as f64,
            acceptance: (step == 2).then_some(0.25),
            energy_delta_kt: None,
            val_loss: val.map(|v| v + 0.5),
            val_acceptance: val.map(|_| 0.125),
        }
    }

    #[test]
    fn csv_round_trip_and_resume_truncation() {
        let run = std::env::temp_dir().join(format!("tw-train-metrics-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&run);
        std::fs::create_dir_all(&run).unwrap();
        let mut log = MetricsLog::open(&run, None).unwrap();
        for s in 1..=6 {
            log.push(row(s, (s % 2 == 0).then_some(-0.5))).unwrap();
        }
        let log = MetricsLog::open(&run, Some(4)).unwrap();
        assert_eq!(log.rows.len(), 4);
        assert_eq!(log.rows[3].step, 4);
        assert_eq!(log.rows[1].val_nll, Some(-0.5));
        assert_eq!(log.rows[0].val_nll, None);
        assert_eq!(log.rows[1].acceptance, Some(0.25));
        assert_eq!(log.rows[0].acceptance, None);
        let text = std::fs::read_to_string(run.join("metrics.csv")).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.starts_with(CSV_HEADER));

        plot_loss(&run, &log.rows, Some(-0.3)).unwrap();
        let png = std::fs::read(run.join("loss.png")).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let svg = std::fs::read_to_string(run.join("loss.svg")).unwrap();
        assert!(svg.contains("<svg") && svg.contains("validation"));
        std::fs::remove_dir_all(&run).unwrap();
    }
}
