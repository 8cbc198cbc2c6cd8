//! The fuzz targets' entry points on the stable toolchain, as CI runs them: the seed corpus, its
//! mutations and seeded random inputs. (Coverage-guided runs: scripts/fuzz.sh.)

use rand::{Rng, SeedableRng};

fn corpus() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus/api_response");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("seed corpus")
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(out.len() >= 5, "seed corpus present");
    out
}

#[test]
fn api_response_parsers_never_panic() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7a6e);
    let seeds = corpus();
    for s in &seeds {
        takeup_core::fuzzing::api_response(s);
    }
    for i in 0..20_000 {
        let mut input = seeds[i % seeds.len()].clone();
        for _ in 0..rng.random_range(1..8) {
            match rng.random_range(0..4) {
                0 if !input.is_empty() => {
                    let at = rng.random_range(0..input.len());
                    input[at] = rng.random();
                }
                1 if !input.is_empty() => {
                    let at = rng.random_range(0..input.len());
                    input.truncate(at);
                }
                2 => {
                    let at = rng.random_range(0..=input.len());
                    let snippet: &[u8] = [
                        &b"\""[..],
                        b"{",
                        b"[",
                        b"null",
                        b"-1",
                        b"1e999",
                        b"\\u0000",
                        b"}",
                        b"]",
                    ][rng.random_range(0..9)];
                    input.splice(at..at, snippet.iter().copied());
                }
                _ => {
                    let len = rng.random_range(0..64);
                    input = (0..len).map(|_| rng.random()).collect();
                }
            }
        }
        takeup_core::fuzzing::api_response(&input);
    }
}

#[test]
fn journal_operation_sequences_keep_the_invariants() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x10c4);
    for _ in 0..300 {
        let len = rng.random_range(0..240);
        let data: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        takeup_core::fuzzing::journal_ops(&data);
    }
}
