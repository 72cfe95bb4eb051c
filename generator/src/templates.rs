//! The Tera templates the site is rendered with: a built-in set embedded in the binary, and a
//! publisher's directory (`--templates DIR`) whose files replace built-in ones of the same name.

use crate::problem::{Problem, Problems};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tera::Tera;

/// The page layout every page extends.
pub const BASE_HTML: &str = "base.html";
/// The site root: the public apps.
pub const INDEX_HTML: &str = "index.html";
/// An app: its channels and their latest releases.
pub const APP_HTML: &str = "app.html";
/// A channel: the latest release per architecture, then the history.
pub const CHANNEL_HTML: &str = "channel.html";
/// The iOS over-the-air install manifest of one `.ipa`.
pub const MANIFEST_PLIST: &str = "manifest.plist";
/// A Sparkle appcast: one channel and macOS architecture (`feeds/sparkle.rs`).
pub const APPCAST_XML: &str = "appcast.xml";
/// The style sheet of the pages (copied as it is, not a template).
pub const STYLE_CSS: &str = "style.css";

/// The built-in files by name. Every name a publisher's directory may override is here.
const BUILTIN: &[(&str, &str)] = &[
    (BASE_HTML, include_str!("../../templates/base.html")),
    (INDEX_HTML, include_str!("../../templates/index.html")),
    (APP_HTML, include_str!("../../templates/app.html")),
    (CHANNEL_HTML, include_str!("../../templates/channel.html")),
    (
        MANIFEST_PLIST,
        include_str!("../../templates/manifest.plist"),
    ),
    (STYLE_CSS, include_str!("../../templates/style.css")),
    (APPCAST_XML, include_str!("../../templates/appcast.xml")),
];

/// Files copied as they are rather than rendered (CSS may contain `{#`, which is Tera syntax).
const STATIC_FILES: &[&str] = &[STYLE_CSS];

/// The publisher's template directory as read from disk, before anything is checked: the
/// plan stays pure, and every problem is reported with the manifests' problems.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// The directory given with `--templates`.
    pub dir: Option<PathBuf>,
    /// File name → text.
    pub files: BTreeMap<String, String>,
    /// Files (or the directory) that could not be read: path → why.
    pub unreadable: BTreeMap<String, String>,
}

impl Overrides {
    /// Reads every file of `dir`, except hidden ones (a sub-directory is reported).
    pub fn read(dir: &Path) -> Overrides {
        let mut out = Overrides {
            dir: Some(dir.to_path_buf()),
            ..Overrides::default()
        };
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                out.unreadable
                    .insert(dir.display().to_string(), format!("cannot be read: {e}"));
                return out;
            }
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Hidden files (`.gitkeep`, editor swap files, `.DS_Store`) are not templates.
            if name.starts_with('.') {
                continue;
            }
            let path = entry.path();
            // A link out of the directory could publish any file the build can read (style.css
            // is copied as it is): resolved inside it, refused outside (issue 18).
            if entry.file_type().is_ok_and(|t| t.is_symlink()) {
                let inside = std::fs::canonicalize(dir)
                    .and_then(|d| Ok(std::fs::canonicalize(&path)?.starts_with(d)));
                match inside {
                    Ok(true) => {}
                    Ok(false) => {
                        out.unreadable.insert(
                            path.display().to_string(),
                            "is a symlink out of the --templates directory: copy the file in \
                             instead (a link could publish any file the build can read)"
                                .to_owned(),
                        );
                        continue;
                    }
                    Err(e) => {
                        out.unreadable
                            .insert(path.display().to_string(), format!("cannot be read: {e}"));
                        continue;
                    }
                }
            }
            if path.is_dir() {
                out.unreadable.insert(
                    path.display().to_string(),
                    "is a directory: templates are files directly in the --templates directory"
                        .to_owned(),
                );
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    out.files.insert(name, text);
                }
                Err(e) => {
                    out.unreadable
                        .insert(path.display().to_string(), format!("cannot be read: {e}"));
                }
            }
        }
        out
    }

    fn file_of(&self, name: &str) -> String {
        match &self.dir {
            Some(dir) if self.files.contains_key(name) => dir.join(name).display().to_string(),
            _ => format!("templates/{name} (built-in)"),
        }
    }
}

/// The loaded template set: the built-in files with the publisher's replacements.
pub struct Templates {
    tera: Tera,
    /// Name → the file it came from, for problems.
    files: BTreeMap<&'static str, String>,
    statics: BTreeMap<&'static str, String>,
}

impl Templates {
    /// Checks and compiles the set. Every problem (an unknown or unreadable file, a syntax
    /// error) is pushed, each naming its file; `None` when there is any.
    pub fn load(overrides: &Overrides, problems: &mut Problems) -> Option<Templates> {
        let before = problems.0.len();
        for (path, why) in &overrides.unreadable {
            problems.push(
                Problem::new(path, "", why.clone())
                    .hint("pass a readable directory of UTF-8 templates to --templates"),
            );
        }
        let known: Vec<&str> = BUILTIN.iter().map(|(n, _)| *n).collect();
        for name in overrides.files.keys() {
            if !known.contains(&name.as_str()) {
                problems.push(
                    Problem::new(
                        overrides.file_of(name),
                        "",
                        "is not one of the site's templates, so nothing would use it",
                    )
                    .hint(format!(
                        "name it after the template it replaces ({}), or remove it",
                        known.join(", ")
                    )),
                );
            }
        }
        let mut files = BTreeMap::new();
        let mut statics = BTreeMap::new();
        let mut sources = Vec::new();
        for (name, builtin) in BUILTIN {
            let text = overrides.files.get(*name).map_or(*builtin, String::as_str);
            files.insert(*name, overrides.file_of(name));
            if STATIC_FILES.contains(name) {
                statics.insert(*name, text.to_owned());
            } else {
                sources.push((*name, text));
            }
        }
        // Each replaced file with the built-in others first, so that an error (syntax, or a
        // parent that is not in the set) names the file it is in.
        for name in overrides.files.keys() {
            let Some((name, _)) = sources.iter().find(|(n, _)| *n == name.as_str()) else {
                continue;
            };
            let alone = BUILTIN
                .iter()
                .filter(|(n, _)| !STATIC_FILES.contains(n))
                .map(|(n, t)| {
                    (
                        *n,
                        if n == name {
                            overrides.files[*n].as_str()
                        } else {
                            *t
                        },
                    )
                });
            if let Err(e) = compile(alone) {
                problems.push(
                    Problem::new(overrides.file_of(name), "", error_text(&e)).hint(format!(
                        "fix the Tera syntax at the line shown, extend or include only the \
                         site's templates ({}), or remove the file to use the built-in one \
                         (docs/pages.md)",
                        sources
                            .iter()
                            .map(|(n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
        if problems.0.len() > before {
            return None;
        }
        let tera = match compile(sources) {
            Ok(t) => t,
            Err(e) => {
                // Only replacements together can fail here (one extending another's block).
                let dir = overrides
                    .dir
                    .as_ref()
                    .map_or_else(|| "templates".to_owned(), |d| d.display().to_string());
                problems.push(
                    Problem::new(dir, "", error_text(&e))
                        .hint("fix the templates named in the message (docs/pages.md)"),
                );
                return None;
            }
        };
        Some(Templates {
            tera,
            files,
            statics,
        })
    }

    /// Renders `name` with `context`. A failure (an unknown variable, a filter on the wrong
    /// type) is a problem naming the template file.
    ///
    /// # Errors
    /// The problem, for the caller to report once per template.
    pub fn render(&self, name: &'static str, context: &impl Serialize) -> Result<String, Problem> {
        let file = || self.files.get(name).cloned().unwrap_or_default();
        let ctx = tera::Context::from_serialize(context)
            .map_err(|e| Problem::new(file(), "", error_text(&e)))?;
        self.tera.render(name, &ctx).map_err(|e| {
            Problem::new(file(), "", error_text(&e)).hint(format!(
                "use only the variables docs/pages.md lists for {name}, or remove the file to \
                 use the built-in template"
            ))
        })
    }

    /// A file copied as it is (the style sheet).
    pub fn static_file(&self, name: &str) -> &str {
        self.statics.get(name).map_or("", String::as_str)
    }
}

/// The Tera functions templates may call. Every other function Tera registers is replaced by
/// one that fails (issue 18): `get_env` would let a template edit publish the build's
/// environment, which in CI holds the TUF, Sparkle and Tauri keys and the Cloudflare token, into
/// `site/` and the signed TUF targets. Turning off Tera's `builtins` feature (as Cargo.toml does)
/// is not enough, since tera 1 registers `get_env` regardless; and an allowlist rather than a list
/// of removals means a Tera upgrade that adds a function (one reading files, say) adds it
/// disabled. No filter or tester reads the environment or the disk, and `include`, `import`
/// and `extends` only reach the templates added here, never the filesystem.
const ALLOWED_FUNCTIONS: &[&str] = &["range", "throw"];

/// A Tera instance of `sources`, escaping HTML, the plist and the appcast, with no access to
/// the environment or the filesystem.
fn compile<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> tera::Result<Tera> {
    let mut tera = Tera::default();
    let disabled: Vec<String> = tera
        .functions
        .keys()
        .filter(|name| !ALLOWED_FUNCTIONS.contains(&name.as_str()))
        .cloned()
        .collect();
    for name in disabled {
        let message = format!(
            "the function `{name}` is disabled: templates see only the variables docs/pages.md \
             lists, never the build's environment or files (which hold signing keys and tokens \
             in CI); write the value into the template or a manifest field instead"
        );
        tera.register_function(
            &name,
            move |_: &std::collections::HashMap<String, tera::Value>| {
                Err(tera::Error::msg(message.clone()))
            },
        );
    }
    tera.autoescape_on(vec![".html", ".plist", ".xml"]);
    tera.set_escape_fn(update_protocol::markup::escape);
    tera.add_raw_templates(sources)?;
    Ok(tera)
}

/// A Tera error with its causes: the outer one names the template, the inner ones the line
/// and the variable.
fn error_text(e: &tera::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(s.to_string().trim_end());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overrides(files: &[(&str, &str)]) -> Overrides {
        Overrides {
            dir: Some(PathBuf::from("mine")),
            files: files
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
                .collect(),
            unreadable: BTreeMap::new(),
        }
    }

    #[test]
    fn builtin_set_compiles() {
        let mut problems = Problems::default();
        assert!(Templates::load(&Overrides::default(), &mut problems).is_some());
        assert!(problems.is_empty(), "{:?}", problems.0);
    }

    #[test]
    fn syntax_error_names_the_file_and_line() {
        let mut problems = Problems::default();
        let o = overrides(&[("index.html", "ok\n{% if %}\n")]);
        assert!(Templates::load(&o, &mut problems).is_none());
        let p = problems.into_sorted();
        assert_eq!(p.len(), 1, "{p:?}");
        assert_eq!(
            p[0].file,
            Path::new("mine").join("index.html").display().to_string()
        );
        assert!(p[0].message.contains("2:"), "line in {:?}", p[0].message);
        assert!(p[0].hint.is_some());
    }

    #[test]
    fn rejects_unknown_template_name() {
        let mut problems = Problems::default();
        let o = overrides(&[("indx.html", "x")]);
        assert!(Templates::load(&o, &mut problems).is_none());
        let p = problems.into_sorted();
        assert_eq!(p.len(), 1);
        assert!(p[0].file.ends_with("indx.html"));
        assert!(p[0].hint.as_deref().unwrap_or("").contains("channel.html"));
    }

    #[test]
    fn unknown_variable_is_a_problem_naming_the_override() {
        let mut problems = Problems::default();
        let o = overrides(&[("index.html", "{{ no_such_thing }}")]);
        let t = Templates::load(&o, &mut problems).expect("compiles");
        let p = t
            .render(INDEX_HTML, &serde_json::json!({}))
            .expect_err("unknown variable");
        assert!(p.file.ends_with("index.html") && p.file.starts_with("mine"));
        assert!(p.message.contains("no_such_thing"), "{}", p.message);
    }

    /// Issue 18: a template edit must not publish CI secrets through `get_env`.
    #[test]
    fn environment_functions_are_disabled() {
        let mut problems = Problems::default();
        for call in [
            r#"{{ get_env(name="HOME") }}"#,
            r#"{{ get_env(name="NO_SUCH_VARIABLE", default="x") }}"#,
        ] {
            let o = overrides(&[("index.html", call)]);
            let t = Templates::load(&o, &mut problems).expect("compiles");
            let p = t
                .render(INDEX_HTML, &serde_json::json!({}))
                .expect_err("get_env refused");
            assert!(p.file.ends_with("index.html") && p.file.starts_with("mine"));
            assert!(p.message.contains("`get_env` is disabled"), "{}", p.message);
        }
        // Only the allowed functions are callable; every other one Tera knows fails.
        let tera = compile([("t", "x")]).expect("compiles");
        for name in tera.functions.keys() {
            if ALLOWED_FUNCTIONS.contains(&name.as_str()) {
                continue;
            }
            let f = &tera.functions[name];
            assert!(f.call(&std::collections::HashMap::new()).is_err(), "{name}");
        }
        let out = compile([("t", "{% for i in range(end=3) %}{{ i }}{% endfor %}")])
            .expect("compiles")
            .render("t", &tera::Context::new())
            .expect("range renders");
        assert_eq!(out, "012");
    }

    #[test]
    fn override_replaces_only_its_own_file() {
        let mut problems = Problems::default();
        let o = overrides(&[
            ("style.css", "body{}"),
            ("manifest.plist", "<x>{{ t }}</x>"),
        ]);
        let t = Templates::load(&o, &mut problems).expect("compiles");
        assert_eq!(t.static_file(STYLE_CSS), "body{}");
        let out = t
            .render(MANIFEST_PLIST, &serde_json::json!({"t": "a&b<'\"/"}))
            .expect("renders");
        assert_eq!(out, "<x>a&amp;b&lt;&#39;&quot;/</x>");
        assert!(t.files[BASE_HTML].contains("built-in"));
    }
}
