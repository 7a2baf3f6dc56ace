//! Records the exact version of ring from Cargo.lock, so `php --ri wp_oauth` can name the
//! crypto backend with its version.
use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=Cargo.lock");
    let lock = fs::read_to_string("Cargo.lock").unwrap_or_default();
    let mut version = String::from("unknown");
    let mut in_ring = false;
    for line in lock.lines() {
        if line.starts_with("name = ") {
            in_ring = line == "name = \"ring\"";
        } else if in_ring && line.starts_with("version = ") {
            version = line.trim_start_matches("version = ").trim_matches('"').to_owned();
            break;
        }
    }
    println!("cargo:rustc-env=WP_OAUTH_RING_VERSION={version}");
}
