//! Residue-template matching: which ffxml template (and which template atom) each residue
//! atom is, decided by the bond graph as OpenMM does (NOTES.md §3.3).
//!
//! A template matches a residue iff there is a bijection residue atoms → template atoms that
//! preserves the element, the number of intra-residue bonds, the number of bonds to other
//! residues, and intra-residue adjacency (a graph isomorphism). Atom names play no role in the
//! decision; they only order the search so that symmetric atoms (methyl H, ARG NH1/NH2, ASP
//! OD1/OD2) map onto the template atom of the same name, as in OpenMM. So HIS becomes HID, HIE
//! or HIP by which of HD1/HE2 is present, a residue bonded on both sides gets the internal
//! template, and chain ends get the N-/C-terminal templates.

use crate::ffxml::{FfxmlData, ResidueTemplate};
use crate::FfError;
use timewarp_mol::{Element, Topology};

/// The template of one residue and the template atom of each of its atoms.
#[derive(Debug, Clone)]
pub(crate) struct ResidueMatch {
    pub template: usize,
    /// `atom_map[k]` = template atom of the residue's k-th atom.
    pub atom_map: Vec<usize>,
}

/// The residue's graph as seen by the matcher.
struct ResidueGraph<'a> {
    names: Vec<&'a str>,
    elements: Vec<Element>,
    /// Intra-residue neighbours (local indices).
    adjacency: Vec<Vec<usize>>,
    /// Bonds to atoms of other residues.
    external: Vec<usize>,
}

impl<'a> ResidueGraph<'a> {
    fn new(top: &'a Topology, residue: usize, neighbours: &[Vec<usize>]) -> Self {
        let range = top.residues[residue].atoms.clone();
        let names = range.clone().map(|i| top.atoms[i].name.as_str()).collect();
        let elements = range.clone().map(|i| top.atoms[i].element).collect();
        let mut adjacency = Vec::with_capacity(range.len());
        let mut external = Vec::with_capacity(range.len());
        for i in range.clone() {
            let mut adj: Vec<usize> = neighbours[i]
                .iter()
                .filter(|j| range.contains(j))
                .map(|j| j - range.start)
                .collect();
            adj.sort_unstable();
            external.push(neighbours[i].len() - adj.len());
            adjacency.push(adj);
        }
        ResidueGraph {
            names,
            elements,
            adjacency,
            external,
        }
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

/// Find the template of residue `residue`. `neighbours` are the topology's bonded neighbours.
pub(crate) fn match_residue(
    ff: &FfxmlData,
    top: &Topology,
    residue: usize,
    neighbours: &[Vec<usize>],
) -> Result<ResidueMatch, FfError> {
    let graph = ResidueGraph::new(top, residue, neighbours);
    let mut signature = graph.elements.clone();
    signature.sort_by_key(|e| e.atomic_number());

    let mut matches: Vec<ResidueMatch> = Vec::new();
    for (t, template) in ff.templates.iter().enumerate() {
        if template.element_signature != signature {
            continue;
        }
        if let Some(atom_map) = match_graph(&graph, template) {
            matches.push(ResidueMatch {
                template: t,
                atom_map,
            });
        }
    }
    let res = &top.residues[residue];
    match matches.len() {
        0 => Err(diagnose(ff, &graph, &res.name, res.number, res.chain)),
        1 => Ok(matches.pop().unwrap()),
        _ => {
            // Several matches are fine if they assign identical types and charges (OpenMM's rule).
            let params = |m: &ResidueMatch| -> Vec<(usize, f64)> {
                let t = &ff.templates[m.template];
                m.atom_map
                    .iter()
                    .map(|&a| (t.atoms[a].atom_type, t.atoms[a].charge))
                    .collect()
            };
            let first = params(&matches[0]);
            if matches[1..].iter().all(|m| params(m) == first) {
                Ok(matches.swap_remove(0))
            } else {
                Err(FfError::AmbiguousTemplates {
                    residue: res.name.clone(),
                    number: res.number,
                    chain: res.chain,
                    templates: matches
                        .iter()
                        .map(|m| ff.templates[m.template].name.clone())
                        .collect(),
                })
            }
        }
    }
}

/// Backtracking search for a graph isomorphism residue → template (element, degree and
/// external-bond count preserved, adjacency preserved). Returns the atom map.
fn match_graph(g: &ResidueGraph, t: &ResidueTemplate) -> Option<Vec<usize>> {
    let n = g.len();
    if n != t.atoms.len() {
        return None;
    }
    // Candidate template atoms of every residue atom; same-name candidates first.
    let mut candidates: Vec<Vec<usize>> = Vec::with_capacity(n);
    for a in 0..n {
        let mut c: Vec<usize> = (0..n)
            .filter(|&k| {
                t.atoms[k].element == g.elements[a]
                    && t.adjacency[k].len() == g.adjacency[a].len()
                    && t.external_bonds[k] == g.external[a]
            })
            .collect();
        if c.is_empty() {
            return None;
        }
        c.sort_by_key(|&k| t.atoms[k].name != g.names[a]); // stable: keeps template order otherwise
        candidates.push(c);
    }
    // Search order: breadth-first through the bond graph, most constrained atoms first, so
    // that every atom after the first has an already-placed neighbour to check against.
    let mut by_constraint: Vec<usize> = (0..n).collect();
    by_constraint.sort_by_key(|&a| candidates[a].len());
    let mut order = Vec::with_capacity(n);
    let mut seen = vec![false; n];
    let mut queue = std::collections::VecDeque::new();
    while order.len() < n {
        let start = *by_constraint.iter().find(|&&a| !seen[a])?;
        queue.push_back(start);
        while let Some(a) = queue.pop_front() {
            if seen[a] {
                continue;
            }
            seen[a] = true;
            order.push(a);
            let mut next: Vec<usize> = g.adjacency[a]
                .iter()
                .copied()
                .filter(|&b| !seen[b])
                .collect();
            next.sort_by_key(|&b| candidates[b].len());
            queue.extend(next);
        }
    }

    const UNMAPPED: usize = usize::MAX;
    let mut map = vec![UNMAPPED; n];
    let mut used = vec![false; n];
    fn place(
        depth: usize,
        order: &[usize],
        candidates: &[Vec<usize>],
        g: &ResidueGraph,
        t: &ResidueTemplate,
        map: &mut [usize],
        used: &mut [bool],
    ) -> bool {
        if depth == order.len() {
            return true;
        }
        let a = order[depth];
        for &k in &candidates[a] {
            if used[k] {
                continue;
            }
            let consistent = g.adjacency[a]
                .iter()
                .all(|&b| map[b] == UNMAPPED || t.adjacency[k].contains(&map[b]));
            if consistent {
                map[a] = k;
                used[k] = true;
                if place(depth + 1, order, candidates, g, t, map, used) {
                    return true;
                }
                map[a] = UNMAPPED;
                used[k] = false;
            }
        }
        false
    }
    place(0, &order, &candidates, g, t, &mut map, &mut used).then_some(map)
}

/// Template names that a residue called `name` may be meant as: itself, its protonation
/// variants, and the N-/C-terminal forms of all of them.
fn name_candidates(name: &str) -> Vec<String> {
    let name = name.trim().to_ascii_uppercase();
    let mut family = vec![name.clone()];
    let variants: &[&str] = match name.as_str() {
        "HIS" => &["HIE", "HID", "HIP"],
        "CYS" => &["CYX", "CYM"],
        "LYS" => &["LYN"],
        "ASP" => &["ASH"],
        "GLU" => &["GLH"],
        "NMA" => &["NME"],
        _ => &[],
    };
    family.extend(variants.iter().map(|s| s.to_string()));
    let mut out = family.clone();
    out.extend(family.iter().map(|f| format!("N{f}")));
    out.extend(family.iter().map(|f| format!("C{f}")));
    out
}

/// The template's name of an atom whose standard (PDB v3 / OpenMM) name is `atom`: the ffxml
/// calls the ACE/NME methyl group CH3 with HH31–HH33, OpenMM's PDB reader C (NME) and H1–H3.
fn template_atom_name<'a>(residue: &str, atom: &'a str) -> &'a str {
    match (residue, atom) {
        ("ACE" | "NME", "H1") => "HH31",
        ("ACE" | "NME", "H2") => "HH32",
        ("ACE" | "NME", "H3") => "HH33",
        ("NME", "C") => "CH3",
        _ => atom,
    }
}

/// Explain why no template matched: compare atom names with the closest template of the
/// same (or a variant) name.
fn diagnose(ff: &FfxmlData, g: &ResidueGraph, name: &str, number: i32, chain: char) -> FfError {
    let residue = name.to_string();
    let unknown = FfError::UnknownResidue {
        residue: residue.clone(),
        number,
        chain,
    };
    let candidates: Vec<&ResidueTemplate> = name_candidates(name)
        .iter()
        .filter_map(|c| ff.templates.iter().find(|t| &t.name == c))
        .collect();
    struct Comparison<'t> {
        template: &'t ResidueTemplate,
        missing: Vec<String>,
        extra: Vec<String>,
        external: Vec<String>,
    }
    let best = candidates
        .into_iter()
        .map(|t| {
            let tname = |a: &str| {
                template_atom_name(&t.name[t.name.len().saturating_sub(3)..], a).to_string()
            };
            let res_names: Vec<String> = g.names.iter().map(|a| tname(a)).collect();
            let missing: Vec<String> = t
                .atoms
                .iter()
                .filter(|ta| !res_names.contains(&ta.name))
                .map(|ta| ta.name.clone())
                .collect();
            let extra: Vec<String> = g
                .names
                .iter()
                .zip(&res_names)
                .filter(|(_, tn)| !t.atoms.iter().any(|ta| &ta.name == *tn))
                .map(|(n, _)| n.to_string())
                .collect();
            let mut external = Vec::new();
            for (k, tn) in res_names.iter().enumerate() {
                if let Some(ta) = t.atoms.iter().position(|ta| &ta.name == tn) {
                    if t.external_bonds[ta] != g.external[k] {
                        external.push(format!(
                            "atom {} has {} bond(s) to other residues, template expects {}",
                            g.names[k], g.external[k], t.external_bonds[ta]
                        ));
                    }
                }
            }
            Comparison {
                template: t,
                missing,
                extra,
                external,
            }
        })
        .min_by_key(|c| c.missing.len() + c.extra.len() + 2 * c.external.len());
    let Some(c) = best else { return unknown };
    let template = c.template.name.clone();
    match (c.missing.is_empty(), c.extra.is_empty()) {
        (false, true) => FfError::MissingAtoms {
            residue,
            number,
            chain,
            template,
            atoms: c.missing,
        },
        (true, false) => FfError::ExtraAtoms {
            residue,
            number,
            chain,
            template,
            atoms: c.extra,
        },
        (false, false) => FfError::MissingAndExtraAtoms {
            residue,
            number,
            chain,
            template,
            missing: c.missing,
            extra: c.extra,
        },
        (true, true) => {
            let mut detail = c.external;
            detail.extend(bond_differences(g, c.template, &template));
            if detail.is_empty() {
                detail.push("elements differ from the template's".to_string());
            }
            FfError::BondingMismatch {
                residue,
                number,
                chain,
                template,
                detail: detail.join("; "),
            }
        }
    }
}

/// Intra-residue bonds present in only one of residue and template (atoms compared by name).
fn bond_differences(g: &ResidueGraph, t: &ResidueTemplate, tname: &str) -> Vec<String> {
    let base = &tname[tname.len().saturating_sub(3)..];
    let names: Vec<&str> = g
        .names
        .iter()
        .map(|a| template_atom_name(base, a))
        .collect();
    let index = |n: &str| t.atoms.iter().position(|ta| ta.name == n);
    let mut out = Vec::new();
    for (a, adj) in g.adjacency.iter().enumerate() {
        for &b in adj.iter().filter(|&&b| b > a) {
            if let (Some(ta), Some(tb)) = (index(names[a]), index(names[b])) {
                if !t.adjacency[ta].contains(&tb) {
                    out.push(format!("unexpected bond {}-{}", g.names[a], g.names[b]));
                }
            }
        }
    }
    for (ta, adj) in t.adjacency.iter().enumerate() {
        for &tb in adj.iter().filter(|&&tb| tb > ta) {
            let a = names.iter().position(|&n| n == t.atoms[ta].name);
            let b = names.iter().position(|&n| n == t.atoms[tb].name);
            if let (Some(a), Some(b)) = (a, b) {
                if !g.adjacency[a].contains(&b) {
                    out.push(format!("missing bond {}-{}", g.names[a], g.names[b]));
                }
            }
        }
    }
    out
}
