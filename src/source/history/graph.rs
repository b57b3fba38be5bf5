//! The commit graph side of a history scan: which commits to visit, in which
//! order, and which blobs each of them introduced at which path.
//!
//! Commits are visited parents-first (oldest commit time first among those
//! ready), so the first time a blob is seen is the commit that introduced it.
//! Each commit's tree is compared with its parents' trees; subtrees whose ids
//! did not change are skipped without being read, which keeps the walk
//! proportional to what changed rather than to the size of every snapshot.
//! Only ids and small indices are kept in memory, never blob contents.

use gix::hash::ObjectId;
use gix::objs::FindExt;
use std::collections::{BinaryHeap, HashMap, HashSet};

/// A commit that introduced at least one blob, with what the walk needs later.
#[derive(Debug, Clone)]
pub struct CommitRec {
    /// The commit id (for an object a ref points at directly, that object).
    pub id: ObjectId,
    /// For a tree or blob a ref points at directly (not through a commit):
    /// the ref's name, which stands in for the commit message.
    pub label: Option<String>,
}

/// Where a blob appeared: a commit (index into [`Index::commits`]) and a path
/// (index into [`Index::paths`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Intro {
    /// Index of the commit in visit order (lower = older).
    pub commit: u32,
    /// Index of the interned path.
    pub path: u32,
}

/// Everything the walk learnt: commits, interned paths, and for every blob
/// the list of (commit, path) that introduced it, oldest first.
#[derive(Debug, Default)]
pub struct Index {
    /// Commits that introduced at least one blob, in visit order.
    pub commits: Vec<CommitRec>,
    /// Interned repository paths (`/`-separated).
    pub paths: Vec<String>,
    path_ids: HashMap<Vec<u8>, u32>,
    /// Blob id → introductions, oldest first; blobs in first-seen order.
    pub blobs: Vec<(ObjectId, Vec<Intro>)>,
    blob_ids: HashMap<ObjectId, u32>,
    /// Commits or trees that could not be read (shallow or damaged clones).
    pub unreadable: Vec<(ObjectId, String)>,
}

impl Index {
    /// The index of `path`, and whether it is new.
    pub(super) fn intern(&mut self, path: &[u8]) -> (u32, bool) {
        if let Some(&i) = self.path_ids.get(path) {
            return (i, false);
        }
        let i = self.paths.len() as u32;
        self.paths.push(String::from_utf8_lossy(path).into_owned());
        self.path_ids.insert(path.to_vec(), i);
        (i, true)
    }

    /// Records that `intro` introduced `blob`; returns the blob's index in
    /// [`Index::blobs`].
    pub(super) fn record(&mut self, blob: ObjectId, intro: Intro) -> usize {
        match self.blob_ids.get(&blob) {
            Some(&i) => {
                self.blobs[i as usize].1.push(intro);
                i as usize
            }
            None => {
                let i = self.blobs.len();
                self.blob_ids.insert(blob, i as u32);
                self.blobs.push((blob, vec![intro]));
                i
            }
        }
    }
}

/// A commit as the walk needs it (dropped once the walk is done).
struct Node {
    id: ObjectId,
    tree: ObjectId,
    parents: Vec<ObjectId>,
    time: i64,
}

/// Reads a commit's tree, parents and committer time.
fn read_commit(repo: &gix::Repository, id: &ObjectId, buf: &mut Vec<u8>) -> Result<Node, String> {
    let c = repo
        .objects
        .find_commit(id, buf)
        .map_err(|e| e.to_string())?;
    Ok(Node {
        id: *id,
        tree: c.tree(),
        parents: c.parents().collect(),
        time: c.committer.seconds(),
    })
}

/// Every commit reachable from `tips`, as ids (used for `--since`).
pub fn ancestors(repo: &gix::Repository, tips: &[ObjectId]) -> HashSet<ObjectId> {
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut stack: Vec<ObjectId> = tips.to_vec();
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        // A missing commit (shallow boundary) simply ends that line.
        if let Ok(n) = read_commit(repo, &id, &mut buf) {
            stack.extend(n.parents.into_iter().filter(|p| !seen.contains(p)));
        }
    }
    seen
}

/// Min-heap entry: oldest commit time first, then discovery order for a
/// deterministic result.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Ready(std::cmp::Reverse<(i64, usize)>);

/// The commits of a walk, read and put in visit order (parents first,
/// oldest ready commit first), before any tree is compared.
pub struct Plan {
    nodes: Vec<Node>,
    pos: HashMap<ObjectId, usize>,
    order: Vec<usize>,
    /// Commits that could not be read (shallow or damaged clones).
    pub unreadable: Vec<(ObjectId, String)>,
}

/// The (path, blob) pairs one commit (or tagged tree) introduced, or why
/// its trees could not be read.
pub type Introduced = Result<Vec<(Vec<u8>, ObjectId)>, String>;

/// Reads every commit reachable from `tips` but not in `hidden` and orders
/// them parents before children.
pub fn plan(repo: &gix::Repository, tips: &[ObjectId], hidden: &HashSet<ObjectId>) -> Plan {
    let mut buf = Vec::new();
    let mut unreadable = Vec::new();

    // Commits at the edge of a shallow clone: their parents are absent, so
    // they are treated as roots (their whole tree counts as introduced).
    let shallow: HashSet<ObjectId> = match repo.shallow_commits() {
        Ok(Some(list)) => list.iter().copied().collect(),
        _ => HashSet::new(),
    };

    // 1. Collect the visible commits.
    let mut nodes: Vec<Node> = Vec::new();
    let mut pos: HashMap<ObjectId, usize> = HashMap::new();
    let mut stack: Vec<ObjectId> = tips
        .iter()
        .filter(|t| !hidden.contains(*t))
        .copied()
        .collect();
    while let Some(id) = stack.pop() {
        if pos.contains_key(&id) {
            continue;
        }
        match read_commit(repo, &id, &mut buf) {
            Ok(mut n) => {
                if shallow.contains(&id) {
                    n.parents.clear();
                }
                for p in &n.parents {
                    if !hidden.contains(p) && !pos.contains_key(p) {
                        stack.push(*p);
                    }
                }
                pos.insert(id, nodes.len());
                nodes.push(n);
            }
            Err(e) => unreadable.push((id, e)),
        }
    }

    // 2. Order them parents-first, oldest ready commit first (Kahn).
    let mut pending: Vec<usize> = vec![0; nodes.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        for p in &n.parents {
            if let Some(&pi) = pos.get(p) {
                pending[i] += 1;
                children[pi].push(i);
            }
        }
    }
    let mut heap: BinaryHeap<Ready> = pending
        .iter()
        .enumerate()
        .filter(|(_, &d)| d == 0)
        .map(|(i, _)| Ready(std::cmp::Reverse((nodes[i].time, i))))
        .collect();
    let mut order = Vec::with_capacity(nodes.len());
    while let Some(Ready(std::cmp::Reverse((_, i)))) = heap.pop() {
        for &c in &children[i] {
            pending[c] -= 1;
            if pending[c] == 0 {
                heap.push(Ready(std::cmp::Reverse((nodes[c].time, c))));
            }
        }
        order.push(i);
    }
    Plan {
        nodes,
        pos,
        order,
        unreadable,
    }
}

impl Plan {
    /// Number of commits the walk visits.
    pub fn len(&self) -> u64 {
        self.order.len() as u64
    }

    /// Whether there is no commit to visit.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Compares every commit's tree with its parents' in visit order and
    /// hands `each` the commit and the blobs it introduced, so the first
    /// time a blob is seen is the commit that introduced it.
    pub fn walk(&self, repo: &gix::Repository, each: &mut dyn FnMut(ObjectId, Introduced)) {
        let mut buf = Vec::new();
        let mut differ = TreeDiff::default();
        for &i in &self.order {
            let node = &self.nodes[i];
            each(
                node.id,
                introduced(repo, node, &self.nodes, &self.pos, &mut differ, &mut buf),
            );
        }
    }
}

/// The trees and blobs refs point at directly (`git tag t <tree-or-blob>`),
/// which no commit reaches, each handed to `each` with the ref's name after
/// every commit: a blob is introduced under the ref's name, a tree's blobs
/// under their paths in it.
pub fn tagged(
    repo: &gix::Repository,
    tagged: &[(String, ObjectId, bool)],
    each: &mut dyn FnMut(&str, ObjectId, Introduced),
) {
    let mut differ = TreeDiff::default();
    for (name, id, is_tree) in tagged {
        let blobs = if *is_tree {
            differ.added(repo, None, *id)
        } else {
            Ok(vec![(name.as_bytes().to_vec(), *id)])
        };
        each(name, *id, blobs);
    }
}

/// The (path, blob) pairs `node` introduced: present in its tree but not at
/// the same path with the same id in any parent. A merge therefore only
/// contributes what its conflict resolution (or an evil merge) added.
fn introduced(
    repo: &gix::Repository,
    node: &Node,
    nodes: &[Node],
    pos: &HashMap<ObjectId, usize>,
    differ: &mut TreeDiff,
    buf: &mut Vec<u8>,
) -> Result<Vec<(Vec<u8>, ObjectId)>, String> {
    let mut parent_trees = Vec::with_capacity(node.parents.len());
    for p in &node.parents {
        let tree = match pos.get(p) {
            Some(&i) => Some(nodes[i].tree),
            // Hidden (`--since`) or shallow parents still serve as a baseline
            // when they can be read.
            None => read_commit(repo, p, buf).ok().map(|n| n.tree),
        };
        parent_trees.push(tree);
    }
    let first = parent_trees.first().copied().flatten();
    let mut out = differ.added(repo, first, node.tree)?;
    for other in parent_trees.iter().skip(1) {
        if out.is_empty() {
            break;
        }
        let also: HashSet<(Vec<u8>, ObjectId)> =
            differ.added(repo, *other, node.tree)?.into_iter().collect();
        out.retain(|x| also.contains(x));
    }
    Ok(out)
}

/// Tree comparison with a buffer per depth, reused across commits.
#[derive(Default)]
struct TreeDiff {
    bufs: Vec<(Vec<u8>, Vec<u8>)>,
    path: Vec<u8>,
}

impl TreeDiff {
    /// Blobs in `new` that are not at the same path with the same id in `old`.
    fn added(
        &mut self,
        repo: &gix::Repository,
        old: Option<ObjectId>,
        new: ObjectId,
    ) -> Result<Vec<(Vec<u8>, ObjectId)>, String> {
        let mut out = Vec::new();
        self.path.clear();
        self.recurse(repo, old, new, 0, &mut out)?;
        Ok(out)
    }

    fn recurse(
        &mut self,
        repo: &gix::Repository,
        old: Option<ObjectId>,
        new: ObjectId,
        depth: usize,
        out: &mut Vec<(Vec<u8>, ObjectId)>,
    ) -> Result<(), String> {
        if old == Some(new) {
            return Ok(());
        }
        if self.bufs.len() <= depth {
            self.bufs.resize_with(depth + 1, Default::default);
        }
        let (mut new_buf, mut old_buf) = std::mem::take(&mut self.bufs[depth]);
        let result = self.compare(repo, old, new, depth, &mut new_buf, &mut old_buf, out);
        self.bufs[depth] = (new_buf, old_buf);
        result
    }

    #[allow(clippy::too_many_arguments)]
    fn compare(
        &mut self,
        repo: &gix::Repository,
        old: Option<ObjectId>,
        new: ObjectId,
        depth: usize,
        new_buf: &mut Vec<u8>,
        old_buf: &mut Vec<u8>,
        out: &mut Vec<(Vec<u8>, ObjectId)>,
    ) -> Result<(), String> {
        let new_tree = repo
            .objects
            .find_tree(&new, new_buf)
            .map_err(|e| format!("tree {new}: {e}"))?;
        // An unreadable old tree is treated as empty: everything is new.
        let old_entries: HashMap<&[u8], (gix::objs::tree::EntryMode, ObjectId)> = match old {
            Some(o) => match repo.objects.find_tree(&o, old_buf) {
                Ok(t) => t
                    .entries
                    .iter()
                    .map(|e| (e.filename.as_ref(), (e.mode, e.oid.to_owned())))
                    .collect(),
                Err(_) => HashMap::new(),
            },
            None => HashMap::new(),
        };
        for e in &new_tree.entries {
            let before = old_entries.get(e.filename.as_ref() as &[u8]);
            let len = self.path.len();
            if e.mode.is_tree() {
                let old_sub = before.filter(|(m, _)| m.is_tree()).map(|(_, id)| *id);
                if old_sub == Some(e.oid.to_owned()) {
                    continue;
                }
                self.path.extend_from_slice(e.filename);
                self.path.push(b'/');
                let r = self.recurse(repo, old_sub, e.oid.to_owned(), depth + 1, out);
                self.path.truncate(len);
                r?;
            } else if e.mode.is_blob() {
                // Symlinks (their target path) and submodules (a commit id)
                // carry no content of this repository.
                if before.is_some_and(|(m, id)| m.is_blob() && id.as_ref() == e.oid) {
                    continue;
                }
                self.path.extend_from_slice(e.filename);
                out.push((self.path.clone(), e.oid.to_owned()));
                self.path.truncate(len);
            }
        }
        Ok(())
    }
}
