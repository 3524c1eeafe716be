//! Where a key of a validation error is spelled in the scenario file: `faults[2].node` is the
//! `node = …` line after the third `[[faults]]` header; a key the file leaves to its default
//! points at its table's header. TOML's own errors carry a span already (`file::describe`);
//! validation works on the parsed values, so this finds the line again in the text.

/// The 1-based line of `key` in `text`, if the file spells out the key or its table.
pub fn line_of(text: &str, key: &str) -> Option<usize> {
    let (table, leaf) = match key.rsplit_once('.') {
        Some((table, leaf)) if !leaf.contains('[') => (table, Some(leaf)),
        _ => (key, None),
    };
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    let mut current = String::new();
    let mut header_line = None;
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(name) = line.strip_prefix("[[").and_then(|l| l.split("]]").next()) {
            let name = name.trim().to_string();
            let n = counts.entry(name.clone()).or_insert(0);
            current = format!("{name}[{n}]");
            *n += 1;
        } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.split(']').next()) {
            current = name.trim().to_string();
        } else if current == table || (table.is_empty() && current.is_empty()) {
            if let Some(leaf) = leaf {
                let spelled = line.split_once('=').is_some_and(|(k, _)| k.trim() == leaf);
                if spelled {
                    return Some(index + 1);
                }
            }
            continue;
        } else {
            continue;
        }
        if current == table && header_line.is_none() {
            header_line = Some(index + 1);
        }
    }
    header_line.or_else(|| leaf.and_then(|_| line_of(text, table)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "[scenario]\nname = \"x\"\n\n[[faults]]\nat_s = 1\n\n[[faults]]\nat_s = 2\nnode = \"ghost\"\n\n[[topology.broker_groups]]\nname = \"a\"\nslaves = 1\n";

    #[test]
    fn keys_of_array_tables_are_found_by_index() {
        assert_eq!(line_of(TEXT, "faults[1].node"), Some(9));
        assert_eq!(line_of(TEXT, "faults[0].at_s"), Some(5));
        assert_eq!(line_of(TEXT, "topology.broker_groups[0].slaves"), Some(13));
        assert_eq!(line_of(TEXT, "scenario.name"), Some(2));
    }

    #[test]
    fn a_key_left_to_its_default_points_at_its_table() {
        assert_eq!(line_of(TEXT, "faults[0].node"), Some(4));
        assert_eq!(line_of(TEXT, "faults[1]"), Some(7));
        assert_eq!(line_of(TEXT, "swarm.kinds"), None);
    }
}
