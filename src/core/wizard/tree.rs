//! Network install trees: find the installer's kernel and initrd in a tree
//! (a URL or a local directory) and fetch them, as virt-install does for
//! `--location`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

/// Where distributions keep the installer's kernel and initrd, relative to
/// the tree's root, tried in order.
pub const LAYOUTS: &[(&str, &str)] = &[
    // Fedora, RHEL, CentOS, Rocky, Alma
    ("images/pxeboot/vmlinuz", "images/pxeboot/initrd.img"),
    // Debian (netboot tree of a mirror, and the DVD layout)
    (
        "main/installer-amd64/current/images/netboot/debian-installer/amd64/linux",
        "main/installer-amd64/current/images/netboot/debian-installer/amd64/initrd.gz",
    ),
    ("install.amd/vmlinuz", "install.amd/initrd.gz"),
    // Ubuntu live media
    ("casper/vmlinuz", "casper/initrd"),
    // openSUSE
    ("boot/x86_64/loader/linux", "boot/x86_64/loader/initrd"),
    // Trees with isolinux (Vireo's test media among them)
    ("isolinux/vmlinuz", "isolinux/initrd.img"),
];

/// A fetched file's size limit: no installer kernel or initrd comes near.
const MAX_BYTES: u64 = 2 << 30;

/// Fetch the kernel and initrd of the tree at `url` into `dir`; returns
/// their paths. Errors are sentences for the user.
pub fn fetch_boot_files(url: &str, dir: &Path) -> Result<(String, String), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let root = url.trim().trim_end_matches('/');
    let mut tried = Vec::new();
    for (kernel, initrd) in LAYOUTS {
        let k = dir.join("vmlinuz");
        let i = dir.join("initrd");
        match fetch(&format!("{root}/{kernel}"), &k) {
            Ok(()) => {
                fetch(&format!("{root}/{initrd}"), &i)?;
                return Ok((k.display().to_string(), i.display().to_string()));
            }
            Err(Fetch::NotFound) => tried.push(*kernel),
            Err(Fetch::Failed(e)) => return Err(e),
        }
    }
    Err(format!(
        "no installer kernel was found in {root} (looked for {})",
        tried.join(", ")
    ))
}

enum Fetch {
    NotFound,
    Failed(String),
}

impl From<Fetch> for String {
    fn from(f: Fetch) -> String {
        match f {
            Fetch::NotFound => "not found".into(),
            Fetch::Failed(e) => e,
        }
    }
}

fn fetch(url: &str, to: &Path) -> Result<(), Fetch> {
    if let Some(path) = url
        .strip_prefix("file://")
        .or(url.starts_with('/').then_some(url))
    {
        return match std::fs::copy(path, to) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Fetch::NotFound),
            Err(e) => Err(Fetch::Failed(format!("cannot copy {path}: {e}"))),
        };
    }
    if let Some(rest) = url.strip_prefix("http://") {
        return http_get(rest, to, 0);
    }
    Err(Fetch::Failed(format!(
        "cannot fetch {url}: Vireo fetches install trees over http:// or from a directory"
    )))
}

/// A plain HTTP/1.0 GET (no chunked encoding), following redirects to
/// other http:// URLs.
fn http_get(rest: &str, to: &Path, redirects: u32) -> Result<(), Fetch> {
    let failed = |what: String| Fetch::Failed(format!("http://{rest}: {what}"));
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:80")
    };
    let mut stream = TcpStream::connect(&addr).map_err(|e| failed(e.to_string()))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {hostport}\r\nUser-Agent: vireo\r\nAccept: */*\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| failed(e.to_string()))?;
    // Headers, byte by byte up to the blank line (they are short).
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 {
            return Err(failed("oversized response headers".into()));
        }
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => return Err(failed("the server closed the connection".into())),
            Err(e) => return Err(failed(e.to_string())),
        }
    }
    let head = String::from_utf8_lossy(&head);
    let status: u32 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_owned())
        })
    };
    match status {
        200 => {}
        301 | 302 | 303 | 307 | 308 if redirects < 5 => {
            let location =
                header("location").ok_or_else(|| failed("redirect without a Location".into()))?;
            return match location.strip_prefix("http://") {
                Some(next) => http_get(next, to, redirects + 1),
                None if location.starts_with('/') => {
                    http_get(&format!("{hostport}{location}"), to, redirects + 1)
                }
                None => Err(failed(format!("redirected to {location}"))),
            };
        }
        404 | 410 => return Err(Fetch::NotFound),
        _ => return Err(failed(format!("the server answered {status}"))),
    }
    let mut file = std::fs::File::create(to)
        .map_err(|e| Fetch::Failed(format!("cannot write {}: {e}", to.display())))?;
    let copied =
        std::io::copy(&mut stream.take(MAX_BYTES), &mut file).map_err(|e| failed(e.to_string()))?;
    if let Some(len) = header("content-length").and_then(|l| l.parse::<u64>().ok())
        && len != copied
    {
        return Err(failed(format!("received {copied} of {len} bytes")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_local_tree_gives_its_kernel_and_initrd() {
        let root = std::env::temp_dir().join(format!("vireo-tree-{}", std::process::id()));
        let out = root.join("out");
        std::fs::create_dir_all(root.join("casper")).unwrap();
        std::fs::write(root.join("casper/vmlinuz"), b"kernel").unwrap();
        std::fs::write(root.join("casper/initrd"), b"initrd").unwrap();
        let (k, i) = fetch_boot_files(root.to_str().unwrap(), &out).unwrap();
        assert_eq!(std::fs::read(k).unwrap(), b"kernel");
        assert_eq!(std::fs::read(i).unwrap(), b"initrd");
        let empty = root.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        let err = fetch_boot_files(empty.to_str().unwrap(), &out).unwrap_err();
        assert!(err.contains("no installer kernel"), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn other_schemes_are_refused_with_the_reason() {
        let err =
            fetch_boot_files("https://example.invalid/tree", &std::env::temp_dir()).unwrap_err();
        assert!(err.contains("http://"), "{err}");
    }

    #[test]
    fn trees_are_fetched_over_http() {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            for _ in 0..3 {
                let (mut s, _) = listener.accept().unwrap();
                let mut req = Vec::new();
                let mut byte = [0u8; 1];
                while !req.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap() == 1 {
                    req.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&req)
                    .lines()
                    .next()
                    .unwrap()
                    .to_owned();
                let reply = if line.contains("images/pxeboot/vmlinuz") {
                    "HTTP/1.0 302 Found\r\nLocation: /real/vmlinuz\r\n\r\n".to_owned()
                } else if line.contains("/real/vmlinuz") {
                    "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nkernel".to_owned()
                } else if line.contains("images/pxeboot/initrd.img") {
                    "HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\ninitrd".to_owned()
                } else {
                    "HTTP/1.0 404 Not Found\r\n\r\n".to_owned()
                };
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        let out = std::env::temp_dir().join(format!("vireo-http-{}", std::process::id()));
        let (k, i) = fetch_boot_files(&format!("http://127.0.0.1:{port}/tree/"), &out).unwrap();
        assert_eq!(std::fs::read(k).unwrap(), b"kernel");
        assert_eq!(std::fs::read(i).unwrap(), b"initrd");
        server.join().unwrap();
        std::fs::remove_dir_all(&out).unwrap();
    }
}

/// Whether `location` names a local file (an ISO image) rather than a URL
/// or a directory.
pub fn is_local_iso(location: &str) -> bool {
    let path = location.strip_prefix("file://").unwrap_or(location);
    path.starts_with('/') && Path::new(path).is_file()
}

const SECTOR: u64 = 2048;

/// A file or directory of an ISO 9660 image: where it starts, how long.
#[derive(Debug, Clone, Copy)]
struct Extent {
    lba: u32,
    len: u32,
    dir: bool,
}

fn read_at(file: &mut std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Seek;
    file.seek(std::io::SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// The ISO 9660 name of a directory record as a plain lower-case name
/// (`VMLINUZ.;1` → `vmlinuz`, `INITRD.GZ;1` → `initrd.gz`).
fn plain_name(raw: &[u8]) -> String {
    let name = String::from_utf8_lossy(raw).to_lowercase();
    let name = name.split(';').next().unwrap_or_default();
    name.trim_end_matches('.').to_owned()
}

/// The entry `name` of directory `dir` (names compared as plain ISO 9660
/// names, without Rock Ridge or Joliet).
fn lookup(file: &mut std::fs::File, dir: Extent, name: &str) -> std::io::Result<Option<Extent>> {
    if dir.len > 16 << 20 {
        return Ok(None);
    }
    let data = read_at(file, u64::from(dir.lba) * SECTOR, dir.len as usize)?;
    let mut at = 0usize;
    while at < data.len() {
        let len = data[at] as usize;
        if len == 0 {
            // Records do not cross sectors: on to the next one.
            at = (at / SECTOR as usize + 1) * SECTOR as usize;
            continue;
        }
        let Some(rec) = data.get(at..at + len) else {
            break;
        };
        if rec.len() >= 33 {
            let name_len = rec[32] as usize;
            if let Some(raw) = rec.get(33..33 + name_len)
                && plain_name(raw) == name
            {
                let u32_at =
                    |i: usize| u32::from_le_bytes([rec[i], rec[i + 1], rec[i + 2], rec[i + 3]]);
                return Ok(Some(Extent {
                    lba: u32_at(2),
                    len: u32_at(10),
                    dir: rec[25] & 2 != 0,
                }));
            }
        }
        at += len;
    }
    Ok(None)
}

/// The file at `path` (`install.amd/vmlinuz`) in the ISO image.
fn find(file: &mut std::fs::File, path: &str) -> std::io::Result<Option<Extent>> {
    let not_iso = || std::io::Error::other("not an ISO 9660 image");
    let pvd = read_at(file, 16 * SECTOR, SECTOR as usize).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            not_iso()
        } else {
            e
        }
    })?;
    if &pvd[1..6] != b"CD001" || pvd[0] != 1 {
        return Err(not_iso());
    }
    let root = &pvd[156..156 + 34];
    let mut at = Extent {
        lba: u32::from_le_bytes([root[2], root[3], root[4], root[5]]),
        len: u32::from_le_bytes([root[10], root[11], root[12], root[13]]),
        dir: true,
    };
    for part in path.split('/') {
        if !at.dir {
            return Ok(None);
        }
        match lookup(file, at, &part.to_lowercase())? {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    Ok((!at.dir).then_some(at))
}

/// The installer's kernel and initrd inside an ISO image, as paths in the
/// image (the first of [`LAYOUTS`] it holds). Errors are sentences.
pub fn iso_boot_files(iso: &str) -> Result<(&'static str, &'static str), String> {
    let mut file = std::fs::File::open(iso).map_err(|e| format!("cannot read {iso}: {e}"))?;
    for (kernel, initrd) in LAYOUTS {
        let found = find(&mut file, kernel).map_err(|e| format!("cannot read {iso}: {e}"))?;
        if found.is_some()
            && find(&mut file, initrd)
                .map_err(|e| format!("cannot read {iso}: {e}"))?
                .is_some()
        {
            return Ok((kernel, initrd));
        }
    }
    Err(format!(
        "{iso} holds no install tree (no installer kernel and initrd where distributions keep them)"
    ))
}

/// Copy the installer's kernel and initrd out of the ISO image into `dir`.
pub fn extract_boot_files(iso: &str, dir: &Path) -> Result<(String, String), String> {
    let (kernel, initrd) = iso_boot_files(iso)?;
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut file = std::fs::File::open(iso).map_err(|e| format!("cannot read {iso}: {e}"))?;
    let mut out = Vec::new();
    for (inside, name) in [(kernel, "vmlinuz"), (initrd, "initrd")] {
        let to = dir.join(name);
        let extent = find(&mut file, inside)
            .ok()
            .flatten()
            .ok_or_else(|| format!("{inside} vanished from {iso}"))?;
        if u64::from(extent.len) > MAX_BYTES {
            return Err(format!("{inside} in {iso} is too large"));
        }
        let bytes = read_at(
            &mut file,
            u64::from(extent.lba) * SECTOR,
            extent.len as usize,
        )
        .map_err(|e| format!("cannot read {inside} from {iso}: {e}"))?;
        std::fs::write(&to, bytes).map_err(|e| format!("cannot write {}: {e}", to.display()))?;
        out.push(to.display().to_string());
    }
    Ok((out[0].clone(), out[1].clone()))
}
