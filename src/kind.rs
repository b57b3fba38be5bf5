//! File kinds: a classification of a path by its name alone, used by rules to
//! gate where they apply (a `docker run` flag means something in a shell script,
//! not in a changelog).
//!
//! Classification never reads content: it must be cheap and predictable, and
//! users must be able to tell from a path which rules can fire on it.

use serde::Serialize;
use std::fmt;

macro_rules! kinds {
    ($( $variant:ident => $name:literal, $group:literal, $doc:literal; )*) => {
        /// What a file is, judged from its path.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum FileKind {
            $( #[doc = $doc] #[serde(rename = $name)] $variant, )*
        }

        impl FileKind {
            /// Every kind, in declaration order.
            pub const ALL: &'static [FileKind] = &[$(FileKind::$variant,)*];

            /// The kebab-case name used in rule files.
            pub fn as_str(self) -> &'static str {
                match self { $( FileKind::$variant => $name, )* }
            }

            /// The group this kind belongs to (`ci`, `code`, `config`, `docs`,
            /// `scripts`, `containers`, `other`).
            pub fn group(self) -> &'static str {
                match self { $( FileKind::$variant => $group, )* }
            }
        }
    };
}

kinds! {
    Dotenv => "dotenv", "scripts", ".env, .env.*, *.env files";
    Shell => "shell", "scripts", "shell scripts and rc files, .envrc (direnv)";
    PowerShell => "powershell", "scripts", "PowerShell scripts";
    Nix => "nix", "scripts", "Nix expressions";
    Makefile => "makefile", "scripts", "Makefiles";
    Dockerfile => "dockerfile", "containers", "Dockerfile / Containerfile";
    Compose => "compose", "containers", "Docker Compose files";
    Kubernetes => "kubernetes", "containers", "Helm charts, values files and Kubernetes manifests";
    GithubActions => "github-actions", "ci", "GitHub Actions workflows and action.yml";
    GitlabCi => "gitlab-ci", "ci", "GitLab CI files";
    CircleCi => "circleci", "ci", "CircleCI config";
    BitbucketPipelines => "bitbucket-pipelines", "ci", "Bitbucket Pipelines";
    Jenkinsfile => "jenkinsfile", "ci", "Jenkins pipelines";
    OtherCi => "other-ci", "ci", "Travis, Drone, Azure Pipelines, CodeBuild, Semaphore, Buildkite, Cloud Build";
    Terraform => "terraform", "config", "Terraform and HCL files, tfvars";
    Yaml => "yaml", "config", "other YAML";
    Json => "json", "config", "JSON files (devcontainer.json, auth.json, ...)";
    Toml => "toml", "config", "TOML files";
    OtherConfig => "other-config", "config", "ini, cfg, conf, properties";
    Python => "python", "code", "Python";
    Java => "java", "code", "Java, Kotlin, Groovy, Scala";
    Go => "go", "code", "Go";
    DotNet => "dotnet", "code", "C#, F#, VB.NET";
    JavaScript => "javascript", "code", "JavaScript and TypeScript";
    Rust => "rust", "code", "Rust";
    Ruby => "ruby", "code", "Ruby";
    OtherCode => "other-code", "code", "other programming languages";
    Docs => "docs", "docs", "Markdown, reStructuredText, AsciiDoc, plain text, notebooks";
    Other => "other", "other", "anything else";
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Group names accepted in rule `kinds` lists besides kind names.
pub const GROUPS: &[&str] = &[
    "ci",
    "code",
    "config",
    "docs",
    "scripts",
    "containers",
    "other",
];

/// Resolves a name from a rule file (a kind or a group) to the kinds it means.
pub fn resolve(name: &str) -> Option<Vec<FileKind>> {
    if let Some(k) = FileKind::ALL.iter().find(|k| k.as_str() == name) {
        return Some(vec![*k]);
    }
    GROUPS.contains(&name).then(|| {
        FileKind::ALL
            .iter()
            .copied()
            .filter(|k| k.group() == name)
            .collect()
    })
}

/// Classifies a `/`-separated relative path.
pub fn classify(rel_path: &str) -> FileKind {
    let lower = rel_path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    let dir = &lower[..lower.len() - name.len()];
    let dir_has =
        |seg: &str| dir.split('/').any(|d| d == seg) || dir.starts_with(&format!("{seg}/"));
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let yaml = matches!(ext, "yml" | "yaml");

    // Names first: many CI and container files are identified by name alone.
    if name == ".envrc" || name.ends_with(".envrc") {
        return FileKind::Shell;
    }
    if name == ".env"
        || name.starts_with(".env.")
        || (ext == "env" && !name.starts_with('.'))
        || name.ends_with(".env")
    {
        return FileKind::Dotenv;
    }
    if name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
        || name.starts_with("containerfile.")
    {
        return FileKind::Dockerfile;
    }
    if yaml
        && (name.starts_with("docker-compose")
            || name.starts_with("compose.")
            || name.starts_with("compose-")
            || name.contains(".compose."))
    {
        return FileKind::Compose;
    }
    if yaml
        && (lower.contains(".github/workflows/") || name == "action.yml" || name == "action.yaml")
    {
        return FileKind::GithubActions;
    }
    if name == ".gitlab-ci.yml"
        || name.ends_with(".gitlab-ci.yml")
        || (yaml && dir.contains(".gitlab/ci"))
    {
        return FileKind::GitlabCi;
    }
    if yaml && dir_has(".circleci") {
        return FileKind::CircleCi;
    }
    if name == "bitbucket-pipelines.yml" {
        return FileKind::BitbucketPipelines;
    }
    if name.starts_with("jenkinsfile") || name.ends_with(".jenkinsfile") {
        return FileKind::Jenkinsfile;
    }
    if matches!(
        name,
        ".travis.yml"
            | ".drone.yml"
            | "appveyor.yml"
            | ".appveyor.yml"
            | "codefresh.yml"
            | ".woodpecker.yml"
    ) || (yaml
        && (name.starts_with("azure-pipelines")
            || name.starts_with("buildspec")
            || name.starts_with("cloudbuild")
            || dir_has(".semaphore")
            || dir_has(".buildkite")
            || dir_has(".woodpecker")
            || dir_has(".azure-pipelines")))
    {
        return FileKind::OtherCi;
    }
    if matches!(name, "makefile" | "gnumakefile") || matches!(ext, "mk" | "make") {
        return FileKind::Makefile;
    }
    if matches!(
        name,
        ".bashrc" | ".bash_profile" | ".profile" | ".zshrc" | ".zprofile" | ".zshenv" | ".kshrc"
    ) {
        return FileKind::Shell;
    }
    if yaml {
        let k8s = dir_has("templates")
            || dir_has("charts")
            || dir_has("helm")
            || dir_has("k8s")
            || dir_has("kubernetes")
            || dir_has("manifests")
            || name.starts_with("values")
            || name == "chart.yaml";
        return if k8s {
            FileKind::Kubernetes
        } else {
            FileKind::Yaml
        };
    }
    match ext {
        "sh" | "bash" | "zsh" | "ksh" | "fish" | "command" => FileKind::Shell,
        "ps1" | "psm1" | "psd1" => FileKind::PowerShell,
        "nix" => FileKind::Nix,
        "tf" | "tfvars" | "hcl" => FileKind::Terraform,
        "json" | "jsonc" | "json5" => FileKind::Json,
        "toml" => FileKind::Toml,
        "ini" | "cfg" | "conf" | "properties" => FileKind::OtherConfig,
        "py" | "pyi" => FileKind::Python,
        "java" | "kt" | "kts" | "groovy" | "gradle" | "scala" | "sc" => FileKind::Java,
        "go" => FileKind::Go,
        "cs" | "fs" | "vb" | "csx" => FileKind::DotNet,
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "mts" | "cts" | "tsx" => FileKind::JavaScript,
        "rs" => FileKind::Rust,
        "rb" | "rake" => FileKind::Ruby,
        "c" | "h" | "cc" | "cpp" | "hpp" | "swift" | "php" | "pl" | "lua" | "r" | "ex" | "exs"
        | "erl" | "clj" | "dart" | "m" => FileKind::OtherCode,
        "md" | "mdx" | "markdown" | "rst" | "txt" | "adoc" | "asciidoc" | "ipynb" | "org" => {
            FileKind::Docs
        }
        _ => FileKind::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FileKind::*;

    #[test]
    fn classifies_the_surfaces_of_the_spec() {
        let cases = [
            (".env", Dotenv),
            ("svc/.env.local", Dotenv),
            ("config/prod.env", Dotenv),
            (".envrc", Shell),
            ("scripts/start.sh", Shell),
            ("home/.bashrc", Shell),
            ("tools/start.ps1", PowerShell),
            ("shell.nix", Nix),
            ("Makefile", Makefile),
            ("build/rules.mk", Makefile),
            ("Dockerfile", Dockerfile),
            ("docker/Dockerfile.dev", Dockerfile),
            ("docker-compose.yml", Compose),
            ("deploy/compose.override.yaml", Compose),
            (".github/workflows/ci.yml", GithubActions),
            ("actions/setup/action.yml", GithubActions),
            (".gitlab-ci.yml", GitlabCi),
            (".circleci/config.yml", CircleCi),
            ("bitbucket-pipelines.yml", BitbucketPipelines),
            ("Jenkinsfile", Jenkinsfile),
            (".drone.yml", OtherCi),
            ("azure-pipelines.yml", OtherCi),
            ("buildspec.yml", OtherCi),
            ("charts/localstack/values.yaml", Kubernetes),
            ("k8s/deployment.yaml", Kubernetes),
            ("config/app.yaml", Yaml),
            ("envs/dev.auto.tfvars", Terraform),
            (".devcontainer/devcontainer.json", Json),
            ("tests/conftest.py", Python),
            ("src/test/java/TestRDS.java", Java),
            ("main_test.go", Go),
            ("Tests/LocalStackTests.cs", DotNet),
            ("test/setup.ts", JavaScript),
            ("tests/it.rs", Rust),
            ("README.md", Docs),
            ("docs/ci.rst", Docs),
            ("logo.png", Other),
        ];
        for (path, want) in cases {
            assert_eq!(classify(path), want, "{path}");
        }
    }

    #[test]
    fn resolves_kinds_and_groups() {
        assert_eq!(resolve("dotenv"), Some(vec![Dotenv]));
        let ci = resolve("ci").unwrap();
        assert!(ci.contains(&GithubActions) && ci.contains(&OtherCi) && !ci.contains(&Shell));
        assert_eq!(resolve("nope"), None);
    }
}
