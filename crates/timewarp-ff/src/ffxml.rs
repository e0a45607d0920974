//! Reader for OpenMM's ffxml force-field format (the subset that amber14 uses).
//!
//! ```text
//! <ForceField>
//!   <AtomTypes>  <Type name= class= element= mass=/>
//!   <Residues>   <Residue name=> <Atom name= type= charge=/> <Bond atomName1= atomName2=/>
//!                <ExternalBond atomName=/>
//!   <HarmonicBondForce>   <Bond type1= type2= length= k=/>
//!   <HarmonicAngleForce>  <Angle type1= type2= type3= angle= k=/>
//!   <PeriodicTorsionForce ordering="amber">
//!                <Proper|Improper type1..type4 periodicity1= phase1= k1= [periodicity2 …]/>
//!   <NonbondedForce coulomb14scale= lj14scale=> <Atom type= sigma= epsilon=/>
//! ```
//! Parameters may name atom types (`type1=`) or classes (`class1=`); an empty string is a
//! wildcard. Units are OpenMM's: nm, rad, kJ/mol.

use crate::FfError;
use std::collections::HashMap;
use timewarp_mol::Element;

/// One atom type (`<Type>`), with its Lennard-Jones parameters from `<NonbondedForce>`.
#[derive(Debug, Clone)]
pub(crate) struct AtomType {
    pub name: String,
    pub class: usize,
    pub element: Element,
    /// Mass in dalton (from the type, not the element: C is 12.01, H 1.008).
    pub mass: f64,
    /// LJ σ (nm) and ε (kJ/mol); `None` if the ffxml gives none for this type.
    pub lj: Option<(f64, f64)>,
}

/// One atom of a residue template.
#[derive(Debug, Clone)]
pub(crate) struct TemplateAtom {
    pub name: String,
    pub atom_type: usize,
    pub charge: f64,
    pub element: Element,
}

/// A residue template: atoms, intra-residue bonds and the atoms that bond to other residues.
#[derive(Debug, Clone)]
pub(crate) struct ResidueTemplate {
    pub name: String,
    pub atoms: Vec<TemplateAtom>,
    /// Intra-residue neighbours of each template atom.
    pub adjacency: Vec<Vec<usize>>,
    /// Number of `<ExternalBond>` entries of each template atom.
    pub external_bonds: Vec<usize>,
    /// Sorted elements, to pre-select candidate templates for a residue.
    pub element_signature: Vec<Element>,
}

/// Which atom types a position of a parameter definition accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypePattern {
    /// `""`: any type.
    Any,
    /// `typeN="..."`
    Type(usize),
    /// `classN="..."`
    Class(usize),
}

impl TypePattern {
    pub fn is_wildcard(self) -> bool {
        self == TypePattern::Any
    }
}

#[derive(Debug, Clone)]
pub(crate) struct BondDef {
    pub types: [TypePattern; 2],
    pub length: f64,
    pub k: f64,
}

#[derive(Debug, Clone)]
pub(crate) struct AngleDef {
    pub types: [TypePattern; 3],
    pub angle: f64,
    pub k: f64,
}

/// One Fourier term k (1 + cos(n φ − φ0)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TorsionTerm {
    pub periodicity: u32,
    pub phase: f64,
    pub k: f64,
}

/// A `<Proper>` or `<Improper>` definition (for impropers `types[0]` is the central atom).
#[derive(Debug, Clone)]
pub(crate) struct TorsionDef {
    pub types: [TypePattern; 4],
    pub terms: Vec<TorsionTerm>,
}

impl TorsionDef {
    pub fn has_wildcard(&self) -> bool {
        self.types.iter().any(|t| t.is_wildcard())
    }
}

/// The parsed content of an ffxml file.
#[derive(Debug, Clone)]
pub(crate) struct FfxmlData {
    pub types: Vec<AtomType>,
    pub templates: Vec<ResidueTemplate>,
    pub bonds: Vec<BondDef>,
    pub angles: Vec<AngleDef>,
    pub propers: Vec<TorsionDef>,
    pub impropers: Vec<TorsionDef>,
    pub coulomb14scale: f64,
    pub lj14scale: f64,
}

impl FfxmlData {
    /// Does atom type `t` satisfy `pattern`?
    pub fn matches(&self, pattern: TypePattern, t: usize) -> bool {
        match pattern {
            TypePattern::Any => true,
            TypePattern::Type(p) => p == t,
            TypePattern::Class(c) => self.types[t].class == c,
        }
    }

    /// Parse ffxml text; `file` names it in error messages.
    pub fn parse(text: &str, file: &str) -> Result<FfxmlData, FfError> {
        let err = |message: String| FfError::Ffxml {
            file: file.to_string(),
            message,
        };
        let doc = roxmltree::Document::parse(text).map_err(|e| err(e.to_string()))?;
        let root = doc.root_element();
        if root.tag_name().name() != "ForceField" {
            return Err(err(format!(
                "root element is <{}>, expected <ForceField>",
                root.tag_name().name()
            )));
        }
        let line_of = |n: roxmltree::Node| doc.text_pos_at(n.range().start).row;
        let attr = |n: roxmltree::Node, a: &str| -> Result<String, FfError> {
            n.attribute(a).map(str::to_string).ok_or_else(|| {
                err(format!(
                    "line {}: <{}> lacks attribute {a}",
                    line_of(n),
                    n.tag_name().name()
                ))
            })
        };
        let num = |n: roxmltree::Node, a: &str| -> Result<f64, FfError> {
            let s = attr(n, a)?;
            s.trim().parse::<f64>().map_err(|_| {
                err(format!(
                    "line {}: attribute {a}=\"{s}\" is not a number",
                    line_of(n)
                ))
            })
        };
        let children = |name: &'static str| root.children().filter(move |c| c.has_tag_name(name));

        // --- atom types and classes
        let mut types = Vec::new();
        let mut type_index: HashMap<String, usize> = HashMap::new();
        let mut class_index: HashMap<String, usize> = HashMap::new();
        for section in children("AtomTypes") {
            for t in section.children().filter(|c| c.has_tag_name("Type")) {
                let name = attr(t, "name")?;
                let class = attr(t, "class")?;
                let n_classes = class_index.len();
                let class = *class_index.entry(class).or_insert(n_classes);
                let el = attr(t, "element")?;
                let element = Element::from_symbol(&el)
                    .ok_or_else(|| err(format!("line {}: unknown element {el}", line_of(t))))?;
                type_index.insert(name.clone(), types.len());
                types.push(AtomType {
                    name,
                    class,
                    element,
                    mass: num(t, "mass")?,
                    lj: None,
                });
            }
        }
        let lookup_type = |n: roxmltree::Node, name: &str| -> Result<usize, FfError> {
            type_index
                .get(name)
                .copied()
                .ok_or_else(|| err(format!("line {}: unknown atom type {name}", line_of(n))))
        };
        // A parameter position: typeN= (a type name or "" for any) or classN=.
        let pattern = |n: roxmltree::Node, k: usize| -> Result<TypePattern, FfError> {
            if let Some(t) = n.attribute(format!("type{k}").as_str()) {
                if t.is_empty() {
                    return Ok(TypePattern::Any);
                }
                return Ok(TypePattern::Type(lookup_type(n, t)?));
            }
            if let Some(c) = n.attribute(format!("class{k}").as_str()) {
                if c.is_empty() {
                    return Ok(TypePattern::Any);
                }
                return class_index
                    .get(c)
                    .map(|&c| TypePattern::Class(c))
                    .ok_or_else(|| err(format!("line {}: unknown atom class {c}", line_of(n))));
            }
            Err(err(format!(
                "line {}: neither type{k} nor class{k} given",
                line_of(n)
            )))
        };

        // --- residue templates
        let mut templates = Vec::new();
        for section in children("Residues") {
            for r in section.children().filter(|c| c.has_tag_name("Residue")) {
                let name = attr(r, "name")?;
                let mut atoms = Vec::new();
                let mut by_name: HashMap<String, usize> = HashMap::new();
                for a in r.children().filter(|c| c.has_tag_name("Atom")) {
                    let aname = attr(a, "name")?;
                    let atom_type = lookup_type(a, &attr(a, "type")?)?;
                    by_name.insert(aname.clone(), atoms.len());
                    atoms.push(TemplateAtom {
                        name: aname,
                        atom_type,
                        charge: num(a, "charge")?,
                        element: types[atom_type].element,
                    });
                }
                let atom_named = |n: roxmltree::Node, a: &str| -> Result<usize, FfError> {
                    let s = attr(n, a)?;
                    by_name.get(&s).copied().ok_or_else(|| {
                        err(format!(
                            "line {}: residue {name} has no atom {s}",
                            line_of(n)
                        ))
                    })
                };
                let mut adjacency = vec![Vec::new(); atoms.len()];
                let mut external_bonds = vec![0; atoms.len()];
                for b in r.children().filter(|c| c.has_tag_name("Bond")) {
                    let (i, j) = (atom_named(b, "atomName1")?, atom_named(b, "atomName2")?);
                    adjacency[i].push(j);
                    adjacency[j].push(i);
                }
                for e in r.children().filter(|c| c.has_tag_name("ExternalBond")) {
                    external_bonds[atom_named(e, "atomName")?] += 1;
                }
                let mut element_signature: Vec<Element> = atoms.iter().map(|a| a.element).collect();
                element_signature.sort_by_key(|e| e.atomic_number());
                templates.push(ResidueTemplate {
                    name,
                    atoms,
                    adjacency,
                    external_bonds,
                    element_signature,
                });
            }
        }

        // --- bonded parameters
        let mut bonds = Vec::new();
        for section in children("HarmonicBondForce") {
            for b in section.children().filter(|c| c.has_tag_name("Bond")) {
                bonds.push(BondDef {
                    types: [pattern(b, 1)?, pattern(b, 2)?],
                    length: num(b, "length")?,
                    k: num(b, "k")?,
                });
            }
        }
        let mut angles = Vec::new();
        for section in children("HarmonicAngleForce") {
            for a in section.children().filter(|c| c.has_tag_name("Angle")) {
                angles.push(AngleDef {
                    types: [pattern(a, 1)?, pattern(a, 2)?, pattern(a, 3)?],
                    angle: num(a, "angle")?,
                    k: num(a, "k")?,
                });
            }
        }
        let mut propers = Vec::new();
        let mut impropers = Vec::new();
        for section in children("PeriodicTorsionForce") {
            if let Some(o) = section.attribute("ordering") {
                if o != "amber" {
                    return Err(err(format!(
                        "line {}: improper ordering \"{o}\" is not supported (only \"amber\")",
                        line_of(section)
                    )));
                }
            }
            for t in section.children().filter(|c| c.is_element()) {
                let is_proper = match t.tag_name().name() {
                    "Proper" => true,
                    "Improper" => false,
                    _ => continue,
                };
                let mut terms = Vec::new();
                for n in 1.. {
                    let Some(per) = t.attribute(format!("periodicity{n}").as_str()) else {
                        break;
                    };
                    let periodicity = per.trim().parse::<u32>().map_err(|_| {
                        err(format!(
                            "line {}: periodicity{n}=\"{per}\" is not an integer",
                            line_of(t)
                        ))
                    })?;
                    terms.push(TorsionTerm {
                        periodicity,
                        phase: num(t, &format!("phase{n}"))?,
                        k: num(t, &format!("k{n}"))?,
                    });
                }
                let def = TorsionDef {
                    types: [
                        pattern(t, 1)?,
                        pattern(t, 2)?,
                        pattern(t, 3)?,
                        pattern(t, 4)?,
                    ],
                    terms,
                };
                if is_proper {
                    propers.push(def);
                } else {
                    impropers.push(def);
                }
            }
        }

        // --- nonbonded
        let (mut coulomb14scale, mut lj14scale) = (0.833_333_333_333_333_4, 0.5);
        for section in children("NonbondedForce") {
            coulomb14scale = num(section, "coulomb14scale")?;
            lj14scale = num(section, "lj14scale")?;
            for a in section.children().filter(|c| c.has_tag_name("Atom")) {
                let sigma = num(a, "sigma")?;
                let epsilon = num(a, "epsilon")?;
                if let Some(t) = a.attribute("type") {
                    let t = lookup_type(a, t)?;
                    types[t].lj = Some((sigma, epsilon));
                } else if let Some(c) = a.attribute("class") {
                    let c = *class_index.get(c).ok_or_else(|| {
                        err(format!("line {}: unknown atom class {c}", line_of(a)))
                    })?;
                    for t in types.iter_mut().filter(|t| t.class == c) {
                        t.lj = Some((sigma, epsilon));
                    }
                }
            }
        }

        Ok(FfxmlData {
            types,
            templates,
            bonds,
            angles,
            propers,
            impropers,
            coulomb14scale,
            lj14scale,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ff14sb() {
        let ff = FfxmlData::parse(crate::forcefield::FF14SB_XML, "protein.ff14SB.xml").unwrap();
        assert_eq!(ff.types.len(), 34);
        assert_eq!(ff.templates.len(), 78);
        assert_eq!(ff.propers.len(), 202);
        assert_eq!(ff.impropers.len(), 29);
        assert!((ff.coulomb14scale - 1.0 / 1.2).abs() < 1e-15);
        assert_eq!(ff.lj14scale, 0.5);
        assert!(ff.types.iter().all(|t| t.lj.is_some()));
        let ala = ff.templates.iter().find(|t| t.name == "ALA").unwrap();
        assert_eq!(ala.atoms.len(), 10);
        assert_eq!(ala.external_bonds.iter().sum::<usize>(), 2);
    }

    #[test]
    fn reports_bad_numbers_with_line() {
        let xml = "<ForceField>\n<AtomTypes>\n<Type name=\"a\" class=\"a\" element=\"C\" mass=\"x\"/>\n</AtomTypes>\n</ForceField>";
        let e = FfxmlData::parse(xml, "bad.xml").unwrap_err().to_string();
        assert!(
            e.contains("bad.xml") && e.contains("line 3") && e.contains("mass"),
            "{e}"
        );
    }
}
