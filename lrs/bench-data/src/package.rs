//! A large e-learning package for import benchmarks: an xAPI package whose files are
//! incompressible (like video), so that neither zip nor storage can shrink them.

use std::io::Write;
use std::path::Path;

/// Fills `buf` with xorshift output.
fn noise(buf: &mut [u8], mut state: u64) {
    for chunk in buf.chunks_mut(8) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let bytes = state.to_le_bytes();
        let n = chunk.len();
        chunk.copy_from_slice(bytes.get(..n).unwrap_or_default());
    }
}

/// Writes a package of about `size_mb` MB to `path` (8 MiB media files, stored), returning
/// the number of files.
pub fn write_large_package(path: &Path, size_mb: u64) -> zip::result::ZipResult<u64> {
    let file_mb = 8u64;
    let files = size_mb.div_ceil(file_mb);
    let mut w = zip::ZipWriter::new(std::fs::File::create(path)?);
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    w.start_file("tincan.xml", stored)?;
    w.write_all(
        br#"<tincan><activities><activity id="https://example.org/big" type="http://adlnet.gov/expapi/activities/course"><name lang="en">Big</name><launch>index.html</launch></activity></activities></tincan>"#,
    )?;
    w.start_file("index.html", stored)?;
    w.write_all(b"<html></html>")?;
    let mut buf = vec![0u8; usize::try_from(file_mb << 20).unwrap_or(8 << 20)];
    for i in 0..files {
        noise(&mut buf, 0x9e37_79b9_7f4a_7c15 ^ (i + 1));
        w.start_file(format!("media/video{i:04}.bin"), stored)?;
        w.write_all(&buf)?;
    }
    w.finish()?;
    Ok(files + 2)
}

/// Peak resident memory of a process so far, in MB (Linux `/proc/PID/status`, `VmHWM`).
pub fn peak_rss_mb(pid: &str) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb / 1024)
}
