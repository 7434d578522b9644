//! `ratchet-e2e-reader`: the app side of the container tests, in an image
//! built `FROM scratch` around this one static binary.
//!
//! ```text
//! ratchet-e2e-reader read PATH       open PATH once, read to end of file, print
//!                                    `bytes=N fnv1a64=HEX` (never the content)
//! ratchet-e2e-reader resolve NAME... print `NAME ADDRESS...` for each name,
//!                                    as getaddrinfo resolves it
//! ratchet-e2e-reader wait SECONDS    sleep, to be a container others can name
//! ```
//!
//! It depends on std alone, so that a static build compiles nothing else.

use std::io::Read;
use std::net::ToSocketAddrs;
use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("read") if args.len() == 2 => read(&args[1]),
        Some("resolve") if args.len() >= 2 => resolve(&args[1..]),
        Some("wait") if args.len() == 2 => wait(&args[1]),
        _ => Err("usage: ratchet-e2e-reader read PATH | resolve NAME... | wait SECONDS".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("ratchet-e2e-reader: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads the file once and prints its size and a digest, so the test can
/// compare it with the payload without the payload ever reaching a log.
fn read(path: &str) -> Result<(), String> {
    let mut content = Vec::new();
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(&mut content))
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    println!("bytes={} fnv1a64={:016x}", content.len(), fnv1a64(&content));
    Ok(())
}

/// Resolves each name the way the daemon's HTTP client does (getaddrinfo).
fn resolve(names: &[String]) -> Result<(), String> {
    for name in names {
        let addresses = (name.as_str(), 0)
            .to_socket_addrs()
            .map_err(|e| format!("cannot resolve {name}: {e}"))?;
        let list: Vec<String> = addresses.map(|a| a.ip().to_string()).collect();
        println!("{name} {}", list.join(" "));
    }
    Ok(())
}

fn wait(seconds: &str) -> Result<(), String> {
    let seconds: u64 = seconds
        .parse()
        .map_err(|_| format!("{seconds:?} is not a number of seconds"))?;
    std::thread::sleep(Duration::from_secs(seconds));
    Ok(())
}

/// FNV-1a, 64 bits: a digest with no dependency, good enough to tell two
/// payloads apart in a test.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
