//! libFuzzer's entry to `rapport_fuzz::activities` (what it reads and checks is said there).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    rapport_fuzz::activities(data);
});
