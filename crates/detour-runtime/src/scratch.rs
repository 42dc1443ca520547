//! Caller-owned scratch space: every buffer a match needs, reused from one match to the next.

/// Reusable buffers for [`crate::Matcher::find`]. Keep one per thread. A match allocates only
/// when a request is larger than anything the scratch has seen; [`Scratch::with_capacity`]
/// sizes it up front so that never happens.
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) decoded: Vec<u8>,
    pub(crate) segs: Vec<(u32, u32)>,
    pub(crate) caps: Vec<(u32, u32)>,
    pub(crate) capbuf: Vec<u8>,
    pub(crate) qbuf: Vec<u8>,
    pub(crate) to: Vec<u8>,
    pub(crate) target: Vec<u8>,
    pub(crate) tail: Vec<u8>,
    /// The textual substitution's buffers and the loop guard's.
    pub(crate) substitution: SubstitutionScratch,
    pub(crate) jwt: Vec<u8>,
    /// The roles of the request's token, as ranges of `jwt`.
    pub(crate) roles: Vec<(u32, u32)>,
    /// The last host looked up: (blob checksum, scheme, host) and its index. Requests to one
    /// server mostly share a host; the checksum keeps a swapped blob from reusing the index.
    pub(crate) host_cache: HostCache,
    /// The index entries the request's prefixes hit.
    pub(crate) found: Vec<crate::index::Found>,
    /// The hashes of the request path's prefixes.
    pub(crate) hashes: Vec<u64>,
    /// One cursor per rule list the found entries offer.
    pub(crate) streams: Vec<crate::candidates::Stream>,
    /// A request's value for a split (a decoded query value).
    pub(crate) split_value: Vec<u8>,
}

/// The most buckets a request opens in one split: one per prefix length of a segment-prefix split
/// (the compiler keeps at most 8), or two for a language (tag and primary subtag).
const MAX_BUCKETS_PER_SPLIT: usize = 8;

/// Buffers of the textual substitution (SPEC §4) and of the loop guard's own match.
#[derive(Debug, Default)]
pub(crate) struct SubstitutionScratch {
    text: Vec<u8>,
    origin: Vec<u8>,
    text2: Vec<u8>,
    origin2: Vec<u8>,
    guard_path: Vec<u8>,
    guard_segs: Vec<(u32, u32)>,
}

impl SubstitutionScratch {
    /// The substitution's text buffers.
    pub(crate) fn text(&mut self) -> crate::substitute::TextBuffers<'_> {
        crate::substitute::TextBuffers {
            text: &mut self.text,
            origin: &mut self.origin,
            text2: &mut self.text2,
            origin2: &mut self.origin2,
        }
    }

    /// The loop guard's buffers: the substitution's and its own path and segments.
    pub(crate) fn guard(&mut self) -> crate::guard::GuardBuffers<'_> {
        crate::guard::GuardBuffers {
            text: crate::substitute::TextBuffers {
                text: &mut self.text,
                origin: &mut self.origin,
                text2: &mut self.text2,
                origin2: &mut self.origin2,
            },
            path: &mut self.guard_path,
            segs: &mut self.guard_segs,
        }
    }
}

/// See [`Scratch::host_cache`].
#[derive(Debug, Default)]
pub(crate) struct HostCache {
    pub(crate) checksum: u64,
    pub(crate) scheme: Vec<u8>,
    pub(crate) host: Vec<u8>,
    pub(crate) index: Option<u32>,
    pub(crate) valid: bool,
}

impl Scratch {
    /// Scratch for requests of up to 4 KiB.
    pub fn new() -> Scratch {
        Scratch::with_capacity(4096)
    }

    /// Scratch for requests (path, query and cookies) of up to `bytes` bytes each, on blobs
    /// whose scopes have at most 2 key tables each (most blobs); [`crate::Matcher::scratch`]
    /// sizes one for any blob.
    pub fn with_capacity(bytes: usize) -> Scratch {
        Scratch::for_tables(bytes, 2)
    }

    /// Scratch for requests of up to `bytes` bytes on a blob whose host-less scope plus any one
    /// host's have at most `tables` key tables: a request then finds at most one entry per table
    /// and key depth, and opens at most two lists per entry, each through a split's rest and a
    /// bounded number of buckets.
    pub(crate) fn for_tables(bytes: usize, tables: usize) -> Scratch {
        let found = tables.max(1) * (detour_format::MAX_KEY_DEPTH + 1);
        let streams = found * 2 * (1 + MAX_BUCKETS_PER_SPLIT);
        // `to` and the substitution's texts never pass MAX_TO_BYTES (SPEC §4); the target is
        // `to` with each byte encoded to at most 3, plus the request's query encoded the same way.
        let text = crate::MAX_TO_BYTES;
        let out = 3 * text + 3 * bytes + 1;
        Scratch {
            decoded: Vec::with_capacity(bytes),
            segs: Vec::with_capacity(bytes / 2 + 1),
            caps: Vec::with_capacity(64),
            capbuf: Vec::with_capacity(3 * bytes),
            qbuf: Vec::with_capacity(bytes),
            to: Vec::with_capacity(text),
            target: Vec::with_capacity(out),
            tail: Vec::with_capacity(out),
            substitution: SubstitutionScratch {
                text: Vec::with_capacity(text),
                origin: Vec::with_capacity(text),
                text2: Vec::with_capacity(text),
                origin2: Vec::with_capacity(text),
                guard_path: Vec::with_capacity(text),
                guard_segs: Vec::with_capacity(text / 2 + 1),
            },
            jwt: Vec::with_capacity(bytes),
            roles: Vec::with_capacity(crate::jwt::MAX_PLAIN_ROLES),
            host_cache: HostCache {
                scheme: Vec::with_capacity(8),
                host: Vec::with_capacity(256),
                ..HostCache::default()
            },
            found: Vec::with_capacity(found),
            hashes: Vec::with_capacity(detour_format::MAX_KEY_DEPTH + 1),
            streams: Vec::with_capacity(streams),
            split_value: Vec::with_capacity(bytes),
        }
    }
}
