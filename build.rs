//! Compiles what `cargo run` needs without meson: the GResource bundle
//! (resources/ and ui/), the GSettings schema and the translations; and
//! links the console's and the wizard's libraries so that they load when
//! first used (see `lazy_libraries`).

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is the tool installed? `make deps`)"));
    assert!(status.success(), "{cmd:?} failed with {status}");
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    lazy_libraries(&out);

    for dir in ["resources", "ui", "data", "po"] {
        println!("cargo:rerun-if-changed={dir}");
    }

    glib_build_tools::compile_resources(
        &["resources", "ui"],
        "resources/resources.gresource.xml",
        "vireo.gresource",
    );

    let schemas = out.join("schemas");
    std::fs::create_dir_all(&schemas).unwrap();
    std::fs::copy(
        "data/dev.vireo.Vireo.gschema.xml",
        schemas.join("dev.vireo.Vireo.gschema.xml"),
    )
    .unwrap();
    run(Command::new("glib-compile-schemas")
        .arg("--strict")
        .arg(&schemas));

    let linguas = std::fs::read_to_string("po/LINGUAS").unwrap();
    for lang in linguas
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let dir = out.join("locale").join(lang).join("LC_MESSAGES");
        std::fs::create_dir_all(&dir).unwrap();
        run(Command::new("msgfmt")
            .arg("--check")
            .arg("-o")
            .arg(dir.join("vireo.mo"))
            .arg(Path::new("po").join(format!("{lang}.po"))));
    }
}

/// The libraries only a VM window's console (SPICE with GStreamer, gvnc,
/// VTE) or the wizard (libosinfo) needs: pkg-config name and the prefix of
/// its functions.
const LAZY: &[(&str, &str)] = &[
    ("spice-client-glib-2.0", "spice_"),
    ("gvnc-1.0", "vnc_"),
    ("vte-2.91-gtk4", "vte_"),
    ("libosinfo-1.0", "osinfo_"),
];

fn output(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e} (is the tool installed? `make deps`)"));
    assert!(out.status.success(), "{cmd:?} failed with {}", out.status);
    String::from_utf8(out.stdout).unwrap()
}

/// Link [`LAZY`]'s libraries so that they are loaded the first time one
/// of their functions is called, not at start: together with what they
/// pull in (GStreamer, libusb, libsoup, SQLite…) they are ~5 MB resident
/// and ~40 libraries to map and relocate that the VM list never uses.
///
/// On x86-64 Linux every exported function of theirs gets a stub, in a
/// static library linked whole right after this crate: it jumps through a
/// slot that first points to a resolver, which `dlopen`s the library, asks
/// `dlsym` for the function, stores it in the slot (later calls jump
/// straight there) and jumps to it with the caller's registers and stack
/// untouched. The -sys crates, linked after, still name their libraries,
/// but every function they call is already defined, so the linker (which
/// rustc runs with `--as-needed`) does not make the executable need them.
/// Elsewhere, or with `VIREO_EAGER_LIBRARIES` set, nothing changes.
fn lazy_libraries(out: &Path) {
    println!("cargo:rerun-if-env-changed=VIREO_EAGER_LIBRARIES");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let lazy =
        arch == "x86_64" && os == "linux" && std::env::var_os("VIREO_EAGER_LIBRARIES").is_none();
    let mut libs = Vec::new();
    if !lazy {
        return;
    }
    for (pkg, prefix) in LAZY {
        let link = output(Command::new("pkg-config").args(["--libs-only-l", pkg]));
        let name = link
            .split_whitespace()
            .next()
            .and_then(|l| l.strip_prefix("-l"))
            .unwrap_or_else(|| panic!("pkg-config names no library for {pkg}"))
            .to_string();
        let dir = output(Command::new("pkg-config").args(["--variable=libdir", pkg]));
        let file = Path::new(dir.trim()).join(format!("lib{name}.so"));
        println!("cargo:rerun-if-changed={}", file.display());
        let soname = output(Command::new("objdump").arg("-p").arg(&file))
            .lines()
            .find_map(|l| {
                l.trim()
                    .strip_prefix("SONAME")
                    .map(|s| s.trim().to_string())
            })
            .unwrap_or_else(|| panic!("{} has no SONAME", file.display()));
        let functions: Vec<String> =
            output(Command::new("nm").args(["-D", "--defined-only"]).arg(&file))
                .lines()
                .filter_map(|l| {
                    let mut f = l.split_whitespace();
                    let (_, kind, name) = (f.next()?, f.next()?, f.next()?);
                    let name = name.split('@').next()?;
                    (kind == "T" && name.starts_with(prefix)).then(|| name.to_string())
                })
                .collect();
        assert!(
            !functions.is_empty(),
            "{} exports no {prefix}* function",
            file.display()
        );
        libs.push((soname, functions));
    }
    if lazy {
        let asm = out.join("lazy.s");
        std::fs::write(&asm, lazy_assembly(&libs)).unwrap();
        let object = out.join("lazy.o");
        run(
            Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
                .arg("-c")
                .arg(&asm)
                .arg("-o")
                .arg(&object),
        );
        // An object on the link line is always linked, before or after the
        // crates that call these functions.
        println!("cargo:rustc-link-arg={}", object.display());
        println!("cargo:rustc-link-lib=dylib=c");
    }
}

/// The stubs, their slots, and the resolver (x86-64, System V ABI).
fn lazy_assembly(libs: &[(String, Vec<String>)]) -> String {
    use std::fmt::Write;
    let mut s = String::from(
        "# Generated by build.rs: functions of libraries loaded on first use.\n\
         \t.section .note.GNU-stack,\"\",@progbits\n\
         \t.text\n",
    );
    let mut index = 0usize;
    let mut names = String::new();
    let mut name_strings = String::new();
    let mut lib_of = String::new();
    let mut slots = String::new();
    for (lib, (_, functions)) in libs.iter().enumerate() {
        for f in functions {
            // The function: one jump through its slot.
            writeln!(
                s,
                "\t.globl {f}\n\t.hidden {f}\n\t.type {f},@function\n\t.p2align 4\n\
                 {f}:\n\tjmp *vireo_lazy_slots+{}(%rip)\n\
                 vireo_lazy_stub_{index}:\n\tmovl ${index}, %r11d\n\tjmp vireo_lazy_resolve",
                index * 8
            )
            .unwrap();
            writeln!(slots, "\t.quad vireo_lazy_stub_{index}").unwrap();
            writeln!(names, "\t.quad vireo_lazy_name_{index}").unwrap();
            writeln!(name_strings, "vireo_lazy_name_{index}:\n\t.asciz \"{f}\"").unwrap();
            writeln!(lib_of, "\t.byte {lib}").unwrap();
            index += 1;
        }
    }
    // The resolver: %r11 holds the function's index. Every register a
    // call may pass arguments in (and %rax, the vector count of a variadic
    // call) is saved, then restored before the jump.
    s.push_str(
        "\t.p2align 4\n\
         vireo_lazy_resolve:\n\
         \tpush %rbp\n\tmov %rsp, %rbp\n\
         \tpush %rdi\n\tpush %rsi\n\tpush %rdx\n\tpush %rcx\n\
         \tpush %r8\n\tpush %r9\n\tpush %rax\n\tpush %r11\n\
         \tsub $128, %rsp\n",
    );
    for i in 0..8 {
        writeln!(s, "\tmovdqu %xmm{i}, {}(%rsp)", i * 16).unwrap();
    }
    s.push_str(
        // The library's handle, opened the first time.
        "\tlea vireo_lazy_lib_of(%rip), %rax\n\
         \tmovzbl (%rax,%r11), %ecx\n\
         \tlea vireo_lazy_handles(%rip), %rax\n\
         \tmov (%rax,%rcx,8), %rdi\n\
         \ttest %rdi, %rdi\n\
         \tjnz 1f\n\
         \tlea vireo_lazy_sonames(%rip), %rax\n\
         \tmov (%rax,%rcx,8), %rdi\n\
         \tmov $0x102, %esi\n\
         \tcall dlopen@PLT\n\
         \ttest %rax, %rax\n\
         \tjz 2f\n\
         \tmov -64(%rbp), %r11\n\
         \tlea vireo_lazy_lib_of(%rip), %rdx\n\
         \tmovzbl (%rdx,%r11), %ecx\n\
         \tlea vireo_lazy_handles(%rip), %rdx\n\
         \tmov %rax, (%rdx,%rcx,8)\n\
         \tmov %rax, %rdi\n\
         1:\n\
         \tmov -64(%rbp), %r11\n\
         \tlea vireo_lazy_names(%rip), %rax\n\
         \tmov (%rax,%r11,8), %rsi\n\
         \tcall dlsym@PLT\n\
         \ttest %rax, %rax\n\
         \tjz 3f\n\
         \tmov -64(%rbp), %r11\n\
         \tlea vireo_lazy_slots(%rip), %rdx\n\
         \tmov %rax, (%rdx,%r11,8)\n\
         \tmov %rax, %r11\n",
    );
    for i in 0..8 {
        writeln!(s, "\tmovdqu {}(%rsp), %xmm{i}", i * 16).unwrap();
    }
    s.push_str(
        "\tlea 136(%rsp), %rsp\n\
         \tpop %rax\n\tpop %r9\n\tpop %r8\n\tpop %rcx\n\
         \tpop %rdx\n\tpop %rsi\n\tpop %rdi\n\tpop %rbp\n\
         \tjmp *%r11\n\
         # The library or the function is missing: say which, and stop.\n\
         2:\n\
         \tmov -64(%rbp), %r11\n\
         \tlea vireo_lazy_lib_of(%rip), %rax\n\
         \tmovzbl (%rax,%r11), %ecx\n\
         \tlea vireo_lazy_sonames(%rip), %rax\n\
         \tmov (%rax,%rcx,8), %rdx\n\
         \tjmp 4f\n\
         3:\n\
         \tmov -64(%rbp), %r11\n\
         \tlea vireo_lazy_names(%rip), %rax\n\
         \tmov (%rax,%r11,8), %rdx\n\
         4:\n\
         \tpush %rdx\n\tpush %rdx\n\
         \tcall dlerror@PLT\n\
         \tpop %rdx\n\tpop %rdx\n\
         \tmov %rax, %rcx\n\
         \tmov $2, %edi\n\
         \tlea vireo_lazy_message(%rip), %rsi\n\
         \txor %eax, %eax\n\
         \tcall dprintf@PLT\n\
         \tcall abort@PLT\n\
         \t.section .rodata\n\
         vireo_lazy_message:\n\
         \t.asciz \"vireo: cannot load %s: %s\\n\"\n\
         vireo_lazy_lib_of:\n",
    );
    s.push_str(&lib_of);
    for (lib, (soname, _)) in libs.iter().enumerate() {
        writeln!(s, "vireo_lazy_soname_{lib}:\n\t.asciz \"{soname}\"").unwrap();
    }
    s.push_str(&name_strings);
    s.push_str("\t.data\n\t.p2align 3\nvireo_lazy_sonames:\n");
    for lib in 0..libs.len() {
        writeln!(s, "\t.quad vireo_lazy_soname_{lib}").unwrap();
    }
    s.push_str("vireo_lazy_names:\n");
    s.push_str(&names);
    s.push_str("vireo_lazy_slots:\n");
    s.push_str(&slots);
    s.push_str("\t.bss\n\t.p2align 3\nvireo_lazy_handles:\n");
    writeln!(s, "\t.zero {}", libs.len() * 8).unwrap();
    s
}
