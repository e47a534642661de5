//! Counts in words, for every front end's messages.

/// `n` and the noun for that many: "1 group", "0 groups", "3 files".
pub fn counted<N>(n: N, one: &str, many: &str) -> String
where
    N: std::fmt::Display + PartialEq + From<u8>,
{
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn counts_take_the_noun_for_that_many() {
        assert_eq!(counted(1_usize, "group", "groups"), "1 group");
        assert_eq!(counted(0_usize, "group", "groups"), "0 groups");
        assert_eq!(counted(1_u32, "photo", "photos"), "1 photo");
        assert_eq!(
            counted(2_u64, "reject candidate", "reject candidates"),
            "2 reject candidates"
        );
    }
}
