//! Argument parsing shared by commands, with Redis's error texts: integers as
//! `string2ll` reads them, floats as `strtod`/`strtold` with Redis's rejections, and
//! case-insensitive option matching.

use crate::command::{Error, NOT_FLOAT, NOT_INTEGER};

/// Case-insensitive comparison of an argument with an option name.
pub fn is(arg: &[u8], name: &str) -> bool {
    arg.eq_ignore_ascii_case(name.as_bytes())
}

/// A 64-bit integer argument (`ERR value is not an integer or out of range`).
pub fn int(arg: &[u8]) -> Result<i64, Error> {
    redraft_resp::parse_i64(arg).ok_or(NOT_INTEGER)
}

/// An integer argument with a custom error text (for example `ERR timeout is not an
/// integer or out of range`).
pub fn int_or(arg: &[u8], err: &'static str) -> Result<i64, Error> {
    redraft_resp::parse_i64(arg).ok_or(Error::new(err))
}

/// A float as Redis's `string2d`/`string2ld` accept it: no leading space, the whole
/// argument consumed, `inf`/`-inf` allowed, `nan` refused.
pub fn parse_float(arg: &[u8]) -> Option<f64> {
    if arg.is_empty() || arg[0].is_ascii_whitespace() || arg.len() > 5000 {
        return None;
    }
    let s = std::str::from_utf8(arg).ok()?;
    let v: f64 = match s.parse() {
        Ok(v) => v,
        Err(_) => {
            let l = s.to_ascii_lowercase();
            match l.trim_start_matches(['+', '-']) {
                "inf" | "infinity" => {
                    if l.starts_with('-') {
                        f64::NEG_INFINITY
                    } else {
                        f64::INFINITY
                    }
                }
                _ => return None,
            }
        }
    };
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// A float argument (`ERR value is not a valid float`).
pub fn float(arg: &[u8]) -> Result<f64, Error> {
    parse_float(arg).ok_or(NOT_FLOAT)
}

/// Formats a float the way Redis stores the result of `INCRBYFLOAT` (`LD_STR_HUMAN`):
/// plain decimal, no exponent, at most 17 decimals, trailing zeros removed.
pub fn format_human_float(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let mut s = format!("{}", v);
    if let Some(dot) = s.find('.') {
        if s.len() - dot - 1 > 17 {
            s = format!("{:.17}", v);
            while s.ends_with('0') {
                s.pop();
            }
            if s.ends_with('.') {
                s.pop();
            }
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        assert_eq!(parse_float(b"1.5"), Some(1.5));
        assert_eq!(parse_float(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_float(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_float(b"nan"), None);
        assert_eq!(parse_float(b" 1"), None);
        assert_eq!(parse_float(b"1 "), None);
        assert_eq!(parse_float(b""), None);
        assert_eq!(format_human_float(10.5 + 0.1), "10.6");
        assert_eq!(format_human_float(1e20), "100000000000000000000");
        assert_eq!(format_human_float(3.0), "3");
        assert_eq!(format_human_float(-0.0), "0");
    }
}
