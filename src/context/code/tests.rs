use super::*;

fn site(syntax: Syntax, src: &str, needle: &str) -> CodeSite {
    site_nth(syntax, src, needle, 0)
}

fn site_nth(syntax: Syntax, src: &str, needle: &str, nth: usize) -> CodeSite {
    let lex = LexMap::build(syntax, src.as_bytes());
    let pos = src
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
        .0;
    CodeSite::at(syntax, src.as_bytes(), &lex, pos)
}

fn text<'a>(src: &'a str, r: &Range<usize>) -> &'a str {
    &src[r.clone()]
}

fn call_names(s: &CodeSite) -> Vec<String> {
    s.calls().filter_map(|c| c.name.clone()).collect()
}

const JAVA: &str = r#"package cloud.localstack.sample;

class TestRDS {
    @Container
    static LocalStackContainer localstack = new LocalStackContainer(DockerImageName.parse("localstack/localstack-pro:3.0"))
            .withEnv("LOCALSTACK_API_KEY", System.getenv("LOCALSTACK_API_KEY"))
            // .withEnv("ACTIVATE_PRO", "1")
            .withServices(S3);

    static String other = System.getProperty("x");
}
"#;

#[test]
fn java_builder_chain() {
    let s = site(Syntax::Java, JAVA, "\"LOCALSTACK_API_KEY\"");
    let call = s.call().expect("call");
    assert_eq!(call.name.as_deref(), Some("withEnv"));
    assert_eq!(call.short_name(), Some("withEnv"));
    assert!(call.chained && !call.constructor);
    assert_eq!(call.arg_index, Some(0));
    assert_eq!(call.args.len(), 2);
    assert_eq!(
        text(JAVA, &call.args[1]),
        "System.getenv(\"LOCALSTACK_API_KEY\")"
    );
    let stmt = text(JAVA, &s.statement);
    assert!(stmt.starts_with("@Container"), "{stmt}");
    assert!(stmt.contains("new LocalStackContainer("));
    assert!(stmt.ends_with(".withServices(S3);"), "{stmt}");
    // The class body is a block, reported but outside the statement.
    let class = s.enclosures.last().expect("class");
    assert_eq!(class.kind, Kind::Brace);
    assert!(class.is_block);
    assert_eq!(class.name.as_deref(), Some("TestRDS"));

    let inner = site_nth(Syntax::Java, JAVA, "\"LOCALSTACK_API_KEY\"", 1);
    assert_eq!(call_names(&inner), ["System.getenv", "withEnv"]);
    assert_eq!(inner.calls().nth(1).and_then(|c| c.arg_index), Some(1));
    assert_eq!(inner.statement, s.statement);

    let img = site(Syntax::Java, JAVA, "\"localstack/localstack-pro");
    assert_eq!(
        call_names(&img),
        ["DockerImageName.parse", "LocalStackContainer"]
    );
    assert!(img.calls().nth(1).is_some_and(|c| c.constructor));
    assert!(img.assignment.as_ref().is_some_and(|a| !a.in_target));

    let other = site(Syntax::Java, JAVA, "\"x\"");
    assert_eq!(
        text(JAVA, &other.statement),
        "static String other = System.getProperty(\"x\");"
    );
    let a = other.assignment.expect("assignment");
    assert_eq!(text(JAVA, &a.target), "static String other");
    assert_eq!(text(JAVA, &a.value), "System.getProperty(\"x\")");
    // A commented-out call is a comment, not a call.
    let c = site(Syntax::Java, JAVA, "\"ACTIVATE_PRO\"");
    assert_eq!(c.class, Class::Comment);
    assert!(c.enclosures.is_empty());
}

const PYTHON: &str = r#"import os

def container_factory(env_vars):
    env_vars["LOCALSTACK_API_KEY"] = os.environ.get("LOCALSTACK_API_KEY", "test")
    key = os.environ["LOCALSTACK_AUTH_TOKEN"]
    env = [{"name": "LOCALSTACK_API_KEY", "value": key}]
    pairs = [("ACTIVATE_PRO", "1"), ("DEBUG", "1")]
    ls = LocalStackContainer(image="localstack/localstack:latest").with_env(
        "LOCALSTACK_AUTH_TOKEN", os.environ["LOCALSTACK_AUTH_TOKEN"]
    )
    return ls
"#;

#[test]
fn python_subscripts_dicts_tuples_kwargs() {
    let py = Syntax::Python;
    let s = site(py, PYTHON, "\"LOCALSTACK_API_KEY\"");
    let sub = s.subscript().expect("subscript");
    assert_eq!(sub.name.as_deref(), Some("env_vars"));
    assert!(s.is_assignment_target());
    let a = s.assignment.as_ref().expect("assignment");
    assert_eq!(
        text(PYTHON, &a.value),
        "os.environ.get(\"LOCALSTACK_API_KEY\", \"test\")"
    );
    assert_eq!(
        text(PYTHON, &s.statement),
        "env_vars[\"LOCALSTACK_API_KEY\"] = os.environ.get(\"LOCALSTACK_API_KEY\", \"test\")"
    );

    let g = site_nth(py, PYTHON, "\"LOCALSTACK_API_KEY\"", 1);
    let call = g.call().expect("get");
    assert_eq!(call.name.as_deref(), Some("os.environ.get"));
    assert_eq!(call.arg_index, Some(0));
    assert!(!g.is_assignment_target());

    let r = site(py, PYTHON, "\"LOCALSTACK_AUTH_TOKEN\"]\n");
    assert_eq!(
        r.subscript().and_then(|e| e.name.as_deref()),
        Some("os.environ")
    );
    assert_eq!(
        r.assignment.as_ref().map(|a| text(PYTHON, &a.target)),
        Some("key")
    );

    let d = site_nth(py, PYTHON, "\"LOCALSTACK_API_KEY\"", 2);
    let (entry, in_key) = d.entry().expect("entry");
    assert!(!in_key);
    assert_eq!(text(PYTHON, &entry.key), "\"name\"");
    let brace = &d.enclosures[0];
    assert_eq!(brace.kind, Kind::Brace);
    assert!(!brace.is_block);
    let value = brace
        .entries
        .iter()
        .find(|e| text(PYTHON, &e.key) == "\"value\"")
        .expect("sibling");
    assert_eq!(text(PYTHON, &value.value), "key");

    let t = site(py, PYTHON, "\"ACTIVATE_PRO\"");
    assert_eq!(t.enclosures[0].kind, Kind::Tuple);
    assert_eq!(t.enclosures[0].arg_index, Some(0));
    assert_eq!(t.enclosures[1].kind, Kind::List);

    let img = site(py, PYTHON, "\"localstack/localstack:latest\"");
    let (kw, in_key) = img.entry().expect("kwarg");
    assert_eq!(
        (text(PYTHON, &kw.key), kw.sep.as_str(), in_key),
        ("image", "=", false)
    );
    assert_eq!(
        img.call().and_then(|c| c.name.as_deref()),
        Some("LocalStackContainer")
    );

    let w = site(py, PYTHON, "\"LOCALSTACK_AUTH_TOKEN\", os");
    assert_eq!(w.call().and_then(|c| c.short_name()), Some("with_env"));
    let stmt = text(PYTHON, &w.statement);
    assert!(
        stmt.starts_with("ls = LocalStackContainer(") && stmt.ends_with(')'),
        "{stmt}"
    );
}

#[test]
fn kotlin_pairs_and_chains_without_semicolons() {
    let src = r#"val localstack = LocalStackContainer(DockerImageName.parse("localstack/localstack-pro"))
    .withEnv("LOCALSTACK_AUTH_TOKEN", System.getenv("LOCALSTACK_AUTH_TOKEN"))
    .withEnv(mapOf("LOCALSTACK_API_KEY" to key, "DEBUG" to "1"))
val other = 1
"#;
    let k = Syntax::Kotlin;
    let s = site(k, src, "\"LOCALSTACK_API_KEY\"");
    let (e, in_key) = s.entry().expect("pair");
    assert!(in_key);
    assert_eq!((e.sep.as_str(), text(src, &e.value)), ("to", "key"));
    assert_eq!(call_names(&s), ["mapOf", "withEnv"]);
    let stmt = text(src, &s.statement);
    assert!(
        stmt.starts_with("val localstack") && stmt.ends_with("\"1\"))"),
        "{stmt}"
    );
    assert!(!stmt.contains("val other"));
}

#[test]
fn go_composite_literals_and_short_assignments() {
    let src = "func start(ctx context.Context) {\n\tkey := os.Getenv(\"LOCALSTACK_API_KEY\")\n\tctr, err := localstack.Run(ctx, \"localstack/localstack-pro:latest\",\n\t\ttestcontainers.WithEnv(map[string]string{\"LOCALSTACK_AUTH_TOKEN\": os.Getenv(\"LOCALSTACK_AUTH_TOKEN\")}),\n\t)\n\t_ = key\n}\n";
    let g = Syntax::Go;
    let k = site(g, src, "\"LOCALSTACK_API_KEY\"");
    assert_eq!(k.call().and_then(|c| c.name.as_deref()), Some("os.Getenv"));
    let a = k.assignment.as_ref().expect(":=");
    assert_eq!((a.op.as_str(), text(src, &a.target)), (":=", "key"));
    let m = site(g, src, "\"LOCALSTACK_AUTH_TOKEN\":");
    let brace = &m.enclosures[0];
    assert_eq!(brace.kind, Kind::Brace);
    assert_eq!(brace.name.as_deref(), Some("map[string]string"));
    assert!(m.entry().is_some_and(|(_, k)| k));
    assert_eq!(call_names(&m), ["testcontainers.WithEnv", "localstack.Run"]);
    assert_eq!(m.calls().nth(1).and_then(|c| c.arg_index), Some(2));
    let stmt = text(src, &m.statement);
    assert!(
        stmt.starts_with("ctr, err := localstack.Run(") && stmt.ends_with(')'),
        "{stmt}"
    );
}

#[test]
fn csharp_powershell_js_groovy_rust() {
    let cs = "var c = new LocalStackBuilder()\n    .WithImage(\"localstack/localstack:latest\")\n    .WithEnvironment(\"LOCALSTACK_AUTH_TOKEN\", Environment.GetEnvironmentVariable(\"LOCALSTACK_AUTH_TOKEN\"))\n    .Build();\n";
    let s = site_nth(Syntax::CSharp, cs, "\"LOCALSTACK_AUTH_TOKEN\"", 1);
    assert_eq!(
        call_names(&s),
        ["Environment.GetEnvironmentVariable", "WithEnvironment"]
    );
    assert_eq!(text(cs, &s.statement), cs.trim_end());

    let ps = "[Environment]::SetEnvironmentVariable(\"LOCALSTACK_API_KEY\", $key, \"User\")\n$env:LOCALSTACK_API_KEY = \"abc\"\n";
    let s = site(Syntax::PowerShell, ps, "\"LOCALSTACK_API_KEY\"");
    assert_eq!(
        s.call().and_then(|c| c.name.as_deref()),
        Some("[Environment]::SetEnvironmentVariable")
    );
    assert_eq!(
        s.call().and_then(|c| c.short_name()),
        Some("SetEnvironmentVariable")
    );
    let a = site(Syntax::PowerShell, ps, "LOCALSTACK_API_KEY =");
    assert_eq!(text(ps, &a.token), "$env:LOCALSTACK_API_KEY");
    assert!(a.is_assignment_target());

    let js = "environment.LOCALSTACK_API_KEY = process.env.KEY;\nconst c = await new LocalstackContainer(\"localstack/localstack:3\")\n  .withEnvironment({ LOCALSTACK_AUTH_TOKEN: process.env.LOCALSTACK_AUTH_TOKEN })\n  .start();\n";
    let s = site(Syntax::JavaScript, js, "LOCALSTACK_API_KEY");
    assert_eq!(text(js, &s.token), "environment.LOCALSTACK_API_KEY");
    assert!(s.is_assignment_target());
    let o = site(Syntax::JavaScript, js, "LOCALSTACK_AUTH_TOKEN:");
    assert!(o.entry().is_some_and(|(_, k)| k));
    assert_eq!(
        o.call().and_then(|c| c.name.as_deref()),
        Some("withEnvironment")
    );
    assert!(text(js, &o.statement).ends_with(".start();"));

    let jf = r#"pipeline {
  environment {
    LOCALSTACK_API_KEY = credentials('localstack-api-key')
  }
  stages {
    stage('it') {
      steps {
        withCredentials([string(credentialsId: 'ls-key', variable: 'LOCALSTACK_API_KEY')]) {
          sh 'make test'
        }
      }
    }
  }
}
"#;
    let g = Syntax::Groovy;
    let e = site(g, jf, "LOCALSTACK_API_KEY =");
    assert!(e.is_assignment_target());
    assert_eq!(e.enclosures[0].name.as_deref(), Some("environment"));
    assert!(e.enclosures[0].is_block);
    assert_eq!(
        text(jf, &e.statement),
        "LOCALSTACK_API_KEY = credentials('localstack-api-key')"
    );
    let w = site(g, jf, "'LOCALSTACK_API_KEY'");
    let (entry, in_key) = w.entry().expect("named arg");
    assert_eq!((text(jf, &entry.key), in_key), ("variable", false));
    assert_eq!(call_names(&w), ["string", "withCredentials"]);
    let body = site(g, jf, "'make test'");
    let block = body
        .enclosures
        .iter()
        .find(|e| e.kind == Kind::Brace)
        .expect("block");
    assert_eq!(block.name.as_deref(), Some("withCredentials"));

    let rs = "let image = GenericImage::new(\"localstack/localstack\", \"3.0\")\n    .with_env_var(\"ACTIVATE_PRO\", \"1\");\nlet env = [(\"LOCALSTACK_AUTH_TOKEN\", token.as_str())];\n";
    let r = site(Syntax::Rust, rs, "\"ACTIVATE_PRO\"");
    assert_eq!(
        r.call().and_then(|c| c.name.as_deref()),
        Some("with_env_var")
    );
    assert!(text(rs, &r.statement).starts_with("let image = GenericImage::new("));
    let t = site(Syntax::Rust, rs, "\"LOCALSTACK_AUTH_TOKEN\"");
    assert_eq!(t.enclosures[0].kind, Kind::Tuple);
    let n = site(Syntax::Rust, rs, "\"localstack/localstack\"");
    assert_eq!(
        n.call().and_then(|c| c.name.as_deref()),
        Some("GenericImage::new")
    );
}

#[test]
fn queries_stay_bounded_on_huge_input() {
    // 1 MiB of nesting and a 2 MiB line: each query looks at a bounded window.
    let mut src = "f(".repeat(512 * 1024);
    src.push_str("\"LOCALSTACK_API_KEY\"");
    let lex = LexMap::build(Syntax::Java, src.as_bytes());
    let at = src.find('"').unwrap_or(0);
    let s = CodeSite::at(Syntax::Java, src.as_bytes(), &lex, at);
    assert!(s.enclosures.len() <= MAX_LEVELS);
    let line = "x = 1, ".repeat(300_000);
    let lex = LexMap::build(Syntax::Python, line.as_bytes());
    let s = CodeSite::at(Syntax::Python, line.as_bytes(), &lex, line.len() / 2);
    assert!(s.statement.end <= line.len());
}
