//! Building the segment tries: one per `scheme://host`, one for host-less rules.

use std::collections::BTreeMap;

use detour_format::{edge_hash, slot_table, Edge, Node, Span, NONE};

use crate::pool::Pool;
use crate::CompileError;

#[derive(Default)]
struct NodeBuilder {
    children: BTreeMap<Vec<u8>, u32>,
    placeholder: Option<u32>,
    terminal: Vec<u32>,
    splat: Vec<u32>,
}

/// All tries of a site, sharing one node array.
#[derive(Default)]
pub struct Tries {
    nodes: Vec<NodeBuilder>,
}

/// The built arrays.
pub struct BuiltTries {
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub edge_slots: Vec<u32>,
    pub rule_ids: Vec<u32>,
}

impl Tries {
    /// A new empty trie; returns its root.
    pub fn new_root(&mut self) -> u32 {
        self.nodes.push(NodeBuilder::default());
        (self.nodes.len() - 1) as u32
    }

    fn child(&mut self, node: u32, step: &Option<Vec<u8>>) -> u32 {
        let existing = match step {
            Some(label) => self.nodes[node as usize].children.get(label).copied(),
            None => self.nodes[node as usize].placeholder,
        };
        if let Some(c) = existing {
            return c;
        }
        let c = self.new_root();
        match step {
            Some(label) => {
                self.nodes[node as usize].children.insert(label.clone(), c);
            }
            None => self.nodes[node as usize].placeholder = Some(c),
        }
        c
    }

    /// Adds a rule under `root` at the path of `steps` (`None` is a placeholder).
    pub fn insert(&mut self, root: u32, steps: &[Option<Vec<u8>>], splat: bool, rule: u32) {
        let mut node = root;
        for step in steps {
            node = self.child(node, step);
        }
        let n = &mut self.nodes[node as usize];
        if splat {
            n.splat.push(rule);
        } else {
            n.terminal.push(rule);
        }
    }

    /// Flattens the tries: nodes with subtree min/max rule, edges and their hash table.
    pub fn build(self, pool: &mut Pool) -> Result<BuiltTries, CompileError> {
        let mut rule_ids = Vec::new();
        let mut nodes: Vec<Node> = Vec::with_capacity(self.nodes.len());
        let mut push_ids = |ids: &[u32]| -> Span {
            let span = Span { start: rule_ids.len() as u32, len: ids.len() as u32 };
            rule_ids.extend_from_slice(ids);
            span
        };
        for b in &self.nodes {
            let own = b.terminal.iter().chain(&b.splat);
            nodes.push(Node {
                placeholder: b.placeholder.unwrap_or(NONE),
                terminal: push_ids(&b.terminal),
                splat: push_ids(&b.splat),
                min_rule: own.clone().copied().min().unwrap_or(NONE),
                max_rule: own.copied().max().unwrap_or(0),
            });
        }
        // Children are created after their parents, so a reverse pass sees children first.
        for id in (0..self.nodes.len()).rev() {
            let b = &self.nodes[id];
            for &c in b.children.values().chain(b.placeholder.iter()) {
                let (cmin, cmax) = (nodes[c as usize].min_rule, nodes[c as usize].max_rule);
                let n = &mut nodes[id];
                n.min_rule = n.min_rule.min(cmin);
                n.max_rule = n.max_rule.max(cmax);
            }
        }
        let mut edges = Vec::new();
        let mut hashes = Vec::new();
        for (parent, b) in self.nodes.iter().enumerate() {
            for (label, &child) in &b.children {
                edges.push(Edge { parent: parent as u32, label: pool.add(label)?, child });
                hashes.push(edge_hash(parent as u32, label));
            }
        }
        u32::try_from(edges.len()).map_err(|_| CompileError::TooLarge("edges"))?;
        let edge_slots = slot_table(hashes.into_iter());
        Ok(BuiltTries { nodes, edges, edge_slots, rule_ids })
    }
}
