//! Names (users, contacts, threads, tickets) interned per account: every name
//! is stored once, in one string, and found again through a hash table of
//! indices, so a name costs its bytes, four bytes of offset and a table slot,
//! not two heap allocations.

use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};

use hashbrown::HashTable;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

type Hashing = BuildHasherDefault<DefaultHasher>;

/// Names by index, in the order they were first seen.
#[derive(Debug, Clone, Default)]
pub(crate) struct Interner {
    text: String,
    /// Where each name ends in `text`; name `i` starts where `i - 1` ends.
    ends: Vec<u32>,
    table: HashTable<u32>,
}

fn hash(name: &str) -> u64 {
    Hashing::default().hash_one(name)
}

fn name_in<'a>(text: &'a str, ends: &[u32], index: u32) -> &'a str {
    let index = index as usize;
    let start = if index == 0 {
        0
    } else {
        ends[index - 1] as usize
    };
    &text[start..ends[index] as usize]
}

impl Interner {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The index of `name`, if it was interned.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.table
            .find(hash(name), |index| {
                name_in(&self.text, &self.ends, *index) == name
            })
            .copied()
    }

    /// The index of `name`, interning it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(found) = self.get(name) {
            return found;
        }
        let index = self.ends.len() as u32;
        self.text.push_str(name);
        self.ends.push(self.text.len() as u32);
        let (text, ends) = (&self.text, &self.ends);
        self.table
            .insert_unique(hash(name), index, |index| hash(name_in(text, ends, *index)));
        index
    }

    /// The name at `index` (one `intern` returned).
    pub fn name(&self, index: u32) -> &str {
        name_in(&self.text, &self.ends, index)
    }

    /// Every name, in index order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|index| name_in(&self.text, &self.ends, index))
    }

    pub fn shrink_to_fit(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink_to_fit();
        let (text, ends) = (&self.text, &self.ends);
        self.table
            .shrink_to_fit(|index| hash(name_in(text, ends, *index)));
    }
}

impl std::ops::Index<usize> for Interner {
    type Output = str;

    fn index(&self, index: usize) -> &str {
        name_in(&self.text, &self.ends, index as u32)
    }
}

/// A checkpoint keeps the names; the table is rebuilt when read.
impl Serialize for Interner {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (&self.text, &self.ends).serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Interner {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (text, ends): (String, Vec<u32>) = Deserialize::deserialize(deserializer)?;
        let valid = ends.windows(2).all(|pair| pair[0] <= pair[1])
            && ends.last().is_none_or(|end| *end as usize == text.len())
            && ends.iter().all(|end| text.is_char_boundary(*end as usize));
        if !valid {
            return Err(serde::de::Error::custom("interned names out of bounds"));
        }
        let mut table = HashTable::with_capacity(ends.len());
        for index in 0..ends.len() as u32 {
            table.insert_unique(hash(name_in(&text, &ends, index)), index, |index| {
                hash(name_in(&text, &ends, *index))
            });
        }
        Ok(Interner { text, ends, table })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_interned_once_and_found_again() {
        let mut names = Interner::default();
        assert_eq!(names.intern("ana@acme.example"), 0);
        assert_eq!(names.intern("bo"), 1);
        assert_eq!(names.intern("ana@acme.example"), 0);
        assert_eq!(names.intern(""), 2);
        assert_eq!(names.len(), 3);
        assert_eq!(&names[1], "bo");
        assert_eq!(&names[2], "");
        assert_eq!(names.get("bo"), Some(1));
        assert_eq!(names.get("nobody"), None);
        let many: Vec<String> = (0..1000).map(|index| format!("user-{index}")).collect();
        for name in &many {
            names.intern(name);
        }
        names.shrink_to_fit();
        let read: Interner = postcard::from_bytes(&postcard::to_allocvec(&names).unwrap()).unwrap();
        for (index, name) in many.iter().enumerate() {
            assert_eq!(read.get(name), Some(index as u32 + 3));
            assert_eq!(&read[index + 3], name.as_str());
        }
        let broken = postcard::to_allocvec(&("ab".to_string(), vec![1u32, 5])).unwrap();
        assert!(postcard::from_bytes::<Interner>(&broken).is_err());
    }
}
