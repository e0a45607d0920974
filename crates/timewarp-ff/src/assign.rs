//! Parameter assignment: from a topology to the parameter tables of a [`System`], with the
//! rules of OpenMM's `ForceField.createSystem` for amber ffxml files (NOTES.md §3).

use crate::constants::{
    GB_COULOMB, GB_DIELECTRIC_OFFSET, REACTION_FIELD_DIELECTRIC, SA_PREFACTOR, SA_PROBE_RADIUS,
    SOLUTE_DIELECTRIC, SOLVENT_DIELECTRIC,
};
use crate::ffxml::{FfxmlData, TorsionDef, TorsionTerm, TypePattern};
use crate::gb_params::{mbondi2_radius, obc_screen};
use crate::params::{AtomParams, HarmonicAngle, HarmonicBond, Pair14, PeriodicTorsion};
use crate::system::{NonbondedMethod, System, SystemOptions};
use crate::template::match_residue;
use crate::terms::bonded::TorsionSet;
use crate::terms::gbsa_obc::{skip_threshold, GbParams};
use crate::terms::nonbonded::{NonbondedParams, ReactionField};
use crate::FfError;
use timewarp_mol::Topology;

/// What template matching assigned to each atom.
struct Typing {
    atom_type: Vec<usize>,
    charge: Vec<f64>,
    template: Vec<usize>,
    /// Index of the atom in its template (orders improper atoms).
    template_atom: Vec<usize>,
    residue: Vec<usize>,
}

pub(crate) fn create_system(
    ff: &FfxmlData,
    top: &Topology,
    opts: &SystemOptions,
) -> Result<System, FfError> {
    check_options(opts)?;
    let bonds = checked_bonds(top)?;
    let n = top.n_atoms();
    let mut neighbours = vec![Vec::new(); n];
    for &(i, j) in &bonds {
        neighbours[i].push(j);
        neighbours[j].push(i);
    }
    for nb in &mut neighbours {
        nb.sort_unstable();
    }

    let typing = assign_templates(ff, top, &neighbours)?;
    let labels: Vec<String> = (0..n).map(|i| top.atom_label(i)).collect();
    let types_of = |atoms: &[usize]| -> String {
        atoms
            .iter()
            .map(|&a| ff.types[typing.atom_type[a]].name.as_str())
            .collect::<Vec<_>>()
            .join("-")
    };
    let labels_of = |atoms: &[usize]| -> String {
        atoms
            .iter()
            .map(|&a| labels[a].as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let t = &typing.atom_type;
    let m = |p: TypePattern, a: usize| ff.matches(p, t[a]);

    // Per-atom parameters.
    let mut lj = Vec::with_capacity(n);
    for (i, &ty) in t.iter().enumerate() {
        let (sigma, epsilon) = ff.types[ty].lj.ok_or_else(|| FfError::MissingParameters {
            term: "Lennard-Jones",
            atoms: labels[i].clone(),
            types: ff.types[ty].name.clone(),
        })?;
        lj.push((sigma, epsilon));
    }

    // Harmonic bonds: the first definition matching the two types, either way round.
    let mut harmonic_bonds = Vec::with_capacity(bonds.len());
    for &(i, j) in &bonds {
        let def = ff
            .bonds
            .iter()
            .find(|d| {
                (m(d.types[0], i) && m(d.types[1], j)) || (m(d.types[0], j) && m(d.types[1], i))
            })
            .ok_or_else(|| FfError::MissingParameters {
                term: "bond",
                atoms: labels_of(&[i, j]),
                types: types_of(&[i, j]),
            })?;
        if def.k != 0.0 {
            harmonic_bonds.push(HarmonicBond {
                atoms: [i, j],
                length: def.length,
                k: def.k,
            });
        }
    }

    // Angles a-b-c (a < c), stored once; the first definition with b's type in the middle.
    let mut angles = Vec::new();
    for (b, nb) in neighbours.iter().enumerate() {
        for (x, &a) in nb.iter().enumerate() {
            for &c in &nb[x + 1..] {
                let def = ff
                    .angles
                    .iter()
                    .find(|d| {
                        m(d.types[1], b)
                            && ((m(d.types[0], a) && m(d.types[2], c))
                                || (m(d.types[0], c) && m(d.types[2], a)))
                    })
                    .ok_or_else(|| FfError::MissingParameters {
                        term: "angle",
                        atoms: labels_of(&[a, b, c]),
                        types: types_of(&[a, b, c]),
                    })?;
                angles.push(HarmonicAngle {
                    atoms: [a, b, c],
                    angle: def.angle,
                    k: def.k,
                });
            }
        }
    }
    angles.sort_by_key(|a| (a.atoms[0], a.atoms[1], a.atoms[2]));

    // Proper torsions a-b-c-d over every bond b-c, stored once (a < d).
    let mut quads = Vec::new();
    for &(b, c) in &bonds {
        for &a in neighbours[b].iter().filter(|&&a| a != c) {
            for &d in neighbours[c].iter().filter(|&&d| d != b && d != a) {
                quads.push(if a < d { [a, b, c, d] } else { [d, c, b, a] });
            }
        }
    }
    quads.sort_unstable();
    quads.dedup();
    let mut torsions = Vec::new();
    for q in &quads {
        if let Some(def) = find_proper(ff, t, q) {
            push_terms(&mut torsions, *q, &def.terms);
        }
    }

    // Impropers (amber ordering): every atom with ≥ 3 neighbours, every 3 of them.
    for (c, nb) in neighbours.iter().enumerate() {
        for x in 0..nb.len() {
            for y in x + 1..nb.len() {
                for z in y + 1..nb.len() {
                    if let Some((atoms, def)) =
                        find_improper(ff, top, &typing, c, [nb[x], nb[y], nb[z]])
                    {
                        push_terms(&mut torsions, atoms, &def.terms);
                    }
                }
            }
        }
    }

    // Exclusions (graph distance 1, 2, 3) and the scaled 1-4 pairs (distance exactly 3).
    let distance = bond_distances_up_to_3(&neighbours);
    let mut excluded_start = Vec::with_capacity(n + 1);
    let mut excluded = Vec::new();
    let mut pairs14 = Vec::new();
    for (i, partners) in distance.iter().enumerate() {
        excluded_start.push(excluded.len());
        for &(j, dist) in partners {
            excluded.push(j);
            if dist == 3 {
                let (si, ei) = lj[i];
                let (sj, ej) = lj[j];
                pairs14.push(Pair14 {
                    atoms: [i, j],
                    charge_prod: typing.charge[i] * typing.charge[j] * ff.coulomb14scale,
                    sigma: 0.5 * (si + sj),
                    epsilon: ff.lj14scale * (ei * ej).sqrt(),
                });
            }
        }
    }
    excluded_start.push(excluded.len());

    let reaction_field = match opts.nonbonded {
        NonbondedMethod::NoCutoff => None,
        NonbondedMethod::CutoffNonPeriodic { cutoff_nm } => {
            Some(ReactionField::new(cutoff_nm, REACTION_FIELD_DIELECTRIC))
        }
    };
    let nonbonded = NonbondedParams {
        charge: typing.charge.clone(),
        half_sigma: lj.iter().map(|&(s, _)| 0.5 * s).collect(),
        sqrt_eps: lj.iter().map(|&(_, e)| e.sqrt()).collect(),
        excluded_start,
        excluded,
        pairs14,
        reaction_field,
    };

    // GB: mbondi2 radius by element and first bonded partner, OBC screening by element.
    let mut first_partner = vec![None; n];
    for &(i, j) in &top.bonds {
        first_partner[i].get_or_insert(top.atoms[j].element);
        first_partner[j].get_or_insert(top.atoms[i].element);
    }
    let gb_radius: Vec<f64> = (0..n)
        .map(|i| mbondi2_radius(top.atoms[i].element, first_partner[i]))
        .collect();
    let gb_scale: Vec<f64> = (0..n).map(|i| obc_screen(top.atoms[i].element)).collect();
    let gb_cutoff = match opts.nonbonded {
        NonbondedMethod::NoCutoff => None,
        NonbondedMethod::CutoffNonPeriodic { cutoff_nm } => Some(cutoff_nm),
    };
    let gb = opts.gb.map(|model| {
        let (alpha, beta, gamma) = model.alpha_beta_gamma();
        let offset_radius: Vec<f64> = gb_radius.iter().map(|r| r - GB_DIELECTRIC_OFFSET).collect();
        let radius: Vec<f64> = offset_radius
            .iter()
            .map(|or| or + GB_DIELECTRIC_OFFSET)
            .collect();
        GbParams {
            alpha,
            beta,
            gamma,
            charge: typing.charge.clone(),
            scaled_radius: offset_radius
                .iter()
                .zip(&gb_scale)
                .map(|(or, s)| s * or)
                .collect(),
            sa_coeff: radius
                .iter()
                .map(|&r| SA_PREFACTOR * (r + SA_PROBE_RADIUS).powi(2) * r.powi(6))
                .collect(),
            offset_radius,
            radius,
            prefactor: -GB_COULOMB * (1.0 / SOLUTE_DIELECTRIC - 1.0 / SOLVENT_DIELECTRIC),
            cutoff: gb_cutoff,
            skip_r2: skip_threshold(gb_cutoff),
        }
    });

    let atoms: Vec<AtomParams> = (0..n)
        .map(|i| {
            let tmpl = &ff.templates[typing.template[i]];
            let ty = &ff.types[t[i]];
            AtomParams {
                template: tmpl.name.clone(),
                template_atom: tmpl.atoms[typing.template_atom[i]].name.clone(),
                atom_type: ty.name.clone(),
                mass: ty.mass,
                charge: typing.charge[i],
                sigma: lj[i].0,
                epsilon: lj[i].1,
                gb_radius: gb_radius[i],
                gb_scale: gb_scale[i],
            }
        })
        .collect();
    Ok(System {
        options: *opts,
        masses: atoms.iter().map(|a| a.mass).collect(),
        atoms,
        labels,
        bonds: harmonic_bonds,
        angles,
        torsions: TorsionSet::new(torsions),
        nonbonded,
        gb,
    })
}

fn check_options(opts: &SystemOptions) -> Result<(), FfError> {
    if let NonbondedMethod::CutoffNonPeriodic { cutoff_nm } = opts.nonbonded {
        if !(cutoff_nm.is_finite() && cutoff_nm > 0.0) {
            return Err(FfError::InvalidOptions(format!(
                "cutoff must be a positive length in nm, got {cutoff_nm}"
            )));
        }
    }
    Ok(())
}

/// The topology's bonds as (i < j), deduplicated, after checking atom indices and that every
/// residue's atom range lies in the atom list and agrees with each atom's residue index.
fn checked_bonds(top: &Topology) -> Result<Vec<(usize, usize)>, FfError> {
    let n = top.n_atoms();
    for (r, res) in top.residues.iter().enumerate() {
        if res.atoms.end > n || res.atoms.start > res.atoms.end {
            return Err(FfError::InvalidTopology(format!(
                "residue {} {} spans atoms {:?} but there are {n} atoms",
                res.name, res.number, res.atoms
            )));
        }
        if let Some(i) = res.atoms.clone().find(|&i| top.atoms[i].residue != r) {
            return Err(FfError::InvalidTopology(format!(
                "atom {} lies in the range of residue {} {} but names residue index {}",
                top.atoms[i].serial, res.name, res.number, top.atoms[i].residue
            )));
        }
    }
    if let Some((_, a)) = top.atoms.iter().enumerate().find(|(i, a)| {
        top.residues
            .get(a.residue)
            .is_none_or(|r| !r.atoms.contains(i))
    }) {
        return Err(FfError::InvalidTopology(format!(
            "atom {} ({}) is not in the atom range of its residue {}",
            a.serial, a.name, a.residue
        )));
    }
    let mut bonds = Vec::with_capacity(top.bonds.len());
    for &(i, j) in &top.bonds {
        if i >= n || j >= n || i == j {
            return Err(FfError::InvalidTopology(format!(
                "bond ({i}, {j}) between invalid atom indices ({n} atoms)"
            )));
        }
        bonds.push((i.min(j), i.max(j)));
    }
    bonds.sort_unstable();
    bonds.dedup();
    Ok(bonds)
}

fn assign_templates(
    ff: &FfxmlData,
    top: &Topology,
    neighbours: &[Vec<usize>],
) -> Result<Typing, FfError> {
    let n = top.n_atoms();
    let mut typing = Typing {
        atom_type: vec![0; n],
        charge: vec![0.0; n],
        template: vec![0; n],
        template_atom: vec![0; n],
        residue: vec![0; n],
    };
    let matches: Vec<_> = (0..top.residues.len())
        .map(|r| match_residue(ff, top, r, neighbours))
        .collect();
    // An unknown residue also breaks its neighbours (no bonds to it are perceived, so they look
    // like wrong termini): report it rather than the first casualty.
    if let Some(Err(e)) = matches
        .iter()
        .find(|m| matches!(m, Err(FfError::UnknownResidue { .. })))
    {
        return Err(e.clone());
    }
    for (r, (res, m)) in top.residues.iter().zip(matches).enumerate() {
        let m = m?;
        let tmpl = &ff.templates[m.template];
        for (k, i) in res.atoms.clone().enumerate() {
            let ta = &tmpl.atoms[m.atom_map[k]];
            typing.atom_type[i] = ta.atom_type;
            typing.charge[i] = ta.charge;
            typing.template[i] = m.template;
            typing.template_atom[i] = m.atom_map[k];
            typing.residue[i] = r;
        }
    }
    Ok(typing)
}

/// `<Proper>` lookup for the path `q`, in either direction: the first definition without
/// wildcards wins; otherwise the first matching wildcard definition.
fn find_proper<'a>(ff: &'a FfxmlData, t: &[usize], q: &[usize; 4]) -> Option<&'a TorsionDef> {
    let mut wildcard_match = None;
    for def in &ff.propers {
        let fwd = (0..4).all(|k| ff.matches(def.types[k], t[q[k]]));
        let rev = (0..4).all(|k| ff.matches(def.types[k], t[q[3 - k]]));
        if fwd || rev {
            if !def.has_wildcard() {
                return Some(def);
            }
            wildcard_match.get_or_insert(def);
        }
    }
    wildcard_match
}

/// `<Improper>` lookup for central atom `c` with neighbours `nb` (ascending), and the amber
/// atom order (NOTES.md §3.6). Scanning definitions in file order: once something matched,
/// wildcard definitions are skipped, and a later wildcard-free match replaces an earlier one.
/// The neighbours are ordered by (residue, template atom index) among equal types (specific
/// definitions) or equal elements (wildcard definitions); the central atom goes third.
fn find_improper<'a>(
    ff: &'a FfxmlData,
    top: &Topology,
    typing: &Typing,
    c: usize,
    nb: [usize; 3],
) -> Option<([usize; 4], &'a TorsionDef)> {
    const PERMUTATIONS: [[usize; 3]; 6] = [
        [0, 1, 2],
        [0, 2, 1],
        [1, 0, 2],
        [1, 2, 0],
        [2, 0, 1],
        [2, 1, 0],
    ];
    let t = &typing.atom_type;
    let key = |a: usize| (typing.residue[a], typing.template_atom[a]);
    let mut found: Option<([usize; 4], &TorsionDef)> = None;
    for def in &ff.impropers {
        let wild = def.has_wildcard();
        if found.is_some() && wild {
            continue;
        }
        if !ff.matches(def.types[0], t[c]) {
            continue;
        }
        for perm in PERMUTATIONS {
            let [a2, a3, a4] = perm.map(|k| nb[k]);
            if !(ff.matches(def.types[1], t[a2])
                && ff.matches(def.types[2], t[a3])
                && ff.matches(def.types[3], t[a4]))
            {
                continue;
            }
            let (mut a2, mut a3, mut a4) = (a2, a3, a4);
            if !wild {
                if t[a2] == t[a4] && key(a2) > key(a4) {
                    std::mem::swap(&mut a2, &mut a4);
                }
                if t[a3] == t[a4] && key(a3) > key(a4) {
                    std::mem::swap(&mut a3, &mut a4);
                }
                if t[a2] == t[a3] && key(a2) > key(a3) {
                    std::mem::swap(&mut a2, &mut a3);
                }
            } else {
                let el = |a: usize| top.atoms[a].element;
                if el(a2) == el(a4) && key(a2) > key(a4) {
                    std::mem::swap(&mut a2, &mut a4);
                }
                if el(a3) == el(a4) && key(a3) > key(a4) {
                    std::mem::swap(&mut a3, &mut a4);
                }
                if key(a2) > key(a3) {
                    std::mem::swap(&mut a2, &mut a3);
                }
            }
            found = Some(([a2, a3, c, a4], def));
            break;
        }
    }
    found
}

fn push_terms(out: &mut Vec<PeriodicTorsion>, atoms: [usize; 4], terms: &[TorsionTerm]) {
    for term in terms.iter().filter(|term| term.k != 0.0) {
        out.push(PeriodicTorsion {
            atoms,
            periodicity: term.periodicity,
            phase: term.phase,
            k: term.k,
        });
    }
}

/// For every atom i, the atoms j > i within 3 bonds and their bond-path distance (shortest
/// path, so ring atoms that are 1-3 one way and 1-4 the other count as 1-3), sorted by j.
fn bond_distances_up_to_3(neighbours: &[Vec<usize>]) -> Vec<Vec<(usize, u8)>> {
    let n = neighbours.len();
    let mut dist = vec![u8::MAX; n];
    let mut out = Vec::with_capacity(n);
    let mut frontier = Vec::new();
    let mut next = Vec::new();
    let mut touched = Vec::new();
    for i in 0..n {
        dist[i] = 0;
        touched.push(i);
        frontier.clear();
        frontier.push(i);
        for d in 1..=3u8 {
            next.clear();
            for &a in &frontier {
                for &b in &neighbours[a] {
                    if dist[b] == u8::MAX {
                        dist[b] = d;
                        touched.push(b);
                        next.push(b);
                    }
                }
            }
            std::mem::swap(&mut frontier, &mut next);
        }
        let mut partners: Vec<(usize, u8)> = touched
            .iter()
            .filter(|&&j| j > i)
            .map(|&j| (j, dist[j]))
            .collect();
        partners.sort_unstable();
        out.push(partners);
        for &j in &touched {
            dist[j] = u8::MAX;
        }
        touched.clear();
    }
    out
}
