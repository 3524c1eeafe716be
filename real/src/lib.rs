//! The real deployment build.
