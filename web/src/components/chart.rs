//! A small SVG line chart (no chart library: two polylines and their labels are all the queues
//! page needs). The geometry is a pure function, unit-tested natively.

use sycamore::prelude::*;

/// Room kept above and below the lines, so a line along an edge is not half clipped.
const PAD: f64 = 4.0;

/// The SVG `points` of a polyline through `values` in a `width` × `height` box (less `PAD`
/// above and below), scaled so the largest value touches the top; gaps (`None`) are drawn as
/// zero.
pub fn polyline(values: &[Option<f64>], width: f64, height: f64) -> String {
    let inner = (height - 2.0 * PAD).max(0.0);
    let max = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    let step = if values.len() > 1 {
        width / (values.len() - 1) as f64
    } else {
        0.0
    };
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let v = v.unwrap_or(0.0);
            let y = PAD
                + if max > 0.0 {
                    inner - v / max * inner
                } else {
                    inner
                };
            format!("{:.1},{:.1}", i as f64 * step, y)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The largest value, for the axis label.
pub fn peak(values: &[Option<f64>]) -> f64 {
    values.iter().flatten().copied().fold(0.0_f64, f64::max)
}

/// One series.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Its name in the legend.
    pub name: &'static str,
    /// CSS class of its line (colour from the theme).
    pub class: &'static str,
    /// One value per point, oldest first.
    pub values: Vec<Option<f64>>,
    /// How its peak reads (`12 jobs/min`, `850 ms`).
    pub peak_label: String,
}

/// A chart of `series` over `period` ("last hour", "this month"); `title` names it for screen
/// readers.
#[component(inline_props)]
pub fn LineChart(title: String, period: &'static str, series: ReadSignal<Vec<Series>>) -> View {
    const W: f64 = 300.0;
    const H: f64 = 80.0;
    let view_box = format!("0 0 {W} {H}");
    let positions = create_selector(move || series.with(|all| (0..all.len()).collect::<Vec<_>>()));
    let label = title.clone();
    view! {
        figure(class="chart") {
            svg(viewBox=view_box, "role"="img", aria-label=label, preserveAspectRatio="none") {
                // One polyline per series position whose `points` follow the values: a new
                // history moves the lines in place. (Mapping over the series themselves would
                // replace a line's element whenever its values change, and anything holding
                // the old element, a screen reader's focus or a test, would see it frozen.)
                Indexed(
                    list=positions,
                    view=move |i| {
                        let class = series.with_untracked(|all| all.get(i).map_or("", |s| s.class));
                        let points = move || {
                            series.with(|all| all.get(i).map(|s| polyline(&s.values, W, H)).unwrap_or_default())
                        };
                        view! { polyline(class=class, fill="none", points=points) }
                    },
                )
            }
            figcaption {
                (title) ", " (period) ": "
                Indexed(
                    list=series,
                    view=|s| {
                        let class = format!("legend {}", s.class);
                        let name = s.name;
                        let peak = s.peak_label;
                        view! { span(class=class) { (name) " (peak " (peak) ") " } }
                    },
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_touches_the_top_and_zero_the_bottom() {
        let points = polyline(&[Some(0.0), Some(5.0), Some(10.0)], 100.0, 58.0);
        assert_eq!(points, "0.0,54.0 50.0,29.0 100.0,4.0");
    }

    #[test]
    fn gaps_and_an_empty_series_stay_on_the_baseline() {
        assert_eq!(polyline(&[None, None], 10.0, 20.0), "0.0,16.0 10.0,16.0");
        assert_eq!(polyline(&[Some(3.0)], 10.0, 20.0), "0.0,4.0");
        assert_eq!(polyline(&[], 10.0, 20.0), "");
        assert_eq!(peak(&[None, Some(2.5), Some(1.0)]), 2.5);
    }
}
