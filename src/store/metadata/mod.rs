//! Metadata files (§4.9).
