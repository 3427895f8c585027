//! The web UI is embedded from `web/dist`; make sure the folder exists so the crate builds
//! before the UI does (the server then answers with a "UI not built" page).
fn main() {
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/dist");
    if !dist.exists() {
        let _ = std::fs::create_dir_all(&dist);
    }
    println!("cargo:rerun-if-changed=../../web/dist");
}
