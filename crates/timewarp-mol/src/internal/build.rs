//! Building a [`ZMatrix`] from a topology's bond graph (rules in the module docs of
//! [`crate::internal`]). Deterministic: the same topology always gives the same Z-matrix.

use std::collections::VecDeque;

use super::{BackboneTorsions, Dof, TorsionRole, ZEntry, ZMatrix};
use crate::{Element, Topology};

/// Why a topology cannot be given a Z-matrix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ZMatrixError {
    #[error("a Z-matrix needs at least 3 atoms, the molecule has {0}")]
    TooFewAtoms(usize),
    /// The bond graph has more than one connected component.
    #[error("the molecule is not one connected bond graph: {unreached} of {n_atoms} atoms (first: {first}) are not bonded to the rest (missing bonds or several molecules in one file)")]
    Disconnected {
        n_atoms: usize,
        unreached: usize,
        first: String,
    },
    /// No atom has two neighbours (a chain of at most two atoms per fragment).
    #[error("no atom with two bonded neighbours to root the Z-matrix at")]
    NoRoot,
    /// A backbone dihedral did not end up as a single coordinate (a bug, reported clearly).
    #[error("{what} of residue {residue} is not a single coordinate of the Z-matrix")]
    Backbone { what: &'static str, residue: String },
}

/// Priority of an atom as a tree child: backbone heavy atoms, other heavy atoms, hydrogens.
fn class(top: &Topology, backbone: &[bool], i: usize) -> u8 {
    if backbone[i] {
        0
    } else if top.atoms[i].element != Element::H {
        1
    } else {
        2
    }
}

/// N, CA, C of a residue that has all three bonded in a chain.
fn backbone_triple(top: &Topology, nb: &[Vec<usize>], r: usize) -> Option<[usize; 3]> {
    let n = top.find_atom(r, "N")?;
    let ca = top.find_atom(r, "CA")?;
    let c = top.find_atom(r, "C")?;
    (nb[ca].contains(&n) && nb[ca].contains(&c)).then_some([n, ca, c])
}

/// Planar (sp²) centre: a carbon with three neighbours, or a nitrogen with three neighbours one
/// of which is such a carbon (amide, guanidinium, aromatic ring), or with two (an unprotonated
/// aromatic ring nitrogen).
fn is_planar(top: &Topology, nb: &[Vec<usize>], i: usize) -> bool {
    let sp2_carbon = |a: usize| top.atoms[a].element == Element::C && nb[a].len() == 3;
    match top.atoms[i].element {
        Element::C => nb[i].len() == 3,
        Element::N => {
            nb[i].len() == 2 || (nb[i].len() == 3 && nb[i].iter().any(|&a| sp2_carbon(a)))
        }
        _ => false,
    }
}

/// Whether the bond a–b lies on a ring: b is reachable from a without using the bond.
fn in_ring(nb: &[Vec<usize>], a: usize, b: usize) -> bool {
    let mut seen = vec![false; nb.len()];
    let mut stack = vec![a];
    seen[a] = true;
    while let Some(u) = stack.pop() {
        for &v in &nb[u] {
            if u == a && v == b {
                continue;
            }
            if v == b {
                return true;
            }
            if !seen[v] {
                seen[v] = true;
                stack.push(v);
            }
        }
    }
    false
}

impl ZMatrix {
    /// The Z-matrix of `top`, rooted at N, Cα, C of the central residue that has them (or, for
    /// molecules without a peptide backbone, at the graph centre).
    pub fn from_topology(top: &Topology) -> Result<ZMatrix, ZMatrixError> {
        let n = top.n_atoms();
        if n < 3 {
            return Err(ZMatrixError::TooFewAtoms(n));
        }
        let nb = top.neighbours();
        // Connectivity.
        let reached = bfs_distances(&nb, 0);
        let unreached: Vec<usize> = (0..n).filter(|&i| reached[i] == usize::MAX).collect();
        if let Some(&first) = unreached.first() {
            return Err(ZMatrixError::Disconnected {
                n_atoms: n,
                unreached: unreached.len(),
                first: top.atom_label(first),
            });
        }
        let triples: Vec<[usize; 3]> = (0..top.residues.len())
            .filter_map(|r| backbone_triple(top, &nb, r))
            .collect();
        // Backbone atoms lead their siblings: N, CA, C of every residue that has them, and the
        // carbonyl C / amide N of the neighbours they bond to (the ACE and NME caps included).
        let mut backbone = vec![false; n];
        for &[nn, ca, c] in &triples {
            for a in [nn, ca, c] {
                backbone[a] = true;
            }
            let other = |a: usize, b: usize| top.atoms[a].residue != top.atoms[b].residue;
            for &a in &nb[nn] {
                backbone[a] |= top.atoms[a].name == "C" && other(a, nn);
            }
            for &a in &nb[c] {
                backbone[a] |= top.atoms[a].name == "N" && other(a, c);
            }
        }
        // Roots: (centre, first, second) = (CA, N, C) of the central backbone residue.
        let (centre, first, second) = match triples.get(triples.len().saturating_sub(1) / 2) {
            Some(&[nn, ca, c]) => (ca, nn, c),
            None => graph_centre_root(top, &nb)?,
        };

        // Breadth-first tree from the roots; neighbours visited by class, then index.
        let mut parent = vec![usize::MAX; n];
        let mut visited = vec![false; n];
        let mut bfs = Vec::with_capacity(n);
        let mut queue = VecDeque::from([centre, first, second]);
        for r in [centre, first, second] {
            visited[r] = true;
        }
        parent[first] = centre;
        parent[second] = centre;
        while let Some(u) = queue.pop_front() {
            bfs.push(u);
            let mut next: Vec<usize> = nb[u].iter().copied().filter(|&v| !visited[v]).collect();
            next.sort_by_key(|&v| (class(top, &backbone, v), v));
            for v in next {
                visited[v] = true;
                parent[v] = u;
                queue.push_back(v);
            }
        }
        // Subtree sizes (reverse breadth-first order visits children before parents).
        let mut size = vec![1usize; n];
        for &u in bfs.iter().rev() {
            if u != centre && parent[u] != usize::MAX && !(u == first || u == second) {
                size[parent[u]] += size[u];
            }
        }
        let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
        for &u in &bfs {
            if u != centre && u != first && u != second {
                children[parent[u]].push(u);
            }
        }
        for c in children.iter_mut() {
            c.sort_by_key(|&v| (class(top, &backbone, v), std::cmp::Reverse(size[v]), v));
        }
        // The two references of each placed atom's children: (k, l) = refs of the axis.
        let mut axis = vec![[usize::MAX; 2]; n];
        axis[centre] = [first, second];
        axis[first] = [centre, second];
        axis[second] = [centre, first];

        let mut entries = vec![
            ZEntry {
                atom: centre,
                refs: [usize::MAX; 3],
            },
            ZEntry {
                atom: first,
                refs: [centre, usize::MAX, usize::MAX],
            },
            ZEntry {
                atom: second,
                refs: [centre, first, usize::MAX],
            },
        ];
        let mut dofs = vec![
            Dof::Bond { atom: first },
            Dof::Bond { atom: second },
            Dof::Angle { atom: second },
        ];
        // Placement: breadth-first from the roots, children leader first.
        let mut queue = VecDeque::from([centre, first, second]);
        while let Some(j) = queue.pop_front() {
            let [k, l] = axis[j];
            let mut leader_dof = None;
            for &i in &children[j] {
                axis[i] = [j, k];
                let e = entries.len();
                entries.push(ZEntry {
                    atom: i,
                    refs: [j, k, l],
                });
                let t_dof = Self::first_dof(e) + 2;
                let role = match leader_dof {
                    Some(leader) => TorsionRole::Offset { leader },
                    None => {
                        leader_dof = Some(t_dof);
                        // Proper torsion about the bond j–k (l bonded to k), free to turn unless
                        // the bond is in a ring or joins two planar centres.
                        let proper = nb[k].contains(&l);
                        if proper
                            && !in_ring(&nb, j, k)
                            && !(is_planar(top, &nb, j) && is_planar(top, &nb, k))
                        {
                            TorsionRole::Rotor
                        } else {
                            TorsionRole::Rigid
                        }
                    }
                };
                dofs.push(Dof::Bond { atom: i });
                dofs.push(Dof::Angle { atom: i });
                dofs.push(Dof::Torsion { atom: i, role });
                queue.push_back(i);
            }
        }
        debug_assert_eq!(entries.len(), n);
        debug_assert_eq!(dofs.len(), 3 * n - 6);

        // φ and ψ: the leader torsion whose four atoms are those of the backbone dihedral.
        let mut zm = ZMatrix {
            n_atoms: n,
            entries,
            dofs,
            backbone: Vec::new(),
        };
        for r in 0..top.residues.len() {
            let Some([nn, ca, c]) = backbone_triple(top, &nb, r) else {
                continue;
            };
            let prev_c = nb[nn]
                .iter()
                .copied()
                .find(|&a| top.atoms[a].name == "C" && top.atoms[a].residue != r);
            let next_n = nb[c]
                .iter()
                .copied()
                .find(|&a| top.atoms[a].name == "N" && top.atoms[a].residue != r);
            let (Some(pc), Some(nn2)) = (prev_c, next_n) else {
                continue;
            };
            let label = || format!("{} {}", top.residues[r].name, top.residues[r].number);
            let phi = zm
                .torsion_over([pc, nn, ca, c])
                .ok_or_else(|| ZMatrixError::Backbone {
                    what: "φ",
                    residue: label(),
                })?;
            let psi = zm
                .torsion_over([nn, ca, c, nn2])
                .ok_or_else(|| ZMatrixError::Backbone {
                    what: "ψ",
                    residue: label(),
                })?;
            for (d, role) in [
                (phi, TorsionRole::Phi { residue: r }),
                (psi, TorsionRole::Psi { residue: r }),
            ] {
                if let Dof::Torsion { role: old, .. } = &mut zm.dofs[d] {
                    *old = role;
                }
            }
            zm.backbone.push(BackboneTorsions {
                residue: r,
                phi,
                psi,
            });
        }
        Ok(zm)
    }

    /// The leader torsion coordinate whose atoms (i, j, k, l) are `quad` in either direction.
    fn torsion_over(&self, quad: [usize; 4]) -> Option<usize> {
        let rev = [quad[3], quad[2], quad[1], quad[0]];
        (3..self.entries.len()).find_map(|e| {
            let z = &self.entries[e];
            let q = [z.atom, z.refs[0], z.refs[1], z.refs[2]];
            let d = Self::first_dof(e) + 2;
            let leader = !matches!(
                self.dofs[d],
                Dof::Torsion {
                    role: TorsionRole::Offset { .. },
                    ..
                }
            );
            (leader && (q == quad || q == rev)).then_some(d)
        })
    }
}

fn bfs_distances(nb: &[Vec<usize>], from: usize) -> Vec<usize> {
    let mut dist = vec![usize::MAX; nb.len()];
    dist[from] = 0;
    let mut queue = VecDeque::from([from]);
    while let Some(u) = queue.pop_front() {
        for &v in &nb[u] {
            if dist[v] == usize::MAX {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
        }
    }
    dist
}

/// Roots for a molecule without a peptide backbone: the atom of smallest eccentricity with at
/// least two neighbours (heavy atoms preferred, then the lower index), and its first two
/// neighbours (heavy first).
fn graph_centre_root(
    top: &Topology,
    nb: &[Vec<usize>],
) -> Result<(usize, usize, usize), ZMatrixError> {
    let heavy = |i: usize| top.atoms[i].element != Element::H;
    let centre = (0..top.n_atoms())
        .filter(|&i| nb[i].len() >= 2)
        .min_by_key(|&i| {
            let ecc = bfs_distances(nb, i).into_iter().max().unwrap_or(0);
            (ecc, !heavy(i), i)
        })
        .ok_or(ZMatrixError::NoRoot)?;
    let mut around = nb[centre].clone();
    around.sort_by_key(|&v| (!heavy(v), v));
    Ok((centre, around[0], around[1]))
}
