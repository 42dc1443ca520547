//! Handles instead of pointers: a 64-bit value naming a slot of a process-wide table and the
//! slot's generation. Freeing empties the slot, and the next value stored there gets a new
//! generation, so a freed, doubly freed, zero or forged handle finds nothing: it is reported as
//! stale, never dereferenced.
//!
//! Layout (bit 63 always clear, so bindings may carry a handle in a signed or pointer-sized
//! integer): bits 0-23 slot index, bits 24-31 the kind of table, bits 32-62 the generation
//! (1 or more; zero is never issued).

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

/// The kind of value a table holds; part of every handle, so a matcher handle is stale in the
/// compilation table and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Matcher = 1,
    Compilation = 2,
}

/// Slots per chunk; chunks are allocated on first use.
const CHUNK: usize = 1024;
/// Chunks per table: at most 1,048,576 live handles of one kind.
const CHUNKS: usize = 1024;
/// A slot whose generation would pass this is retired, never reused, so a generation never
/// wraps around to an old handle's value.
const MAX_GENERATION: u32 = (1 << 31) - 1;

/// The parts of a handle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Parts {
    index: u32,
    kind: u8,
    generation: u32,
}

impl Parts {
    fn encode(self) -> u64 {
        (u64::from(self.generation) << 32) | (u64::from(self.kind) << 24) | u64::from(self.index)
    }

    fn decode(handle: u64) -> Parts {
        Parts {
            index: (handle & 0x00ff_ffff) as u32,
            kind: ((handle >> 24) & 0xff) as u8,
            generation: (handle >> 32) as u32,
        }
    }
}

struct Slot<T> {
    /// The generation of the last value stored here (0: never used).
    generation: u32,
    value: Option<Arc<T>>,
}

/// Slots that are free for reuse, and the first slot never used.
struct FreeList {
    free: Vec<u32>,
    next_unused: u32,
}

/// A chunk of slots, allocated on first use.
type Chunk<T> = OnceLock<Box<[Mutex<Slot<T>>]>>;

/// No more slots.
#[derive(Debug)]
pub(crate) struct TableFull;

/// A process-wide table of shared values, named by handles.
pub(crate) struct Table<T> {
    kind: Kind,
    chunks: [Chunk<T>; CHUNKS],
    free: Mutex<FreeList>,
}

/// Locks, ignoring poison: no code panics while holding a table lock, and the data is valid
/// after any step of it.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<T> Table<T> {
    pub(crate) const fn new(kind: Kind) -> Table<T> {
        Table {
            kind,
            chunks: [const { OnceLock::new() }; CHUNKS],
            free: Mutex::new(FreeList { free: Vec::new(), next_unused: 0 }),
        }
    }

    /// The slot at `index`, when its chunk exists.
    fn slot(&self, index: u32) -> Option<&Mutex<Slot<T>>> {
        let index = index as usize;
        self.chunks.get(index / CHUNK)?.get()?.get(index % CHUNK)
    }

    /// The slot at `index`, creating its chunk. `index` comes from the free list, so it is in
    /// range.
    fn slot_or_create(&self, index: u32) -> Option<&Mutex<Slot<T>>> {
        let index = index as usize;
        let chunk = self
            .chunks
            .get(index / CHUNK)?
            .get_or_init(|| (0..CHUNK).map(|_| Mutex::new(Slot { generation: 0, value: None })).collect());
        chunk.get(index % CHUNK)
    }

    fn take_free_index(&self) -> Option<u32> {
        let mut free = lock(&self.free);
        if let Some(index) = free.free.pop() {
            return Some(index);
        }
        if free.next_unused as usize >= CHUNK * CHUNKS {
            return None;
        }
        free.next_unused += 1;
        Some(free.next_unused - 1)
    }

    /// Stores a value; returns its handle.
    pub(crate) fn insert(&self, value: T) -> Result<u64, TableFull> {
        let value = Arc::new(value);
        loop {
            let index = self.take_free_index().ok_or(TableFull)?;
            let slot = self.slot_or_create(index).ok_or(TableFull)?;
            let mut slot = lock(slot);
            if slot.generation >= MAX_GENERATION {
                continue; // retired: never handed out again
            }
            slot.generation += 1;
            slot.value = Some(value);
            return Ok(Parts { index, kind: self.kind as u8, generation: slot.generation }.encode());
        }
    }

    /// The slot a handle names, if the handle is of this table's kind and the slot exists.
    fn slot_of(&self, handle: u64) -> Option<(&Mutex<Slot<T>>, u32)> {
        let parts = Parts::decode(handle);
        if parts.kind != self.kind as u8 || parts.generation == 0 {
            return None;
        }
        Some((self.slot(parts.index)?, parts.generation))
    }

    /// The value of a live handle. The caller's `Arc` keeps it alive through a concurrent
    /// free or replace.
    pub(crate) fn get(&self, handle: u64) -> Option<Arc<T>> {
        let (slot, generation) = self.slot_of(handle)?;
        let slot = lock(slot);
        if slot.generation != generation {
            return None;
        }
        slot.value.clone()
    }

    /// Replaces the value of a live handle, atomically for every caller of [`Table::get`];
    /// returns the old value (dropped by the caller, outside the lock).
    pub(crate) fn replace(&self, handle: u64, value: T) -> Option<Arc<T>> {
        let (slot, generation) = self.slot_of(handle)?;
        let mut slot = lock(slot);
        if slot.generation != generation || slot.value.is_none() {
            return None;
        }
        slot.value.replace(Arc::new(value))
    }

    /// Frees a live handle: later uses of it are stale. Returns the value (alive until calls
    /// in flight finish with it).
    pub(crate) fn remove(&self, handle: u64) -> Option<Arc<T>> {
        let (slot, generation) = self.slot_of(handle)?;
        let value = {
            let mut slot = lock(slot);
            if slot.generation != generation {
                return None;
            }
            slot.value.take()?
        };
        lock(&self.free).free.push(Parts::decode(handle).index);
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_round_trips_and_keeps_bit_63_clear() {
        let parts = Parts { index: 0x00ab_cdef, kind: 2, generation: MAX_GENERATION };
        assert_eq!(Parts::decode(parts.encode()), parts);
        assert_eq!(parts.encode() >> 63, 0);
    }

    #[test]
    fn a_freed_slot_is_reused_under_a_new_generation() {
        let table: Table<u32> = Table::new(Kind::Matcher);
        let first = table.insert(1).unwrap();
        assert_eq!(table.remove(first).as_deref(), Some(&1));
        let second = table.insert(2).unwrap();
        assert_eq!(Parts::decode(first).index, Parts::decode(second).index);
        assert_ne!(first, second);
        assert!(table.get(first).is_none(), "the old handle must not see the new value");
        assert!(table.remove(first).is_none() && table.replace(first, 3).is_none());
        assert_eq!(table.get(second).as_deref(), Some(&2));
    }

    #[test]
    fn a_retired_slot_is_skipped() {
        let table: Table<u32> = Table::new(Kind::Matcher);
        let h = table.insert(1).unwrap();
        table.remove(h);
        lock(table.slot(0).unwrap()).generation = MAX_GENERATION;
        let next = table.insert(2).unwrap();
        assert_eq!(Parts::decode(next).index, 1, "slot 0 is retired");
        assert!(table.get(h).is_none());
    }

    #[test]
    fn a_handle_of_another_kind_is_stale() {
        let table: Table<u32> = Table::new(Kind::Matcher);
        let h = table.insert(1).unwrap();
        let other = Parts { kind: Kind::Compilation as u8, ..Parts::decode(h) }.encode();
        assert!(table.get(other).is_none());
    }
}
