//! "Did you mean": the nearest known name to a misspelt key or condition.

/// The condition names a rule may use, as the docs write them.
pub const CONDITION_NAMES: &[&str] = &["Country", "Language", "Role", "Cookie", "Sign"];

/// The keys of a TOML or JSON redirect, as the docs write them.
pub const FIELD_NAMES: &[&str] = &["from", "to", "status", "force", "query", "conditions", "headers", "signed"];

/// `; did you mean `NAME`?` for the candidate nearest to `word` (ignoring case), when it is
/// close enough to be a slip: at most one edit for short words, a third of the length for long
/// ones. Empty otherwise.
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    let word: Vec<char> = word.to_lowercase().chars().collect();
    let allowed = (word.len() / 3).max(1);
    let nearest = candidates
        .iter()
        .map(|c| (edit_distance(&word, &c.to_lowercase().chars().collect::<Vec<_>>()), *c))
        .filter(|&(d, _)| d <= allowed)
        .min_by_key(|&(d, _)| d);
    nearest.map_or_else(String::new, |(_, name)| format!("; did you mean `{name}`?"))
}

/// Edits (insert, delete, substitute, swap two neighbours) from `a` to `b`: the optimal string
/// alignment distance, so `form` is one edit from `from`.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    // Three rows: the one before the previous is needed for a swap.
    let mut before: Vec<usize> = vec![0; b.len() + 1];
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current: Vec<usize> = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && a.get(i - 1) == Some(&cb) && b.get(j - 1) == Some(&ca) {
                best = best.min(before[j - 1] + 1);
            }
            current[j + 1] = best;
        }
        std::mem::swap(&mut before, &mut previous);
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn misspelt_names_get_the_nearest_one() {
        assert_eq!(did_you_mean("Contry", CONDITION_NAMES), "; did you mean `Country`?");
        assert_eq!(did_you_mean("langauge", CONDITION_NAMES), "; did you mean `Language`?");
        assert_eq!(did_you_mean("form", FIELD_NAMES), "; did you mean `from`?");
        assert_eq!(did_you_mean("stauts", FIELD_NAMES), "; did you mean `status`?");
        assert_eq!(did_you_mean("COOKIES", CONDITION_NAMES), "; did you mean `Cookie`?");
    }

    #[test]
    fn far_names_get_no_suggestion() {
        assert_eq!(did_you_mean("Planet", CONDITION_NAMES), "");
        assert_eq!(did_you_mean("foo", FIELD_NAMES), "");
        assert_eq!(did_you_mean("", FIELD_NAMES), "");
        assert_eq!(did_you_mean("日本語", CONDITION_NAMES), "");
    }
}
