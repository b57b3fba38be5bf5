use super::*;
use crate::context::Syntax;

/// Class of the first byte of the `nth` occurrence of `needle`.
fn class_nth(syntax: Syntax, src: &str, needle: &str, nth: usize) -> Class {
    let lex = LexMap::build(syntax, src.as_bytes());
    let pos = src
        .match_indices(needle)
        .nth(nth)
        .unwrap_or_else(|| panic!("{needle:?} #{nth} not in {src:?}"))
        .0;
    lex.class_at(pos)
}

fn class(syntax: Syntax, src: &str, needle: &str) -> Class {
    class_nth(syntax, src, needle, 0)
}

fn commented(syntax: Syntax, src: &str, needle: &str) -> bool {
    let lex = LexMap::build(syntax, src.as_bytes());
    let pos = src.find(needle).expect("needle");
    lex.is_commented_line(src.as_bytes(), pos)
}

use Class::*;

#[test]
fn shell_comments_need_a_word_start() {
    let src = r##"#!/usr/bin/env bash
export LOCALSTACK_API_KEY=abc123 # legacy key, remove
# export LOCALSTACK_AUTH_TOKEN=placeholder
echo "args: $#" "${LOCALSTACK_API_KEY#ls-}" ${TOKEN%%#*}
curl -fsS https://app.localstack.cloud/#/workspace/ci-keys
echo 'it # is not a comment' "nor # this"
TAG=v1#2
"##;
    let sh = Syntax::Shell;
    assert_eq!(class(sh, src, "#!/usr"), Comment);
    assert_eq!(class(sh, src, "LOCALSTACK_API_KEY=abc123"), Code);
    assert_eq!(class(sh, src, "# legacy"), Comment);
    assert!(commented(sh, src, "LOCALSTACK_AUTH_TOKEN=placeholder"));
    assert!(!commented(sh, src, "LOCALSTACK_API_KEY=abc123"));
    assert_eq!(class(sh, src, "#\" \"${"), String);
    assert_eq!(class(sh, src, "#ls-"), Code);
    assert_eq!(class(sh, src, "#*}"), Code);
    assert_eq!(class(sh, src, "#/workspace"), Code);
    assert_eq!(class(sh, src, "# is not"), String);
    assert_eq!(class(sh, src, "# this"), String);
    assert_eq!(class(sh, src, "#2"), Code);
    // A flag commented out inside a continued command.
    let cont = "docker run -d \\
#   -e LOCALSTACK_AUTH_TOKEN=\"x\" \\
  localstack/localstack
";
    assert!(commented(sh, cont, "-e LOCALSTACK_AUTH_TOKEN"));
    assert!(!commented(sh, cont, "localstack/localstack"));
}

#[test]
fn shell_command_substitution_inside_quotes_is_code() {
    let src = r##"docker run -d -e "LOCALSTACK_AUTH_TOKEN=$(cat "$HOME/.token" # not here)" localstack/localstack-pro # start
echo "key: `printenv LOCALSTACK_API_KEY`"
x=$(( 1 << 2 )) # shift, not a heredoc
echo after
"##;
    let sh = Syntax::Shell;
    assert_eq!(class(sh, src, "LOCALSTACK_AUTH_TOKEN"), String);
    assert_eq!(class(sh, src, "cat "), Code);
    assert_eq!(class(sh, src, "$HOME"), String);
    assert_eq!(class(sh, src, "# start"), Comment);
    assert_eq!(class(sh, src, "printenv"), Code);
    assert_eq!(class(sh, src, "# shift"), Comment);
    assert_eq!(class(sh, src, "echo after"), Code);
}

#[test]
fn shell_heredocs_are_content() {
    let src = "cat > .env <<EOF\nLOCALSTACK_API_KEY=${KEY}\n# not a shell comment\nEOF\necho done # tail\n\
               cat <<-'END' | tee out.txt\n\tLOCALSTACK_AUTH_TOKEN=x\n\tEND\nls\n\
               python - <<PY\nprint('x')\n    PY\nuname\n";
    let sh = Syntax::Shell;
    assert_eq!(class(sh, src, "LOCALSTACK_API_KEY"), Heredoc);
    assert_eq!(class(sh, src, "# not a shell"), Heredoc);
    assert_eq!(class(sh, src, "echo done"), Code);
    assert_eq!(class(sh, src, "# tail"), Comment);
    assert_eq!(class(sh, src, "| tee"), Code);
    assert_eq!(class(sh, src, "LOCALSTACK_AUTH_TOKEN"), Heredoc);
    assert_eq!(class(sh, src, "ls\n"), Code);
    // An indented terminator still ends the body (YAML `run: |` blocks).
    assert_eq!(class(sh, src, "print"), Heredoc);
    assert_eq!(class(sh, src, "uname"), Code);
    assert!(!commented(sh, src, "# not a shell"));
}

#[test]
fn dotenv_values_and_comments() {
    let src = "# LocalStack\nLOCALSTACK_API_KEY=\"abc#def\" # legacy\nLOCALSTACK_AUTH_TOKEN='ls-#x'\n#LOCALSTACK_VOLUME_DIR=./v\n";
    let d = Syntax::Dotenv;
    assert_eq!(class(d, src, "#def"), String);
    assert_eq!(class(d, src, "# legacy"), Comment);
    assert_eq!(class(d, src, "#x"), String);
    assert!(commented(d, src, "LOCALSTACK_VOLUME_DIR"));
}

#[test]
fn python_strings_comments_and_docstrings() {
    let src = r##""""Fixtures for LocalStack: set LOCALSTACK_API_KEY before running."""
import os

API = "LOCALSTACK_API_KEY"  # the legacy name
TEMPLATE = """
LOCALSTACK_AUTH_TOKEN={token}
"""


class Stack:
    '''Starts localstack/localstack for the tests.'''

    def start(self):
        """Reads os.environ["LOCALSTACK_API_KEY"]."""
        env = {"LOCALSTACK_API_KEY": os.environ.get("LOCALSTACK_API_KEY", "test")}
        # env["LOCALSTACK_AUTH_TOKEN"] = token
        url = f"https://example.com/#{env}"
        return run(r'C:\tmp\#x', b"\x00#", """inline""")
"##;
    let py = Syntax::Python;
    assert_eq!(class(py, src, "Fixtures"), Docstring);
    assert_eq!(class(py, src, "\"LOCALSTACK_API_KEY\"  #"), String);
    assert_eq!(class(py, src, "# the legacy"), Comment);
    assert_eq!(class(py, src, "LOCALSTACK_AUTH_TOKEN={token}"), String);
    assert_eq!(class(py, src, "Starts localstack"), Docstring);
    assert_eq!(class(py, src, "Reads os.environ"), Docstring);
    assert_eq!(class(py, src, "os.environ.get"), Code);
    assert!(commented(py, src, "env[\"LOCALSTACK_AUTH_TOKEN\"]"));
    assert_eq!(class(py, src, "#{env}"), String);
    assert_eq!(class(py, src, "#x"), String);
    assert_eq!(class(py, src, "\\x00#"), String);
    assert_eq!(class(py, src, "inline"), String);
}

#[test]
fn yaml_comments_strings_and_block_scalars() {
    let src = r##"# CI for the sample
services:
  localstack:
    image: localstack/localstack:3.8 # pinned
    environment:
      - DEBUG=1
      # - LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY}
      - URL=https://example.com/#frag
      - NAME=Don't # apostrophe, then a comment
      - 'QUOTED=a # b'
      - "DQ=a # \" b"
jobs:
  test:
    steps:
      - run: |
          echo "#x" # a shell comment, YAML content
          docker run -e LOCALSTACK_AUTH_TOKEN localstack/localstack-pro
        env:
          LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }} # old
      - run: >-
          echo folded
      - name: after
"##;
    let y = Syntax::Yaml;
    assert_eq!(class(y, src, "# pinned"), Comment);
    assert!(commented(y, src, "- LOCALSTACK_API_KEY="));
    assert_eq!(class(y, src, "#frag"), Code);
    assert_eq!(class(y, src, "'t # apos"), Code);
    assert_eq!(class(y, src, "# apostrophe"), Comment);
    assert_eq!(class(y, src, "# b'"), String);
    assert_eq!(class(y, src, "# \\\" b"), String);
    assert_eq!(class(y, src, "echo \"#x\""), String);
    assert_eq!(class(y, src, "# a shell"), String);
    assert_eq!(class(y, src, "docker run"), String);
    assert_eq!(class(y, src, "env:\n"), Code);
    assert_eq!(class(y, src, "# old"), Comment);
    assert_eq!(class(y, src, "echo folded"), String);
    assert_eq!(class(y, src, "name: after"), Code);
}

#[test]
fn yaml_helm_template_comments() {
    let src = "{{/* LOCALSTACK_API_KEY was removed in 0.7 */}}\nenv:\n  {{- if .Values.apiKey }}\n  - name: LOCALSTACK_API_KEY\n    value: {{ .Values.apiKey | quote }} # legacy\n  {{- end }}\n";
    let y = Syntax::Yaml;
    assert_eq!(class(y, src, "LOCALSTACK_API_KEY was"), Comment);
    assert_eq!(class(y, src, "name: LOCALSTACK"), Code);
    assert_eq!(class(y, src, "# legacy"), Comment);
    assert_eq!(class(y, src, "| quote"), Code);
}

#[test]
fn java_and_kotlin_builders() {
    let src = r##"package cloud.localstack.sample;

/** Starts localstack/localstack-pro with LOCALSTACK_API_KEY. */
class TestRDS {
    static final char QUOTE = '"';
    static final String URL = "https://example.com/a//b"; // trailing
    LocalStackContainer ls = new LocalStackContainer(DockerImageName.parse("localstack/localstack-pro:3.0"))
        // .withEnv("LOCALSTACK_API_KEY", System.getenv("LOCALSTACK_API_KEY"))
        .withEnv("LOCALSTACK_AUTH_TOKEN", System.getenv("LOCALSTACK_AUTH_TOKEN"));
    String block = """
        LOCALSTACK_API_KEY=x // inside a text block
        """;
}
"##;
    let j = Syntax::Java;
    assert_eq!(class(j, src, "Starts localstack"), Comment);
    assert_eq!(class(j, src, "static final String"), Code);
    assert_eq!(class(j, src, "//b"), String);
    assert_eq!(class(j, src, "// trailing"), Comment);
    assert!(commented(j, src, ".withEnv(\"LOCALSTACK_API_KEY\""));
    assert!(!commented(j, src, ".withEnv(\"LOCALSTACK_AUTH_TOKEN\""));
    assert_eq!(class(j, src, "\"LOCALSTACK_AUTH_TOKEN\""), String);
    assert_eq!(class(j, src, "System.getenv(\"LOCALSTACK_AUTH"), Code);
    assert_eq!(class(j, src, "// inside"), String);

    let kt = r##"val ls = LocalStackContainer(image)
    .withEnv("LOCALSTACK_AUTH_TOKEN", "${System.getenv("LOCALSTACK_AUTH_TOKEN")}") // ok
    .withEnv(mapOf("ACTIVATE_PRO" to "1"))
/* old: /* nested */ "LOCALSTACK_API_KEY" to key */
val raw = """$HOME // ${env["X"]}"""
"##;
    let k = Syntax::Kotlin;
    assert_eq!(class(k, kt, "System.getenv(\"LOCALSTACK"), Code);
    assert_eq!(class_nth(k, kt, "\"LOCALSTACK_AUTH_TOKEN\"", 1), String);
    assert_eq!(class(k, kt, "// ok"), Comment);
    assert_eq!(class(k, kt, "\"LOCALSTACK_API_KEY\" to"), Comment);
    assert_eq!(class(k, kt, "val raw"), Code);
    assert_eq!(class(k, kt, "// ${"), String);
    assert_eq!(class(k, kt, "env[\"X\"]"), Code);
}

#[test]
fn groovy_jenkinsfile() {
    let src = r##"pipeline {
  environment {
    LOCALSTACK_AUTH_TOKEN = credentials('localstack-auth-token') // new
  }
  stages {
    stage('test') {
      steps {
        // withCredentials([string(credentialsId: 'ls-key', variable: 'LOCALSTACK_API_KEY')]) {
        sh '''
          docker run -e LOCALSTACK_AUTH_TOKEN localstack/localstack-pro # shell
        '''
        sh "echo ${env.LOCALSTACK_AUTH_TOKEN} // not a comment"
      }
    }
  }
}
"##;
    let g = Syntax::Groovy;
    assert_eq!(class(g, src, "'localstack-auth-token'"), String);
    assert_eq!(class(g, src, "// new"), Comment);
    assert!(commented(g, src, "withCredentials"));
    assert_eq!(class(g, src, "docker run"), String);
    assert_eq!(class(g, src, "env.LOCALSTACK_AUTH_TOKEN"), Code);
    assert_eq!(class(g, src, "// not a comment"), String);
}

#[test]
fn go_csharp_js_rust_scala_literals() {
    let go = "ctr, err := localstack.Run(ctx, \"localstack/localstack:latest\", // tokenless\n\ttestcontainers.WithEnv(map[string]string{\"LOCALSTACK_AUTH_TOKEN\": os.Getenv(\"LOCALSTACK_AUTH_TOKEN\")}))\nconst q = `raw // \"x\"` + string('\"')\n";
    assert_eq!(class(Syntax::Go, go, "// tokenless"), Comment);
    assert_eq!(class(Syntax::Go, go, "\"LOCALSTACK_AUTH_TOKEN\":"), String);
    assert_eq!(class(Syntax::Go, go, "os.Getenv"), Code);
    assert_eq!(class(Syntax::Go, go, "// \"x"), String);
    assert_eq!(class(Syntax::Go, go, "+ string"), Code);

    let cs = r##"var c = new LocalStackBuilder()
    .WithImage("localstack/localstack:latest") // no token
    .WithEnvironment("LOCALSTACK_AUTH_TOKEN", Environment.GetEnvironmentVariable("LOCALSTACK_AUTH_TOKEN"))
    .Build();
var path = @"C:\tools\"; var msg = $"token {Environment.GetEnvironmentVariable("X")} // in string";
char c = '"'; var raw = """a // b""";
"##;
    let c = Syntax::CSharp;
    assert_eq!(class(c, cs, "// no token"), Comment);
    assert_eq!(class(c, cs, "; var msg"), Code);
    assert_eq!(
        class(c, cs, "Environment.GetEnvironmentVariable(\"X\")"),
        Code
    );
    assert_eq!(class(c, cs, "\"X\""), String);
    assert_eq!(class(c, cs, "// in string"), String);
    assert_eq!(class(c, cs, "; var raw"), Code);
    assert_eq!(class(c, cs, "// b"), String);

    let js = "const re = /\\/\\/(.*)#/g; // comment\nconst url = 'https://x.io/#a'; const t = `token=${process.env.LOCALSTACK_AUTH_TOKEN} // in template`;\nconst half = a / b / c; // division\nnew LocalstackContainer(\"localstack/localstack:3\").withEnvironment({ LOCALSTACK_AUTH_TOKEN: process.env.LOCALSTACK_AUTH_TOKEN });\n";
    let j = Syntax::JavaScript;
    assert_eq!(class(j, js, "(.*)#"), String);
    assert_eq!(class(j, js, "// comment"), Comment);
    assert_eq!(class(j, js, "#a'"), String);
    assert_eq!(class(j, js, "process.env.LOCALSTACK_AUTH_TOKEN}"), Code);
    assert_eq!(class(j, js, "// in template"), String);
    assert_eq!(class(j, js, "// division"), Comment);
    assert_eq!(class(j, js, "LOCALSTACK_AUTH_TOKEN: process"), Code);

    let rs = "fn f<'a>(x: &'a str) -> char { let s = r#\"// \"quoted\" \"#; let c = '\"'; /* outer /* inner */ still */ 'x' }\n// [\"ACTIVATE_PRO\", \"1\"]\nlet env = [(\"LOCALSTACK_AUTH_TOKEN\", token)]; let b = b\"#\";\n";
    let r = Syntax::Rust;
    assert_eq!(class(r, rs, "x: &'a"), Code);
    assert_eq!(class(r, rs, "// \"quoted"), String);
    assert_eq!(class(r, rs, "still"), Comment);
    assert_eq!(class(r, rs, "'x'"), String);
    assert!(commented(r, rs, "ACTIVATE_PRO"));
    assert_eq!(class(r, rs, "\"LOCALSTACK_AUTH_TOKEN\""), String);
    assert_eq!(class(r, rs, "token)"), Code);

    let sc = "val env = Map(\"LOCALSTACK_AUTH_TOKEN\" -> sys.env(\"X\")) // c\nval s = s\"${sys.env(\"LOCALSTACK_API_KEY\")} // x\"\n";
    let scala = Syntax::Scala;
    assert_eq!(class(scala, sc, "// c"), Comment);
    assert_eq!(class(scala, sc, "sys.env(\"LOCALSTACK_API_KEY\")"), Code);
    assert_eq!(class(scala, sc, "// x"), String);
}

#[test]
fn powershell() {
    let src = r##"<#
  Legacy: $env:LOCALSTACK_API_KEY = "..."
#>
$env:LOCALSTACK_AUTH_TOKEN = "ls-#placeholder" # set for this session
[Environment]::SetEnvironmentVariable("LOCALSTACK_API_KEY", $key, "User")
docker run -e LOCALSTACK_API_KEY=$key localstack/localstack-pro
$msg = "token: $(Get-Content token.txt)" ; Write-Host 'a # b'
$cfg = @"
LOCALSTACK_API_KEY=$key
"@
Write-Host done
"##;
    let p = Syntax::PowerShell;
    assert_eq!(class(p, src, "Legacy"), Comment);
    assert!(commented(p, src, "Legacy"));
    assert_eq!(class(p, src, "#placeholder"), String);
    assert_eq!(class(p, src, "# set for"), Comment);
    assert_eq!(class(p, src, "[Environment]"), Code);
    assert_eq!(class(p, src, "Get-Content"), Code);
    assert_eq!(class(p, src, "# b"), String);
    assert_eq!(class_nth(p, src, "LOCALSTACK_API_KEY=$key", 1), Heredoc);
    assert_eq!(class(p, src, "Write-Host done"), Code);
}

#[test]
fn nix_hcl_toml_ini() {
    let nix = "{ pkgs ? import <nixpkgs> {} }:\npkgs.mkShell {\n  LOCALSTACK_API_KEY = \"1n5HqMitb2\"; # legacy\n  shellHook = ''\n    export X=\"a#b\" # inside\n    echo ''${HOME} ${pkgs.hello}\n  '';\n  /* LOCALSTACK_AUTH_TOKEN = \"\"; */\n}\n";
    let n = Syntax::Nix;
    assert_eq!(class(n, nix, "\"1n5HqMitb2\""), String);
    assert_eq!(class(n, nix, "# legacy"), Comment);
    assert_eq!(class(n, nix, "# inside"), String);
    assert_eq!(class(n, nix, "pkgs.hello"), Code);
    assert_eq!(class(n, nix, "LOCALSTACK_AUTH_TOKEN"), Comment);

    let tf = "variable \"localstack_api_key\" {\n  type      = string\n  sensitive = true # keep it out of logs\n}\n// old default\nlocals { url = \"https://x.io/#${var.region}\" }\nresource \"x\" \"y\" {\n  user_data = <<-EOT\n    LOCALSTACK_API_KEY=${var.localstack_api_key} # not HCL\n  EOT\n}\n";
    let h = Syntax::Hcl;
    assert_eq!(class(h, tf, "\"localstack_api_key\""), String);
    assert_eq!(class(h, tf, "# keep"), Comment);
    assert_eq!(class(h, tf, "// old"), Comment);
    assert_eq!(class(h, tf, "#${"), String);
    assert_eq!(class(h, tf, "var.region"), Code);
    assert_eq!(class(h, tf, "LOCALSTACK_API_KEY="), Heredoc);
    assert_eq!(class(h, tf, "}\n"), Code);

    let toml = "[tool.localstack]\napi_key = \"abc#1\" # legacy\nnote = '''\nmulti # line\n'''\n# auth_token = \"\"\n";
    let t = Syntax::Toml;
    assert_eq!(class(t, toml, "#1"), String);
    assert_eq!(class(t, toml, "# legacy"), Comment);
    assert_eq!(class(t, toml, "# line"), String);
    assert!(commented(t, toml, "auth_token"));

    let ini = "[localstack]\n; api_key = old\n# token = x\nurl = http://x#y\n";
    assert!(commented(Syntax::Ini, ini, "api_key"));
    assert!(commented(Syntax::Ini, ini, "token"));
    assert_eq!(class(Syntax::Ini, ini, "#y"), Code);
}

#[test]
fn makefile_and_dockerfile() {
    let mk = "# Targets for the sample\nIMAGE := localstack/localstack-pro # pinned below\nX = a\\#b\nstart:\n\t@test $${LOCALSTACK_API_KEY+x} || (echo 'Please configure $$LOCALSTACK_API_KEY'; exit 1) # guard\n\t@echo LOCALSTACK_API_KEY=$(LOCALSTACK_API_KEY)\n\t@# LOCALSTACK_AUTH_TOKEN=$(TOKEN) localstack start\n";
    let m = Syntax::Makefile;
    assert_eq!(class(m, mk, "# pinned"), Comment);
    assert_eq!(class(m, mk, "\\#b"), Code);
    assert_eq!(class(m, mk, "LOCALSTACK_API_KEY+x"), Code);
    assert_eq!(class(m, mk, "Please configure"), String);
    assert_eq!(class(m, mk, "# guard"), Comment);
    assert_eq!(class(m, mk, "LOCALSTACK_API_KEY=$(LOCALSTACK"), Code);
    assert!(commented(m, mk, "LOCALSTACK_AUTH_TOKEN"));

    let df = "# syntax=docker/dockerfile:1\nFROM localstack/localstack:3.8 AS base\nENV GREETING=\"a#b\"\nRUN apt-get update \\\n    # LOCALSTACK_API_KEY=old\n    && echo hi # trailing\nCOPY <<EOF /etc/localstack.env\nLOCALSTACK_AUTH_TOKEN=x\nEOF\nRUN <<SH\necho inside # content\nSH\nCMD [\"localstack\", \"start\"]\n";
    let d = Syntax::Dockerfile;
    assert_eq!(class(d, df, "syntax="), Comment);
    assert_eq!(class(d, df, "#b"), String);
    assert!(commented(d, df, "LOCALSTACK_API_KEY=old"));
    assert_eq!(class(d, df, "&& echo"), Code);
    assert_eq!(class(d, df, "# trailing"), Comment);
    assert_eq!(class(d, df, "LOCALSTACK_AUTH_TOKEN=x"), Heredoc);
    assert_eq!(class(d, df, "echo inside"), Heredoc);
    assert_eq!(class(d, df, "\"localstack\""), String);
}

#[test]
fn ruby_perl_markdown_html() {
    let rb = "ENV['LOCALSTACK_API_KEY'] ||= 'test' # legacy\nmsg = \"token #{ENV.fetch('X')} # in string\"\n=begin\nENV['LOCALSTACK_AUTH_TOKEN']\n=end\ncfg = <<~YAML\n  LOCALSTACK_API_KEY: x\nYAML\nlist << item # append, not a heredoc\n";
    let r = Syntax::Ruby;
    assert_eq!(class(r, rb, "'LOCALSTACK_API_KEY'"), String);
    assert_eq!(class(r, rb, "# legacy"), Comment);
    assert_eq!(class(r, rb, "ENV.fetch"), Code);
    assert_eq!(class(r, rb, "# in string"), String);
    assert_eq!(class(r, rb, "ENV['LOCALSTACK_AUTH_TOKEN']"), Comment);
    assert_eq!(class(r, rb, "LOCALSTACK_API_KEY: x"), Heredoc);
    assert_eq!(class(r, rb, "# append"), Comment);

    let pl = "my $n = $#keys; # count\nmy $k = $ENV{'LOCALSTACK_API_KEY'};\n=pod\n\nLOCALSTACK_AUTH_TOKEN docs\n\n=cut\nprint \"a#b\";\n";
    let p = Syntax::Perl;
    assert_eq!(class(p, pl, "keys;"), Code);
    assert_eq!(class(p, pl, "# count"), Comment);
    assert_eq!(class(p, pl, "LOCALSTACK_AUTH_TOKEN docs"), Comment);
    assert_eq!(class(p, pl, "#b"), String);

    let md = "Set `LOCALSTACK_AUTH_TOKEN`.\n<!-- LOCALSTACK_API_KEY is gone -->\n```html\n<!-- not a comment here -->\n```\n";
    assert_eq!(class(Syntax::Markdown, md, "LOCALSTACK_API_KEY"), Comment);
    assert_eq!(class(Syntax::Markdown, md, "not a comment"), Code);
    let html = "<p>x</p><!-- LOCALSTACK_API_KEY -->";
    assert_eq!(class(Syntax::Html, html, "LOCALSTACK_API_KEY"), Comment);
}

#[test]
fn blanked_copy_keeps_length_and_lines() {
    let src = "export A=1 # é comment\n// x\nB=\"# kept\"\n";
    let lex = LexMap::build(Syntax::Shell, src.as_bytes());
    let out = lex.blank_comments(src.as_bytes(), 0..src.len());
    assert_eq!(out.len(), src.len());
    let text = std::string::String::from_utf8(out).expect("utf-8");
    assert_eq!(text.lines().count(), src.lines().count());
    assert!(text.starts_with("export A=1 "));
    assert!(!text.contains("comment"));
    assert!(text.contains("\"# kept\""));
    // A sub-range.
    let part = lex.blank_comments(src.as_bytes(), 7..20);
    assert_eq!(part.len(), 13);
    assert_eq!(&part[..4], b"A=1 ");
    assert!(part[4..].iter().all(|&b| b == b' '));
}

#[test]
fn spans_are_sorted_and_disjoint_on_every_syntax() {
    let samples = [
        "a \"b $(c \"d\" ${e#f}) g\" 'h' # i\n<<EOF\nj\nEOF\n",
        "x = '''a\n#b''' # c\ndef f():\n    \"doc\"\n",
        "a: 'b' # c\nd: |\n  e # f\ng: \"h\"\n",
        "/* a */ \"b\" 'c' `d ${e} f` // g\n",
    ];
    let syntaxes = [
        Syntax::Shell,
        Syntax::Python,
        Syntax::Yaml,
        Syntax::JavaScript,
        Syntax::Kotlin,
        Syntax::Groovy,
        Syntax::CSharp,
        Syntax::Rust,
        Syntax::Go,
        Syntax::Scala,
        Syntax::Nix,
        Syntax::Hcl,
        Syntax::PowerShell,
        Syntax::Makefile,
        Syntax::Dockerfile,
        Syntax::Ruby,
        Syntax::Perl,
        Syntax::Toml,
        Syntax::Markdown,
    ];
    for syn in syntaxes {
        for s in samples {
            let lex = LexMap::build(syn, s.as_bytes());
            let mut prev = 0;
            for (r, _) in lex.spans() {
                assert!(
                    r.start >= prev && r.end > r.start && r.end <= s.len(),
                    "{syn:?} {s:?}"
                );
                prev = r.end;
            }
        }
    }
}
