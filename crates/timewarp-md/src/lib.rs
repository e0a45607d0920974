//! timewarp-md (see DESIGN.md).
