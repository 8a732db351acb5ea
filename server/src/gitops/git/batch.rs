//! Reading `git cat-file --batch` output as it streams: a blob over the
//! caller's limit is skipped chunk by chunk and never held in memory, so
//! one git process still serves the whole batch.

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
    Text(String),
}

impl Blob {
    /// The text, if it was read.
    pub fn text(self) -> Option<String> {
        match self {
            Blob::Text(text) => Some(text),
            _ => None,
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
            blobs.push(Blob::Text(String::from_utf8_lossy(&content).into_owned()));
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
