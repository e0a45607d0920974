//! timewarp-flow (see DESIGN.md).
