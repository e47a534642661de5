//! Tests that must control every byte on the wire: a minimal HTTP/1.1 client over a std
//! `TcpStream`, bundles of a chosen size, and the memory figures of a process.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bestpick_bundle::{Buckets, Bundle, ImageEntry, Manifest, PublicKey, SCHEMA_VERSION};

/// A receipt hash any test may use.
pub const RECEIPT_HASH: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// An HTTP answer.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    /// A header's value (name in lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The JSON body.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// The head of `POST /v1/bundles` for a body of `len` bytes.
pub fn post_head(len: usize, idempotency_key: &str) -> String {
    format!(
        "POST /v1/bundles HTTP/1.1\r\nHost: collector\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {len}\r\nIdempotency-Key: {idempotency_key}\r\n\
         Bestpick-Receipt-Hash: {RECEIPT_HASH}\r\n\r\n"
    )
}

/// Reads one answer: status line, headers, then a body of its Content-Length (or to EOF).
pub fn read_answer(stream: &mut impl Read) -> io::Result<Answer> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("closed after {} bytes of head", head.len()),
            ));
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line in {head:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    let mut body = Vec::new();
    match len {
        Some(n) => {
            body.resize(n, 0);
            stream.read_exact(&mut body)?;
        }
        None => {
            stream.read_to_end(&mut body)?;
        }
    }
    Ok(Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Sends a whole request (head and body) and reads the answer.
pub fn request(addr: SocketAddr, head: &str, body: &[u8]) -> io::Result<Answer> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    read_answer(&mut stream)
}

/// `GET path`.
pub fn get(addr: SocketAddr, path: &str) -> io::Result<Answer> {
    request(
        addr,
        &format!("GET {path} HTTP/1.1\r\nHost: collector\r\nConnection: close\r\n\r\n"),
        b"",
    )
}

/// Uploads `body` with `idempotency_key`.
pub fn post_bundle(addr: SocketAddr, body: &[u8], idempotency_key: &str) -> io::Result<Answer> {
    request(addr, &post_head(body.len(), idempotency_key), body)
}

/// A clean JPEG (no metadata) of about `size` bytes: the entropy-coded data is filler that
/// never contains 0xFF, which is all the metadata verifier looks at.
pub fn clean_jpeg(seed: u8, size: usize) -> Vec<u8> {
    let seg = |m: u8, p: &[u8]| {
        let mut v = vec![0xFF, m];
        v.extend_from_slice(&u16::try_from(p.len() + 2).expect("short").to_be_bytes());
        v.extend_from_slice(p);
        v
    };
    let mut v = vec![0xFF, 0xD8];
    v.extend(seg(0xDB, &[0; 65]));
    v.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    v.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
    v.extend((0..size).map(|i| u8::try_from((i * 7 + usize::from(seed)) % 255).expect("< 255")));
    v.extend_from_slice(&[0xFF, 0xD9]);
    v
}

/// A bundle sealed to `key` with `images` images of about `image_bytes` each.
pub fn sealed_bundle(key: &PublicKey, seed: u8, images: usize, image_bytes: usize) -> Vec<u8> {
    let mut entries: Vec<(String, Vec<u8>)> = (0..images)
        .map(|i| {
            let name = bestpick_bundle::sha256_hex(format!("{seed}-{i}").as_bytes());
            let seed = seed.wrapping_add(u8::try_from(i % 256).expect("small"));
            (format!("{name}.jpg"), clean_jpeg(seed, image_bytes))
        })
        .collect();
    entries.sort();
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        anonymous_id: bestpick_bundle::random_hex(16).expect("random"),
        images: entries
            .iter()
            .map(|(name, _)| ImageEntry {
                name: name.clone(),
                scores: serde_json::json!({ "s": 0.5 }),
            })
            .collect(),
        buckets: Buckets::default(),
    };
    let bundle = Bundle {
        manifest,
        images: entries.into_iter().collect(),
    };
    let archive = bundle.to_archive().expect("valid bundle");
    bestpick_bundle::seal(key, &archive).expect("seal")
}

/// A field of `/proc/PID/status` in KiB (`VmRSS`, `VmHWM`).
pub fn proc_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/{pid}/status"))
}

/// Reads until the peer closes the connection (EOF or reset), returning what arrived, or
/// `None` if it is still open after `wait`.
pub fn wait_closed(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    read_until_closed(stream, wait, &mut got).then_some(got)
}

/// Reads into `got` for `wait`; true when the connection closed (end of stream or an error).
/// What was read stays in `got` either way.
pub fn read_until_closed(stream: &mut TcpStream, wait: Duration, got: &mut Vec<u8>) -> bool {
    let deadline = std::time::Instant::now() + wait;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return false;
        }
        stream
            .set_read_timeout(Some(left.min(Duration::from_millis(200))))
            .expect("timeout");
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return true,
        }
    }
}
