//! Pure rules of a part plan: S3's limits, part sizes, how a closed file is cut into parts, and
//! which part URLs may be used. No I/O; the answer parsers ([`super::wire`]), the planner and the
//! executors all read from here, so the data path has one direction.

use super::journal::PlannedPart;

/// S3's smallest non-final part.
pub const MIN_PART: u64 = 5 * 1024 * 1024;
/// S3's part count limit.
pub const MAX_PARTS: u64 = 10_000;

/// Whether a part URL may be used: HTTPS and an allowed host (`host[:port]` or `*.suffix`; an
/// empty list allows any HTTPS host).
pub fn check_upload_url(raw: &str, allowed: &[String]) -> Result<url::Url, String> {
    let url =
        url::Url::parse(raw).map_err(|_| "the server gave a malformed upload URL".to_string())?;
    if url.scheme() != "https" {
        return Err(format!(
            "the server gave a non-HTTPS upload URL ({}://...); refusing to send media over it",
            url.scheme()
        ));
    }
    let host = url.host_str().unwrap_or("").to_ascii_lowercase();
    let with_port = match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.clone(),
    };
    if allowed.is_empty()
        || allowed.iter().any(|pat| {
            let pat = pat.to_ascii_lowercase();
            match pat.strip_prefix("*.") {
                Some(suffix) => host.ends_with(&format!(".{suffix}")),
                None => pat == with_port || pat == host,
            }
        })
    {
        Ok(url)
    } else {
        Err(format!(
            "the server gave an upload URL for an unexpected host ({host})"
        ))
    }
}

/// When a presigned URL stops working (from `X-Amz-Date` + `X-Amz-Expires`), Unix ms.
pub fn url_expiry_ms(url: &url::Url) -> Option<i64> {
    let mut date = None;
    let mut expires = None;
    for (k, v) in url.query_pairs() {
        match k.as_ref() {
            "X-Amz-Date" => date = Some(v.into_owned()),
            "X-Amz-Expires" => expires = v.parse::<i64>().ok(),
            _ => {}
        }
    }
    let signed = chrono::NaiveDateTime::parse_from_str(&date?, "%Y%m%dT%H%M%SZ").ok()?;
    Some(signed.and_utc().timestamp_millis() + expires? * 1000)
}

/// The part size for a file: the configured size, grown so the file fits in 10,000 parts.
pub fn part_size_for(config_part: u64, total: Option<u64>) -> u64 {
    let base = config_part.max(MIN_PART);
    match total {
        Some(t) => base.max(t.div_ceil(MAX_PARTS)),
        None => base,
    }
}

/// The part size for a closed file's plan: with `adaptive`, small enough that the file has parts
/// for every connection the tuning may open (`max_parallel_parts`), never under 5 MiB nor over
/// the configured size. Smaller parts also mean less to re-send after a cut on a slow link.
pub fn spread_part_size(
    config_part: u64,
    adaptive: bool,
    max_parallel_parts: usize,
    size: u64,
) -> u64 {
    let full = part_size_for(config_part, Some(size));
    if !adaptive {
        return full;
    }
    let spread = size
        .div_ceil(max_parallel_parts.max(1) as u64)
        .max(MIN_PART)
        .max(size.div_ceil(MAX_PARTS));
    spread.min(full)
}

/// Cut the bytes `from..size` of a closed file into parts of `part` bytes for the real-time API,
/// numbered from `first_number`; the last one is final.
pub fn plan_closed(size: u64, part: u64, first_number: u32, from: u64) -> Vec<PlannedPart> {
    let mut out = Vec::new();
    let mut offset = from;
    let mut number = first_number;
    while offset < size {
        let len = part.min(size - offset);
        out.push(PlannedPart {
            number,
            offset,
            size: len,
            is_final: offset + len == size,
            url: None,
            url_expires_ms: None,
        });
        offset += len;
        number += 1;
    }
    out
}

/// Parts of a growing file that keep the same size before it doubles.
const GROWTH_STEP_PARTS: u32 = 2_000;

/// The size of a growing file's part `number`: 5 MiB (S3's smallest), so the part still to send
/// when the writer stops is small and the last byte arrives within moments of the close; doubled
/// every 2,000 parts so a long take still fits in 10,000 parts (about 300 GiB).
pub fn growth_part_size(number: u32) -> u64 {
    MIN_PART << (number.saturating_sub(1) / GROWTH_STEP_PARTS).min(4)
}

/// The non-final parts a growing file's bytes `from..size` allow, numbered from
/// `first_number` ([`growth_part_size`] each): a part only when more bytes follow it, so the
/// final part (planned when the writer finishes) is never empty.
pub fn plan_growth(size: u64, first_number: u32, from: u64) -> Vec<PlannedPart> {
    let mut out = Vec::new();
    let mut offset = from;
    let mut number = first_number;
    while u64::from(number) < MAX_PARTS {
        let part = growth_part_size(number);
        if size.saturating_sub(offset) <= part {
            break;
        }
        out.push(PlannedPart {
            number,
            offset,
            size: part,
            is_final: false,
            url: None,
            url_expires_ms: None,
        });
        offset += part;
        number += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_urls_must_be_https_on_allowed_hosts() {
        let allowed = vec!["*.amazonaws.com".to_string(), "127.0.0.1:9000".to_string()];
        for (url, ok) in [
            (
                "https://frameio-uploads.s3-accelerate.amazonaws.com/parts/x",
                true,
            ),
            ("https://127.0.0.1:9000/parts/x", true),
            (
                "http://frameio-uploads.s3-accelerate.amazonaws.com/parts/x",
                false,
            ),
            ("https://evil.example/parts/x", false),
            ("https://amazonaws.com.evil.example/x", false),
            ("https://127.0.0.1:9001/parts/x", false),
            ("not a url", false),
        ] {
            assert_eq!(check_upload_url(url, &allowed).is_ok(), ok, "{url}");
        }
        assert!(check_upload_url("https://anything.example/x", &[]).is_ok());
    }

    #[test]
    fn url_expiry_comes_from_the_signature_parameters() {
        let u =
            url::Url::parse("https://h/p?X-Amz-Date=20260101T000000Z&X-Amz-Expires=60").unwrap();
        let base = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(url_expiry_ms(&u), Some(base + 60_000));
        assert_eq!(
            url_expiry_ms(&url::Url::parse("https://h/p").unwrap()),
            None
        );
    }

    #[test]
    fn part_plans_cover_the_file_and_respect_s3_limits() {
        for size in [1u64, MIN_PART, 16 << 20, (16 << 20) + 1, 100 << 20, 5 << 40] {
            let part = part_size_for(16 << 20, Some(size));
            let plan = plan_closed(size, part, 1, 0);
            assert!(plan.len() as u64 <= MAX_PARTS, "{size}");
            assert_eq!(plan.iter().map(|p| p.size).sum::<u64>(), size);
            assert!(plan.last().unwrap().is_final);
            assert_eq!(plan.iter().filter(|p| p.is_final).count(), 1);
            assert!(
                plan.iter()
                    .filter(|p| !p.is_final)
                    .all(|p| p.size >= MIN_PART)
            );
            let mut offset = 0;
            for (i, p) in plan.iter().enumerate() {
                assert_eq!((p.number, p.offset), (i as u32 + 1, offset));
                offset += p.size;
            }
        }
        assert_eq!(part_size_for(1, None), MIN_PART);
        let spread = |adaptive, size| spread_part_size(16 << 20, adaptive, 32, size);
        assert_eq!(
            spread(true, 256 << 20),
            8 << 20,
            "32 parts for 32 connections"
        );
        assert_eq!(
            spread(true, 2 << 30),
            16 << 20,
            "never over the configured size"
        );
        assert_eq!(spread(true, 20 << 20), MIN_PART, "never under 5 MiB");
        assert_eq!(spread(false, 256 << 20), 16 << 20);
    }

    #[test]
    fn growth_plans_leave_bytes_for_the_final_part() {
        let part = MIN_PART;
        assert!(plan_growth(part, 1, 0).is_empty(), "exactly one part: wait");
        let p = plan_growth(part * 2 + 1, 1, 0);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| !p.is_final && p.size == part));
        let more = plan_growth(part * 3 + 1, 3, part * 2);
        assert_eq!((more[0].number, more[0].offset), (3, part * 2));
        assert_eq!(more.len(), 1);
    }

    #[test]
    fn long_takes_fit_in_ten_thousand_parts() {
        assert_eq!(growth_part_size(1), MIN_PART);
        assert_eq!(growth_part_size(2000), MIN_PART);
        assert_eq!(growth_part_size(2001), 2 * MIN_PART);
        assert_eq!(growth_part_size(9999), 16 * MIN_PART);
        let total: u64 = (1..MAX_PARTS as u32).map(growth_part_size).sum();
        assert!(total > 300 << 30, "{} GiB", total >> 30);
    }
}
