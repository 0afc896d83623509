//! Translation helpers.
//!
//! Placeholders are named (`{name}`), so that translators can move them:
//! `gettext_f("No virtual machine named “{name}”", &[("name", vm)])`.

use gettextrs::{gettext, ngettext};

/// Translate `msgid`, then replace each `{key}` by its value.
pub fn gettext_f(msgid: &str, args: &[(&str, &str)]) -> String {
    fill(gettext(msgid), args)
}

fn fill(mut text: String, args: &[(&str, &str)]) -> String {
    for (key, value) in args {
        text = text.replace(&format!("{{{key}}}"), value);
    }
    text
}

/// Translate with a plural form chosen by `n`, then fill placeholders.
pub fn ngettext_f(msgid: &str, msgid_plural: &str, n: u32, args: &[(&str, &str)]) -> String {
    fill(ngettext(msgid, msgid_plural, n), args)
}

/// A wizard problem in the user's language (its template is marked for
/// translation in the core with `n_`).
pub fn problem_text(p: &crate::core::wizard::Problem) -> String {
    let (template, args) = p.message();
    let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    gettext_f(template, &args)
}

/// Set up gettext for the `vireo` domain in `localedir`.
pub fn init(localedir: &std::path::Path) {
    use gettextrs::{
        LocaleCategory, bind_textdomain_codeset, bindtextdomain, setlocale, textdomain,
    };
    let domain = crate::core::config::GETTEXT_PACKAGE;
    setlocale(LocaleCategory::LcAll, "");
    let _ = bindtextdomain(domain, localedir);
    let _ = bind_textdomain_codeset(domain, "UTF-8");
    let _ = textdomain(domain);
}

#[cfg(test)]
mod tests {
    use super::fill;

    #[test]
    fn named_placeholders_are_filled_in_any_order() {
        assert_eq!(
            fill("{b} then {a}, {a} again".into(), &[("a", "x"), ("b", "y")]),
            "y then x, x again"
        );
    }
}
