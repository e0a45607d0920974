//! timewarp-sample (see DESIGN.md).
