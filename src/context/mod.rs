//! Context of a mention: what surrounds an offset in a file.
//!
//! Detection finds *mentions* (a variable name, a token literal, an image
//! reference) with a cheap lexical pass; this module tells a caller what
//! each mention means where it stands:
//!
//! - [`lex`]: comment, string, docstring, heredoc or live code, per syntax
//!   family; whether a line is commented out; a comment-blanked copy.
//! - [`yaml`]: the key path of a YAML position, the *unit* it belongs to (a
//!   compose service, a CI job or step, a Kubernetes container), child values
//!   of a unit, block scalars to read as shell. Falls back to an indentation
//!   reading for files a YAML parser rejects (Helm templates).
//! - [`docs`]: prose, inline code or a code block (with its language).
//! - [`code`]: the call, argument, subscript, map entry, assignment and
//!   statement/builder chain around an offset in program code.
//! - [`shell`]: shell commands and their words (`docker run -e …`, guards,
//!   `echo`), and the instructions and stages of a Dockerfile.
//!
//! It depends on no other keysweep module: callers map their file kinds to
//! [`Syntax`]. Everything works on bytes that may not be UTF-8, never panics
//! on any input, and costs time linear in the input (lookbacks are capped,
//! nesting is tracked on explicit, capped stacks). [`FileContext`] builds each
//! facility only when a query needs it, because it runs only on files that
//! hold a mention.

pub mod code;
pub mod docs;
pub mod lex;
pub mod shell;
pub mod yaml;

use std::cell::OnceCell;

/// The syntax a file is read as; callers map their own file kinds to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// POSIX shell, bash, zsh, rc files, `.envrc`.
    Shell,
    /// `.env` files (shell-like quoting and `#` comments).
    Dotenv,
    /// PowerShell.
    PowerShell,
    /// Makefiles (recipes are shell).
    Makefile,
    /// Dockerfile / Containerfile.
    Dockerfile,
    /// Nix expressions.
    Nix,
    /// Terraform / HCL / tfvars.
    Hcl,
    /// TOML.
    Toml,
    /// INI, cfg, conf, properties.
    Ini,
    /// YAML (compose, CI, Kubernetes, Helm).
    Yaml,
    /// JSON, also with comments (devcontainer.json).
    Json,
    /// Python.
    Python,
    /// Ruby.
    Ruby,
    /// Perl.
    Perl,
    /// Java.
    Java,
    /// Kotlin (also `.kts`).
    Kotlin,
    /// Groovy, Jenkinsfiles, Gradle build scripts.
    Groovy,
    /// Scala.
    Scala,
    /// Go.
    Go,
    /// C#.
    CSharp,
    /// JavaScript and TypeScript.
    JavaScript,
    /// Rust.
    Rust,
    /// C, C++ and other languages with C comments and strings.
    C,
    /// Markdown, MDX.
    Markdown,
    /// reStructuredText.
    Rst,
    /// AsciiDoc.
    AsciiDoc,
    /// Jupyter notebooks.
    Notebook,
    /// HTML.
    Html,
    /// No comments or literals (plain text).
    Plain,
}

impl Syntax {
    /// Whether [`code`] call analysis applies (program code with calls).
    pub fn is_program(self) -> bool {
        matches!(
            self,
            Syntax::Python
                | Syntax::Ruby
                | Syntax::Perl
                | Syntax::Java
                | Syntax::Kotlin
                | Syntax::Groovy
                | Syntax::Scala
                | Syntax::Go
                | Syntax::CSharp
                | Syntax::JavaScript
                | Syntax::Rust
                | Syntax::C
                | Syntax::PowerShell
                | Syntax::Nix
                | Syntax::Hcl
        )
    }

    /// The docs format, for documentation syntaxes.
    pub fn doc_format(self) -> Option<docs::DocFormat> {
        match self {
            Syntax::Markdown => Some(docs::DocFormat::Markdown),
            Syntax::Rst => Some(docs::DocFormat::Rst),
            Syntax::AsciiDoc => Some(docs::DocFormat::AsciiDoc),
            Syntax::Notebook => Some(docs::DocFormat::Notebook),
            Syntax::Plain => Some(docs::DocFormat::Plain),
            _ => None,
        }
    }

    /// The syntax a code block language name stands for (`bash`, `yml`,
    /// `docker-compose`, `ps1`…), if it is one this module reads.
    pub fn from_lang(lang: &str) -> Option<Syntax> {
        Some(match lang.to_ascii_lowercase().as_str() {
            "sh" | "bash" | "shell" | "zsh" | "console" | "shell-session" | "shellsession"
            | "terminal" | "ksh" | "fish" => Syntax::Shell,
            "env" | "dotenv" | "properties-env" => Syntax::Dotenv,
            "powershell" | "ps1" | "pwsh" | "ps" => Syntax::PowerShell,
            "make" | "makefile" | "mk" => Syntax::Makefile,
            "dockerfile" | "docker" | "containerfile" => Syntax::Dockerfile,
            "nix" => Syntax::Nix,
            "hcl" | "terraform" | "tf" | "tfvars" => Syntax::Hcl,
            "toml" => Syntax::Toml,
            "ini" | "cfg" | "conf" | "properties" => Syntax::Ini,
            "yaml" | "yml" | "docker-compose" | "compose" => Syntax::Yaml,
            "json" | "jsonc" | "json5" => Syntax::Json,
            "python" | "py" | "python3" | "ipython" | "pycon" => Syntax::Python,
            "ruby" | "rb" => Syntax::Ruby,
            "perl" | "pl" => Syntax::Perl,
            "java" => Syntax::Java,
            "kotlin" | "kt" | "kts" => Syntax::Kotlin,
            "groovy" | "jenkinsfile" | "gradle" => Syntax::Groovy,
            "scala" => Syntax::Scala,
            "go" | "golang" => Syntax::Go,
            "csharp" | "cs" | "c#" => Syntax::CSharp,
            "javascript" | "js" | "typescript" | "ts" | "jsx" | "tsx" | "node" | "mjs" => {
                Syntax::JavaScript
            }
            "rust" | "rs" => Syntax::Rust,
            "c" | "cpp" | "c++" | "h" => Syntax::C,
            "markdown" | "md" => Syntax::Markdown,
            "html" | "xml" => Syntax::Html,
            _ => return None,
        })
    }
}

/// All the context of one file, each facility built on first use.
///
/// Rough cost, measured by `cost_note` in the tests (unoptimised test build
/// on a shared 2-core machine; release builds are several times faster):
/// on 1 MiB of compose YAML the lexical map takes ~12 ms, the parser tree
/// (21k nodes) ~200 ms, the indentation fallback ~55 ms, and 1000 unit and
/// commented-line queries ~3 ms together; on 1 MiB of Java the lexical map
/// takes ~9 ms and a call-context query ~0.3 ms (each scans at most
/// [`code::MAX_SCAN`] bytes on either side and builds nothing per file).
pub struct FileContext<'a> {
    syntax: Syntax,
    content: &'a [u8],
    lex: OnceCell<lex::LexMap>,
    yaml: OnceCell<yaml::YamlDoc>,
    docs: OnceCell<docs::DocsMap>,
    shell: OnceCell<shell::ShellMap>,
    dockerfile: OnceCell<shell::DockerfileMap>,
}

impl<'a> FileContext<'a> {
    /// Context of `content` read as `syntax`; builds nothing yet.
    pub fn new(syntax: Syntax, content: &'a [u8]) -> FileContext<'a> {
        FileContext {
            syntax,
            content,
            lex: OnceCell::new(),
            yaml: OnceCell::new(),
            docs: OnceCell::new(),
            shell: OnceCell::new(),
            dockerfile: OnceCell::new(),
        }
    }

    /// The syntax the file is read as.
    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The file's bytes.
    pub fn content(&self) -> &'a [u8] {
        self.content
    }

    /// The lexical map.
    pub fn lex(&self) -> &lex::LexMap {
        self.lex
            .get_or_init(|| lex::LexMap::build(self.syntax, self.content))
    }

    /// Whether the line holding `offset` is a commented-out line.
    pub fn is_commented_line(&self, offset: usize) -> bool {
        self.lex().is_commented_line(self.content, offset)
    }

    /// A copy of `content[range]` with comments blanked (same length).
    pub fn blank_comments(&self, range: std::ops::Range<usize>) -> Vec<u8> {
        self.lex().blank_comments(self.content, range)
    }

    /// The YAML tree (for any syntax: a caller may ask for YAML structure of a
    /// file it knows to be YAML whatever its name).
    pub fn yaml(&self) -> &yaml::YamlDoc {
        self.yaml.get_or_init(|| yaml::YamlDoc::parse(self.content))
    }

    /// The docs map (Markdown rules unless the syntax names another format).
    pub fn docs(&self) -> &docs::DocsMap {
        self.docs.get_or_init(|| {
            let format = self
                .syntax
                .doc_format()
                .unwrap_or(docs::DocFormat::Markdown);
            docs::DocsMap::build_as(format, self.content)
        })
    }

    /// The shell command map (shell, dotenv, PowerShell, Makefile recipes,
    /// Dockerfile shell instructions; other syntaxes are read as shell).
    pub fn shell(&self) -> &shell::ShellMap {
        self.shell.get_or_init(|| match self.syntax {
            Syntax::Makefile => shell::ShellMap::build_makefile(self.content),
            Syntax::PowerShell => shell::ShellMap::build_powershell(self.content),
            Syntax::Dockerfile => {
                shell::ShellMap::build_dockerfile(self.dockerfile(), self.content)
            }
            _ => shell::ShellMap::build(self.content),
        })
    }

    /// The Dockerfile instruction map.
    pub fn dockerfile(&self) -> &shell::DockerfileMap {
        self.dockerfile
            .get_or_init(|| shell::DockerfileMap::build(self.content))
    }

    /// Code context at `offset` (call, argument, subscript, entry, statement).
    pub fn code_at(&self, offset: usize) -> code::CodeSite {
        code::CodeSite::at(self.syntax, self.content, self.lex(), offset)
    }
}

#[cfg(test)]
mod tests;
