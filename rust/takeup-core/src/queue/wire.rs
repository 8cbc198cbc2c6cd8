//! Parsing the server's answers about uploads, as pure functions: the uploader uses them and the
//! fuzz targets hammer them. Anything unexpected is a [`Disposition`], never a panic.

use serde_json::Value;

use super::classify::Disposition;
use super::journal::PlannedPart;
use super::plan::{MAX_PARTS, check_upload_url, url_expiry_ms};

fn retry(reason: impl Into<String>) -> Disposition {
    Disposition::RetryLater {
        reason: reason.into(),
        after: None,
    }
}

fn json(body: &[u8]) -> Result<Value, Disposition> {
    serde_json::from_slice(body).map_err(|_| retry("the server answered malformed JSON"))
}

/// The id of a created asset (`POST /v2/devices/assets`), and the answer as JSON.
pub fn created_asset_id(body: &[u8]) -> Result<(String, Value), Disposition> {
    let v = json(body)?;
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 100 && !s.contains(['/', '?', '#']))
        .ok_or_else(|| retry("the asset answer has no usable id"))?
        .to_string();
    Ok((id, v))
}

/// The part plan of a standard asset from its `upload_urls` (API §6.2: `n` URLs, parts of
/// `ceil(size / n)` bytes, the last one the remainder).
pub fn standard_plan(
    answer: &Value,
    size: u64,
    allowed_hosts: &[String],
) -> Result<Vec<PlannedPart>, Disposition> {
    let urls = answer
        .get("upload_urls")
        .and_then(Value::as_array)
        .ok_or_else(|| retry("the asset answer has no upload URLs"))?;
    let n = urls.len() as u64;
    if n == 0 || n > MAX_PARTS || (size > 0 && n > size) || (size == 0 && n != 1) {
        return Err(retry(format!(
            "the server planned {n} parts for {size} bytes"
        )));
    }
    let chunk = size.div_ceil(n);
    if n > 1 && (n - 1) * chunk >= size {
        return Err(retry(format!(
            "the server planned {n} parts for {size} bytes"
        )));
    }
    let mut parts = Vec::with_capacity(urls.len());
    for (i, u) in urls.iter().enumerate() {
        let raw = u
            .as_str()
            .ok_or_else(|| retry("an upload URL is not a string"))?;
        let url =
            check_upload_url(raw, allowed_hosts).map_err(|reason| Disposition::Fatal { reason })?;
        let offset = i as u64 * chunk;
        parts.push(PlannedPart {
            number: i as u32 + 1,
            offset,
            size: chunk.min(size - offset),
            is_final: i as u64 + 1 == n,
            url_expires_ms: url_expiry_ms(&url),
            url: Some(raw.to_string()),
        });
    }
    Ok(parts)
}

/// The URLs answered to a real-time part registration, one per requested part, in order.
pub fn part_urls(
    body: &[u8],
    expected: usize,
    allowed_hosts: &[String],
) -> Result<Vec<(String, Option<i64>)>, Disposition> {
    let v = json(body)?;
    let urls = v
        .get("upload_urls")
        .and_then(Value::as_array)
        .filter(|u| u.len() == expected)
        .ok_or_else(|| retry("the server answered a wrong number of part URLs"))?;
    urls.iter()
        .map(|u| {
            let raw = u
                .as_str()
                .ok_or_else(|| retry("a part URL is not a string"))?;
            let url = check_upload_url(raw, allowed_hosts)
                .map_err(|reason| Disposition::Fatal { reason })?;
            Ok((raw.to_string(), url_expiry_ms(&url)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hosts() -> Vec<String> {
        vec!["*.amazonaws.com".into()]
    }

    #[test]
    fn standard_plans_follow_the_api_rule() {
        let v = json!({"upload_urls": ["https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/2"]});
        let p = standard_plan(&v, 21_136_250, &hosts()).unwrap();
        assert_eq!(
            (p[0].size, p[1].size, p[1].offset),
            (10_568_125, 10_568_125, 10_568_125)
        );
        assert!(p[1].is_final && !p[0].is_final);
        // 3 URLs for 2 bytes, none for 10, a number, an http URL: refused.
        assert!(standard_plan(&json!({"upload_urls": ["https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/1"]}), 2, &hosts()).is_err());
        assert!(standard_plan(&json!({"upload_urls": []}), 10, &hosts()).is_err());
        assert!(standard_plan(&json!({"upload_urls": [5]}), 10, &hosts()).is_err());
        assert!(matches!(
            standard_plan(
                &json!({"upload_urls": ["http://a.s3.amazonaws.com/1"]}),
                10,
                &hosts()
            ),
            Err(Disposition::Fatal { .. })
        ));
        // 4 URLs for 5 bytes would leave the last part empty.
        assert!(standard_plan(&json!({"upload_urls": ["https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/1", "https://a.s3.amazonaws.com/1"]}), 5, &hosts()).is_err());
    }

    #[test]
    fn ids_and_part_urls_are_checked() {
        assert_eq!(created_asset_id(br#"{"id":"abc"}"#).unwrap().0, "abc");
        for bad in [
            &br#"{"id":12}"#[..],
            br#"{"id":""}"#,
            br#"{"id":"a/b"}"#,
            b"{",
            b"[]",
        ] {
            assert!(created_asset_id(bad).is_err());
        }
        let ok = part_urls(br#"{"upload_urls":["https://x.s3.amazonaws.com/p?X-Amz-Date=20260101T000000Z&X-Amz-Expires=60"]}"#, 1, &hosts()).unwrap();
        assert!(ok[0].1.is_some());
        assert!(part_urls(br#"{"upload_urls":[]}"#, 1, &hosts()).is_err());
        assert!(matches!(
            part_urls(
                br#"{"upload_urls":["https://evil.example/p"]}"#,
                1,
                &hosts()
            ),
            Err(Disposition::Fatal { .. })
        ));
    }
}
