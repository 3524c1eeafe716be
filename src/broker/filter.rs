//! Tag filtering (§6.8): a subscription `*` (or empty) takes everything; `TagA || TagB` takes
//! records whose consume-queue tags code is one of the tags' Java hash codes. Hash-only, as
//! Java's broker does: the client re-checks the tag string because hashes collide.

use std::collections::BTreeSet;

use crate::store::java_hash;

/// Tags a subscription expression may list at most.
pub const TAGS_MAX: usize = 1024;

/// `None`: no filter. `Some(codes)`: the accepted tags codes.
pub fn tag_codes(expression: &str) -> Option<Option<BTreeSet<i64>>> {
    let expression = expression.trim();
    if expression.is_empty() || expression == "*" {
        return Some(None);
    }
    let tags: Vec<&str> = expression
        .split("||")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect();
    if tags.is_empty() || tags.len() > TAGS_MAX {
        return None;
    }
    Some(Some(tags.iter().map(|t| i64::from(java_hash(t))).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expressions() {
        assert_eq!(tag_codes("*"), Some(None));
        assert_eq!(tag_codes(""), Some(None));
        let codes = tag_codes("TagA || TagB").unwrap().unwrap();
        assert!(codes.contains(&i64::from(java_hash("TagA"))));
        assert_eq!(codes.len(), 2);
        assert_eq!(tag_codes("||"), None);
    }
}
