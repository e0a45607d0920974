//! Figures of the report, drawn with plotters to PNG (embedded DejaVu Sans, so the binary
//! renders text identically everywhere) and SVG.
//!
//! Three figure types cover everything the report shows:
//! * [`FreeEnergyMaps`]: 2D free energies F = −ln p (kT) side by side on a shared colour
//!   scale (Ramachandran plots, TIC0/TIC1 surfaces), white where a data set never went;
//! * [`LinePanels`]: 1D curves (free-energy profiles of φ, ψ, TICs; histograms of energies and
//!   bond lengths), several data sets per panel;
//! * [`AngleTraces`]: periodic angles against time as dots, one row of panels per data set,
//!   each row on its own time axis (MD time and MCMC steps are different clocks).

use crate::error::AnalysisError;
use crate::histogram::{Histogram1D, Histogram2D};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::Once;

/// DejaVu Sans 2.37 (Bitstream Vera license, see `assets/DejaVuSans-LICENSE.txt`).
static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Register the embedded font under `sans-serif` (idempotent).
pub fn register_embedded_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The embedded file is a valid TrueType font, so this cannot fail at run time;
        // were it to, plotters reports missing fonts as drawing errors later.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Colours of the data sets (the first eight of matplotlib's tab10: blue, orange, green, red,
/// purple, brown, pink, grey), reused cyclically.
pub const SERIES_COLOURS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// A rendered figure: PNG bytes and SVG text.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub name: String,
    pub title: String,
    pub png: Vec<u8>,
    pub svg: String,
}

/// Error inside drawing code; converted to [`AnalysisError::Plot`] by [`render`].
#[derive(Debug)]
pub struct DrawError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// Something that can be drawn on any plotters backend.
pub trait Figure {
    /// File stem, e.g. `ramachandran_ALA_2`.
    fn name(&self) -> &str;
    fn title(&self) -> &str;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static;
}

/// Draw `fig` to PNG (RGB, in memory) and SVG.
pub fn render<F: Figure>(fig: &F) -> Result<Rendered, AnalysisError> {
    register_embedded_font();
    let err = |m: String| AnalysisError::Plot {
        name: fig.name().to_string(),
        message: m,
    };
    let (w, h) = fig.size();
    let mut rgb = vec![255u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        fig.draw(&root).map_err(|e| err(e.0))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(e.to_string()))?;
        fig.draw(&root).map_err(|e| err(e.0))?;
        root.present().map_err(|e| err(e.to_string()))?;
    }
    let png = encode_png(&rgb, w, h).map_err(|e| err(e.to_string()))?;
    Ok(Rendered {
        name: fig.name().to_string(),
        title: fig.title().to_string(),
        png,
        svg,
    })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc.write_header()?;
        writer.write_image_data(rgb)?;
    }
    Ok(out)
}

/// Tick label with at most 3 decimals and no trailing zeros: 150, 0.5, −0.25.
fn tick(v: &f64) -> String {
    // Ticks that should be 0 come out as ±1e-16 from the axis arithmetic.
    if v.abs() < 1e-12 {
        return "0".to_string();
    }
    if v.abs() >= 1e4 || (v.abs() < 1e-3 && *v != 0.0) {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.3}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".to_string()
    } else {
        s.replace('-', "−")
    }
}

fn font(size: f64) -> TextStyle<'static> {
    (FAMILY, size).into_font().into()
}

/// Viridis colour map (matplotlib), t ∈ [0, 1], by linear interpolation of 9 samples.
pub fn viridis(t: f64) -> RGBColor {
    const STOPS: [(u8, u8, u8); 9] = [
        (68, 1, 84),
        (71, 44, 122),
        (59, 81, 139),
        (44, 113, 142),
        (33, 144, 141),
        (39, 173, 129),
        (92, 200, 99),
        (170, 220, 50),
        (253, 231, 37),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        1.0
    };
    let x = t * (STOPS.len() - 1) as f64;
    let i = (x.floor() as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    let lerp = |a: u8, b: u8| (a as f64 + f * (b as f64 - a as f64)).round() as u8;
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    RGBColor(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

/// A straight guide line drawn over a 2D map (e.g. the alanine-dipeptide basin borders).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Guide {
    /// x = value over the whole y range.
    Vertical(f64),
    /// y = value for x in [from, to].
    Horizontal { y: f64, from: f64, to: f64 },
}

/// 2D free-energy maps, one panel per data set, with a common colour bar.
#[derive(Debug, Clone)]
pub struct FreeEnergyMaps {
    pub name: String,
    pub title: String,
    pub x_desc: String,
    pub y_desc: String,
    /// (panel title, histogram in display units); all panels should share the grid.
    pub panels: Vec<(String, Histogram2D)>,
    pub guides: Vec<Guide>,
    /// Upper end of the colour scale in kT (cells above are drawn in the top colour).
    pub f_max: f64,
}

impl FreeEnergyMaps {
    /// F_max = the largest finite free energy over the panels, at most `cap` kT.
    pub fn auto_f_max(panels: &[(String, Histogram2D)], cap: f64) -> f64 {
        let m = panels
            .iter()
            .flat_map(|(_, h)| h.free_energy_kt())
            .filter(|f| f.is_finite())
            .fold(0.0f64, f64::max);
        if m > 0.0 {
            m.min(cap)
        } else {
            1.0
        }
    }
}

impl Figure for FreeEnergyMaps {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        (130 + 470 * self.panels.len().max(1) as u32, 520)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let area = root.titled(&self.title, font(24.0))?;
        let (w, _) = area.dim_in_pixel();
        let (maps, bar) = area.split_horizontally(w.saturating_sub(120));
        let cells = maps.split_evenly((1, self.panels.len().max(1)));
        let f_max = if self.f_max > 0.0 && self.f_max.is_finite() {
            self.f_max
        } else {
            1.0
        };
        for ((label, h), cell) in self.panels.iter().zip(&cells) {
            let (x0, x1, y0, y1) = (h.x.lo, h.x.hi, h.y.lo, h.y.hi);
            let mut chart = ChartBuilder::on(cell)
                .caption(label, font(20.0))
                .margin(8)
                .x_label_area_size(45)
                .y_label_area_size(60)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .x_desc(self.x_desc.as_str())
                .y_desc(self.y_desc.as_str())
                .label_style(font(14.0))
                .axis_desc_style(font(17.0))
                .draw()?;
            let f = h.free_energy_kt();
            let (dx, dy) = (h.x.width(), h.y.width());
            chart.draw_series(
                (0..h.x.n)
                    .flat_map(|i| (0..h.y.n).map(move |j| (i, j)))
                    .filter_map(|(i, j)| {
                        let v = f[i * h.y.n + j];
                        v.is_finite().then(|| {
                            let (a, b) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                            Rectangle::new([(a, b), (a + dx, b + dy)], viridis(v / f_max).filled())
                        })
                    }),
            )?;
            let guide_style = ShapeStyle {
                color: BLACK.mix(0.6),
                filled: false,
                stroke_width: 1,
            };
            for g in &self.guides {
                let pts = match *g {
                    Guide::Vertical(x) => vec![(x, y0), (x, y1)],
                    Guide::Horizontal { y, from, to } => vec![(from, y), (to, y)],
                };
                chart.draw_series(std::iter::once(PathElement::new(pts, guide_style)))?;
            }
            if h.total() == 0.0 {
                chart.draw_series(std::iter::once(Text::new(
                    "no data",
                    (0.5 * (x0 + x1), 0.5 * (y0 + y1)),
                    font(18.0),
                )))?;
            }
        }
        draw_colour_bar(&bar, f_max)
    }
}

fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    f_max: f64,
) -> Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(50)
        .margin_right(10)
        .y_label_area_size(55)
        .build_cartesian_2d(0.0..1.0, 0.0..f_max)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_label_formatter(&tick)
        .y_desc("F / kT")
        .label_style(font(14.0))
        .axis_desc_style(font(17.0))
        .draw()?;
    let n = 100;
    chart.draw_series((0..n).map(|k| {
        let (a, b) = (k as f64 / n as f64, (k + 1) as f64 / n as f64);
        Rectangle::new(
            [(0.0, a * f_max), (1.0, b * f_max)],
            viridis(0.5 * (a + b)).filled(),
        )
    }))?;
    Ok(())
}

/// One data set in a [`LinePanel`]. Non-finite y values break the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    pub label: String,
    pub x: Vec<f64>,
    pub y: Vec<f64>,
}

impl Curve {
    /// Free-energy profile F(x) = −ln p(x) (kT, minimum 0) at bin centres.
    pub fn free_energy(label: &str, h: &Histogram1D) -> Curve {
        Curve {
            label: label.to_string(),
            x: (0..h.axis.n).map(|i| h.axis.centre(i)).collect(),
            y: h.free_energy_kt(),
        }
    }

    /// Probability density as a step line (bin edges), empty bins at 0 (or NaN for log plots
    /// via [`LinePanel::log_y`]).
    pub fn density_steps(label: &str, h: &Histogram1D) -> Curve {
        let d = h.density();
        let w = h.axis.width();
        let mut x = Vec::with_capacity(2 * d.len());
        let mut y = Vec::with_capacity(2 * d.len());
        for (i, v) in d.iter().enumerate() {
            let a = h.axis.lo + i as f64 * w;
            x.extend([a, a + w]);
            y.extend([*v, *v]);
        }
        Curve {
            label: label.to_string(),
            x,
            y,
        }
    }
}

/// One panel of line plots.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanel {
    pub x_desc: String,
    pub y_desc: String,
    pub x_range: (f64, f64),
    pub curves: Vec<Curve>,
    /// Logarithmic y axis (zeros are left out).
    pub log_y: bool,
}

/// Line panels side by side.
#[derive(Debug, Clone, PartialEq)]
pub struct LinePanels {
    pub name: String,
    pub title: String,
    pub panels: Vec<LinePanel>,
}

impl Figure for LinePanels {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        ((40 + 520 * self.panels.len().max(1) as u32).max(900), 440)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let area = root.titled(&self.title, font(24.0))?;
        let cells = area.split_evenly((1, self.panels.len().max(1)));
        for (panel, cell) in self.panels.iter().zip(&cells) {
            draw_line_panel(panel, cell)?;
        }
        Ok(())
    }
}

fn draw_line_panel<DB: DrawingBackend>(
    p: &LinePanel,
    cell: &DrawingArea<DB, Shift>,
) -> Result<(), DrawError>
where
    DB::ErrorType: 'static,
{
    let usable = |y: f64| y.is_finite() && (!p.log_y || y > 0.0);
    let ys = p
        .curves
        .iter()
        .flat_map(|c| c.y.iter().copied())
        .filter(|&y| usable(y));
    let (mut lo, mut hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if !lo.is_finite() {
        (lo, hi) = if p.log_y { (0.1, 1.0) } else { (0.0, 1.0) };
    }
    let (x0, x1) = if p.x_range.1 > p.x_range.0 {
        p.x_range
    } else {
        (p.x_range.0 - 0.5, p.x_range.0 + 0.5)
    };
    let mut builder = ChartBuilder::on(cell);
    builder
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65);
    let style_of = |k: usize| ShapeStyle {
        color: SERIES_COLOURS[k % SERIES_COLOURS.len()].to_rgba(),
        filled: false,
        stroke_width: 2,
    };
    macro_rules! finish {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_label_formatter(&tick)
                .y_label_formatter(&tick)
                .x_desc(p.x_desc.as_str())
                .y_desc(p.y_desc.as_str())
                .label_style(font(14.0))
                .axis_desc_style(font(17.0))
                .light_line_style(WHITE.mix(0.0))
                .draw()?;
            for (k, c) in p.curves.iter().enumerate() {
                let style = style_of(k);
                let mut first = true;
                for seg in segments(&c.x, &c.y, &usable) {
                    let s = chart.draw_series(std::iter::once(PathElement::new(seg, style)))?;
                    if first {
                        s.label(c.label.as_str()).legend(move |(x, y)| {
                            PathElement::new(vec![(x, y), (x + 22, y)], style)
                        });
                        first = false;
                    }
                }
            }
            if !p.curves.is_empty() {
                chart
                    .configure_series_labels()
                    .position(SeriesLabelPosition::UpperRight)
                    .label_font(font(15.0))
                    .border_style(BLACK.mix(0.4))
                    .background_style(WHITE.mix(0.85))
                    .draw()?;
            }
        }};
    }
    if p.log_y {
        let (lo, hi) = (lo / 2.0, hi * 2.0);
        finish!(builder.build_cartesian_2d(x0..x1, (lo..hi).log_scale())?);
    } else {
        let pad = 0.05 * (hi - lo).max(1e-9);
        finish!(builder.build_cartesian_2d(x0..x1, (lo.min(0.0) - pad)..(hi + pad))?);
    }
    Ok(())
}

/// One data set of an [`AngleTraces`] figure.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRow {
    /// Data set, shown as the panel caption.
    pub label: String,
    /// What x is, with its unit (e.g. `MD time / ns`, `MCMC step`).
    pub x_desc: String,
    pub x: Vec<f64>,
    /// (angle symbol, values in degrees), one panel each.
    pub angles: Vec<(String, Vec<f64>)>,
}

/// Angles (degrees, drawn on [−180°, 180°]) against time, one row of panels per data set.
/// Dots rather than lines: a line would draw a spurious jump across the plot at every
/// ±180° wrap.
#[derive(Debug, Clone, PartialEq)]
pub struct AngleTraces {
    pub name: String,
    pub title: String,
    pub rows: Vec<TraceRow>,
}

impl Figure for AngleTraces {
    fn name(&self) -> &str {
        &self.name
    }
    fn title(&self) -> &str {
        &self.title
    }
    fn size(&self) -> (u32, u32) {
        let cols = self
            .rows
            .iter()
            .map(|r| r.angles.len())
            .max()
            .unwrap_or(1)
            .max(1);
        (
            (40 + 560 * cols as u32).max(900),
            50 + 300 * self.rows.len().max(1) as u32,
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>
    where
        DB::ErrorType: 'static,
    {
        let area = root.titled(&self.title, font(24.0))?;
        let cols = self
            .rows
            .iter()
            .map(|r| r.angles.len())
            .max()
            .unwrap_or(1)
            .max(1);
        let cells = area.split_evenly((self.rows.len().max(1), cols));
        for (k, row) in self.rows.iter().enumerate() {
            let colour = SERIES_COLOURS[k % SERIES_COLOURS.len()];
            let finite = row.x.iter().copied().filter(|x| x.is_finite());
            let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| {
                (a.min(x), b.max(x))
            });
            let (x0, x1) = match (lo.is_finite(), hi > lo) {
                (true, true) => (lo, hi),
                (true, false) => (lo - 0.5, lo + 0.5),
                _ => (0.0, 1.0),
            };
            for (j, (symbol, y)) in row.angles.iter().enumerate() {
                let mut chart = ChartBuilder::on(&cells[k * cols + j])
                    .caption(format!("{}: {symbol}", row.label), font(18.0))
                    .margin(10)
                    .x_label_area_size(45)
                    .y_label_area_size(60)
                    .build_cartesian_2d(x0..x1, -180.0..180.0)?;
                chart
                    .configure_mesh()
                    .x_label_formatter(&tick)
                    .y_label_formatter(&tick)
                    .y_labels(9)
                    .x_desc(row.x_desc.as_str())
                    .y_desc(format!("{symbol} / deg"))
                    .label_style(font(14.0))
                    .axis_desc_style(font(17.0))
                    .light_line_style(WHITE.mix(0.0))
                    .draw()?;
                chart.draw_series(
                    row.x
                        .iter()
                        .zip(y)
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .map(|(&x, &y)| Circle::new((x, y), 1, colour.filled())),
                )?;
            }
        }
        Ok(())
    }
}

/// Runs of consecutive points with usable y values.
fn segments(x: &[f64], y: &[f64], usable: &dyn Fn(f64) -> bool) -> Vec<Vec<(f64, f64)>> {
    let mut out = Vec::new();
    let mut cur = Vec::new();
    for (&a, &b) in x.iter().zip(y) {
        if usable(b) && a.is_finite() {
            cur.push((a, b));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::histogram::Axis;

    #[test]
    fn tick_labels() {
        assert_eq!(tick(&150.0), "150");
        assert_eq!(tick(&-0.25), "−0.25");
        assert_eq!(tick(&-0.0), "0");
        assert_eq!(tick(&2.2e-16), "0");
        assert_eq!(tick(&0.001), "0.001");
        assert_eq!(tick(&2.5e-5), "2.5e-5");
    }

    #[test]
    fn viridis_ends_and_clamps() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(viridis(7.0), viridis(1.0));
        assert_eq!(viridis(f64::INFINITY), viridis(1.0));
    }

    #[test]
    fn renders_png_and_svg_with_text() {
        let ax = Axis::new(-180.0, 180.0, 12);
        let md = Histogram2D::from_pairs(ax, ax, [(-60.0, -40.0), (-60.0, -40.0), (60.0, 30.0)]);
        let fig = FreeEnergyMaps {
            name: "test_map".into(),
            title: "Ramachandran ψ/φ".into(),
            x_desc: "φ / deg".into(),
            y_desc: "ψ / deg".into(),
            panels: vec![
                ("MD".into(), md.clone()),
                ("model".into(), Histogram2D::new(ax, ax)),
            ],
            guides: vec![Guide::Vertical(0.0)],
            f_max: 3.0,
        };
        let r = render(&fig).unwrap();
        assert_eq!(&r.png[1..4], b"PNG");
        assert!(r.svg.contains("<svg") && r.svg.contains("F / kT"));
        let h = Histogram1D::from_values(Axis::new(0.0, 1.0, 10), [0.1, 0.2, 0.2, 0.9]);
        let lines = LinePanels {
            name: "test_lines".into(),
            title: "profiles".into(),
            panels: vec![
                LinePanel {
                    x_desc: "x".into(),
                    y_desc: "F / kT".into(),
                    x_range: (0.0, 1.0),
                    curves: vec![Curve::free_energy("MD", &h)],
                    log_y: false,
                },
                LinePanel {
                    x_desc: "x".into(),
                    y_desc: "density".into(),
                    x_range: (0.0, 1.0),
                    curves: vec![Curve::density_steps("MD", &h)],
                    log_y: true,
                },
            ],
        };
        let r = render(&lines).unwrap();
        assert!(r.png.len() > 1000);
        assert!(r.svg.contains("MD"));
    }

    #[test]
    fn angle_traces_render_one_row_per_data_set_with_its_own_clock() {
        let row = |label: &str, x_desc: &str, n: usize| TraceRow {
            label: label.into(),
            x_desc: x_desc.into(),
            x: (0..n).map(|i| i as f64).collect(),
            angles: vec![
                ("φ".into(), (0..n).map(|i| -180.0 + i as f64).collect()),
                ("ψ".into(), vec![f64::NAN; n]),
            ],
        };
        let fig = AngleTraces {
            name: "trace".into(),
            title: "φ/ψ against time".into(),
            rows: vec![
                row("MD", "MD time / ns", 300),
                row("chains", "MCMC step", 1),
            ],
        };
        assert_eq!(fig.size().1, 650);
        let r = render(&fig).unwrap();
        assert_eq!(&r.png[1..4], b"PNG");
        assert!(r.svg.contains("MD time / ns") && r.svg.contains("MCMC step"));
    }
}
