//! Live usage in the VM list: a CPU sparkline and "CPU n% · memory" text,
//! updated in place from the bulk statistics (rows are not rebuilt, so an
//! open menu stays open).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use relm4::adw::{self, prelude::*};
use relm4::gtk::{self, glib};

use crate::core::libvirt::{DomainStats, Usage, usage};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

/// Samples kept per VM (two minutes at the default three-second interval).
const SAMPLES: usize = 40;

/// The usage history of one VM.
#[derive(Debug, Default)]
pub struct History {
    prev: Option<(DomainStats, Instant)>,
    pub cpu: VecDeque<f64>,
    pub last: Option<Usage>,
}

impl History {
    /// Add a sample; the first one only primes the rates.
    pub fn push(&mut self, stats: DomainStats, at: Instant) {
        if let Some((prev, then)) = &self.prev {
            let u = usage(prev, &stats, at.saturating_duration_since(*then));
            if let Some(cpu) = u.cpu_percent {
                if self.cpu.len() == SAMPLES {
                    self.cpu.pop_front();
                }
                self.cpu.push_back(cpu);
            }
            self.last = Some(u);
        }
        self.prev = Some((stats, at));
    }
}

/// The widgets of one row that usage updates touch.
pub struct RowHandle {
    row: adw::ActionRow,
    state_text: String,
    data: Rc<RefCell<Vec<f64>>>,
    graph: gtk::DrawingArea,
}

impl RowHandle {
    /// A CPU sparkline for `row`, added as a suffix.
    pub fn attach(row: &adw::ActionRow, name: &str, state_text: String) -> RowHandle {
        let data: Rc<RefCell<Vec<f64>>> = Rc::default();
        let graph = gtk::DrawingArea::builder()
            .content_width(96)
            .content_height(28)
            .valign(gtk::Align::Center)
            .build();
        graph.set_accessible_label(&gettext_f("CPU usage of {name}", &[("name", name)]));
        {
            let data = data.clone();
            graph.set_draw_func(move |area, cr, w, h| {
                let points = data.borrow();
                if points.len() < 2 {
                    return;
                }
                #[allow(deprecated)] // GtkWidget::color is GTK 4.10; 4.8 has only the style context
                let color = area.style_context().color();
                let (w, h) = (f64::from(w), f64::from(h));
                let step = w / (SAMPLES as f64 - 1.0);
                let x0 = w - step * (points.len() as f64 - 1.0);
                let y = |v: f64| h - 1.0 - (v / 100.0).clamp(0.0, 1.0) * (h - 2.0);
                cr.move_to(x0, y(points[0]));
                for (i, v) in points.iter().enumerate().skip(1) {
                    cr.line_to(x0 + step * i as f64, y(*v));
                }
                cr.set_source_rgba(
                    f64::from(color.red()),
                    f64::from(color.green()),
                    f64::from(color.blue()),
                    0.8,
                );
                cr.set_line_width(1.5);
                let _ = cr.stroke();
            });
        }
        row.add_suffix(&graph);
        RowHandle {
            row: row.clone(),
            state_text,
            data,
            graph,
        }
    }

    /// Show the history's latest figures and redraw the sparkline.
    pub fn show(&self, history: &History) {
        *self.data.borrow_mut() = history.cpu.iter().copied().collect();
        self.graph.queue_draw();
        let mut subtitle = self.state_text.clone();
        if let Some(u) = history.last {
            if let Some(cpu) = u.cpu_percent {
                subtitle.push_str(" · ");
                subtitle.push_str(&gettext_f(
                    "CPU {percent}%",
                    &[("percent", &format!("{cpu:.0}"))],
                ));
            }
            if let Some(kib) = u.memory_kib {
                subtitle.push_str(" · ");
                subtitle.push_str(&glib::format_size_full(
                    kib * 1024,
                    glib::FormatSizeFlags::IEC_UNITS,
                ));
            }
        }
        self.row.set_subtitle(&glib::markup_escape_text(&subtitle));
    }
}
