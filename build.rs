//! The demo workspace and sessions are embedded with `include_dir!`, which cannot tell cargo
//! to rebuild on stable Rust when they change: this does.
fn main() {
    println!("cargo:rerun-if-changed=fixtures/workspace");
    println!("cargo:rerun-if-changed=fixtures/sessions");
}
