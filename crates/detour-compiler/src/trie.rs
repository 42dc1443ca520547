//! Building the segment tries: one per `scheme://host`, one for host-less rules.

use detour_format::{edge_hash, slot_table, Edge, Node, Span, NONE};
use xxhash_rust::xxh3::xxh3_64_with_seed;

use crate::pool::{HashIndex, Pool};
use crate::CompileError;

#[derive(Default)]
struct NodeBuilder {
    placeholder: Option<u32>,
    terminal: Vec<u32>,
    splat: Vec<u32>,
}

/// All tries of a site, sharing one node array. Edges live in one map (not one map per node),
/// kept in creation order so the output is deterministic.
#[derive(Default)]
pub struct Tries {
    nodes: Vec<NodeBuilder>,
    /// (parent, label, child), in creation order.
    edges: Vec<(u32, Vec<u8>, u32)>,
    /// Edges by the hash of (parent, label): indices into `edges`.
    by_key: HashIndex<Vec<u32>>,
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
        match step {
            None => match self.nodes[node as usize].placeholder {
                Some(c) => c,
                None => {
                    let c = self.new_root();
                    self.nodes[node as usize].placeholder = Some(c);
                    c
                }
            },
            Some(label) => {
                let key = xxh3_64_with_seed(label, u64::from(node));
                if let Some(list) = self.by_key.get(&key) {
                    for &e in list {
                        let (parent, l, child) = &self.edges[e as usize];
                        if *parent == node && l == label {
                            return *child;
                        }
                    }
                }
                let c = self.new_root();
                self.by_key.entry(key).or_default().push(self.edges.len() as u32);
                self.edges.push((node, label.clone(), c));
                c
            }
        }
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
        for b in &self.nodes {
            let mut push_ids = |ids: &[u32]| -> Span {
                let span = Span { start: rule_ids.len() as u32, len: ids.len() as u32 };
                rule_ids.extend_from_slice(ids);
                span
            };
            let own = b.terminal.iter().chain(&b.splat);
            nodes.push(Node {
                placeholder: b.placeholder.unwrap_or(NONE),
                terminal: push_ids(&b.terminal),
                splat: push_ids(&b.splat),
                min_rule: own.clone().copied().min().unwrap_or(NONE),
                max_rule: own.copied().max().unwrap_or(0),
            });
        }
        // Children are created after their parents: a reverse pass sees every child first.
        let mut children: Vec<(u32, u32)> = self.edges.iter().map(|&(p, _, c)| (p, c)).collect();
        children.extend(self.nodes.iter().enumerate().filter_map(|(i, b)| b.placeholder.map(|c| (i as u32, c))));
        children.sort_unstable_by_key(|&(p, c)| (std::cmp::Reverse(p), c));
        for (parent, child) in children {
            let (cmin, cmax) = (nodes[child as usize].min_rule, nodes[child as usize].max_rule);
            let n = &mut nodes[parent as usize];
            n.min_rule = n.min_rule.min(cmin);
            n.max_rule = n.max_rule.max(cmax);
        }
        u32::try_from(self.edges.len()).map_err(|_| CompileError::TooLarge("edges"))?;
        let mut edges = Vec::with_capacity(self.edges.len());
        let mut hashes = Vec::with_capacity(self.edges.len());
        for (parent, label, child) in &self.edges {
            edges.push(Edge { parent: *parent, label: pool.add(label)?, child: *child });
            hashes.push(edge_hash(*parent, label));
        }
        let edge_slots = slot_table(hashes.into_iter());
        Ok(BuiltTries { nodes, edges, edge_slots, rule_ids })
    }
}
