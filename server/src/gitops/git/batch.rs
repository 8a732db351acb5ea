//! Reading `git cat-file --batch` output as it streams: a blob over the
//! caller's limit is skipped chunk by chunk and never held in memory, so
//! one git process still serves the whole batch. A blob that is not UTF-8
//! is never turned into text: decoded lossily it would look fine to Berth
//! while Argo CD's parser refuses it, and an edit would write U+FFFD over
//! lines nobody meant to change.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// One requested `rev:path`.
#[derive(Debug, Clone, PartialEq)]
pub enum Blob {
    /// No such path at that revision (or it is a directory).
    Missing,
    /// A file over the limit; its content was not read.
    TooLarge {
        size: u64,
    },
    /// A file whose bytes are not UTF-8; its content is dropped. `byte` is
    /// the 1-based position of the first byte that is not, on 1-based
    /// `line`, so the person can find it.
    NotUtf8 {
        size: u64,
        byte: u64,
        line: usize,
    },
    Text(String),
}

impl Blob {
    /// The blob for `content`, as text only if all of it is UTF-8.
    fn from_bytes(content: Vec<u8>) -> Blob {
        match String::from_utf8(content) {
            Ok(text) => Blob::Text(text),
            Err(err) => {
                let valid = err.utf8_error().valid_up_to();
                let bytes = err.as_bytes();
                let newlines = bytes[..valid].iter().filter(|b| **b == b'\n').count();
                Blob::NotUtf8 {
                    size: bytes.len() as u64,
                    byte: valid as u64 + 1,
                    line: newlines + 1,
                }
            }
        }
    }
}

/// Reads `expected` answers from `out`, keeping blobs of at most `max_bytes`.
pub(super) async fn read_batch<R: AsyncBufRead + Unpin>(
    mut out: R,
    expected: usize,
    max_bytes: u64,
) -> Result<Vec<Blob>, String> {
    let mut blobs = Vec::with_capacity(expected);
    let mut header = Vec::new();
    while blobs.len() < expected {
        header.clear();
        out.read_until(b'\n', &mut header)
            .await
            .map_err(|err| err.to_string())?;
        if header.pop() != Some(b'\n') {
            return Err("truncated output".into());
        }
        let header = std::str::from_utf8(&header).map_err(|_| "header is not UTF-8")?;
        let fields: Vec<&str> = header.split(' ').collect();
        // "<spec> missing", "<spec> ambiguous": no content follows.
        let [_, kind, size] = fields[..] else {
            blobs.push(Blob::Missing);
            continue;
        };
        let size: u64 = size.parse().map_err(|_| "bad size")?;
        if kind == "blob" && size <= max_bytes {
            let mut content = vec![0; usize::try_from(size).map_err(|_| "bad size")?];
            out.read_exact(&mut content)
                .await
                .map_err(|_| "truncated blob")?;
            blobs.push(Blob::from_bytes(content));
            skip(&mut out, 1).await?;
        } else {
            // A tree where a file was expected, or a blob too large to keep.
            skip(&mut out, size + 1).await?;
            blobs.push(match kind {
                "blob" => Blob::TooLarge { size },
                _ => Blob::Missing,
            });
        }
    }
    Ok(blobs)
}

async fn skip<R: AsyncBufRead + Unpin>(out: &mut R, bytes: u64) -> Result<(), String> {
    let skipped = tokio::io::copy(&mut out.take(bytes), &mut tokio::io::sink())
        .await
        .map_err(|err| err.to_string())?;
    if skipped == bytes {
        Ok(())
    } else {
        Err("truncated object".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn missing_objects_and_trees_are_missing() {
        let out: &[u8] = b"abc blob 5\nhello\nHEAD:nope missing\ndef blob 0\n\nfff tree 3\nxyz\n";
        let blobs = read_batch(out, 4, u64::MAX).await.unwrap();
        assert_eq!(
            blobs,
            [
                Blob::Text("hello".into()),
                Blob::Missing,
                Blob::Text(String::new()),
                Blob::Missing
            ]
        );
    }

    #[tokio::test]
    async fn blobs_over_the_limit_are_skipped_and_the_next_one_is_read() {
        let big = "x".repeat(100);
        let out = format!("a blob 100\n{big}\nb blob 2\nok\n");
        let blobs = read_batch(out.as_bytes(), 2, 10).await.unwrap();
        assert_eq!(
            blobs,
            [Blob::TooLarge { size: 100 }, Blob::Text("ok".into())]
        );
    }

    #[tokio::test]
    async fn a_blob_that_is_not_utf8_is_never_decoded() {
        // Latin-1 `é` on line 2; then a UTF-8 sequence cut short; then fine.
        let out: &[u8] =
            b"a blob 12\na: 1\n# caf\xe9\n\nb blob 4\nab\xe2\x82\nc blob 3\n\xc3\xa9\n\n";
        let blobs = read_batch(out, 3, u64::MAX).await.unwrap();
        assert_eq!(
            blobs,
            [
                Blob::NotUtf8 {
                    size: 12,
                    byte: 11,
                    line: 2
                },
                Blob::NotUtf8 {
                    size: 4,
                    byte: 3,
                    line: 1
                },
                Blob::Text("é\n".into()),
            ]
        );
    }

    #[tokio::test]
    async fn truncated_output_is_an_error() {
        assert!(read_batch(&b"abc blob 50\nhello\n"[..], 1, u64::MAX)
            .await
            .is_err());
        assert!(read_batch(&b"abc blob 50\nhello\n"[..], 1, 10)
            .await
            .is_err());
        assert!(read_batch(&b""[..], 1, 10).await.is_err());
    }
}
