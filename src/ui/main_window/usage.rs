//! Usage history per VM, fed by the bulk statistics, and the sparklines
//! that draw it in the VM list.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use relm4::gtk::{self, glib, prelude::*};

use crate::core::libvirt::{DomainStats, Usage, usage};
use crate::ui::a11y::AccessibleLabelExt;
use crate::ui::i18n::gettext_f;

/// Samples kept per VM (two minutes at the default three-second interval).
pub const SAMPLES: usize = 40;

/// The usage history of one running VM (stopped VMs keep none), shared
/// by the window's map and the VM's list item.
pub type Shared = std::rc::Rc<RefCell<History>>;

/// The usage history of one VM: single-precision rings of [`SAMPLES`],
/// allocated once full-size (a graph needs no more precision).
#[derive(Debug, Default, Clone)]
pub struct History {
    prev: Option<(DomainStats, Instant)>,
    pub cpu: VecDeque<f32>,
    /// Memory in use, KiB.
    pub memory: VecDeque<f32>,
    /// Disk read + write, bytes per second.
    pub disk: VecDeque<f32>,
    /// Network received + sent, bytes per second.
    pub net: VecDeque<f32>,
    pub last: Option<Usage>,
}

fn push(queue: &mut VecDeque<f32>, value: f64) {
    if queue.capacity() < SAMPLES {
        queue.reserve_exact(SAMPLES - queue.len());
    }
    if queue.len() == SAMPLES {
        queue.pop_front();
    }
    queue.push_back(value as f32);
}

/// Samples further apart than this start a new series: rates over a long
/// pause (statistics are not asked while no running VM is on screen)
/// would flatten the graph.
const GAP: std::time::Duration = std::time::Duration::from_secs(40);

impl History {
    /// Add a sample; the first one only primes the rates.
    pub fn push(&mut self, mut stats: DomainStats, at: Instant) {
        // The map's key already names the VM.
        stats.uuid = String::new();
        if let Some((prev, then)) = &self.prev
            && at.saturating_duration_since(*then) <= GAP
        {
            let u = usage(prev, &stats, at.saturating_duration_since(*then));
            if let Some(cpu) = u.cpu_percent {
                push(&mut self.cpu, cpu);
            }
            if let Some(kib) = u.memory_kib {
                push(&mut self.memory, kib as f64);
            }
            push(&mut self.disk, u.disk_read_bps + u.disk_write_bps);
            push(&mut self.net, u.net_rx_bps + u.net_tx_bps);
            self.last = Some(u);
        }
        self.prev = Some((stats, at));
    }
}

/// How a sparkline scales its values.
#[derive(Debug, Clone, Copy)]
pub enum Scale {
    /// Values are fractions of this maximum (CPU: 100, memory: the VM's size).
    Fixed(f64),
    /// The largest value shown fills the height (I/O rates).
    Auto,
}

/// A small line graph of the last [`SAMPLES`] values.
#[derive(Clone)]
pub struct Sparkline {
    pub area: gtk::DrawingArea,
    data: Rc<RefCell<(Vec<f32>, Scale)>>,
    label: Rc<RefCell<String>>,
}

impl Sparkline {
    pub fn new(class: &str) -> Sparkline {
        let data = Rc::new(RefCell::new((Vec::new(), Scale::Auto)));
        let area = gtk::DrawingArea::builder()
            .content_width(72)
            .content_height(24)
            .valign(gtk::Align::Center)
            .build();
        area.add_css_class("sparkline");
        area.add_css_class(class);
        {
            let data = data.clone();
            area.set_draw_func(move |area, cr, w, h| {
                let (points, scale) = &*data.borrow();
                if points.len() < 2 {
                    return;
                }
                let max = match scale {
                    Scale::Fixed(m) => *m,
                    Scale::Auto => points.iter().map(|&v| f64::from(v)).fold(0.0, f64::max),
                };
                let max = if max > 0.0 { max } else { 1.0 };
                #[allow(deprecated)] // GtkWidget::color is GTK 4.10; 4.8 has only the style context
                let color = area.style_context().color();
                let (w, h) = (f64::from(w), f64::from(h));
                let step = w / (SAMPLES as f64 - 1.0);
                let x0 = w - step * (points.len() as f64 - 1.0);
                let y = |v: f64| h - 1.0 - (v / max).clamp(0.0, 1.0) * (h - 2.0);
                cr.move_to(x0, y(f64::from(points[0])));
                for (i, v) in points.iter().enumerate().skip(1) {
                    cr.line_to(x0 + step * i as f64, y(f64::from(*v)));
                }
                cr.set_source_rgba(
                    f64::from(color.red()),
                    f64::from(color.green()),
                    f64::from(color.blue()),
                    0.8,
                );
                cr.set_line_width(1.5);
                let _ = cr.stroke_preserve();
                cr.line_to(w, h);
                cr.line_to(x0, h);
                cr.close_path();
                cr.set_source_rgba(
                    f64::from(color.red()),
                    f64::from(color.green()),
                    f64::from(color.blue()),
                    0.15,
                );
                let _ = cr.fill();
            });
        }
        Sparkline {
            area,
            data,
            label: Rc::default(),
        }
    }

    /// Show `values`; redrawn (and its name told to assistive technology)
    /// only when something changed: a row re-rendered for another reason,
    /// or an idle VM's flat line, costs no drawing.
    pub fn set(&self, values: &VecDeque<f32>, scale: Scale, label: &str) {
        {
            let mut data = self.data.borrow_mut();
            let same_scale = match (data.1, scale) {
                (Scale::Fixed(a), Scale::Fixed(b)) => a == b,
                (Scale::Auto, Scale::Auto) => true,
                _ => false,
            };
            if !same_scale || !data.0.iter().eq(values.iter()) {
                data.0.clear();
                data.0.extend(values.iter().copied());
                data.1 = scale;
                self.area.queue_draw();
            }
        }
        if *self.label.borrow() != label {
            label.clone_into(&mut self.label.borrow_mut());
            self.area.set_accessible_label(label);
        }
    }
}

/// "CPU 12% · Memory 3.1 GiB of 16 GiB" for a host's header.
pub fn load_text(load: &crate::ui::main_window::vm_item::HeaderLoad) -> String {
    let mut text = String::new();
    if let Some(cpu) = load.cpu_percent {
        text.push_str(&gettext_f(
            "CPU {percent}%",
            &[("percent", &format!("{cpu:.0}"))],
        ));
    }
    if let (Some(used), Some(total)) = (load.memory_used_kib, load.memory_total_kib) {
        let size = |kib: u64| glib::format_size_full(kib * 1024, glib::FormatSizeFlags::IEC_UNITS);
        if !text.is_empty() {
            text.push_str(" · ");
        }
        text.push_str(&gettext_f(
            "Memory {used} of {total}",
            &[("used", &size(used)), ("total", &size(total))],
        ));
    }
    text
}
