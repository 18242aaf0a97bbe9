//! `workspace diff`: the local file against the remote workspace, cohort by cohort. A local
//! cohort is the remote one with the same `id`, else the one with the same `code`; what differs
//! is what `push` would send (a `PATCH` of those fields). Queries are compared as JSON (key order
//! is no change) and shown as a diff whose hunks name the JSON path.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::Skipped;
use super::json_diff::{hunks_text, json_diff};
use super::pull::RemoteWorkspace;
use crate::api::cohorts::{RemoteCohort, UpdateCohort};
use crate::emulator::workspace::CohortRecord;

/// How a local cohort was matched to a remote one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchedBy {
    Id,
    Code,
}

/// One cohort's comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    /// Only in the local file: `push` creates it.
    Added { local: CohortRecord },
    /// Only remote: `push --prune` deletes it.
    Removed { remote: RemoteCohort },
    /// In both, different: `patch` is what `push` sends; `notes` are differences the Cohorts
    /// API cannot change (a code, a segment type).
    Changed {
        local: CohortRecord,
        remote: RemoteCohort,
        matched_by: MatchedBy,
        patch: UpdateCohort,
        notes: Vec<String>,
    },
    Unchanged {
        local: CohortRecord,
        remote: RemoteCohort,
    },
}

/// The local workspace against the remote one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    /// In code order (the local code for cohorts in the file).
    pub entries: Vec<Entry>,
    /// Remote cohorts with no query, and local ones (neither can be compared or pushed).
    pub skipped: Vec<Skipped>,
    pub local_skipped: Vec<String>,
}

impl Comparison {
    /// No cohort differs.
    pub fn is_same(&self) -> bool {
        self.entries
            .iter()
            .all(|e| matches!(e, Entry::Unchanged { .. }))
    }

    /// Counts: added, removed, changed, unchanged.
    pub fn counts(&self) -> (usize, usize, usize, usize) {
        let mut counts = (0, 0, 0, 0);
        for entry in &self.entries {
            match entry {
                Entry::Added { .. } => counts.0 += 1,
                Entry::Removed { .. } => counts.1 += 1,
                Entry::Changed { .. } => counts.2 += 1,
                Entry::Unchanged { .. } => counts.3 += 1,
            }
        }
        counts
    }

    /// For a terminal or a log: one block per cohort that differs, then a summary.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for entry in &self.entries {
            match entry {
                Entry::Added { local } => {
                    let _ = writeln!(
                        out,
                        "+ {} \"{}\": only in the local file (push creates it)",
                        local.code,
                        local.display_name()
                    );
                }
                Entry::Removed { remote } => {
                    let _ = writeln!(
                        out,
                        "- {} \"{}\": only remote (push --prune deletes it)",
                        remote.code, remote.name
                    );
                }
                Entry::Changed {
                    remote,
                    matched_by,
                    patch,
                    notes,
                    ..
                } => {
                    let by = match matched_by {
                        MatchedBy::Id => "",
                        MatchedBy::Code => " (matched by code)",
                    };
                    let _ = writeln!(out, "~ {} \"{}\"{by}", remote.code, remote.name);
                    out.push_str(&change_lines(remote, patch, "    "));
                    for note in notes {
                        let _ = writeln!(out, "    note: {note}");
                    }
                }
                Entry::Unchanged { .. } => {}
            }
        }
        let (added, removed, changed, unchanged) = self.counts();
        let _ = writeln!(
            out,
            "{added} added, {removed} removed, {changed} changed, {unchanged} unchanged"
        );
        if !self.skipped.is_empty() {
            let _ = writeln!(
                out,
                "skipped {} remote cohort(s) the workspace format cannot hold:",
                self.skipped.len()
            );
            for s in &self.skipped {
                let _ = writeln!(out, "  {}", s.line());
            }
        }
        for line in &self.local_skipped {
            let _ = writeln!(out, "skipped local {line}");
        }
        out
    }
}

/// The fields a patch changes, each as `field: remote → local` (queries as a JSON diff).
pub fn change_lines(remote: &RemoteCohort, patch: &UpdateCohort, indent: &str) -> String {
    let mut out = String::new();
    if let Some(name) = &patch.name {
        let _ = writeln!(out, "{indent}renamed \"{}\" → \"{name}\"", remote.name);
    }
    if let Some(description) = &patch.description {
        let show = |d: Option<&String>| d.map_or("(none)".to_string(), |d| format!("\"{d}\""));
        let _ = writeln!(
            out,
            "{indent}description: {} → {}",
            show(remote.description.as_ref()),
            show(description.as_ref())
        );
    }
    if let Some(tags) = &patch.tags {
        let _ = writeln!(out, "{indent}tags: {:?} → {:?}", remote.tags, tags);
    }
    if let Some(state) = &patch.state {
        let _ = writeln!(out, "{indent}state: {} → {state}", remote.state);
    }
    if let (Some(new), Some(old)) = (&patch.query, &remote.query) {
        let _ = writeln!(out, "{indent}query changed:");
        out.push_str(&hunks_text(
            &json_diff(old, new, "query"),
            &format!("{indent}  "),
        ));
    } else if patch.query.is_some() {
        let _ = writeln!(out, "{indent}query: (none) → set");
    }
    out
}

/// What `PATCH` would make the remote cohort like the local one (empty when they agree).
pub fn patch_for(local: &CohortRecord, remote: &RemoteCohort) -> UpdateCohort {
    UpdateCohort {
        name: local.name.clone().filter(|name| *name != remote.name),
        description: (local.description != remote.description).then(|| local.description.clone()),
        query: local
            .query
            .clone()
            .filter(|q| Some(q) != remote.query.as_ref()),
        tags: (local.tags != remote.tags).then(|| local.tags.clone()),
        state: (local.state_or_default() != remote.state)
            .then(|| local.state_or_default().to_string()),
    }
}

/// Compares the local records with the remote workspace.
pub fn compare(local: &[CohortRecord], remote: &RemoteWorkspace) -> Comparison {
    let mut comparison = Comparison {
        skipped: remote.skipped.clone(),
        ..Comparison::default()
    };
    let by_id: HashMap<&str, usize> = remote
        .cohorts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id.as_str(), i))
        .collect();
    let by_code: HashMap<String, usize> = remote
        .cohorts
        .iter()
        .enumerate()
        .map(|(i, c)| (c.code.key(), i))
        .collect();
    let pushable: Vec<&CohortRecord> = local
        .iter()
        .filter(|record| {
            if record.query.is_some() {
                return true;
            }
            comparison.local_skipped.push(format!(
                "{} \"{}\": no query, so nothing to compare or push",
                record.code,
                record.display_name()
            ));
            false
        })
        .collect();
    // Ids first, so that a code never claims a remote cohort another local cohort's id names.
    let mut matched: Vec<Option<(usize, MatchedBy)>> = pushable
        .iter()
        .map(|r| {
            r.id.as_deref()
                .and_then(|id| by_id.get(id))
                .map(|&i| (i, MatchedBy::Id))
        })
        .collect();
    let mut claimed: HashSet<usize> = matched.iter().flatten().map(|&(i, _)| i).collect();
    for (record, slot) in pushable.iter().zip(matched.iter_mut()) {
        if slot.is_none()
            && let Some(&i) = by_code.get(&record.code.key())
            && claimed.insert(i)
        {
            *slot = Some((i, MatchedBy::Code));
        }
    }
    let mut entries: Vec<(crate::api::cohorts::CohortCode, Entry)> = Vec::new();
    for (record, slot) in pushable.into_iter().zip(matched) {
        let entry = match slot {
            None => Entry::Added {
                local: record.clone(),
            },
            Some((i, matched_by)) => {
                let remote = &remote.cohorts[i];
                let patch = patch_for(record, remote);
                let mut notes = Vec::new();
                if record.code != remote.code {
                    notes.push(format!(
                        "the local code is {}, the remote {}: the Cohorts API cannot change a code",
                        record.code, remote.code
                    ));
                }
                if record.segment_type.is_some() && record.segment_type != remote.segment_type {
                    notes.push(format!(
                        "the local segment type is {}, the remote {}: the Cohorts API cannot change it",
                        show(&record.segment_type),
                        show(&remote.segment_type)
                    ));
                }
                if patch.is_empty() && notes.is_empty() {
                    Entry::Unchanged {
                        local: record.clone(),
                        remote: remote.clone(),
                    }
                } else {
                    Entry::Changed {
                        local: record.clone(),
                        remote: remote.clone(),
                        matched_by,
                        patch,
                        notes,
                    }
                }
            }
        };
        entries.push((record.code.clone(), entry));
    }
    for (i, remote) in remote.cohorts.iter().enumerate() {
        if !claimed.contains(&i) {
            entries.push((
                remote.code.clone(),
                Entry::Removed {
                    remote: remote.clone(),
                },
            ));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    comparison.entries = entries.into_iter().map(|(_, e)| e).collect();
    comparison
}

fn show(value: &Option<serde_json::Value>) -> String {
    value
        .as_ref()
        .map_or("(none)".to_string(), |v| v.to_string())
}
