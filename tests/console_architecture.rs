//! The console's shape, checked on its source: data flows one way (model ← update → effects →
//! executor → messages), so the files of `src/console` import one another without a cycle, the
//! view files share only their leaf helpers, the model is extended nowhere but in its own files,
//! holds no runtime machinery, and the update step does no I/O and reads no clock.
//!
//! The import graph is built from the paths the files name: `use super::…`, `use crate::console::…`,
//! `use child::…` of a module's own children, and the same paths written inline in the code
//! (`super::autosave::save(app)` is as much an import as a `use`). Unit tests (`#[cfg(test)]` to
//! the end of a file) are left out: `use super::*` there is the file itself.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A console source file: its module path (`console::view::panes`) and its code.
struct Source {
    module: Vec<String>,
    /// `foo/mod.rs` is the module `foo` itself: `super` is one level higher than for `foo/bar.rs`.
    is_mod_rs: bool,
    path: PathBuf,
    code: String,
}

fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/console")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("src/console is readable")
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code without comments and without the unit tests at the end.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        let line = match line.find("//") {
            // A `//` inside a string (a URL) is rare in paths; cutting there loses no path.
            Some(at) => &line[..at],
            None => line,
        };
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn sources() -> Vec<Source> {
    let root = console_dir();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&root).unwrap();
            let mut module = vec!["console".to_string()];
            let parts: Vec<String> = relative
                .iter()
                .map(|p| p.to_string_lossy().into_owned())
                .collect();
            let is_mod_rs = parts.last().is_some_and(|p| p == "mod.rs");
            for (i, part) in parts.iter().enumerate() {
                if i + 1 == parts.len() {
                    if part != "mod.rs" {
                        module.push(part.trim_end_matches(".rs").to_string());
                    }
                } else {
                    module.push(part.clone());
                }
            }
            let text = std::fs::read_to_string(&path).unwrap();
            Source {
                module,
                is_mod_rs,
                path,
                code: code_of(&text),
            }
        })
        .collect()
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The paths written after `prefix` in `code`, each a list of segments; `{a, b::c}` groups are
/// expanded (nested ones too).
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = code[from..].find(prefix) {
        let start = from + at;
        from = start + prefix.len();
        // Whole words only: `xsuper::` is not `super::`.
        if code[..start].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        expand(&code[from..], Vec::new(), &mut out);
    }
    out
}

/// Reads one path (or brace group) at the start of `rest`, appending the expanded paths.
fn expand(rest: &str, base: Vec<String>, out: &mut Vec<Vec<String>>) {
    let rest = rest.trim_start();
    if let Some(inner) = rest.strip_prefix('{') {
        let mut depth = 0;
        let mut item = String::new();
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    expand(&item, base.clone(), out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&item, base.clone(), out);
                    item.clear();
                    continue;
                }
                _ => {}
            }
            item.push(c);
        }
        return;
    }
    if rest.starts_with('*') {
        // A glob names the module itself.
        out.push(base);
        return;
    }
    let segment: String = rest.chars().take_while(|c| is_ident(*c)).collect();
    if segment.is_empty() {
        if !base.is_empty() {
            out.push(base);
        }
        return;
    }
    let mut path = base;
    let after = &rest[segment.len()..];
    if segment != "self" {
        path.push(segment);
    }
    match after.strip_prefix("::") {
        Some(more) => expand(more, path, out),
        None => out.push(path),
    }
}

/// The import graph: file module → the console file modules it names.
fn import_graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    // The longest prefix of `path` (after `base`) that is a file of the console.
    let resolve = |base: &[String], path: &[String]| -> Option<Vec<String>> {
        let mut module = base.to_vec();
        let mut found = None;
        if modules.contains(&module) {
            found = Some(module.clone());
        }
        for segment in path {
            if segment == "super" {
                module.pop();
            } else {
                module.push(segment.clone());
            }
            if modules.contains(&module) {
                found = Some(module.clone());
            } else if segment != "super" {
                break;
            }
        }
        found
    };
    let mut graph = BTreeMap::new();
    for source in sources {
        let name = source.module.join("::");
        let mut targets = BTreeSet::new();
        // `super` of `a/b.rs` is `a`; of `a/b/mod.rs` it is `a` as well (the module is `a::b`).
        let parent: Vec<String> = source.module[..source.module.len() - 1].to_vec();
        let own = source.module.clone();
        for path in paths_after(&source.code, "super::") {
            if let Some(t) = resolve(&parent, &path) {
                targets.insert(t);
            }
        }
        for path in paths_after(&source.code, "crate::console::") {
            if let Some(t) = resolve(&["console".to_string()], &path) {
                targets.insert(t);
            }
        }
        for path in paths_after(&source.code, "self::") {
            if let Some(t) = resolve(&own, &path) {
                targets.insert(t);
            }
        }
        // `use child::…` in a module with children (a `mod.rs`).
        if source.is_mod_rs {
            for line in source.code.lines() {
                let line = line.trim_start();
                let Some(rest) = line
                    .strip_prefix("pub use ")
                    .or_else(|| line.strip_prefix("pub(crate) use "))
                    .or_else(|| line.strip_prefix("use "))
                else {
                    continue;
                };
                let mut paths = Vec::new();
                expand(rest, Vec::new(), &mut paths);
                for path in paths {
                    let mut child = own.clone();
                    child.push(path[0].clone());
                    if modules.contains(&child)
                        && let Some(t) = resolve(&own, &path)
                    {
                        targets.insert(t);
                    }
                }
            }
        }
        targets.remove(&source.module);
        graph.insert(name, targets.into_iter().map(|t| t.join("::")).collect());
    }
    graph
}

/// The strongly connected components with more than one file (Tarjan): each is a cycle.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        graph: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, node: &'a str) {
            self.index.insert(node, self.next);
            self.low.insert(node, self.next);
            self.next += 1;
            self.stack.push(node);
            self.on_stack.insert(node);
            let graph = self.graph;
            for target in graph.get(node).into_iter().flatten() {
                let target = target.as_str();
                if !graph.contains_key(target) {
                    continue;
                }
                if !self.index.contains_key(target) {
                    self.visit(target);
                    let low = self.low[target].min(self.low[node]);
                    self.low.insert(node, low);
                } else if self.on_stack.contains(target) {
                    let low = self.index[target].min(self.low[node]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !walk.index.contains_key(node.as_str()) {
            walk.visit(node);
        }
    }
    walk.found
}

/// `file: word` for each of `words` that a file of `sources` names in its code.
fn naming(sources: &[Source], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for source in sources {
        for word in words {
            if source.code.contains(word) {
                found.push(format!("{}: {word}", source.path.display()));
            }
        }
    }
    found
}

fn describe(found: &[Vec<String>], graph: &BTreeMap<String, BTreeSet<String>>) -> String {
    let mut out = String::new();
    for component in found {
        out.push_str(&format!("cycle among {} files:\n", component.len()));
        for node in component {
            let inside: Vec<&str> = graph[node]
                .iter()
                .filter(|t| component.contains(t))
                .map(String::as_str)
                .collect();
            out.push_str(&format!("  {node} → {}\n", inside.join(", ")));
        }
    }
    out
}

#[test]
fn the_graph_reader_sees_grouped_nested_and_inline_paths() {
    let code = "use super::{app::{App, Focus}, call};\nfn f() { super::autosave::save(x); }\nuse super::*;\n";
    let mut found = paths_after(code, "super::");
    found.sort();
    let expected: Vec<Vec<String>> = vec![
        vec![],
        vec!["app".into(), "App".into()],
        vec!["app".into(), "Focus".into()],
        vec!["autosave".into(), "save".into()],
        vec!["call".into()],
    ];
    assert_eq!(found, expected);
    // And a cycle is found when there is one.
    let mut graph = BTreeMap::new();
    graph.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    graph.insert("b".to_string(), BTreeSet::from(["c".to_string()]));
    graph.insert("c".to_string(), BTreeSet::from(["a".to_string()]));
    graph.insert("d".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
}

#[test]
fn the_console_imports_without_a_cycle() {
    let sources = sources();
    assert!(sources.len() > 20, "the console's files are found");
    let graph = import_graph(&sources);
    let found = cycles(&graph);
    assert!(
        found.is_empty(),
        "the console's files import one another in a cycle:\n{}",
        describe(&found, &graph)
    );
}

#[test]
fn the_view_files_import_without_a_cycle() {
    let sources = sources();
    let graph = import_graph(&sources);
    let view: BTreeMap<String, BTreeSet<String>> = graph
        .iter()
        .filter(|(node, _)| node.starts_with("console::view"))
        .map(|(node, targets)| {
            let inside = targets
                .iter()
                .filter(|t| t.starts_with("console::view"))
                .cloned()
                .collect();
            (node.clone(), inside)
        })
        .collect();
    assert!(view.len() > 3, "the view's files are found");
    let found = cycles(&view);
    assert!(
        found.is_empty(),
        "the view's files import one another in a cycle:\n{}",
        describe(&found, &view)
    );
}

/// `impl App` / `impl Model` (and trait impls for them) only where they are defined.
#[test]
fn the_model_and_the_app_are_extended_only_in_their_own_files() {
    let mut wrong = Vec::new();
    for source in sources() {
        let relative = source
            .path
            .strip_prefix(console_dir())
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        for line in source.code.lines() {
            let line = line.trim_start();
            if !line.starts_with("impl") {
                continue;
            }
            let names_app = line.contains(" App ") || line.contains(" App{");
            let names_model = line.contains(" Model ") || line.contains(" Model{");
            if names_app && relative != "app.rs" {
                wrong.push(format!("{relative}: {line}"));
            }
            if names_model && !relative.starts_with("model/") {
                wrong.push(format!("{relative}: {line}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "impl blocks of the model (or App) outside their files:\n{}",
        wrong.join("\n")
    );
}

/// The model is plain data: no channels, tasks, clients, files or threads.
#[test]
fn the_model_holds_no_runtime_machinery() {
    let model: Vec<Source> = sources()
        .into_iter()
        .filter(|s| s.module.get(1).is_some_and(|m| m == "model"))
        .collect();
    assert!(!model.is_empty(), "src/console/model/ exists");
    let forbidden = [
        "tokio",
        "JoinHandle",
        "mpsc",
        "Client",
        "std::fs",
        "std::thread",
        "reqwest",
    ];
    let wrong = naming(&model, &forbidden);
    assert!(
        wrong.is_empty(),
        "the model holds machinery:\n{}",
        wrong.join("\n")
    );
}

/// Render caches belong to the view side (issue 10 §2): the model, and the calls it holds, keep
/// no drawn text — no ratatui `Line`s or `Span`s, no rendered call detail. The lines are made
/// by the view, or kept in its cache (`view/cache.rs`) beside the model.
#[test]
fn the_model_holds_no_rendered_text() {
    let model: Vec<Source> = sources()
        .into_iter()
        .filter(|s| {
            s.module.get(1).is_some_and(|m| m == "model")
                || s.module == ["console".to_string(), "call".to_string()]
        })
        .collect();
    assert!(model.len() > 1, "src/console/model/ and call.rs exist");
    let forbidden = ["ratatui::text", "Line<", "Span<", "CallDetail"];
    let wrong = naming(&model, &forbidden);
    assert!(
        wrong.is_empty(),
        "the model holds rendered text (a render cache belongs to the view):\n{}",
        wrong.join("\n")
    );
}

/// The update step decides; it does no I/O and reads no clock or random source itself.
#[test]
fn the_update_step_does_no_io_and_reads_no_clock() {
    let update: Vec<Source> = sources()
        .into_iter()
        .filter(|s| {
            s.module
                .get(1)
                .is_some_and(|m| m == "update" || m == "model")
        })
        .collect();
    assert!(
        update
            .iter()
            .any(|s| s.module.get(1).is_some_and(|m| m == "update")),
        "src/console/update/ exists"
    );
    let forbidden = [
        "Timestamp::now",
        "Instant::now",
        "SystemTime",
        "new_v4",
        ".elapsed()",
        "std::fs",
        "read_to_string",
        "read_dir",
        "Session::load",
        "write_atomically",
        ".is_dir()",
        ".exists()",
        "tokio::spawn",
        "spawn_blocking",
        "std::thread",
    ];
    let wrong = naming(&update, &forbidden);
    assert!(
        wrong.is_empty(),
        "the update step (or the model) does I/O or reads the clock:\n{}",
        wrong.join("\n")
    );
}

/// Files split along their seams: none of the console's is much past 500 lines.
#[test]
fn no_console_file_is_past_500_lines() {
    let mut long = Vec::new();
    let mut files = Vec::new();
    rust_files(&console_dir(), &mut files);
    for path in files {
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        if lines > 520 {
            long.push(format!("{}: {lines} lines", path.display()));
        }
    }
    assert!(
        long.is_empty(),
        "console files past ~500 lines:\n{}",
        long.join("\n")
    );
}
