//! Peptide builder: ACE/NME-capped peptides from a one-letter sequence (in progress).
