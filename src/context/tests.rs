//! Facility integration, a cost note and robustness properties.

use super::*;
use proptest::prelude::*;
use std::time::Instant;

#[test]
fn file_context_builds_lazily_and_composes() {
    let wf = "jobs:\n  test:\n    steps:\n      - run: |\n          # docker run -e LOCALSTACK_API_KEY localstack/localstack\n          docker run -d -e LOCALSTACK_AUTH_TOKEN localstack/localstack-pro\n";
    let ctx = FileContext::new(Syntax::Yaml, wf.as_bytes());
    assert!(ctx.lex.get().is_none() && ctx.yaml.get().is_none());
    let at = wf.find("docker run -d").unwrap_or(0);
    let block = ctx.yaml().block_scalar_at(at).expect("run block");
    assert!(
        ctx.lex.get().is_none(),
        "the YAML query needs no lexical map"
    );
    // The block's content read as shell: comments and commands.
    let shell = lex::LexMap::build_range(Syntax::Shell, ctx.content(), block.content.clone());
    let commented = wf.find("# docker").unwrap_or(0);
    assert!(shell.is_commented_line(ctx.content(), commented + 10));
    assert!(!shell.is_commented_line(ctx.content(), at));
    assert_eq!(ctx.lex().class_at(commented), lex::Class::String);
    let cmds =
        shell::ShellMap::build_range(ctx.content(), block.content.clone(), shell::Dialect::Posix);
    let run = cmds
        .command_at(at)
        .and_then(|c| c.docker_run())
        .expect("docker run");
    assert_eq!(run.image_text.as_deref(), Some("localstack/localstack-pro"));
    // The commented line holds no command.
    assert!(cmds.command_at(commented + 10).is_none());

    let md = "Run:\n\n```bash\nexport LOCALSTACK_API_KEY=old # legacy\n```\n";
    let ctx = FileContext::new(Syntax::Markdown, md.as_bytes());
    let at = md.find("LOCALSTACK").unwrap_or(0);
    let (_, region) = ctx.docs().span_at(at).expect("block");
    let docs::Region::CodeBlock { lang, content, .. } = region else {
        panic!("not a code block: {region:?}");
    };
    let syn = lang.as_deref().and_then(Syntax::from_lang).expect("lang");
    assert_eq!(syn, Syntax::Shell);
    let block_lex = lex::LexMap::build(syn, &md.as_bytes()[content.clone()]);
    assert!(block_lex.is_code(at - content.start));

    let java = "class T {\n  LocalStackContainer c = new LocalStackContainer(IMAGE)\n      .withEnv(\"LOCALSTACK_API_KEY\", key);\n}\n";
    let ctx = FileContext::new(Syntax::Java, java.as_bytes());
    assert!(!ctx.is_commented_line(java.find(".withEnv").unwrap_or(0)));
    assert_eq!(ctx.blank_comments(0..java.len()).len(), java.len());
    let site = ctx.code_at(java.find("\"LOCALSTACK").unwrap_or(0));
    assert_eq!(site.call().and_then(|c| c.name.as_deref()), Some("withEnv"));
    assert!(ctx.lex.get().is_some());

    let df = "FROM localstack/localstack\nRUN docker run -e LOCALSTACK_API_KEY localstack/localstack-pro\n";
    let ctx = FileContext::new(Syntax::Dockerfile, df.as_bytes());
    assert_eq!(ctx.dockerfile().stages().len(), 1);
    assert!(ctx
        .shell()
        .command_at(df.find("-e").unwrap_or(0))
        .is_some_and(|c| c.docker_run().is_some()));
    let mk = "start:\n\t@echo $(LOCALSTACK_API_KEY)\n";
    let ctx = FileContext::new(Syntax::Makefile, mk.as_bytes());
    assert!(ctx
        .shell()
        .command_at(mk.find("echo").unwrap_or(0))
        .is_some_and(|c| c.is_echo()));
}

#[test]
fn lang_names_map_to_syntaxes() {
    for (lang, want) in [
        ("sh", Syntax::Shell),
        ("console", Syntax::Shell),
        ("yml", Syntax::Yaml),
        ("docker-compose", Syntax::Yaml),
        ("Dockerfile", Syntax::Dockerfile),
        ("ps1", Syntax::PowerShell),
        ("kotlin", Syntax::Kotlin),
        ("tf", Syntax::Hcl),
        ("ts", Syntax::JavaScript),
        ("groovy", Syntax::Groovy),
    ] {
        assert_eq!(Syntax::from_lang(lang), Some(want), "{lang}");
    }
    assert_eq!(Syntax::from_lang("text"), None);
    assert!(Syntax::Python.is_program() && !Syntax::Yaml.is_program());
}

fn big_yaml(target: usize) -> String {
    let mut s =
        String::from("version: \"3.8\"\nx-common: &common\n  restart: unless-stopped\nservices:\n");
    let mut i = 0;
    while s.len() < target {
        s.push_str(&format!(
            "  svc{i}:\n    <<: *common\n    image: localstack/localstack-pro:4.{i}\n    environment:\n      - LOCALSTACK_AUTH_TOKEN=${{LOCALSTACK_AUTH_TOKEN:?}}\n      # - LOCALSTACK_API_KEY=${{LOCALSTACK_API_KEY}}\n      - DEBUG=1 # verbose, é\n    command: |\n      echo \"start {i}\" # shell\n      localstack start -d\n"
        ));
        i += 1;
    }
    s
}

fn big_java(target: usize) -> String {
    let mut s = String::from("package x;\n\n");
    let mut i = 0;
    while s.len() < target {
        s.push_str(&format!(
            "/** Test {i}: starts localstack/localstack-pro. */\nclass T{i} {{\n    // .withEnv(\"LOCALSTACK_API_KEY\", key)\n    static LocalStackContainer ls{i} = new LocalStackContainer(DockerImageName.parse(\"localstack/localstack-pro:4.0\"))\n        .withEnv(\"LOCALSTACK_AUTH_TOKEN\", System.getenv(\"LOCALSTACK_AUTH_TOKEN\"))\n        .withServices(S3);\n    String s{i} = \"a // b\" + '\"';\n}}\n"
        ));
        i += 1;
    }
    s
}

/// Prints what each facility costs on 1 MB inputs (no timing assertions:
/// machines differ; run with `--nocapture`, ideally `--release`).
#[test]
fn cost_note() {
    let yaml = big_yaml(1 << 20);
    let t = Instant::now();
    let lex = lex::LexMap::build(Syntax::Yaml, yaml.as_bytes());
    let lex_t = t.elapsed();
    let t = Instant::now();
    let doc = yaml::YamlDoc::parse(yaml.as_bytes());
    let parse_t = t.elapsed();
    let pats = [yaml::PathPattern::parse("services.*")];
    let t = Instant::now();
    let mut hits = 0;
    for (i, _) in yaml.match_indices("LOCALSTACK_API_KEY").take(1000) {
        if doc.unit_at(i, &pats).is_some() && lex.is_commented_line(yaml.as_bytes(), i) {
            hits += 1;
        }
    }
    let q_t = t.elapsed();
    assert!(hits > 0 && !doc.used_fallback());
    println!(
        "cost: 1 MiB YAML ({} nodes): lex {:?}, parse+tree {:?}, 1000 unit+comment queries {:?}",
        doc.len(),
        lex_t,
        parse_t,
        q_t
    );
    let fb = yaml.replace(
        "services:",
        "{{- if .Values.x }}\nservices: {{ .Values.y }\n",
    );
    let t = Instant::now();
    let fdoc = yaml::YamlDoc::parse(fb.as_bytes());
    println!(
        "cost: same YAML through the fallback: {:?} ({} nodes)",
        t.elapsed(),
        fdoc.len()
    );

    let java = big_java(1 << 20);
    let t = Instant::now();
    let lex = lex::LexMap::build(Syntax::Java, java.as_bytes());
    let lex_t = t.elapsed();
    let t = Instant::now();
    let mut calls = 0;
    for (i, _) in java.match_indices("\"LOCALSTACK_AUTH_TOKEN\"").take(1000) {
        let site = code::CodeSite::at(Syntax::Java, java.as_bytes(), &lex, i);
        calls += usize::from(site.call().is_some());
    }
    let q_t = t.elapsed();
    assert!(calls > 0);
    println!("cost: 1 MiB Java: lex {lex_t:?}, 1000 call-context queries {q_t:?}");
    let t = Instant::now();
    let sh = shell::ShellMap::build(yaml.as_bytes());
    println!(
        "cost: 1 MiB read as shell: {:?} ({} commands)",
        t.elapsed(),
        sh.commands().len()
    );
}

const ALL: &[Syntax] = &[
    Syntax::Shell,
    Syntax::Dotenv,
    Syntax::PowerShell,
    Syntax::Makefile,
    Syntax::Dockerfile,
    Syntax::Nix,
    Syntax::Hcl,
    Syntax::Toml,
    Syntax::Ini,
    Syntax::Yaml,
    Syntax::Json,
    Syntax::Python,
    Syntax::Ruby,
    Syntax::Perl,
    Syntax::Java,
    Syntax::Kotlin,
    Syntax::Groovy,
    Syntax::Scala,
    Syntax::Go,
    Syntax::CSharp,
    Syntax::JavaScript,
    Syntax::Rust,
    Syntax::C,
    Syntax::Markdown,
    Syntax::Rst,
    Syntax::AsciiDoc,
    Syntax::Notebook,
    Syntax::Html,
    Syntax::Plain,
];

/// Pieces that drive every scanner into its states.
const PIECES: &[&str] = &[
    "\"",
    "'",
    "`",
    "#",
    "//",
    "/*",
    "*/",
    "<!--",
    "-->",
    "$(",
    "${",
    "$((",
    "))",
    ")",
    "}",
    "{",
    "(",
    "[",
    "]",
    "<<EOF\n",
    "EOF\n",
    "<<-X\n",
    "\n",
    "\r\n",
    " ",
    "\t",
    "\\",
    "\"\"\"",
    "'''",
    "r#\"",
    "\"#",
    "@\"",
    "$\"",
    "''",
    ": ",
    "- ",
    "|\n",
    ">-\n",
    "  ",
    "    ",
    "{{",
    "}}",
    "{{/*",
    "*/}}",
    "=",
    "==",
    ":=",
    ",",
    ";",
    "&&",
    "||",
    "|",
    "```",
    "~~~",
    ".. code-block:: sh\n",
    "----\n",
    "::\n",
    "é",
    "漢",
    "\u{FEFF}",
    "x",
    "LOCALSTACK_API_KEY",
    ".withEnv(",
    "new ",
    "to",
    "=>",
    "->",
    "<#",
    "#>",
    "@'",
    "'@",
    "=begin\n",
    "=end\n",
    "RUN ",
    "FROM ",
    "\t@",
    "$$",
    "---\n",
    "&a ",
    "*a",
    "<<: ",
    "\"cells\": [{\"cell_type\": \"code\", \"source\": [\"x\"]}]",
];

fn check_all(bytes: &[u8]) {
    let valid = std::str::from_utf8(bytes).is_ok();
    let boundary = |i: usize| !valid || i >= bytes.len() || (bytes[i] & 0xC0) != 0x80;
    for &syn in ALL {
        let lex = lex::LexMap::build(syn, bytes);
        let mut prev = 0;
        for (r, _) in lex.spans() {
            assert!(
                r.start >= prev && r.start < r.end && r.end <= bytes.len(),
                "{syn:?}"
            );
            assert!(boundary(r.start) && boundary(r.end), "{syn:?} {r:?}");
            prev = r.end;
        }
        for i in [0, bytes.len() / 3, bytes.len() / 2, bytes.len()] {
            let _ = lex.class_at(i);
            let _ = lex.is_commented_line(bytes, i);
        }
        assert_eq!(lex.blank_comments(bytes, 0..bytes.len()).len(), bytes.len());
        if syn.is_program() {
            for i in [0, bytes.len() / 2, bytes.len().saturating_sub(1)] {
                let site = code::CodeSite::at(syn, bytes, &lex, i);
                assert!(site.token.start <= site.token.end && site.token.end <= bytes.len());
                assert!(site.statement.end <= bytes.len());
                assert!(boundary(site.token.start) && boundary(site.token.end));
                for e in &site.enclosures {
                    assert!(e.open < bytes.len());
                    assert!(e.close.is_none_or(|c| c < bytes.len() && c > e.open));
                    for a in &e.args {
                        assert!(a.start <= a.end && a.end <= bytes.len());
                    }
                }
                if let Some(a) = &site.assignment {
                    assert!(a.target.end <= bytes.len() && a.value.end <= bytes.len());
                }
            }
        }
    }
    let doc = yaml::YamlDoc::parse(bytes);
    for i in 0..doc.len() {
        let n = doc.node(yaml::NodeId(i as u32));
        let (sp, v) = (n.span(), n.value_span());
        assert!(sp.start <= sp.end && sp.end <= bytes.len(), "{sp:?}");
        assert!(v.start <= v.end && v.end <= bytes.len(), "{v:?}");
        assert!(boundary(sp.start) && boundary(sp.end) && boundary(v.start) && boundary(v.end));
        if let Some(p) = n.parent() {
            let ps = doc.node(p).span();
            assert!(
                ps.start <= sp.start && sp.end <= ps.end,
                "child {sp:?} outside {ps:?}"
            );
        }
        if let Some(b) = n.block_content() {
            assert!(b.start <= b.end && b.end <= bytes.len());
        }
    }
    for i in [0, bytes.len() / 2, bytes.len()] {
        let _ = doc.path_at(i);
        let _ = doc.unit_at(i, &[yaml::PathPattern::parse("**")]);
        let _ = doc.block_scalar_at(i);
    }
    for f in [
        docs::DocFormat::Markdown,
        docs::DocFormat::Rst,
        docs::DocFormat::AsciiDoc,
        docs::DocFormat::Notebook,
    ] {
        let d = docs::DocsMap::build_as(f, bytes);
        let mut prev = 0;
        for (r, reg) in d.regions() {
            assert!(
                r.start >= prev && r.end <= bytes.len() && r.start < r.end,
                "{f:?}"
            );
            assert!(boundary(r.start) && boundary(r.end), "{f:?} {r:?}");
            if let docs::Region::CodeBlock { content, .. } = reg {
                assert!(content.start <= content.end && content.end <= bytes.len());
            }
            prev = r.end;
        }
    }
    for m in [
        shell::ShellMap::build(bytes),
        shell::ShellMap::build_makefile(bytes),
        shell::ShellMap::build_powershell(bytes),
        shell::ShellMap::build_dockerfile(&shell::DockerfileMap::build(bytes), bytes),
    ] {
        for c in m.commands() {
            assert!(c.span.start <= c.span.end && c.span.end <= bytes.len());
            for w in &c.words {
                assert!(w.span.start <= w.span.end && w.span.end <= bytes.len());
                assert!(
                    boundary(w.span.start) && boundary(w.span.end),
                    "{:?}",
                    w.span
                );
            }
            let _ = c.docker_run();
        }
        for e in m.expansions() {
            assert!(e.span.end <= bytes.len());
        }
        let _ = m.command_at(bytes.len() / 2);
    }
    let df = shell::DockerfileMap::build(bytes);
    for ins in df.instructions() {
        assert!(ins.span.end <= bytes.len() && ins.args.end <= bytes.len());
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(48),
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        check_all(&bytes);
    }

    #[test]
    fn syntax_soup_never_panics(parts in proptest::collection::vec(0..PIECES.len(), 0..120)) {
        let text: String = parts.iter().map(|&i| PIECES[i]).collect();
        check_all(text.as_bytes());
    }
}

#[test]
fn pathological_inputs_stay_linear() {
    // Unclosed openers of every kind, long lines, deep nesting: each must
    // finish quickly (the test would time out otherwise).
    let n = 200_000;
    for unit in [
        "\"", "'", "`", "/", "(", "{", "[", "$(", "${", "<<A\n", "- ", "`` ", "\\", "#",
    ] {
        let text = unit.repeat(n / unit.len());
        check_small(text.as_bytes());
        // The same with a second line, so per-line lookups are exercised.
        check_small(format!("{text}\n# c\nx").as_bytes());
    }
}

/// `check_all` without the per-format quadratic-free but heavy parts.
fn check_small(bytes: &[u8]) {
    let slow = |what: &str, t: Instant| {
        if t.elapsed().as_millis() > 300 {
            eprintln!(
                "SLOW {what} {:?} on {:?}",
                t.elapsed(),
                String::from_utf8_lossy(&bytes[..8.min(bytes.len())])
            );
        }
    };
    for &syn in ALL {
        let t = Instant::now();
        let lex = lex::LexMap::build(syn, bytes);
        let _ = lex.class_at(bytes.len() / 2);
        slow(&format!("lex {syn:?}"), t);
        if syn.is_program() {
            let t = Instant::now();
            let _ = code::CodeSite::at(syn, bytes, &lex, bytes.len() / 2);
            slow(&format!("code {syn:?}"), t);
        }
    }
    let t = Instant::now();
    let _ = yaml::YamlDoc::parse(bytes);
    slow("yaml", t);
    let t = Instant::now();
    let _ = docs::DocsMap::build(bytes);
    slow("docs", t);
    let t = Instant::now();
    let _ = shell::ShellMap::build(bytes);
    slow("shell", t);
}

#[test]
fn found_by_the_properties() {
    // A key, a comment line, then a nested sequence: the value starts after
    // the comment, and the node still holds it.
    check_all(b"`|\n=::\n#>|\n- \n\"");
}
