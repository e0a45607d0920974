//! Peptide builder against the amber14 force-field files and OpenMM-built reference peptides:
//! names and atom counts per ff14SB template, bond lengths and angles against r0/θ0, clashes,
//! chirality, requested backbone dihedrals, and a PDB round trip.

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::Path;

use timewarp_mol::builder::{
    build_peptide, build_residues, known_residues, parse_sequence, Backbone, BuildError,
};
use timewarp_mol::{Element, Topology};

const SHARED: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared");

const LETTERS: &str = "ACDEFGHIKLMNPQRSTVWY";

// ---------------------------------------------------------------------------------------------
// The parts of protein.ff14SB.xml and pdbNames.xml the checks need.

struct ForceFieldData {
    /// Type name → element.
    elements: HashMap<String, Element>,
    /// Template name → atom name → type name.
    templates: HashMap<String, Vec<(String, String)>>,
    /// (type, type) → r0 in nm, both orders.
    bond_r0: HashMap<(String, String), f64>,
    /// (type, centre type, type) → θ0 in degrees, both orders.
    angle_theta0: HashMap<(String, String, String), f64>,
    /// ff14SB atom names of ACE/NME → OpenMM's PDB names (from pdbNames.xml).
    cap_names: HashMap<(String, String), String>,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn force_field() -> ForceFieldData {
    let xml = read(&format!("{SHARED}/forcefield/protein.ff14SB.xml"));
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let mut data = ForceFieldData {
        elements: HashMap::new(),
        templates: HashMap::new(),
        bond_r0: HashMap::new(),
        angle_theta0: HashMap::new(),
        cap_names: HashMap::new(),
    };
    let s = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().to_string();
    let f = |n: roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    for node in doc.descendants() {
        match node.tag_name().name() {
            "Type" if node.parent().unwrap().tag_name().name() == "AtomTypes" => {
                let element = Element::from_symbol(&s(node, "element")).unwrap();
                data.elements.insert(s(node, "name"), element);
            }
            "Residue" => {
                let atoms = node
                    .children()
                    .filter(|c| c.tag_name().name() == "Atom")
                    .map(|c| (s(c, "name"), s(c, "type")))
                    .collect();
                data.templates.insert(s(node, "name"), atoms);
            }
            "Bond" if node.attribute("length").is_some() => {
                let (a, b) = (s(node, "type1"), s(node, "type2"));
                data.bond_r0
                    .insert((a.clone(), b.clone()), f(node, "length"));
                data.bond_r0.insert((b, a), f(node, "length"));
            }
            "Angle" => {
                let (a, b, c) = (s(node, "type1"), s(node, "type2"), s(node, "type3"));
                let theta = f(node, "angle").to_degrees();
                data.angle_theta0
                    .insert((a.clone(), b.clone(), c.clone()), theta);
                data.angle_theta0.insert((c, b, a), theta);
            }
            _ => {}
        }
    }
    let names = read(&format!("{SHARED}/forcefield/pdbNames.xml"));
    let doc = roxmltree::Document::parse(&names).unwrap();
    for residue in doc.descendants().filter(|n| n.has_tag_name("Residue")) {
        let rname = s(residue, "name");
        if rname != "ACE" && rname != "NME" {
            continue;
        }
        for atom in residue.children().filter(|n| n.has_tag_name("Atom")) {
            let canonical = s(atom, "name");
            for alias in atom.attributes().filter(|a| a.name().starts_with("alt")) {
                data.cap_names.insert(
                    (rname.clone(), alias.value().to_string()),
                    canonical.clone(),
                );
            }
            data.cap_names
                .insert((rname.clone(), canonical.clone()), canonical);
        }
    }
    data
}

impl ForceFieldData {
    /// ff14SB type of every atom of a built peptide, `templates` giving the ff14SB template name
    /// of each residue. Panics (test failure) if a name is not in the template.
    fn types(&self, topology: &Topology, templates: &[String]) -> Vec<String> {
        let mut types = Vec::new();
        for (r, residue) in topology.residues.iter().enumerate() {
            let template = &self.templates[&templates[r]];
            for i in residue.atoms.clone() {
                let name = &topology.atoms[i].name;
                let ty = template
                    .iter()
                    .find(|(n, _)| self.pdb_name(&templates[r], n) == *name)
                    .unwrap_or_else(|| panic!("{} not in ff14SB {}", name, templates[r]));
                types.push(ty.1.clone());
            }
        }
        types
    }

    /// The name OpenMM writes for atom `name` of ff14SB template `template`.
    fn pdb_name(&self, template: &str, name: &str) -> String {
        self.cap_names
            .get(&(template.to_string(), name.to_string()))
            .cloned()
            .unwrap_or_else(|| name.to_string())
    }
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers.

fn sub(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[0] - b[0], a[1] - b[1], a[2] - b[2]]
}
fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}
fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}
fn dist(a: [f64; 3], b: [f64; 3]) -> f64 {
    dot(sub(a, b), sub(a, b)).sqrt()
}
fn angle(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> f64 {
    let (u, v) = (sub(a, b), sub(c, b));
    (dot(u, v) / (dot(u, u) * dot(v, v)).sqrt())
        .clamp(-1.0, 1.0)
        .acos()
        .to_degrees()
}
/// IUPAC dihedral p0–p1–p2–p3 in degrees.
fn dihedral(p0: [f64; 3], p1: [f64; 3], p2: [f64; 3], p3: [f64; 3]) -> f64 {
    let b1 = sub(p2, p1);
    let n1 = cross(sub(p1, p0), b1);
    let n2 = cross(b1, sub(p3, p2));
    let y = dot(cross(n1, n2), b1) / dot(b1, b1).sqrt();
    y.atan2(dot(n1, n2)).to_degrees()
}
/// Signed volume (a − c)·((b − c) × (d − c)) of three substituents around a centre c.
fn chirality(c: [f64; 3], a: [f64; 3], b: [f64; 3], d: [f64; 3]) -> f64 {
    dot(sub(a, c), cross(sub(b, c), sub(d, c)))
}
fn angle_diff(a: f64, b: f64) -> f64 {
    ((a - b + 540.0).rem_euclid(360.0) - 180.0).abs()
}

fn atom(topology: &Topology, residue: usize, name: &str) -> usize {
    topology
        .find_atom(residue, name)
        .unwrap_or_else(|| panic!("no {name} in residue {}", residue + 1))
}

/// Graph distance (in bonds) from every atom to every other, up to `max` (None beyond).
fn bond_separation(topology: &Topology, max: usize) -> Vec<HashMap<usize, usize>> {
    let nb = topology.neighbours();
    (0..topology.n_atoms())
        .map(|s| {
            let mut seen = HashMap::from([(s, 0)]);
            let mut queue = VecDeque::from([s]);
            while let Some(u) = queue.pop_front() {
                if seen[&u] == max {
                    continue;
                }
                for &v in &nb[u] {
                    if !seen.contains_key(&v) {
                        seen.insert(v, seen[&u] + 1);
                        queue.push_back(v);
                    }
                }
            }
            seen
        })
        .collect()
}

/// Whether bond i–j lies on a ring (j is reachable from i without that bond).
fn in_ring(topology: &Topology, i: usize, j: usize) -> bool {
    let nb = topology.neighbours();
    let mut seen = HashSet::from([i]);
    let mut stack: Vec<usize> = nb[i].iter().copied().filter(|&k| k != j).collect();
    while let Some(u) = stack.pop() {
        if u == j {
            return true;
        }
        if seen.insert(u) {
            stack.extend(nb[u].iter().copied());
        }
    }
    false
}

// ---------------------------------------------------------------------------------------------
// The checks, on one built peptide.

#[derive(Default, Debug)]
struct Stats {
    peptides: usize,
    worst_chain_bond: f64,
    worst_ring_bond: f64,
    worst_angle: f64,
    angles: usize,
    sum_angle_dev: f64,
    closest_heavy: f64,
    closest_with_h: f64,
}

/// Angles whose ff14SB θ0 cannot hold in a closed ring or a crowded trigonal centre (see
/// builder/templates.rs): the imidazole ring of HIS (θ0 ≈ 120° in a five-membered ring), the
/// PRO ring, and the acid groups of ASH/GLH (θ0 sum to 350° around a planar carbon).
fn angle_exempt(template: &str, centre: &str, ring: bool) -> bool {
    matches!(template, "HID" | "HIE" | "HIP" | "PRO") && ring
        || matches!((template, centre), ("ASH", "CG") | ("GLH", "CD"))
}

fn check_peptide(ff: &ForceFieldData, residues: &[String], stats: &mut Stats) {
    let (topology, xyz) = build_residues(residues, Backbone::POLYPROLINE_II)
        .unwrap_or_else(|e| panic!("{residues:?}: {e}"));
    let label = |i: usize| format!("{} in {residues:?}", topology.atom_label(i));
    let mut templates = vec!["ACE".to_string()];
    templates.extend(residues.iter().cloned());
    templates.push("NME".to_string());

    // Topology layout: ACE, residues, NME; chain A; numbered from 1; serials from 1.
    assert_eq!(topology.residues.len(), residues.len() + 2);
    for (r, residue) in topology.residues.iter().enumerate() {
        assert_eq!(residue.number, r as i32 + 1);
        assert_eq!(residue.chain, 'A');
    }
    assert_eq!(xyz.len(), topology.n_atoms());
    for (i, a) in topology.atoms.iter().enumerate() {
        assert_eq!(a.serial, i as i64 + 1);
        assert!(xyz[i].iter().all(|x| x.is_finite()), "{}", label(i));
    }

    // Names and counts per ff14SB template (caps through pdbNames.xml), elements per type.
    for (r, residue) in topology.residues.iter().enumerate() {
        let template = &ff.templates[&templates[r]];
        let mut expected: Vec<String> = template
            .iter()
            .map(|(n, _)| ff.pdb_name(&templates[r], n))
            .collect();
        let mut got: Vec<String> = residue
            .atoms
            .clone()
            .map(|i| topology.atoms[i].name.clone())
            .collect();
        expected.sort();
        got.sort();
        assert_eq!(
            got, expected,
            "atom names of {} ({residues:?})",
            templates[r]
        );
    }
    let types = ff.types(&topology, &templates);
    for (i, a) in topology.atoms.iter().enumerate() {
        assert_eq!(a.element, ff.elements[&types[i]], "{}", label(i));
    }

    // Bonds: within the brief's 0.09–0.2 nm window and at ff14SB r0 (ring closures near it).
    assert!(!topology.bonds.is_empty());
    for &(i, j) in &topology.bonds {
        let d = dist(xyz[i], xyz[j]);
        assert!(
            (0.09..=0.2).contains(&d),
            "bond {}–{} is {d} nm",
            label(i),
            label(j)
        );
        let dev = (d - ff.bond_r0[&(types[i].clone(), types[j].clone())]).abs();
        if in_ring(&topology, i, j) {
            stats.worst_ring_bond = stats.worst_ring_bond.max(dev);
            assert!(dev < 0.01, "ring bond {}–{} is {d} nm", label(i), label(j));
        } else {
            stats.worst_chain_bond = stats.worst_chain_bond.max(dev);
            assert!(dev < 1e-6, "bond {}–{} is {d} nm", label(i), label(j));
        }
    }

    // Angles near θ0 (the Z-matrix sets most exactly; the ones it leaves free stay close).
    let nb = topology.neighbours();
    for c in 0..topology.n_atoms() {
        for (k, &a) in nb[c].iter().enumerate() {
            for &b in &nb[c][k + 1..] {
                let theta = angle(xyz[a], xyz[c], xyz[b]);
                let key = (types[a].clone(), types[c].clone(), types[b].clone());
                let dev = (theta - ff.angle_theta0[&key]).abs();
                let residue = topology.atoms[c].residue;
                let ring = in_ring(&topology, a, c) && in_ring(&topology, c, b);
                if angle_exempt(&templates[residue], &topology.atoms[c].name, ring) {
                    assert!(dev < 16.0, "angle at {}: {theta}°", label(c));
                    continue;
                }
                stats.worst_angle = stats.worst_angle.max(dev);
                stats.sum_angle_dev += dev;
                stats.angles += 1;
                assert!(
                    dev < 8.0,
                    "angle {}–{}–{} is {theta}°, θ0 {}°",
                    label(a),
                    topology.atoms[c].name,
                    topology.atoms[b].name,
                    ff.angle_theta0[&key]
                );
            }
        }
    }

    // No clashes between atoms more than three bonds apart.
    let separation = bond_separation(&topology, 3);
    for i in 0..topology.n_atoms() {
        for j in i + 1..topology.n_atoms() {
            if separation[i].contains_key(&j) {
                continue;
            }
            let d = dist(xyz[i], xyz[j]);
            let heavy =
                topology.atoms[i].element != Element::H && topology.atoms[j].element != Element::H;
            if heavy {
                stats.closest_heavy = stats.closest_heavy.min(d);
                assert!(
                    d > 0.28,
                    "heavy atoms {} and {} {d} nm apart",
                    label(i),
                    label(j)
                );
            } else {
                stats.closest_with_h = stats.closest_with_h.min(d);
                assert!(d > 0.17, "{} and {} {d} nm apart", label(i), label(j));
            }
        }
    }

    // L chirality at every Cα (sign of the reference peptides, see `reference_chirality`).
    for r in 1..=residues.len() {
        if let Some(cb) = topology.find_atom(r, "CB") {
            let [n, ca, c] = ["N", "CA", "C"].map(|name| atom(&topology, r, name));
            let v = chirality(xyz[ca], xyz[n], xyz[c], xyz[cb]);
            assert!(v > 0.0, "D residue {} in {residues:?}", r + 1);
        }
    }
    stats.peptides += 1;
}

/// Signed volume of (N, C, CB) around CA in the OpenMM-built `dip_*.pdb` (all L): positive.
/// Likewise THR (CA, OG1, CG2) around CB, ILE (CA, CG1, CG2) around CB.
#[test]
fn reference_chirality() {
    let pattern = format!("{SHARED}/testdata/dip_*.pdb");
    let mut files = 0;
    for path in glob::glob(&pattern).unwrap() {
        let path = path.unwrap();
        let pdb = timewarp_mol::read_pdb(&path).unwrap();
        let (t, xyz) = (&pdb.topology, pdb.positions());
        if let Some(cb) = t.find_atom(1, "CB") {
            let [n, ca, c] = ["N", "CA", "C"].map(|name| atom(t, 1, name));
            assert!(
                chirality(xyz[ca], xyz[n], xyz[c], xyz[cb]) > 0.0,
                "{}",
                path.display()
            );
        }
        files += 1;
    }
    assert!(files >= 19, "found {files} dip_*.pdb");

    // Our THR and ILE β centres carry the same sign as the references.
    for (residue, second) in [("THR", "OG1"), ("ILE", "CG1")] {
        let file = format!("{SHARED}/testdata/dip_{}.pdb", residue.to_lowercase());
        let pdb = timewarp_mol::read_pdb(Path::new(&file)).unwrap();
        let volume = |t: &Topology, xyz: &[[f64; 3]]| {
            let [ca, cb, x, cg2] = ["CA", "CB", second, "CG2"].map(|n| atom(t, 1, n));
            chirality(xyz[cb], xyz[ca], xyz[x], xyz[cg2])
        };
        let reference = volume(&pdb.topology, pdb.positions());
        let (t, xyz) = build_residues(&[residue], Backbone::POLYPROLINE_II).unwrap();
        let ours = volume(&t, &xyz);
        assert!(
            reference * ours > 0.0,
            "{residue} Cβ: reference {reference}, built {ours}"
        );
    }
}

/// Every capped dipeptide of the 20 standard residues at pH 7 (400), and every protonation
/// variant before and after each standard residue.
#[test]
fn all_dipeptides_build_with_force_field_geometry_and_no_clashes() {
    let ff = force_field();
    let mut stats = Stats {
        closest_heavy: f64::MAX,
        closest_with_h: f64::MAX,
        ..Stats::default()
    };
    let standard = parse_sequence(LETTERS).unwrap();
    for a in &standard {
        for b in &standard {
            check_peptide(&ff, &[a.clone(), b.clone()], &mut stats);
        }
    }
    assert_eq!(stats.peptides, 400);
    let variants: Vec<&str> = known_residues()
        .filter(|n| !standard.iter().any(|s| s == n))
        .collect();
    assert_eq!(variants, ["ASH", "CYM", "GLH", "HID", "HIP", "LYN"]);
    for v in &variants {
        for s in &standard {
            check_peptide(&ff, &[v.to_string(), s.clone()], &mut stats);
            check_peptide(&ff, &[s.clone(), v.to_string()], &mut stats);
        }
    }
    let mean = stats.sum_angle_dev / stats.angles as f64;
    eprintln!("{stats:?}; mean |θ − θ0| = {mean:.3}°");
    assert!(mean < 1.5, "mean angle deviation {mean}°");
}

/// Longer chains: every residue of a 20-mer, and a few sequences with Pro/Gly/aromatics.
#[test]
fn longer_peptides_build_cleanly() {
    let ff = force_field();
    let mut stats = Stats {
        closest_heavy: f64::MAX,
        closest_with_h: f64::MAX,
        ..Stats::default()
    };
    for seq in [
        LETTERS,
        "AKWE",
        "PPGPP",
        "WYFH(HIP)W",
        "IVTTIV",
        "K(LYN)D(ASH)E(GLH)C(CYM)H(HID)",
    ] {
        let residues = parse_sequence(seq).unwrap();
        check_peptide(&ff, &residues, &mut stats);
    }
}

#[test]
fn backbone_dihedrals_are_the_requested_ones() {
    for backbone in [
        Backbone::POLYPROLINE_II,
        Backbone::BETA_STRAND,
        Backbone::ALPHA_HELIX,
    ] {
        let residues = parse_sequence("AKPWGE").unwrap();
        let (t, xyz) = build_residues(&residues, backbone).unwrap();
        let last = t.residues.len() - 1;
        for r in 1..last {
            let prev_c = if r == 1 {
                atom(&t, 0, "C")
            } else {
                atom(&t, r - 1, "C")
            };
            let prev_ca = if r == 1 {
                atom(&t, 0, "CH3")
            } else {
                atom(&t, r - 1, "CA")
            };
            let [n, ca, c] = ["N", "CA", "C"].map(|name| atom(&t, r, name));
            let next_n = atom(&t, r + 1, "N");
            let phi = dihedral(xyz[prev_c], xyz[n], xyz[ca], xyz[c]);
            let psi = dihedral(xyz[n], xyz[ca], xyz[c], xyz[next_n]);
            let omega = dihedral(xyz[prev_ca], xyz[prev_c], xyz[n], xyz[ca]);
            assert!(
                angle_diff(phi, backbone.phi) < 1e-6,
                "φ {phi} in residue {}",
                r + 1
            );
            assert!(
                angle_diff(psi, backbone.psi) < 1e-6,
                "ψ {psi} in residue {}",
                r + 1
            );
            assert!(
                angle_diff(omega, backbone.omega) < 1e-6,
                "ω {omega} in residue {}",
                r + 1
            );
        }
        // The ω of the bond to NME too.
        let [ca, c] = ["CA", "C"].map(|name| atom(&t, last - 1, name));
        let [n, me] = ["N", "C"].map(|name| atom(&t, last, name));
        assert!(angle_diff(dihedral(xyz[ca], xyz[c], xyz[n], xyz[me]), backbone.omega) < 1e-6);
    }
}

#[test]
fn pdb_round_trip_keeps_names_residues_and_bonds() {
    let (topology, xyz) = build_peptide("AH(HID)KWEPG").unwrap();
    let mut out = Vec::new();
    timewarp_mol::pdb::write_pdb(&mut out, &topology, &xyz, None).unwrap();
    let text = String::from_utf8(out).unwrap();
    let again = timewarp_mol::parse_pdb(&text, "built").unwrap();
    let names = |t: &Topology| -> Vec<(String, String)> {
        t.atoms
            .iter()
            .map(|a| (t.residues[a.residue].name.clone(), a.name.clone()))
            .collect()
    };
    assert_eq!(names(&again.topology), names(&topology));
    assert_eq!(again.topology.bonds, topology.bonds);
    let residue_names: Vec<&str> = topology.residues.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        residue_names,
        ["ACE", "ALA", "HIS", "LYS", "TRP", "GLU", "PRO", "GLY", "NME"]
    );
    for (a, b) in again.positions().iter().zip(&xyz) {
        // PDB coordinates have three decimals in Å.
        assert!(dist(*a, *b) < 1e-4, "{a:?} vs {b:?}");
    }
}

#[test]
fn unknown_letters_are_reported_with_their_position() {
    let err = build_peptide("AKZE").unwrap_err();
    assert_eq!(
        err,
        BuildError::UnknownLetter {
            letter: 'Z',
            position: 3
        }
    );
    assert!(err.to_string().contains("'Z' at position 3"), "{err}");
    assert!(build_peptide("").is_err());
    assert!(build_peptide("AK(LYN)").is_ok());
}
