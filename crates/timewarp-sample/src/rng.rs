//! Per-chain random streams (their exact serialisation is `timewarp_rundir::RngState`).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The random stream of chain `chain` for a run seeded with `seed`: ChaCha8 keyed by `seed`,
/// one ChaCha stream per chain, so chains are independent and adding chains does not change
/// the existing ones.
pub fn chain_rng(seed: u64, chain: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(chain as u64);
    rng
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn round_trip_continues_the_stream() {
        let mut a = chain_rng(7, 3);
        for _ in 0..13 {
            a.random::<u32>();
        }
        let json = serde_json::to_string(&timewarp_rundir::RngState::capture(&a)).unwrap();
        let mut b = serde_json::from_str::<timewarp_rundir::RngState>(&json)
            .unwrap()
            .restore()
            .unwrap();
        for _ in 0..100 {
            assert_eq!(a.random::<u64>(), b.random::<u64>());
        }
        assert_ne!(
            chain_rng(7, 0).random::<u64>(),
            chain_rng(7, 1).random::<u64>()
        );
    }
}
