//! The `vireo` executable: parse the command line, set up gettext, run the UI.

use std::process::ExitCode;

use gettextrs::gettext;
use vireo::core::cli::{self, Command};
use vireo::core::config::VERSION;
use vireo::ui::i18n::gettext_f;

fn usage() -> String {
    let mut text = gettext("Usage: vireo [OPTION…]");
    text.push_str("\n\n");
    text.push_str(&gettext("Manage virtual machines through libvirt."));
    text.push_str("\n\n");
    text.push_str(&gettext(
        "Or create one from the command line, as virt-install does:",
    ));
    text.push_str(
        "\n  vireo create --name NAME --memory MiB[,maxmemory=MiB] --vcpus N[,maxvcpus=N]\n",
    );
    text.push_str("               --disk size=GiB[,pool=POOL]|path=PATH|none\n");
    text.push_str("               --cdrom ISO|--location URL [--extra-args ARGS]|--import\n");
    text.push_str("               [--os-variant ID] [--network network=NAME|bridge=BR|type=direct,source=DEV|user|none]\n");
    text.push_str("               [--virt-type kvm|qemu] [--connect URI] [--print-xml]\n\n");
    text.push_str(&gettext("Or clone one, as virt-clone does:"));
    text.push_str("\n  vireo clone --original NAME (--auto-clone | --name NEW --file PATH...)\n");
    text.push_str(
        "              [--mac MAC|RANDOM]... [--linked] [--connect URI] [--print-xml]\n\n",
    );
    for (option, help) in [
        (
            "-c, --connect URI",
            gettext("Connect to the hypervisor at URI; give it once per host"),
        ),
        (
            "--show-domain-console NAME|UUID",
            gettext("Show the console of a virtual machine"),
        ),
        (
            "--show-domain-editor NAME|UUID",
            gettext("Show the details of a virtual machine"),
        ),
        (
            "--show-domain-creator",
            gettext("Show the New Virtual Machine assistant"),
        ),
        ("--version", gettext("Print the version and exit")),
        ("-h, --help", gettext("Print this help and exit")),
    ] {
        text.push_str(&format!("  {option:<34}{help}\n"));
    }
    text
}

fn main() -> ExitCode {
    vireo::ui::choose_renderer();
    vireo::ui::i18n::init(&vireo::ui::locale_dir());
    match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Help) => {
            print!("{}", usage());
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("vireo {VERSION}");
            ExitCode::SUCCESS
        }
        Ok(Command::Create(args)) => ExitCode::from(vireo::ui::create_cli::run(*args)),
        Ok(Command::Clone(args)) => ExitCode::from(vireo::ui::clone_cli::run(*args)),
        Ok(Command::Run(options)) => {
            let code = vireo::ui::run(options);
            ExitCode::from(code.get() as u8)
        }
        Err(e) => {
            eprintln!(
                "{}",
                gettext_f(
                    "vireo: {error}\nTry “vireo --help” for more information.",
                    &[("error", &e.to_string())]
                )
            );
            ExitCode::from(2)
        }
    }
}
