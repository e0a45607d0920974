//! The chirality guard: stereocentres of peptides, and mirror-image proposals are rejected.

use std::path::Path;

use timewarp_mol::read_pdb;
use timewarp_sample::chirality::{find_stereocentres, signed_volume};
use timewarp_sample::mh::beta;
use timewarp_sample::{
    AcceptanceRule, BatchEnergy, ChiralityGuard, ProposalKernel, ProposalRequest, Proposals,
    SampleError, Sampler, VelocityRefresh,
};

fn testdata(name: &str) -> std::path::PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ))
    .join(name)
}

fn mirror(x: &[[f64; 3]]) -> Vec<[f64; 3]> {
    x.iter().map(|a| [-a[0], a[1], a[2]]).collect()
}

#[test]
fn stereocentres_of_capped_peptides() {
    for (file, expected) in [
        ("ala2.pdb", 1),
        ("dip_gly.pdb", 0),
        ("dip_ile.pdb", 2),
        ("dip_thr.pdb", 2),
        ("ace_ala3_nme.pdb", 3),
    ] {
        let pdb = read_pdb(&testdata(file)).unwrap();
        let x = pdb.positions();
        let centres = find_stereocentres(&pdb.topology);
        assert_eq!(centres.len(), expected, "{file}");
        for s in &centres {
            let top = &pdb.topology;
            let names: Vec<&str> = std::iter::once(s.centre)
                .chain(s.neighbours)
                .map(|i| top.atoms[i].name.as_str())
                .collect();
            // L-amino acids: (N − CA) · ((C − CA) × (CB − CA)) has one sign for every residue.
            if names[0] == "CA" {
                assert_eq!(&names[1..], ["N", "C", "CB"], "{file}");
                assert!(
                    signed_volume(x, s) > 0.0,
                    "{file}: {} is not L",
                    top.atom_label(s.centre)
                );
            }
            // |V| of a tetrahedral centre with ~0.15 nm bonds is ~3e-3 nm³: never degenerate.
            assert!(signed_volume(x, s).abs() > 1e-3);
        }
        let guard = ChiralityGuard::for_topology(&pdb.topology, x);
        assert!(!guard.flipped(x), "{file}");
        // A rigid rotation keeps handedness, a reflection inverts every centre.
        let rotated: Vec<[f64; 3]> = x.iter().map(|a| [-a[1], a[0], a[2]]).collect();
        assert!(!guard.flipped(&rotated), "{file}");
        assert_eq!(guard.flipped(&mirror(x)), expected > 0, "{file}");
    }
}

/// Proposes the mirror image of the current state with a symmetric density.
struct MirrorKernel(usize);
impl ProposalKernel for MirrorKernel {
    fn n_atoms(&self) -> usize {
        self.0
    }
    fn propose(
        &mut self,
        req: &ProposalRequest<'_>,
        out: &mut Proposals,
    ) -> Result<(), SampleError> {
        let n = self.0;
        for k in 0..out.len() {
            let m = mirror(&req.x[k * n..(k + 1) * n]);
            out.y[k * n..(k + 1) * n].copy_from_slice(&m);
            out.w[3 * k * n..3 * (k + 1) * n].copy_from_slice(req.v_of(k));
            out.log_q_forward[k] = 0.0;
            out.log_q_reverse[k] = 0.0;
        }
        Ok(())
    }
}

/// A flat energy: every proposal of the mirror kernel has α = 1.
struct Flat(usize);
impl BatchEnergy for Flat {
    fn n_atoms(&self) -> usize {
        self.0
    }
    fn energies(&self, _: &[[f64; 3]], e: &mut [f64]) {
        e.fill(0.0);
    }
}

#[test]
fn mirror_image_proposals_are_rejected() {
    let pdb = read_pdb(&testdata("ala2.pdb")).unwrap();
    let (x, n) = (pdb.positions(), pdb.topology.n_atoms());
    for rule in [
        AcceptanceRule::Metropolis {
            proposals: 4,
            adaptive: false,
            target_at_least_one: 0.9,
            smoothing: 0.01,
            velocity_refresh: VelocityRefresh::PerProposal,
        },
        AcceptanceRule::Threshold {
            max_increase: 300.0,
        },
    ] {
        for guarded in [false, true] {
            let guard = if guarded {
                ChiralityGuard::for_topology(&pdb.topology, x)
            } else {
                ChiralityGuard::disabled()
            };
            let mut s = Sampler::new(x, 0.0, 2, 3, rule, beta(310.0), guard).unwrap();
            while s
                .iterate(&mut MirrorKernel(n), &Flat(n), 20, &mut |_| {})
                .unwrap()
            {}
            let st = s.total_stats();
            assert_eq!(st.steps, 40);
            if guarded {
                assert_eq!(st.accepted, 0, "{rule:?}");
                assert_eq!(st.chirality_rejections, 40);
                assert_eq!(s.chains[0].x, x);
            } else {
                assert_eq!(st.accepted, 40, "{rule:?}");
                assert_eq!(st.chirality_rejections, 0);
            }
        }
    }
}
