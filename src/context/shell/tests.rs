use super::*;

fn pos(src: &str, needle: &str) -> usize {
    src.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
}

fn texts(c: &Command) -> Vec<&str> {
    c.words.iter().map(|w| w.text.as_str()).collect()
}

const SCRIPT: &str = r##"#!/usr/bin/env bash
set -euo pipefail
: "${LOCALSTACK_AUTH_TOKEN:?Set LOCALSTACK_AUTH_TOKEN first}"
if [ -z "${LOCALSTACK_API_KEY:-}" ]; then
  echo "Please set LOCALSTACK_API_KEY" >&2; exit 1
fi
[[ -n "$LOCALSTACK_API_KEY" ]] && export LOCALSTACK_AUTH_TOKEN="$LOCALSTACK_API_KEY"
sudo docker run --rm -d \
  -p 4566:4566 \
  -e LOCALSTACK_API_KEY="${LOCALSTACK_API_KEY}" \
  --env=DEBUG=1 -eSERVICES=s3 \
  --env-file ./.env.localstack \
  -v /var/run/docker.sock:/var/run/docker.sock \
  --name localstack_main \
  localstack/localstack:3.8 --help
DEBUG=1 LOCALSTACK_API_KEY=$KEY localstack start -d # legacy
localstack auth login -u "$USER" -p "$(cat ~/.ls-password)"
cat > .env <<EOF
LOCALSTACK_API_KEY=in-heredoc
EOF
printf '%s\n' "token=$LOCALSTACK_AUTH_TOKEN" | tee log.txt
"##;

#[test]
fn commands_words_and_separators() {
    let m = ShellMap::build(SCRIPT.as_bytes());
    let c = m.command_at(pos(SCRIPT, "pipefail")).expect("set");
    assert_eq!(texts(c), ["set", "-euo", "pipefail"]);
    // A guard by parameter expansion.
    let e = m
        .expansion_at(pos(SCRIPT, "LOCALSTACK_AUTH_TOKEN:?"))
        .expect("exp");
    assert_eq!(
        (e.name.as_str(), e.op.as_str()),
        ("LOCALSTACK_AUTH_TOKEN", ":?")
    );
    // `if [ -z … ]`: a test under `if`.
    let t = m.command_at(pos(SCRIPT, "-z")).expect("test");
    assert!(t.is_test() && t.is_condition());
    assert_eq!(t.keywords, ["if"]);
    assert_eq!(t.words[2].text, "${LOCALSTACK_API_KEY:-}");
    let e = m
        .expansion_at(pos(SCRIPT, "LOCALSTACK_API_KEY:-"))
        .expect("exp");
    assert_eq!(e.op, ":-");
    // The error message after the test.
    let echo = m.command_at(pos(SCRIPT, "Please set")).expect("echo");
    assert!(echo.is_echo());
    assert_eq!(echo.words[1].text, "Please set LOCALSTACK_API_KEY");
    assert_eq!(echo.sep, Sep::Semi);
    assert!(echo.words.iter().any(|w| w.redirect));
    // `[[ … ]] && export …`.
    let tt = m
        .command_at(pos(SCRIPT, "-n \"$LOCALSTACK_API_KEY\""))
        .expect("[[");
    assert!(tt.is_test() && tt.sep == Sep::And);
    let ex = m
        .command_at(pos(SCRIPT, "export LOCALSTACK_AUTH_TOKEN"))
        .expect("export");
    assert_eq!(ex.after, Some(Sep::And));
    assert_eq!(
        ex.words[1].text,
        "LOCALSTACK_AUTH_TOKEN=$LOCALSTACK_API_KEY"
    );
}

#[test]
fn docker_run_flags_and_image() {
    let m = ShellMap::build(SCRIPT.as_bytes());
    let c = m
        .command_at(pos(SCRIPT, "-e LOCALSTACK_API_KEY"))
        .expect("docker");
    assert_eq!(c.program(), Some("docker"));
    let run = c.docker_run().expect("run");
    assert_eq!(run.image_text.as_deref(), Some("localstack/localstack:3.8"));
    let names: Vec<String> = run
        .env
        .iter()
        .map(|e| match e {
            EnvFlag::Env { name, value, .. } => {
                format!("{name}={}", value.clone().unwrap_or_default())
            }
            EnvFlag::EnvFile { path, .. } => format!("file:{path}"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY}",
            "DEBUG=1",
            "SERVICES=s3",
            "file:./.env.localstack"
        ]
    );
    if let EnvFlag::Env { span, .. } = &run.env[0] {
        assert!(SCRIPT[span.clone()].starts_with("LOCALSTACK_API_KEY=\"${"));
    }
    // Without a run subcommand it is not a start.
    let src = "docker ps -a\ndocker container run -e X localstack/localstack-pro\npodman run -it --rm localstack/localstack\n";
    let ps = ShellMap::build(src.as_bytes());
    assert!(ps.commands()[0].docker_run().is_none());
    let r = ps.commands()[1].docker_run().expect("container run");
    assert_eq!(r.image_text.as_deref(), Some("localstack/localstack-pro"));
    let x = pos(src, "X localstack");
    assert_eq!(
        r.env,
        vec![EnvFlag::Env {
            name: "X".into(),
            value: None,
            span: x..x + 1
        }]
    );
    let p = ps.commands()[2].docker_run().expect("podman");
    assert_eq!(p.tool, "podman");
    assert_eq!(p.image_text.as_deref(), Some("localstack/localstack"));
}

#[test]
fn assignments_localstack_cli_substitutions_heredocs() {
    let m = ShellMap::build(SCRIPT.as_bytes());
    let c = m
        .command_at(pos(SCRIPT, "localstack start"))
        .expect("start");
    assert_eq!(c.assignments, 2);
    assert_eq!(c.name(), Some("localstack"));
    let a: Vec<(&str, &str)> = c.env_assignments().map(|(n, v, _)| (n, v)).collect();
    assert_eq!(a, [("DEBUG", "1"), ("LOCALSTACK_API_KEY", "$KEY")]);
    assert!(c.is_localstack(&["start"]));
    assert!(!texts(c).iter().any(|t| t.starts_with('#')));
    let login = m.command_at(pos(SCRIPT, "auth login")).expect("login");
    assert!(login.is_localstack(&["auth", "login"]));
    // The command substitution is a command one level deeper.
    let inner = m
        .command_at(pos(SCRIPT, "cat ~/.ls-password"))
        .expect("inner");
    assert_eq!(inner.depth, 1);
    assert_eq!(texts(inner), ["cat", "~/.ls-password"]);
    assert_eq!(
        login.words.last().map(|w| w.text.as_str()),
        Some("$(cat ~/.ls-password)")
    );
    // Heredoc bodies are not commands.
    assert!(m
        .command_at(pos(SCRIPT, "LOCALSTACK_API_KEY=in-heredoc"))
        .is_none());
    let cat = m.command_at(pos(SCRIPT, "cat > .env")).expect("cat");
    assert!(cat.words.iter().any(|w| w.redirect && w.text == ".env"));
    assert!(cat.words.iter().any(|w| w.redirect && w.text == "EOF"));
    // Pipelines.
    let pf = m.command_at(pos(SCRIPT, "printf")).expect("printf");
    assert!(pf.is_echo());
    assert_eq!(pf.sep, Sep::Pipe);
    let tee = m.command_at(pos(SCRIPT, "tee log.txt")).expect("tee");
    assert_eq!(tee.after, Some(Sep::Pipe));
}

#[test]
fn makefile_recipes() {
    let mk = concat!(
        "LS_IMAGE ?= localstack/localstack-pro\n",
        "start:\n",
        "\t@test $${LOCALSTACK_API_KEY+x} || (echo 'Please configure $$LOCALSTACK_API_KEY with your API key'; exit 1)\n",
        "\tLOCALSTACK_API_KEY=$(TEST_LOCALSTACK_API_KEY) DEBUG=1 localstack start -d\n",
        "\t@echo LOCALSTACK_API_KEY=$(LOCALSTACK_API_KEY)\n",
        "\tdocker run -d -e LOCALSTACK_AUTH_TOKEN=$(LOCALSTACK_AUTH_TOKEN) \\\n",
        "\t  $(LS_IMAGE)\n",
    );
    let m = ShellMap::build_makefile(mk.as_bytes());
    let t = m.command_at(pos(mk, "test $$")).expect("test");
    assert!(t.is_test());
    assert_eq!(t.sep, Sep::Or);
    let e = m
        .expansion_at(pos(mk, "LOCALSTACK_API_KEY+x"))
        .expect("exp");
    assert_eq!(
        (e.name.as_str(), e.op.as_str(), e.make),
        ("LOCALSTACK_API_KEY", "+", false)
    );
    let echo = m.command_at(pos(mk, "Please configure")).expect("echo");
    assert!(echo.is_echo());
    let start = m.command_at(pos(mk, "localstack start")).expect("start");
    assert_eq!(start.assignments, 2);
    let r = m
        .expansion_at(pos(mk, "TEST_LOCALSTACK_API_KEY"))
        .expect("make ref");
    assert!(r.make);
    let at_echo = m.command_at(pos(mk, "@echo") + 1).expect("echo");
    assert_eq!(at_echo.name(), Some("echo"));
    assert_eq!(
        at_echo.words[1].text,
        "LOCALSTACK_API_KEY=$(LOCALSTACK_API_KEY)"
    );
    let d = m.command_at(pos(mk, "docker run")).expect("docker");
    let run = d.docker_run().expect("run");
    assert_eq!(run.image_text.as_deref(), Some("$(LS_IMAGE)"));
    assert!(m.expansions().iter().all(|x| x.span.end <= mk.len()));
    assert!(m
        .expansions()
        .iter()
        .any(|x| x.make && x.name == "LS_IMAGE"));
}

#[test]
fn powershell_roughly() {
    let ps = "$env:LOCALSTACK_AUTH_TOKEN = \"ls-placeholder\" # session\ndocker run -d -e LOCALSTACK_API_KEY=$env:LOCALSTACK_API_KEY `\n  localstack/localstack-pro\nWrite-Host \"token: $($env:LOCALSTACK_AUTH_TOKEN)\"\n";
    let m = ShellMap::build_powershell(ps.as_bytes());
    let d = m.command_at(pos(ps, "docker")).expect("docker");
    let run = d.docker_run().expect("run");
    assert_eq!(run.image_text.as_deref(), Some("localstack/localstack-pro"));
    let e = m
        .expansion_at(pos(ps, "$env:LOCALSTACK_API_KEY") + 1)
        .expect("env");
    assert_eq!(
        (e.name.as_str(), e.op.as_str()),
        ("LOCALSTACK_API_KEY", "env")
    );
    let w = m.command_at(pos(ps, "Write-Host")).expect("write");
    assert!(w.is_echo());
    let first = m
        .command_at(pos(ps, "$env:LOCALSTACK_AUTH_TOKEN ="))
        .expect("assign");
    assert_eq!(first.words[1].text, "=");
}

#[test]
fn yaml_run_block_range() {
    let y = "steps:\n  - run: |\n      docker run -d \\\n        -e LOCALSTACK_AUTH_TOKEN=${{ secrets.LOCALSTACK_AUTH_TOKEN }} \\\n        localstack/localstack-pro\n      echo ok\n";
    let start = pos(y, "docker");
    let m = ShellMap::build_range(y.as_bytes(), start..y.len(), Dialect::Posix);
    let run = m.commands()[0].docker_run().expect("run");
    assert_eq!(run.image_text.as_deref(), Some("localstack/localstack-pro"));
    assert_eq!(m.commands().len(), 2);
}

const DOCKERFILE: &str = concat!(
    "# syntax=docker/dockerfile:1\n",
    "ARG BASE=python:3.12\n",
    "FROM --platform=linux/amd64 ${BASE} AS build\n",
    "RUN pip install localstack \\\n",
    "    # the CLI\n",
    "    && localstack --version\n",
    "FROM localstack/localstack-pro:4.0 AS runtime\n",
    "ENV LOCALSTACK_API_KEY=\"\" \\\n",
    "    DEBUG=1\n",
    "COPY --from=build /app /app\n",
    "RUN <<EOF\n",
    "export LOCALSTACK_AUTH_TOKEN=placeholder\n",
    "localstack start -d\n",
    "EOF\n",
    "CMD [\"localstack\", \"start\"]\n",
    "FROM runtime\n",
    "HEALTHCHECK CMD curl -f http://localhost:4566/_localstack/health\n",
);

#[test]
fn dockerfile_instructions_and_stages() {
    let df = DockerfileMap::build(DOCKERFILE.as_bytes());
    let kws: Vec<&str> = df
        .instructions()
        .iter()
        .map(|i| i.keyword.as_str())
        .collect();
    assert_eq!(
        kws,
        [
            "ARG",
            "FROM",
            "RUN",
            "FROM",
            "ENV",
            "COPY",
            "RUN",
            "CMD",
            "FROM",
            "HEALTHCHECK"
        ]
    );
    let st = df.stages();
    assert_eq!(st.len(), 3);
    assert_eq!(st[0].image.as_deref(), Some("${BASE}"));
    assert_eq!(st[0].name.as_deref(), Some("build"));
    assert_eq!(st[0].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(
        st[1].image.as_deref(),
        Some("localstack/localstack-pro:4.0")
    );
    assert_eq!(st[2].base_stage, Some(1));
    let env = df.instruction_at(pos(DOCKERFILE, "DEBUG=1")).expect("env");
    assert_eq!(env.keyword, "ENV");
    assert_eq!(env.stage, 1);
    assert!(DOCKERFILE[env.span.clone()].ends_with("DEBUG=1"));
    let run = df
        .instruction_at(pos(DOCKERFILE, "&& localstack"))
        .expect("run");
    assert_eq!(run.keyword, "RUN");
    assert_eq!(
        df.stage_at(pos(DOCKERFILE, "&& localstack"))
            .map(|s| s.from),
        Some(1)
    );
    let heredoc = df
        .instruction_at(pos(DOCKERFILE, "export LOCALSTACK_AUTH_TOKEN"))
        .expect("heredoc run");
    assert_eq!(heredoc.heredocs.len(), 1);
    assert!(!df.instructions()[7].shell_form);
    // Shell commands of RUN instructions, heredoc scripts included.
    let sh = ShellMap::build_dockerfile(&df, DOCKERFILE.as_bytes());
    let v = sh.command_at(pos(DOCKERFILE, "--version")).expect("cmd");
    assert!(v.is_localstack(&[]));
    assert_eq!(v.after, Some(Sep::And));
    let s = sh
        .command_at(pos(DOCKERFILE, "localstack start -d"))
        .expect("heredoc cmd");
    assert!(s.is_localstack(&["start"]));
    assert!(sh.command_at(pos(DOCKERFILE, "[\"localstack\"")).is_none());
    assert!(sh.command_at(pos(DOCKERFILE, "curl -f")).is_some());
    assert_eq!(
        df.final_stage().and_then(|s| s.image.as_deref()),
        Some("runtime")
    );
}
