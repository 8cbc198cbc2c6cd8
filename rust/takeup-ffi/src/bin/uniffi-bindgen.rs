//! The UniFFI binding generator, built from this crate so its version always matches the
//! `uniffi` the library was compiled with. Used by `scripts/bindings.sh`:
//! `cargo run -p takeup-ffi --features bindgen --bin uniffi-bindgen -- generate --library ...`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
