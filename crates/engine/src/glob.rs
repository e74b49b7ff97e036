//! Glob-style matching exactly as Redis's `stringmatchlen` (KEYS, SCAN, PSUBSCRIBE).
//!
//! The rules, quirks included, are Redis 7's `stringmatchlen_impl` (`util.c`):
//!
//! - `*` any run of bytes, `?` one byte, `\x` the byte `x`, anything else itself.
//! - `[...]` one byte out of a set: `^` first negates it; `a-z` is a range, and a
//!   reversed range (`z-a`) means the same; `\x` inside the set is the byte `x` (always
//!   compared case-sensitively). A set with no closing `]` extends to the end of the
//!   pattern, and `[a-]` is the range from `a` to `]` (so also unterminated).
//! - Range bounds are compared as C's signed `char`, so bytes 0x80-0xFF sort *below*
//!   ASCII; under `nocase` glibc's `tolower` then maps those (except 0xFF, which is
//!   `EOF`) to 128-255. Both are reproduced, so ranges over non-ASCII bytes agree.
//! - The string must be consumed whole, and an empty string matches only an empty
//!   pattern (`*` does not match the empty string here; `KEYS *` and `SCAN MATCH *`
//!   never call the matcher).
//! - Past a nesting of 1000 `*` the match fails (Redis's guard against stack
//!   exhaustion); the C code reads the byte after the pattern (its NUL terminator),
//!   which is modelled as 0.
//!
//! Cost: a `*` whose remainder fails at every later position proves that no earlier
//! `*` can succeed either (Redis's `skipLongerMatches`), so the whole match is
//! O(pattern x string) even for patterns such as `a*a*a*a*...b`, never exponential.

/// Matches `string` against the glob `pattern`; `nocase` folds ASCII letters.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    matches(pattern, string, nocase, &mut skip_longer, 0)
}

/// glibc's `tolower` in the C locale, applied to a (signed) `char` promoted to int.
fn c_tolower(c: i32) -> i32 {
    match c {
        65..=90 => c + 32,
        -128..=-2 => c + 256,
        _ => c,
    }
}

/// A byte as C's signed `char`, promoted to int.
fn sc(b: u8) -> i32 {
    b as i8 as i32
}

fn byte_eq(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        c_tolower(sc(a)) == c_tolower(sc(b))
    } else {
        a == b
    }
}

fn matches(p: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > 1000 {
        return false;
    }
    // The byte at `i`, or the C string's terminator past the end.
    let at = |i: usize| p.get(i).copied().unwrap_or(0);
    let mut pi = 0;
    let mut si = 0;
    while pi < p.len() && si < s.len() {
        match p[pi] {
            b'*' => {
                while at(pi + 1) == b'*' {
                    pi += 1;
                }
                if pi + 1 == p.len() {
                    return true;
                }
                while si < s.len() {
                    if matches(&p[pi + 1..], &s[si..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    si += 1;
                }
                // The rest of the pattern matches nowhere in the rest of the string:
                // no earlier `*` taking a longer run can make it match later either.
                *skip_longer = true;
                return false;
            }
            b'?' => si += 1,
            b'[' => {
                let c = s[si];
                pi += 1;
                let negate = at(pi) == b'^';
                if negate {
                    pi += 1;
                }
                let mut found = false;
                loop {
                    let rem = p.len() - pi;
                    if at(pi) == b'\\' && rem >= 2 {
                        pi += 1;
                        if p[pi] == c {
                            found = true;
                        }
                    } else if at(pi) == b']' {
                        break;
                    } else if rem == 0 {
                        // Unterminated set: it ends with the pattern.
                        pi -= 1;
                        break;
                    } else if rem >= 3 && p[pi + 1] == b'-' {
                        let (mut start, mut end, mut ch) = (sc(p[pi]), sc(p[pi + 2]), sc(c));
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = c_tolower(start);
                            end = c_tolower(end);
                            ch = c_tolower(ch);
                        }
                        pi += 2;
                        if ch >= start && ch <= end {
                            found = true;
                        }
                    } else if byte_eq(p[pi], c, nocase) {
                        found = true;
                    }
                    pi += 1;
                }
                if found == negate {
                    return false;
                }
                si += 1;
            }
            b => {
                let mut b = b;
                if b == b'\\' && p.len() - pi >= 2 {
                    pi += 1;
                    b = p[pi];
                }
                if !byte_eq(b, s[si], nocase) {
                    return false;
                }
                si += 1;
            }
        }
        pi += 1;
        if si == s.len() {
            while at(pi) == b'*' {
                pi += 1;
            }
            break;
        }
    }
    pi == p.len() && si == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn literals_and_wildcards() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("*", "anything"));
        assert!(m("**", "x"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("*a", "a"));
        assert!(m("*a*", "bab"));
        assert!(!m("*a*", "bbb"));
        assert!(m("user:*:name", "user:42:name"));
        assert!(!m("user:*:name", "user:42:nam"));
        assert!(m("?", "x"));
        assert!(!m("?", "xy"));
        assert!(!m("??", "x"));
        assert!(m("*?", "x"));
        assert!(!m("*??", "x"));
    }

    #[test]
    fn empty_string_and_pattern() {
        assert!(m("", ""));
        assert!(!m("", "a"));
        // Redis's loop never runs on an empty string: only "" matches it.
        assert!(!m("*", ""));
        assert!(!m("?", ""));
        assert!(!m("[a]", ""));
    }

    #[test]
    fn sets() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        // Reversed ranges are swapped.
        assert!(m("[z-a]", "m"));
        assert!(m("[^z-a]", "A"));
        assert!(!m("[^z-a]", "q"));
        // `]` first closes an empty set, which matches nothing.
        assert!(!m("[]]", "]"));
        assert!(!m("[]", "]"));
        // Escapes inside sets.
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\-z]", "-"));
        assert!(!m("[a\\-z]", "b"));
        // `-` at the start or end.
        assert!(m("[-a]", "-"));
        assert!(m("[-a]", "a"));
        // `[a-]` is the range a..`]` (swapped to `]`..a) and never closes.
        assert!(m("[a-]", "a"));
        assert!(m("[a-]", "^"));
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "-"));
        assert!(!m("[a-]x", "ax"));
    }

    #[test]
    fn unterminated_sets() {
        // The set runs to the end of the pattern.
        assert!(m("[abc", "a"));
        assert!(m("[abc", "c"));
        assert!(!m("[abc", "d"));
        assert!(!m("[abc", "ab"));
        assert!(!m("[", "["));
        assert!(!m("[", "a"));
        // `[^` alone negates the empty set: any one byte.
        assert!(m("[^", "a"));
        assert!(m("[^", "^"));
        assert!(!m("[^", "ab"));
        assert!(m("x[^", "xz"));
        // A trailing backslash inside an unterminated set is a literal byte.
        assert!(m("[\\", "\\"));
        assert!(!m("[\\", "a"));
        assert!(m("[a\\", "\\"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "a"));
        assert!(m("\\[a]", "[a]"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\\\", "\\"));
        assert!(m("\\a", "a"));
        assert!(m("*\\*", "abc*"));
        assert!(!m("*\\*", "abc"));
    }

    #[test]
    fn nocase() {
        assert!(glob_match(b"HeLLo", b"hello", true));
        assert!(glob_match(b"h[A-C]llo", b"hbllo", true));
        assert!(glob_match(b"h[a-c]llo", b"HBLLO", true));
        assert!(!glob_match(b"h[a-c]llo", b"HBLLO", false));
        assert!(glob_match(b"[^x]", b"X", false));
        assert!(!glob_match(b"[^x]", b"X", true));
        // Escapes inside a set stay case-sensitive, as in Redis.
        assert!(!glob_match(b"[\\A]", b"a", true));
    }

    #[test]
    fn high_bytes_are_signed_chars() {
        // 0x80..0xFF are negative as C chars: below every ASCII byte.
        assert!(glob_match(b"[\x80-a]", b"A", false));
        assert!(glob_match(b"[\x80-a]", b"\xff", false));
        assert!(!glob_match(b"[\x80-a]", b"b", false));
        assert!(glob_match(b"[a-\x80]", b"\x90", false));
        assert!(!glob_match(b"[\x01-\x7f]", b"\x80", false));
        assert!(glob_match(b"[\xa0-\xb0]", b"\xa5", false));
        // Under nocase glibc's tolower maps -128..-2 to 128..254 after the swap.
        assert!(!glob_match(b"[\x80-a]", b"A", true));
        assert!(glob_match(b"[\xa0-\xb0]", b"\xa5", true));
        assert!(glob_match(b"\xe9", b"\xe9", true));
        assert!(!glob_match(b"\xe9", b"\xc9", true));
    }

    /// Recorded from redis-server 7.0.15 (`SET key`, then `KEYS pattern`); random
    /// patterns over `*?[]^-\` and bytes 0x80/0xFF, where most quirks show.
    #[test]
    fn recorded_redis_keys_cases() {
        let cases: &[(&[u8], &[u8], bool)] = &[
            (b"?*[*\xffb", b"a\xffb\x80\xff", true),
            (b"[--cz\xff-\x80", b"b", true),
            (b"[[?c-Aa^", b"c", true),
            (b"?[^*", b"^c", true),
            (b"*[^", b"\\\\", true),
            (b"[[^?bca", b"b", true),
            (b"[A", b"A", true),
            (b"[*-ca[", b"B", true),
            (b"[*-ca[", b"*", true),
            (b"[*-ca[", b"b", true),
            (b"[a?*\\[", b"a", true),
            (b"?*[*\xffb", b"?Aa\x80^\xff", true),
            (b"*[^", b"a\xffa", true),
            (b"[b[\xff*-\xff", b"\xff", true),
            (b"[[a-", b"-", true),
            (b"A[c^[", b"A^", true),
            (b"?*\\a", b"a\xffa", true),
            (b"*[^", b"b[z?", true),
            (b"[^", b"\xff", true),
            (b"[*AA?\xffc*", b"c", true),
            (b"\\z", b"z", true),
            (b"[^\xff", b"[", true),
            (b"*[^", b"\\cB", true),
            (b"[b^\xff\\-", b"-", true),
            (b"[Az\\\x80\xffb", b"\xff", true),
            (b"[\x80*\\", b"*", true),
            (b"^[*-^*\xff", b"^B", true),
            (b"?*[*\xffb", b"a\x00B*", true),
            (b"*[^", b"\x80-", true),
            (b"[^\x80", b"b", true),
            (b"\x80?A][\x80[", b"-*[*b\\", false),
            (b"z[]", b"B\xffB^^", false),
            (b"c[^*\xff", b"]\xfeA^AA", false),
            (b"a\\*zA-A", b"-^", false),
            (b"a[aczA\xff*", b"a\xffa", false),
            (b"[", b"*", false),
            (b"AA\xff][\xff", b"\xfe\\\xff]^[", false),
            (b"]--\\\xff", b"-\\z\xfe\\\xfe", false),
            (b"\\c", b"\x00^A^\\", false),
            (b"[c?\\", b"?\x80\x80", false),
            (b"\x80z\x80\\", b"A*Az]", false),
            (b"aa\xff\xff*[", b"^\\cB[", false),
            (b"[*\x80z\\-*?", b"\x00b^", false),
            (b"]\\[*", b"^^]\xff", false),
            (b"-*a\\\\-[?", b"^\xfe\xfe?A]", false),
        ];
        for &(p, s, expected) in cases {
            assert_eq!(
                glob_match(p, s, false),
                expected,
                "pattern {:?} string {:?}",
                String::from_utf8_lossy(p),
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn no_exponential_blowup() {
        let pattern = "a*".repeat(30) + "b";
        let string = "a".repeat(5000);
        assert!(!m(&pattern, &string));
        let pattern = "*a".repeat(200) + "*b";
        assert!(!m(&pattern, &string));
        let mut ok = string.clone();
        ok.push('b');
        assert!(m(&pattern, &ok));
        let p = "?*".repeat(500) + "[";
        assert!(!m(&p, &"x".repeat(2000)));
    }

    #[test]
    fn nesting_limit() {
        // 1001 non-adjacent stars exceed Redis's nesting guard: no match.
        let p = "*a".repeat(1001);
        let s = "a".repeat(1001);
        assert!(!m(&p, &s));
        let p = "*a".repeat(1000);
        assert!(m(&p, &s));
        // Adjacent stars collapse and do not nest.
        let p = "*".repeat(5000) + "a";
        assert!(m(&p, "xa"));
    }
}
