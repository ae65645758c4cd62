//! libFuzzer's entry to `rapport_fuzz::model` (what it reads and checks is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rapport_fuzz::model(data);
});
