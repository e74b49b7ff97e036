//! Redis's glob matching (`stringmatchlen`): `*`, `?`, `[...]` with `^` negation and
//! `a-z` ranges, `\` escapes, optionally case-insensitive. Used by `SENTINEL RESET
//! <pattern>` (case-sensitive), `SENTINEL CONFIG GET <pattern>` and `COMMAND LIST
//! FILTERBY PATTERN` (both case-insensitive).

pub(crate) fn matches(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let eq = |a: u8, b: u8| {
        if nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    };
    let (mut p, mut s) = (0usize, 0usize);
    // Backtracking point for the last `*`: (pattern index after it, string index).
    let mut star: Option<(usize, usize)> = None;
    loop {
        if p == pattern.len() {
            if s == string.len() {
                return true;
            }
        } else if pattern[p] == b'*' {
            while p + 1 < pattern.len() && pattern[p + 1] == b'*' {
                p += 1;
            }
            star = Some((p + 1, s));
            p += 1;
            continue;
        } else if s < string.len() {
            // How far the pattern advances when it matches this character.
            let advance = match pattern[p] {
                b'?' => Some(1),
                b'[' => {
                    let (hit, next) = class(pattern, p, string[s], nocase);
                    hit.then_some(next - p)
                }
                b'\\' if p + 1 < pattern.len() => eq(pattern[p + 1], string[s]).then_some(2),
                c => eq(c, string[s]).then_some(1),
            };
            if let Some(n) = advance {
                p += n;
                s += 1;
                continue;
            }
        }
        // Mismatch: retry after the last `*`, which swallows one more character.
        match star {
            Some((sp, ss)) if ss < string.len() => {
                star = Some((sp, ss + 1));
                p = sp;
                s = ss + 1;
            }
            _ => return false,
        }
    }
}

/// Matches `c` against the class opening at `pattern[start] == '['`. Returns whether
/// it matched and the pattern index after the class (an unterminated class runs to the
/// end of the pattern, as in Redis).
fn class(pattern: &[u8], start: usize, c: u8, nocase: bool) -> (bool, usize) {
    let low = |x: u8| if nocase { x.to_ascii_lowercase() } else { x };
    let mut i = start + 1;
    let not = pattern.get(i) == Some(&b'^');
    if not {
        i += 1;
    }
    let mut hit = false;
    while i < pattern.len() && pattern[i] != b']' {
        if pattern[i] == b'\\' && i + 1 < pattern.len() {
            i += 1;
            if low(pattern[i]) == low(c) {
                hit = true;
            }
        } else if i + 2 < pattern.len() && pattern[i + 1] == b'-' {
            let (mut a, mut b) = (low(pattern[i]), low(pattern[i + 2]));
            if a > b {
                std::mem::swap(&mut a, &mut b);
            }
            if (a..=b).contains(&low(c)) {
                hit = true;
            }
            i += 2;
        } else if low(pattern[i]) == low(c) {
            hit = true;
        }
        i += 1;
    }
    let next = if i < pattern.len() { i + 1 } else { i };
    (hit != not, next)
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn globs() {
        assert!(matches(b"*", b"mymaster", false));
        assert!(matches(b"*", b"", false));
        assert!(matches(b"my*", b"mymaster", false));
        assert!(!matches(b"My*", b"mymaster", false));
        assert!(matches(b"My*", b"mymaster", true));
        assert!(matches(b"m?master", b"mymaster", false));
        assert!(matches(b"*master", b"mymaster", false));
        assert!(matches(b"*a*e*", b"mymaster", false));
        assert!(!matches(b"*x*", b"mymaster", false));
        assert!(matches(b"[lm]ymaster", b"mymaster", false));
        assert!(matches(b"[a-z]ymaster", b"mymaster", false));
        assert!(!matches(b"[^m]ymaster", b"mymaster", false));
        assert!(matches(b"[^x]ymaster", b"mymaster", false));
        assert!(matches(b"my\\*", b"my*", false));
        assert!(!matches(b"my\\*", b"myx", false));
        assert!(!matches(b"mymaster2", b"mymaster", false));
        assert!(!matches(b"mymaster", b"mymaster2", false));
        assert!(matches(b"announce-*", b"announce-ip", true));
        assert!(!matches(b"?", b"", false));
    }
}
