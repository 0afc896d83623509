//! The real SPICE guest agent (spice-vdagent 0.22, Debian's `spice-vdagent`)
//! for the tiny guest, which has no X server to run it in.
//!
//! The guest relays its agent port (`com.redhat.spice.0`) byte for byte to
//! a second virtio port whose host end is a UNIX socket QEMU listens on
//! (tests/guest/rc). Here, `spice-vdagentd` connects to that socket as if
//! it were its virtio port (as it does under Xspice), and `spice-vdagent`
//! runs on an X display of its own (Xvfb): the "guest's" clipboard and
//! screen are that display's. What the SPICE server, spice-client-glib and
//! Vireo see is a guest with spice-vdagent.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The domain XML's channels for the agent: SPICE's own port, and the
/// relay port that reaches `socket` on the host.
pub fn channels(socket: &Path) -> String {
    format!(
        "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>\n    \
         <channel type='unix'><source mode='bind' path='{}'/>\
         <target type='virtio' name='org.vireo.agent-relay'/></channel>\n    ",
        socket.display()
    )
}

/// `xml` with the agent's channels (before its memballoon).
pub fn with_channels(xml: &str, socket: &Path) -> String {
    assert!(xml.contains("<memballoon"), "{xml}");
    xml.replacen(
        "<memballoon",
        &format!("{}<memballoon", channels(socket)),
        1,
    )
}

/// Xvfb, spice-vdagentd and spice-vdagent for one guest; stopped on drop.
pub struct HostAgent {
    dir: PathBuf,
    /// The agent's X display (`:N`): the guest's clipboard and screen.
    pub display: String,
    children: Vec<Child>,
}

impl HostAgent {
    /// Start the agent on the relay socket of a started guest.
    pub fn start(socket: &Path) -> HostAgent {
        let dir = super::fresh_dir("agent");
        super::wait_for("the relay socket", Duration::from_secs(30), || {
            socket.exists().then_some(())
        })
        .unwrap();
        let mut agent = HostAgent {
            display: String::new(),
            dir: dir.clone(),
            children: Vec::new(),
        };
        // An X display nobody else has.
        let n = (200..400)
            .find(|n| !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())
            .expect("a free X display");
        agent.display = format!(":{n}");
        agent.spawn(
            "xvfb",
            Command::new("Xvfb").args([
                &agent.display,
                "-screen",
                "0",
                "1024x768x24",
                "-nolisten",
                "tcp",
            ]),
        );
        super::wait_for("the agent's X display", Duration::from_secs(30), || {
            Path::new(&format!("/tmp/.X11-unix/X{n}"))
                .exists()
                .then_some(())
        })
        .unwrap();
        // spice-vdagentd writes the guest's pointer to "uinput": a plain
        // file here (-f: no ioctls), the agent's X display has its own.
        let uinput = dir.join("uinput");
        std::fs::write(&uinput, b"").unwrap();
        let udcs = dir.join("vdagent.udcs");
        agent.spawn(
            "vdagentd",
            Command::new("spice-vdagentd")
                .args(["-d", "-x", "-X", "-f", "-o", "-s"])
                .arg(socket)
                .arg("-S")
                .arg(&udcs)
                .arg("-u")
                .arg(&uinput),
        );
        super::wait_for("spice-vdagentd's socket", Duration::from_secs(30), || {
            udcs.exists().then_some(())
        })
        .unwrap_or_else(|e| panic!("{e}\n{}", agent.log()));
        let display = agent.display.clone();
        agent.spawn(
            "vdagent",
            Command::new("spice-vdagent")
                .args(["-d", "-x", "-S"])
                .arg(&udcs)
                // Only looked at to see that there is a port.
                .arg("-s")
                .arg(socket)
                .arg("--display")
                .arg(&display)
                .env("DISPLAY", &display)
                .env("NO_AT_BRIDGE", "1"),
        );
        agent
    }

    fn spawn(&mut self, name: &str, cmd: &mut Command) {
        let log = std::fs::File::create(self.dir.join(format!("{name}.log"))).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e} (make test installs it)"));
        self.children.push(child);
    }

    /// What the agents have logged, for failures.
    pub fn log(&self) -> String {
        ["xvfb", "vdagentd", "vdagent"]
            .iter()
            .map(|n| {
                let text =
                    std::fs::read_to_string(self.dir.join(format!("{n}.log"))).unwrap_or_default();
                format!("--- {n} ---\n{text}")
            })
            .collect()
    }

    /// The guest's clipboard text (empty when it has none).
    pub fn clipboard(&self) -> String {
        let out = Command::new("xclip")
            .args(["-display", &self.display, "-selection", "clipboard", "-o"])
            .output()
            .expect("xclip");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Copy `text` in the guest.
    pub fn copy(&self, text: &str) {
        use std::io::Write as _;
        let mut xclip = Command::new("xclip")
            .args(["-display", &self.display, "-selection", "clipboard", "-i"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("xclip");
        xclip
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        xclip.wait().unwrap();
    }
}

impl Drop for HostAgent {
    fn drop(&mut self) {
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
