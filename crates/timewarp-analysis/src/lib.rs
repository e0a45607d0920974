//! timewarp-analysis (see DESIGN.md).
