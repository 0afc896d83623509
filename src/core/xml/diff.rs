//! Line differences between two XML texts, to show what an edit changes
//! before it is defined.

/// One line of a difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    Removed(String),
    Added(String),
}

/// The line-by-line difference from `old` to `new` (longest common
/// subsequence; XML definitions are a few hundred lines).
pub fn lines(old: &str, new: &str) -> Vec<DiffLine> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    // lcs[i][j]: common lines of a[i..] and b[j..].
    let mut lcs = vec![vec![0u32; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::new();
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            out.push(DiffLine::Same(a[i].to_owned()));
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] > lcs[i + 1][j]) {
            out.push(DiffLine::Added(b[j].to_owned()));
            j += 1;
        } else {
            out.push(DiffLine::Removed(a[i].to_owned()));
            i += 1;
        }
    }
    out
}

/// The changed lines with `context` unchanged lines around each change, as
/// a unified-diff-like text (`-` removed, `+` added, `…` for skipped runs).
/// Empty when nothing changed.
pub fn summary(old: &str, new: &str, context: usize) -> String {
    let d = lines(old, new);
    let changed: Vec<bool> = d.iter().map(|l| !matches!(l, DiffLine::Same(_))).collect();
    if !changed.iter().any(|c| *c) {
        return String::new();
    }
    let near = |k: usize| {
        let lo = k.saturating_sub(context);
        let hi = (k + context).min(d.len() - 1);
        changed[lo..=hi].iter().any(|c| *c)
    };
    let mut out = String::new();
    let mut skipped = false;
    for (k, line) in d.iter().enumerate() {
        if !near(k) {
            skipped = true;
            continue;
        }
        if skipped {
            out.push_str("…\n");
            skipped = false;
        }
        let (mark, text) = match line {
            DiffLine::Same(t) => (' ', t),
            DiffLine::Removed(t) => ('-', t),
            DiffLine::Added(t) => ('+', t),
        };
        out.push(mark);
        out.push(' ');
        out.push_str(text);
        out.push('\n');
    }
    if skipped {
        out.push_str("…\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_listed_in_order_with_context() {
        let old = "<domain>\n  <name>a</name>\n  <memory>1</memory>\n  <vcpu>1</vcpu>\n  <os/>\n  <devices/>\n</domain>\n";
        let new = "<domain>\n  <name>a</name>\n  <title>T</title>\n  <memory>2</memory>\n  <vcpu>1</vcpu>\n  <os/>\n  <devices/>\n</domain>\n";
        assert_eq!(
            lines(old, new),
            vec![
                DiffLine::Same("<domain>".into()),
                DiffLine::Same("  <name>a</name>".into()),
                DiffLine::Removed("  <memory>1</memory>".into()),
                DiffLine::Added("  <title>T</title>".into()),
                DiffLine::Added("  <memory>2</memory>".into()),
                DiffLine::Same("  <vcpu>1</vcpu>".into()),
                DiffLine::Same("  <os/>".into()),
                DiffLine::Same("  <devices/>".into()),
                DiffLine::Same("</domain>".into()),
            ]
        );
        assert_eq!(
            summary(old, new, 1),
            "…\n    <name>a</name>\n-   <memory>1</memory>\n+   <title>T</title>\n+   <memory>2</memory>\n    <vcpu>1</vcpu>\n…\n"
        );
        assert_eq!(summary(old, old, 3), "");
    }
}
