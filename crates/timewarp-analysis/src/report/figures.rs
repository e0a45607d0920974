//! The figures of the report: Ramachandran free energies, φ/ψ profiles, TICA maps, the
//! autocorrelation of the ESS observable, energies and bonds, and φ/ψ traces against time.

use super::reference::TicFrames;
use super::series::Series;
use super::Analysis;
use crate::autocorr::autocorrelation;
use crate::bonds;
use crate::error::AnalysisError;
use crate::histogram::{Axis, Histogram1D, Histogram2D};
use crate::plots::{
    self, AngleTraces, Curve, FreeEnergyMaps, Guide, LinePanel, LinePanels, Rendered, TraceRow,
};
use std::collections::HashSet;

impl Analysis {
    pub(super) fn figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let mut out = Vec::new();
        for r in 0..self.reference.pairs.len() {
            out.push(self.ramachandran_figure(r)?);
            out.push(self.dihedral_profiles_figure(r)?);
        }
        out.extend(self.tica_figures()?);
        out.extend(self.autocorrelation_figure()?);
        out.extend(self.energy_and_bonds_figure()?);
        out.extend(self.time_series_figures()?);
        Ok(out)
    }

    /// φ/ψ free energy of residue `r`, one panel per data set.
    fn ramachandran_figure(&self, r: usize) -> Result<Rendered, AnalysisError> {
        let p = &self.reference.pairs[r];
        // Alanine-dipeptide basin borders: φ = 0; ψ = 50° and ψ = −120° for φ ≤ 0.
        let guides = vec![
            Guide::Vertical(0.0),
            Guide::Horizontal {
                y: 50.0,
                from: -180.0,
                to: 0.0,
            },
            Guide::Horizontal {
                y: -120.0,
                from: -180.0,
                to: 0.0,
            },
        ];
        let panels: Vec<(String, Histogram2D)> = self
            .all_series()
            .map(|s| {
                let h = Histogram2D::from_pairs(
                    angle_axis(60),
                    angle_axis(60),
                    degrees(&s.angles.phi[r])
                        .into_iter()
                        .zip(degrees(&s.angles.psi[r])),
                );
                (s.label.clone(), h)
            })
            .collect();
        plots::render(&FreeEnergyMaps {
            name: format!("ramachandran_{}", slug(&p.label)),
            title: format!("Ramachandran free energy, {}", p.label),
            x_desc: "φ / deg".into(),
            y_desc: "ψ / deg".into(),
            f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
            panels,
            guides,
        })
    }

    /// Free-energy profiles of φ and ψ of residue `r`, one curve per data set.
    fn dihedral_profiles_figure(&self, r: usize) -> Result<Rendered, AnalysisError> {
        let p = &self.reference.pairs[r];
        let profile = |name: &str, angle: &dyn Fn(&Series) -> &[f64]| LinePanel {
            x_desc: format!("{name} / deg"),
            y_desc: "F / kT".into(),
            x_range: (-180.0, 180.0),
            curves: self
                .all_series()
                .map(|s| {
                    let h = Histogram1D::from_values(angle_axis(72), degrees(angle(s)));
                    Curve::free_energy(&s.label, &h)
                })
                .collect(),
            log_y: false,
        };
        plots::render(&LinePanels {
            name: format!("dihedral_profiles_{}", slug(&p.label)),
            title: format!("Free-energy profiles of φ and ψ, {}", p.label),
            panels: vec![
                profile("φ", &|s| &s.angles.phi[r]),
                profile("ψ", &|s| &s.angles.psi[r]),
            ],
        })
    }

    /// Free energy on TIC0/TIC1 (one panel per data set) and its profiles along each.
    fn tica_figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let points: Option<Vec<(&str, TicFrames)>> = self
            .all_series()
            .map(|s| Some((s.label.as_str(), s.tic_points()?)))
            .collect();
        let Some(points) = points else {
            return Ok(Vec::new());
        };
        let all = || points.iter().flat_map(|(_, v)| v.iter());
        let ax = Axis::spanning(all().map(|p| p[0]), 60);
        let ay = Axis::spanning(all().map(|p| p[1]), 60);
        let panels: Vec<(String, Histogram2D)> = points
            .iter()
            .map(|(label, v)| {
                let h = Histogram2D::from_pairs(ax, ay, v.iter().map(|p| (p[0], p[1])));
                (label.to_string(), h)
            })
            .collect();
        let map = plots::render(&FreeEnergyMaps {
            name: "tica_free_energy".into(),
            title: "Free energy on the slowest TICA coordinates (TICA fitted on MD)".into(),
            x_desc: "TIC0".into(),
            y_desc: "TIC1".into(),
            f_max: FreeEnergyMaps::auto_f_max(&panels, 12.0),
            panels,
            guides: Vec::new(),
        })?;
        let profile = |k: usize, axis: Axis| LinePanel {
            x_desc: format!("TIC{k}"),
            y_desc: "F / kT".into(),
            x_range: (axis.lo, axis.hi),
            curves: points
                .iter()
                .map(|(label, v)| {
                    let h =
                        Histogram1D::from_values(Axis { n: 80, ..axis }, v.iter().map(|p| p[k]));
                    Curve::free_energy(label, &h)
                })
                .collect(),
            log_y: false,
        };
        let profiles = plots::render(&LinePanels {
            name: "tica_profiles".into(),
            title: "Free-energy profiles along TIC0 and TIC1".into(),
            panels: vec![profile(0, ax), profile(1, ay)],
        })?;
        Ok(vec![map, profiles])
    }

    /// Autocorrelation of the ESS observable, first trajectory of each data set, up to four
    /// of its own τ_int. Against physical lag time when every data set knows the time between
    /// its frames (an MD frame and a chain step are different times), else against frames.
    fn autocorrelation_figure(&self) -> Result<Option<Rendered>, AnalysisError> {
        let Some(obs) = &self.metrics.ess_observable else {
            return Ok(None);
        };
        let metrics = std::iter::once(&self.metrics.md).chain(&self.set_metrics);
        let intervals: Option<Vec<f64>> = metrics.clone().map(|m| m.frame_interval_ps).collect();
        let (x_desc, unit): (&str, Vec<f64>) = match intervals {
            Some(dt) => ("lag / ps", dt),
            None => ("lag / saved frames", vec![1.0; self.sets.len() + 1]),
        };
        let mut curves = Vec::new();
        for ((s, m), dt) in self.all_series().zip(metrics).zip(unit) {
            let Some(first) = s.obs.as_ref().map(|o| o.primary.first()) else {
                return Ok(None);
            };
            let acf = autocorrelation(first.map_or(&[][..], Vec::as_slice));
            let tau = m.ess.map_or(10.0, |e| e.tau_int).max(10.0);
            let max_lag = ((4.0 * tau).ceil() as usize).min(acf.len().saturating_sub(1));
            curves.push(Curve {
                label: s.label.clone(),
                x: (0..=max_lag).map(|k| k as f64 * dt).collect(),
                y: acf.iter().take(max_lag + 1).copied().collect(),
            });
        }
        let x_max = curves
            .iter()
            .filter_map(|c| c.x.last().copied())
            .fold(0.0f64, f64::max);
        plots::render(&LinePanels {
            name: "autocorrelation".into(),
            title: format!("Autocorrelation of {obs} (first trajectory of each data set)"),
            panels: vec![LinePanel {
                x_desc: x_desc.into(),
                y_desc: "autocorrelation ρ".into(),
                x_range: (0.0, if x_max > 0.0 { x_max } else { 1.0 }),
                curves,
                log_y: false,
            }],
        })
        .map(Some)
    }

    /// Histograms of potential energies and of relative bond deviations from MD.
    fn energy_and_bonds_figure(&self) -> Result<Option<Rendered>, AnalysisError> {
        let mut panels = Vec::new();
        let others: Vec<&[f64]> = self.sets.iter().map(|s| s.energy.as_slice()).collect();
        if !self.md.energy.is_empty() || others.iter().any(|e| !e.is_empty()) {
            let axis = energy_axis(&self.md.energy, &others, 80);
            panels.push(LinePanel {
                x_desc: "potential energy / kJ mol⁻¹ (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves: self
                    .all_series()
                    .filter(|s| !s.energy.is_empty())
                    .map(|s| Curve::density_steps(&s.label, &clamped_histogram(axis, &s.energy)))
                    .collect(),
                log_y: false,
            });
        }
        if !self.md.bond_lengths.is_empty() {
            let axis = Axis::new(-0.5, 0.5, 100);
            panels.push(LinePanel {
                x_desc: "(r − r_MD) / r_MD, all bonds (end bins hold values beyond)".into(),
                y_desc: "probability density".into(),
                x_range: (axis.lo, axis.hi),
                curves: self
                    .all_series()
                    .map(|s| {
                        let dev = bonds::relative_deviations(
                            &s.bond_lengths,
                            &self.reference.bond_lengths,
                        );
                        Curve::density_steps(&s.label, &clamped_histogram(axis, &dev))
                    })
                    .collect(),
                log_y: true,
            });
        }
        if panels.is_empty() {
            return Ok(None);
        }
        plots::render(&LinePanels {
            name: "energy_and_bonds".into(),
            title: "Potential energies and bond lengths".into(),
            panels,
        })
        .map(Some)
    }

    /// φ and ψ of every residue against time, one figure per sample set with the MD rows
    /// above its own; each on its own clock (MD in ns, chains in steps of τ).
    fn time_series_figures(&self) -> Result<Vec<Rendered>, AnalysisError> {
        let pairs = &self.reference.pairs;
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        let mut used = HashSet::new();
        let mut out = Vec::new();
        for s in &self.sets {
            let mut name = format!("phi_psi_time_{}", slug(&s.label));
            while !used.insert(name.clone()) {
                name.push('_');
            }
            let rows = (0..pairs.len())
                .flat_map(|r| {
                    let residue = &pairs[r].label;
                    [
                        trace_row(&self.md, r, &format!("MD, {residue}, first trajectory")),
                        trace_row(s, r, &format!("{}, {residue}, first trajectory", s.label)),
                    ]
                })
                .collect();
            let residues: Vec<&str> = pairs.iter().map(|p| p.label.as_str()).collect();
            out.push(plots::render(&AngleTraces {
                name,
                title: format!(
                    "φ and ψ of {} against time: MD vs {} (different clocks)",
                    residues.join(", "),
                    s.label
                ),
                rows,
            })?);
        }
        Ok(out)
    }
}

/// Most frames a time-series panel shows (longer trajectories are strided evenly).
const MAX_TRACE_POINTS: usize = 5000;

/// φ and ψ (degrees) of residue `r` over the first trajectory of `s`, strided to at most
/// [`MAX_TRACE_POINTS`] frames.
fn trace_row(s: &Series, r: usize, label: &str) -> TraceRow {
    let n = s.lengths.first().copied().unwrap_or(0).min(s.clock.x.len());
    let stride = n.div_ceil(MAX_TRACE_POINTS).max(1);
    let pick = |v: &[f64]| -> Vec<f64> {
        v[..n.min(v.len())]
            .iter()
            .step_by(stride)
            .copied()
            .collect()
    };
    let desc = match stride {
        1 => s.clock.desc.clone(),
        k => format!("{} (every {k}th frame shown)", s.clock.desc),
    };
    TraceRow {
        label: label.to_string(),
        x_desc: desc,
        x: pick(&s.clock.x),
        angles: vec![
            ("φ".to_string(), degrees(&pick(&s.angles.phi[r]))),
            ("ψ".to_string(), degrees(&pick(&s.angles.psi[r]))),
        ],
    }
}

/// Radians to degrees.
fn degrees(v: &[f64]) -> Vec<f64> {
    v.iter().map(|a| a.to_degrees()).collect()
}

/// Periodic angle axis over [−180°, 180°) with `n` bins.
fn angle_axis(n: usize) -> Axis {
    Axis {
        lo: -180.0,
        hi: 180.0,
        n,
        periodic: true,
    }
}

/// A label made safe for a file name: letters, digits, `-` and `_`; the rest become `_`.
fn slug(label: &str) -> String {
    label
        .chars()
        .map(
            |c| match c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                true => c,
                false => '_',
            },
        )
        .collect()
}

/// Energy axis: the MD range widened to show the sample sets, but at most 5 MD widths beyond
/// it so that a few exploded configurations do not squash the MD distribution.
fn energy_axis(md: &[f64], sets: &[&[f64]], n: usize) -> Axis {
    let finite = |v: &[f64]| {
        v.iter()
            .copied()
            .filter(|x| x.is_finite())
            .collect::<Vec<_>>()
    };
    let (m, s) = (finite(md), finite(&sets.concat()));
    let base = if m.is_empty() { &s } else { &m };
    let lo_b = base.iter().copied().fold(f64::INFINITY, f64::min);
    let hi_b = base.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo_b.is_finite() {
        return Axis::new(0.0, 1.0, n);
    }
    let w = (hi_b - lo_b).max(1.0);
    let lo_s = s.iter().copied().fold(lo_b, f64::min).max(lo_b - 5.0 * w);
    let hi_s = s.iter().copied().fold(hi_b, f64::max).min(hi_b + 5.0 * w);
    Axis::spanning([lo_s, hi_s], n)
}

/// Histogram with values outside the axis counted in the first/last bin.
fn clamped_histogram(axis: Axis, values: &[f64]) -> Histogram1D {
    let eps = axis.width() * 1e-6;
    Histogram1D::from_values(
        axis,
        values
            .iter()
            .filter(|v| !v.is_nan())
            .map(|&v| v.clamp(axis.lo, axis.hi - eps)),
    )
}
