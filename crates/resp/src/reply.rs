//! Reply encoding: one writer used by every command, producing RESP2 or RESP3 for the
//! client's protocol version, straight into the connection's output buffer (Redis's
//! `addReply*` family). The RESP3-only types degrade exactly as Redis degrades them:
//! maps become flat arrays, sets arrays, doubles bulk strings, booleans integers,
//! nulls `$-1`/`*-1`, verbatim strings bulk strings, pushes arrays.

/// Protocol version negotiated with `HELLO`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Protocol {
    #[default]
    Resp2,
    Resp3,
}

/// Appends encoded replies to a byte buffer.
#[derive(Debug, Default)]
pub struct Reply {
    pub buf: Vec<u8>,
    pub proto: Protocol,
}

fn push_int(buf: &mut Vec<u8>, v: i64) {
    let mut tmp = [0u8; 20];
    let mut n = v.unsigned_abs();
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        buf.push(b'-');
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Grisu's cached powers of ten: 10^k for k = -348, -340, ..., 340, as a 64-bit
/// significand (rounded to nearest) and a binary exponent.
const CACHED_POWERS: [(u64, i32); 87] = [
    (18054884314459144840, -1220),
    (13451937075301367670, -1193),
    (10022474136428063862, -1166),
    (14934650266808366570, -1140),
    (11127181549972568877, -1113),
    (16580792590934885855, -1087),
    (12353653155963782858, -1060),
    (18408377700990114895, -1034),
    (13715310171984221708, -1007),
    (10218702384817765436, -980),
    (15227053142812498563, -954),
    (11345038669416679861, -927),
    (16905424996341287883, -901),
    (12595523146049147757, -874),
    (9384396036005875287, -847),
    (13983839803942852151, -821),
    (10418772551374772303, -794),
    (15525180923007089351, -768),
    (11567161174868858868, -741),
    (17236413322193710309, -715),
    (12842128665889583758, -688),
    (9568131466127621947, -661),
    (14257626930069360058, -635),
    (10622759856335341974, -608),
    (15829145694278690180, -582),
    (11793632577567316726, -555),
    (17573882009934360870, -529),
    (13093562431584567480, -502),
    (9755464219737475723, -475),
    (14536774485912137811, -449),
    (10830740992659433045, -422),
    (16139061738043178685, -396),
    (12024538023802026127, -369),
    (17917957937422433684, -343),
    (13349918974505688015, -316),
    (9946464728195732843, -289),
    (14821387422376473014, -263),
    (11042794154864902060, -236),
    (16455045573212060422, -210),
    (12259964326927110867, -183),
    (18268770466636286478, -157),
    (13611294676837538539, -130),
    (10141204801825835212, -103),
    (15111572745182864684, -77),
    (11258999068426240000, -50),
    (16777216000000000000, -24),
    (12500000000000000000, 3),
    (9313225746154785156, 30),
    (13877787807814456755, 56),
    (10339757656912845936, 83),
    (15407439555097886824, 109),
    (11479437019748901445, 136),
    (17105694144590052135, 162),
    (12744735289059618216, 189),
    (9495567745759798747, 216),
    (14149498560666738074, 242),
    (10542197943230523224, 269),
    (15709099088952724970, 295),
    (11704190886730495818, 322),
    (17440603504673385349, 348),
    (12994262207056124023, 375),
    (9681479787123295682, 402),
    (14426529090290212157, 428),
    (10748601772107342003, 455),
    (16016664761464807395, 481),
    (11933345169920330789, 508),
    (17782069995880619868, 534),
    (13248674568444952270, 561),
    (9871031767461413346, 588),
    (14708983551653345445, 614),
    (10959046745042015199, 641),
    (16330252207878254650, 667),
    (12166986024289022870, 694),
    (18130221999122236476, 720),
    (13508068024458167312, 747),
    (10064294952495520794, 774),
    (14996968138956309548, 800),
    (11173611982879273257, 827),
    (16649979327439178909, 853),
    (12405201291620119593, 880),
    (9242595204427927429, 907),
    (13772540099066387757, 933),
    (10261342003245940623, 960),
    (15290591125556738113, 986),
    (11392378155556871081, 1013),
    (16975966327722178521, 1039),
    (12648080533535911531, 1066),
];

#[derive(Clone, Copy)]
struct Fp {
    f: u64,
    e: i32,
}

fn mul(a: Fp, b: Fp) -> Fp {
    let m = |x: u64, y: u64| x.wrapping_mul(y);
    let lo = 0xFFFF_FFFFu64;
    let (ah, al, bh, bl) = (a.f >> 32, a.f & lo, b.f >> 32, b.f & lo);
    let (ah_bl, al_bh, al_bl, ah_bh) = (m(ah, bl), m(al, bh), m(al, bl), m(ah, bh));
    let mut tmp = (ah_bl & lo) + (al_bh & lo) + (al_bl >> 32);
    tmp += 1 << 31;
    Fp {
        f: ah_bh + (ah_bl >> 32) + (al_bh >> 32) + (tmp >> 32),
        e: a.e + b.e + 64,
    }
}

/// Grisu2 (Loitsch), as Redis 7.2's `fpconv_dtoa`: digits of a positive finite `d`
/// and the decimal exponent K of the last digit.
fn grisu2(d: f64) -> (Vec<u8>, i32) {
    const HIDDEN: u64 = 1 << 52;
    let bits = d.to_bits();
    let (mut w, biased) = (bits & (HIDDEN - 1), ((bits >> 52) & 0x7ff) as i32);
    let e = if biased != 0 {
        w += HIDDEN;
        biased - 1075
    } else {
        -1074
    };
    let fp = Fp { f: w, e };
    // Boundaries.
    let mut upper = Fp {
        f: (fp.f << 1) + 1,
        e: fp.e - 1,
    };
    while upper.f & (HIDDEN << 1) == 0 {
        upper.f <<= 1;
        upper.e -= 1;
    }
    upper.f <<= 10;
    upper.e -= 10;
    let l_shift = if fp.f == HIDDEN { 2 } else { 1 };
    let mut lower = Fp {
        f: (fp.f << l_shift) - 1,
        e: fp.e - l_shift,
    };
    lower.f <<= lower.e - upper.e;
    lower.e = upper.e;
    // Normalize w.
    let mut wn = fp;
    while wn.f & HIDDEN == 0 {
        wn.f <<= 1;
        wn.e -= 1;
    }
    wn.f <<= 11;
    wn.e -= 11;
    // Cached power.
    let approx = (-(upper.e + 87) as f64 * 0.30102999566398114) as i32;
    let mut idx = ((approx + 348) / 8) as usize;
    let (cp, k) = loop {
        let (f, pe) = CACHED_POWERS[idx];
        let current = upper.e + pe + 64;
        if current < -60 {
            idx += 1;
        } else if current > -32 {
            idx -= 1;
        } else {
            break (Fp { f, e: pe }, -348 + 8 * idx as i32);
        }
    };
    let w = mul(wn, cp);
    let mut upper = mul(upper, cp);
    let mut lower = mul(lower, cp);
    lower.f += 1;
    upper.f -= 1;
    let mut kk = -k;
    // Digit generation.
    const TENS: [u64; 20] = [
        10000000000000000000,
        1000000000000000000,
        100000000000000000,
        10000000000000000,
        1000000000000000,
        100000000000000,
        10000000000000,
        1000000000000,
        100000000000,
        10000000000,
        1000000000,
        100000000,
        10000000,
        1000000,
        100000,
        10000,
        1000,
        100,
        10,
        1,
    ];
    let wfrac = upper.f - w.f;
    let mut delta = upper.f - lower.f;
    let shift = -upper.e as u32;
    let one = 1u64 << shift;
    let mut part1 = upper.f >> shift;
    let mut part2 = upper.f & (one - 1);
    let mut digits = Vec::with_capacity(18);
    let round = |digits: &mut Vec<u8>, delta: u64, mut rem: u64, kappa: u64, frac: u64| {
        while rem < frac
            && delta - rem >= kappa
            && (rem + kappa < frac || frac - rem > rem + kappa - frac)
        {
            if let Some(last) = digits.last_mut() {
                *last -= 1;
            }
            rem += kappa;
        }
    };
    let mut kappa = 10;
    for &div in &TENS[10..] {
        let digit = part1 / div;
        if digit != 0 || !digits.is_empty() {
            digits.push(b'0' + digit as u8);
        }
        part1 -= digit * div;
        kappa -= 1;
        let tmp = (part1 << shift) + part2;
        if tmp <= delta {
            kk += kappa;
            round(&mut digits, delta, tmp, div << shift, wfrac);
            return (digits, kk);
        }
        if kappa == 0 {
            break;
        }
    }
    let mut unit = 18usize;
    loop {
        part2 = part2.wrapping_mul(10);
        delta = delta.wrapping_mul(10);
        kappa -= 1;
        let digit = part2 >> shift;
        if digit != 0 || !digits.is_empty() {
            digits.push(b'0' + digit as u8);
        }
        part2 &= one - 1;
        if part2 < delta {
            kk += kappa;
            round(
                &mut digits,
                delta,
                part2,
                one,
                wfrac.wrapping_mul(TENS[unit]),
            );
            return (digits, kk);
        }
        unit -= 1;
    }
}

/// Formats a double as Redis 7.2 replies with it (`addReplyDouble` -> `d2string`):
/// `nan`, `inf`, `-inf`, `0`, `-0`; integral values within +-2^62 as integers;
/// otherwise `fpconv_dtoa` (Grisu2 digits, laid out plain, as a decimal fraction, or
/// with an unpadded exponent).
pub fn format_double(d: f64) -> String {
    if d.is_nan() {
        return "nan".into();
    }
    if d.is_infinite() {
        return if d > 0.0 { "inf" } else { "-inf" }.into();
    }
    if d == 0.0 {
        return if d.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // double2ll: |d| <= LLONG_MAX/2 (2^62 as a double) and integral.
    const HALF: f64 = (i64::MAX / 2) as f64;
    if (-HALF..=HALF).contains(&d) && d == (d as i64) as f64 {
        return (d as i64).to_string();
    }
    let neg = d < 0.0;
    let (digits, k) = grisu2(d.abs());
    let nd = digits.len() as i32;
    let exp = (k + nd - 1).abs();
    let mut out = String::with_capacity(24);
    if neg {
        out.push('-');
    }
    let push = |out: &mut String, ds: &[u8]| out.extend(ds.iter().map(|&c| c as char));
    if k >= 0 && exp < nd + 7 {
        push(&mut out, &digits);
        for _ in 0..k {
            out.push('0');
        }
    } else if k < 0 && (k > -7 || exp < 4) {
        let offset = nd - k.abs();
        if offset <= 0 {
            out.push_str("0.");
            for _ in 0..-offset {
                out.push('0');
            }
            push(&mut out, &digits);
        } else {
            push(&mut out, &digits[..offset as usize]);
            out.push('.');
            push(&mut out, &digits[offset as usize..]);
        }
    } else {
        let nd = nd.min(18 - neg as i32) as usize;
        out.push(digits[0] as char);
        if nd > 1 {
            out.push('.');
            push(&mut out, &digits[1..nd]);
        }
        out.push('e');
        out.push(if k + nd as i32 - 1 < 0 { '-' } else { '+' });
        out.push_str(&exp.to_string());
    }
    out
}

impl Reply {
    pub fn new(proto: Protocol) -> Self {
        Reply {
            buf: Vec::new(),
            proto,
        }
    }

    pub fn resp3(&self) -> bool {
        self.proto == Protocol::Resp3
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    fn header(&mut self, prefix: u8, n: i64) {
        self.buf.push(prefix);
        push_int(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `+OK`
    pub fn ok(&mut self) {
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A status reply (`+text`). The text must not contain CR or LF.
    pub fn simple(&mut self, s: &str) {
        self.buf.push(b'+');
        self.buf.extend_from_slice(s.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// An error reply. `msg` is the full text including its code (`ERR ...`,
    /// `WRONGTYPE ...`), as Redis's shared error objects carry it. Newlines become
    /// spaces, as Redis does.
    pub fn error(&mut self, msg: &str) {
        self.buf.push(b'-');
        for &c in msg.as_bytes() {
            self.buf
                .push(if c == b'\r' || c == b'\n' { b' ' } else { c });
        }
        self.buf.extend_from_slice(b"\r\n");
    }

    pub fn int(&mut self, v: i64) {
        self.header(b':', v);
    }

    pub fn bulk(&mut self, data: &[u8]) {
        self.header(b'$', data.len() as i64);
        self.buf.extend_from_slice(data);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A bulk string holding the decimal text of an integer.
    pub fn bulk_int(&mut self, v: i64) {
        let mut tmp = Vec::with_capacity(20);
        push_int(&mut tmp, v);
        self.bulk(&tmp);
    }

    /// Null bulk string (`$-1` / `_`).
    pub fn null(&mut self) {
        if self.resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// Null array (`*-1` / `_`).
    pub fn null_array(&mut self) {
        if self.resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    pub fn array(&mut self, n: usize) {
        self.header(b'*', n as i64);
    }

    /// A map of `n` pairs: `%n` in RESP3, an array of 2n in RESP2.
    pub fn map(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set of `n` members: `~n` in RESP3, an array in RESP2.
    pub fn set(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'~', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// An out-of-band push of `n` elements: `>n` in RESP3, an array in RESP2.
    pub fn push(&mut self, n: usize) {
        if self.resp3() {
            self.header(b'>', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    pub fn double(&mut self, d: f64) {
        let s = format_double(d);
        if self.resp3() {
            self.buf.push(b',');
            self.buf.extend_from_slice(s.as_bytes());
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(s.as_bytes());
        }
    }

    pub fn bool(&mut self, b: bool) {
        if self.resp3() {
            self.buf
                .extend_from_slice(if b { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(b as i64);
        }
    }

    /// Verbatim text (`=len\r\ntxt:...` in RESP3, a bulk string in RESP2).
    pub fn verbatim(&mut self, text: &[u8]) {
        if self.resp3() {
            self.header(b'=', text.len() as i64 + 4);
            self.buf.extend_from_slice(b"txt:");
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// A list of bulk strings.
    pub fn bulks<I, T>(&mut self, items: I)
    where
        I: IntoIterator<Item = T>,
        I::IntoIter: ExactSizeIterator,
        T: AsRef<[u8]>,
    {
        let it = items.into_iter();
        self.array(it.len());
        for i in it {
            self.bulk(i.as_ref());
        }
    }

    /// Raw, already encoded bytes.
    pub fn raw(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles() {
        // Redis 7.2's d2string: integers within +-2^62 in full, Grisu2 digits otherwise
        // (values checked against Redis's C fpconv_dtoa/d2string on 800k doubles).
        assert_eq!(format_double(1.5), "1.5");
        assert_eq!(format_double(3.0), "3");
        assert_eq!(format_double(0.1), "0.1");
        assert_eq!(format_double(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(format_double(1e20), "1e+20");
        assert_eq!(format_double(110123456789012345.0), "110123456789012352");
        assert_eq!(format_double(-110123456789012345.0), "-110123456789012352");
        assert_eq!(format_double(4.6e18), "4600000000000000000");
        assert_eq!(format_double(4.7e18), "4.7e+18");
        assert_eq!(format_double(9.223372036854776e18), "9223372036854776000");
        assert_eq!(
            format_double(1.2345678901234568e23),
            "123456789012345690000000"
        );
        assert_eq!(format_double(1e16), "10000000000000000");
        assert_eq!(format_double(1e22), "1e+22");
        assert_eq!(format_double(0.0001), "0.0001");
        assert_eq!(format_double(0.00001), "0.00001");
        assert_eq!(format_double(1e-7), "1e-7");
        assert_eq!(format_double(1.5e-7), "1.5e-7");
        assert_eq!(format_double(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(format_double(1e308), "1e+308");
        assert_eq!(format_double(5e-324), "5e-324");
        assert_eq!(
            format_double(2.2250738585072014e-308),
            "2.2250738585072014e-308"
        );
        assert_eq!(format_double(f64::INFINITY), "inf");
        assert_eq!(format_double(f64::NEG_INFINITY), "-inf");
        assert_eq!(format_double(f64::NAN), "nan");
        assert_eq!(format_double(-0.0), "-0");
        assert_eq!(format_double(-2.5), "-2.5");
    }

    #[test]
    fn protocol_degradation() {
        let mut r = Reply::new(Protocol::Resp2);
        r.map(1);
        r.null();
        r.bool(true);
        r.double(2.5);
        assert_eq!(r.buf, b"*2\r\n$-1\r\n:1\r\n$3\r\n2.5\r\n");
        let mut r = Reply::new(Protocol::Resp3);
        r.map(1);
        r.null();
        r.bool(true);
        r.double(2.5);
        assert_eq!(r.buf, b"%1\r\n_\r\n#t\r\n,2.5\r\n");
        let mut r = Reply::new(Protocol::Resp2);
        r.error("ERR bad\nthing");
        r.error("WRONGTYPE x");
        assert_eq!(r.buf, b"-ERR bad thing\r\n-WRONGTYPE x\r\n");
    }
}
