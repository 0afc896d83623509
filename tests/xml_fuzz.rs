//! Generative tests: random, truncated and mutated documents never make the
//! parser or the typed accessors panic.

mod common;

use proptest::prelude::*;
use vireo::core::xml::{DeviceKind, Document, DomainXml};

fn seeds() -> &'static [String] {
    static SEEDS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(load_seeds)
}

fn load_seeds() -> Vec<String> {
    let mut out = vec![
        std::fs::read_to_string(common::root().join("tests/data/xml/rich-domain.xml")).unwrap(),
    ];
    let dir = common::root().join("tests/data/xml/corpus");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for f in files.iter().step_by(10) {
        out.push(std::fs::read_to_string(f).unwrap());
    }
    out
}

/// Parse, and if that works, read every typed property and write back.
fn exercise(text: &str) {
    let Ok(doc) = Document::parse(text) else {
        return;
    };
    let written = doc.to_xml_string();
    let again = Document::parse(&written).expect("what we write parses");
    assert_eq!(again.to_xml_string(), written, "writing is stable");
    if let Ok(mut vm) = DomainXml::from_document(doc) {
        let _ = (
            vm.name(),
            vm.uuid(),
            vm.title(),
            vm.memory_kib(),
            vm.current_memory_kib(),
        );
        let _ = (
            vm.max_memory_kib(),
            vm.vcpus_max(),
            vm.vcpus_current(),
            vm.boot_devices(),
        );
        let _ = (
            vm.boot_menu(),
            vm.features(),
            vm.cpu_topology(),
            vm.firmware(),
            vm.kernel(),
        );
        for kind in DeviceKind::ALL {
            for d in vm.devices(kind) {
                let _ = (
                    d.disk_source(),
                    d.port(),
                    d.autoport(),
                    d.boot_order(),
                    d.address(),
                );
                let _ = (
                    d.readonly(),
                    d.graphics_listen_address(),
                    d.mac(),
                    d.model_type(),
                );
            }
        }
        vm.set_title(Some("fuzzed <&>"));
        vm.set_vcpus(2, Some(1));
        vm.set_feature("acpi", true);
        if let Some(mut d) = vm.device_mut(DeviceKind::Disk, 0) {
            d.set_disk_file(None);
            d.set_readonly(true);
        }
        let out = vm.to_xml_string();
        assert!(
            Document::parse(&out).is_ok(),
            "an edited document stays well-formed:\n{out}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(s in "\\PC{0,200}") {
        exercise(&s);
    }

    #[test]
    fn random_markup_never_panics(s in "[<>/='\"a-z &;#x0-9!?\\[\\]CDATA-]{0,120}") {
        exercise(&s);
    }

    #[test]
    fn truncated_documents_never_panic(seed in 0usize..1000, cut in 0usize..20_000) {
        let seeds = seeds();
        let text = &seeds[seed % seeds.len()];
        let mut at = cut % (text.len() + 1);
        while !text.is_char_boundary(at) { at -= 1; }
        exercise(&text[..at]);
    }

    #[test]
    fn mutated_documents_never_panic(seed in 0usize..1000, edits in proptest::collection::vec((0usize..20_000, any::<char>()), 1..8)) {
        let seeds = seeds();
        let mut chars: Vec<char> = seeds[seed % seeds.len()].chars().collect();
        for (pos, c) in edits {
            let i = pos % (chars.len() + 1);
            match pos % 3 {
                0 if i < chars.len() => { chars[i] = c; }
                1 if i < chars.len() => { chars.remove(i); }
                _ => chars.insert(i, c),
            }
        }
        exercise(&chars.into_iter().collect::<String>());
    }
}
