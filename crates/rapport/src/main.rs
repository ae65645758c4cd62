//! The rapport binary.
fn main() {}
