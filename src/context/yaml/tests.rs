use super::*;

fn pos(src: &str, needle: &str) -> usize {
    src.find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"))
}

fn path_of(doc: &YamlDoc, src: &str, needle: &str) -> String {
    path_string(&doc.path_at(pos(src, needle)).unwrap_or_default())
}

fn pats(list: &[&str]) -> Vec<PathPattern> {
    list.iter().map(|p| PathPattern::parse(p)).collect()
}

const COMPOSE: &str = r#"# LocalStack for the integration tests
x-env: &ls-env
  DEBUG: "1"
services:
  localstack:
    image: localstack/localstack-pro:4.0   # Pro image
    environment:
      - LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_AUTH_TOKEN:?}
      # - LOCALSTACK_API_KEY=${LOCALSTACK_API_KEY}
    env_file: .env.localstack
  app:
    image: "ghcr.io/acme/app:1.2"
    environment:
      <<: *ls-env
      AWS_ENDPOINT_URL: http://localstack:4566
  tokenless:
    image: localstack/localstack
"#;

#[test]
fn compose_paths_units_and_children() {
    let doc = YamlDoc::parse(COMPOSE.as_bytes());
    assert_eq!(doc.builder(), &Builder::Parser);
    assert_eq!(
        path_of(&doc, COMPOSE, "localstack/localstack-pro"),
        "services / localstack / image"
    );
    assert_eq!(
        path_of(&doc, COMPOSE, "LOCALSTACK_AUTH_TOKEN="),
        "services / localstack / environment / 0"
    );
    // The key itself belongs to its entry.
    assert_eq!(
        path_of(&doc, COMPOSE, "env_file"),
        "services / localstack / env_file"
    );
    assert!(doc.in_key(pos(COMPOSE, "env_file")));
    assert!(!doc.in_key(pos(COMPOSE, ".env.localstack")));
    // A commented-out entry belongs to the list it was cut from.
    assert_eq!(
        path_of(&doc, COMPOSE, "# - LOCALSTACK_API_KEY"),
        "services / localstack / environment"
    );
    let units = pats(&["services.*"]);
    let u = doc
        .unit_at(pos(COMPOSE, "# - LOCALSTACK_API_KEY"), &units)
        .expect("unit");
    assert_eq!(path_string(&u.path), "services / localstack");
    assert!(COMPOSE[u.span.clone()].starts_with("localstack:"));
    assert!(COMPOSE[u.span.clone()]
        .trim_end()
        .ends_with(".env.localstack"));
    assert!(!u.uses_merge);
    let env = doc.child(u.node, "environment").expect("environment");
    assert_eq!(doc.node(env).kind(), NodeKind::Sequence);
    assert!(doc.child(u.node, "env_file").is_some());
    // The tokenless service is its own unit.
    let t = doc
        .unit_at(pos(COMPOSE, "localstack/localstack\n"), &units)
        .expect("unit");
    assert_eq!(path_string(&t.path), "services / tokenless");
    assert_eq!(doc.child_resolved(t.node, "environment"), Lookup::Absent);
    // Merge keys resolve.
    let app_env = doc.get(&[
        Seg::Key("services".into()),
        Seg::Key("app".into()),
        Seg::Key("environment".into()),
    ]);
    let app_env = app_env.expect("app env");
    assert!(doc.uses_merge(app_env));
    let debug = doc.child_resolved(app_env, "DEBUG");
    assert!(matches!(debug, Lookup::Merged(_)));
    assert_eq!(debug.node().and_then(|n| doc.node(n).text()), Some("1"));
    assert!(matches!(
        doc.child_resolved(app_env, "AWS_ENDPOINT_URL"),
        Lookup::Found(_)
    ));
    assert_eq!(doc.child_resolved(app_env, "NOPE"), Lookup::Absent);
    // Pattern search.
    let services = doc.find(&PathPattern::parse("services.*"));
    assert_eq!(services.len(), 3);
    let images = doc.find(&PathPattern::parse("**.image"));
    assert_eq!(images.len(), 3);
}

const WORKFLOW: &str = r#"name: ci
on: [push]
env:
  LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Start LocalStack
        uses: LocalStack/setup-localstack@v0.2.3
        with:
          image-tag: latest
          use-pro: 'true'
        env:
          LOCALSTACK_API_KEY: ${{ secrets.LOCALSTACK_API_KEY }}
      - run: |
          echo "starting é"
          docker run -d -e LOCALSTACK_AUTH_TOKEN localstack/localstack-pro
      - run: >
          localstack auth login
"#;

#[test]
fn workflow_steps_blocks_and_units() {
    let doc = YamlDoc::parse(WORKFLOW.as_bytes());
    assert!(!doc.used_fallback());
    assert_eq!(
        path_of(&doc, WORKFLOW, "'true'"),
        "jobs / test / steps / 1 / with / use-pro"
    );
    let units = pats(&["jobs.*.steps.*", "jobs.*"]);
    let step = doc.unit_at(pos(WORKFLOW, "'true'"), &units).expect("step");
    assert_eq!(step.pattern, 0);
    assert_eq!(path_string(&step.path), "jobs / test / steps / 1");
    let env = doc.child(step.node, "env").expect("env");
    assert!(doc.child(env, "LOCALSTACK_API_KEY").is_some());
    // Workflow-level env is outside every job.
    assert!(doc
        .unit_at(pos(WORKFLOW, "LOCALSTACK_API_KEY: ${{"), &units)
        .is_none());
    // A block scalar: its content and key, for lexing as shell.
    let at = pos(WORKFLOW, "docker run");
    let b = doc.block_scalar_at(at).expect("block");
    assert_eq!(b.key.as_deref(), Some("run"));
    assert_eq!(b.style, Style::Literal);
    let content = &WORKFLOW[b.content.clone()];
    assert!(content.trim_start().starts_with("echo \"starting é\""));
    assert!(content.trim_end().ends_with("localstack/localstack-pro"));
    assert_eq!(
        path_of(&doc, WORKFLOW, "docker run"),
        "jobs / test / steps / 2 / run"
    );
    let folded = doc
        .block_scalar_at(pos(WORKFLOW, "localstack auth"))
        .expect("folded");
    assert_eq!(folded.style, Style::Folded);
    assert_eq!(doc.block_scalars().len(), 2);
    // Ancestors, innermost first.
    let anc = doc.ancestor_paths(pos(WORKFLOW, "'true'"));
    let names: Vec<String> = anc.iter().map(|(p, _)| path_string(p)).collect();
    assert_eq!(names[0], "jobs / test / steps / 1 / with / use-pro");
    assert_eq!(names[1], "jobs / test / steps / 1 / with");
    assert_eq!(names.last().map(String::as_str), Some(""));
}

const GITLAB: &str = r#".localstack: &localstack
  services:
    - name: localstack/localstack-pro:latest
      alias: localstack
  variables:
    LOCALSTACK_AUTH_TOKEN: $LOCALSTACK_AUTH_TOKEN

stages: [test]

integration:
  <<: *localstack
  stage: test
  script:
    - docker run -e LOCALSTACK_API_KEY=$LOCALSTACK_API_KEY localstack/localstack
    - pytest

lint:
  extends: .lint
  script: make lint
"#;

#[test]
fn gitlab_anchors_merge_and_jobs() {
    let doc = YamlDoc::parse(GITLAB.as_bytes());
    let units = pats(&["*"]);
    let job = doc.unit_at(pos(GITLAB, "docker run"), &units).expect("job");
    assert_eq!(path_string(&job.path), "integration");
    assert!(job.uses_merge);
    match doc.child_resolved(job.node, "variables") {
        Lookup::Merged(v) => assert!(doc.child(v, "LOCALSTACK_AUTH_TOKEN").is_some()),
        other => panic!("variables: {other:?}"),
    }
    assert!(matches!(
        doc.child_resolved(job.node, "script"),
        Lookup::Found(_)
    ));
    assert_eq!(
        path_of(&doc, GITLAB, "docker run"),
        "integration / script / 0"
    );
    let lint = doc.unit_at(pos(GITLAB, "make lint"), &units).expect("lint");
    assert!(!lint.uses_merge);
    assert_eq!(doc.child_resolved(lint.node, "variables"), Lookup::Absent);
}

const K8S: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: localstack-auth-token
stringData:
  auth-token: placeholder
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: localstack
spec:
  template:
    spec:
      containers:
        - name: localstack
          image: localstack/localstack-pro:2026.03.0
          env:
            - name: LOCALSTACK_AUTH_TOKEN
              valueFrom:
                secretKeyRef: {name: localstack-auth-token, key: auth-token}
        - name: sidecar
          image: busybox
"#;

#[test]
fn kubernetes_multi_document() {
    let doc = YamlDoc::parse(K8S.as_bytes());
    assert_eq!(doc.roots().len(), 2);
    let units = pats(&["**.containers.*"]);
    let c = doc
        .unit_at(pos(K8S, "name: LOCALSTACK_AUTH_TOKEN"), &units)
        .expect("container");
    assert_eq!(
        path_string(&c.path),
        "spec / template / spec / containers / 0"
    );
    assert_eq!(doc.node(c.node).doc(), 1);
    assert_eq!(
        path_of(&doc, K8S, "localstack-auth-token, key"),
        "spec / template / spec / containers / 0 / env / 0 / valueFrom / secretKeyRef / name"
    );
    let side = doc.unit_at(pos(K8S, "busybox"), &units).expect("sidecar");
    assert_eq!(
        path_string(&side.path),
        "spec / template / spec / containers / 1"
    );
    assert_eq!(
        doc.find(&PathPattern::parse("spec.template.spec.containers.*"))
            .len(),
        2
    );
}

const HELM: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "localstack.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          env:
            {{- if .Values.apiKey }}
            - name: LOCALSTACK_API_KEY
              value: {{ .Values.apiKey | quote }}
            {{- end }}
            {{- with .Values.extraEnvVars }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          args:
            - |
              echo "start"
        - name: second
"#;

#[test]
fn helm_template_falls_back_to_indentation() {
    let doc = YamlDoc::parse(HELM.as_bytes());
    assert!(doc.used_fallback(), "{:?}", doc.builder());
    assert_eq!(
        path_of(&doc, HELM, "LOCALSTACK_API_KEY"),
        "spec / template / spec / containers / 0 / env / 0 / name"
    );
    assert_eq!(
        path_of(&doc, HELM, ".Values.apiKey | quote"),
        "spec / template / spec / containers / 0 / env / 0 / value"
    );
    let units = pats(&["spec.template.spec.containers.*"]);
    let c = doc
        .unit_at(pos(HELM, "LOCALSTACK_API_KEY"), &units)
        .expect("container");
    assert_eq!(
        path_string(&c.path),
        "spec / template / spec / containers / 0"
    );
    assert!(doc.child(c.node, "image").is_some());
    assert_eq!(
        doc.child(c.node, "image").and_then(|n| doc.node(n).text()),
        Some("{{ .Values.image.repository }}:{{ .Values.image.tag }}")
    );
    let b = doc
        .block_scalar_at(pos(HELM, "echo \"start\""))
        .expect("block");
    assert_eq!(b.key, None);
    assert_eq!(
        path_of(&doc, HELM, "echo \"start\""),
        "spec / template / spec / containers / 0 / args / 0"
    );
    assert_eq!(
        path_of(&doc, HELM, "second"),
        "spec / template / spec / containers / 1 / name"
    );
}

#[test]
fn circleci_and_bitbucket_units() {
    let circle = "version: 2.1\njobs:\n  test:\n    docker:\n      - image: cimg/python:3.12\n      - image: localstack/localstack-pro\n        environment:\n          LOCALSTACK_AUTH_TOKEN: $LOCALSTACK_AUTH_TOKEN\n    steps:\n      - checkout\n      - run: pytest\n";
    let doc = YamlDoc::parse(circle.as_bytes());
    let u = doc
        .unit_at(
            pos(circle, "LOCALSTACK_AUTH_TOKEN:"),
            &pats(&["jobs.*.docker.*", "jobs.*"]),
        )
        .expect("unit");
    assert_eq!(path_string(&u.path), "jobs / test / docker / 1");
    let bb = "image: python:3.12\npipelines:\n  default:\n    - step:\n        name: Test\n        services: [docker]\n        script:\n          - docker run -d -e LOCALSTACK_AUTH_TOKEN=${LOCALSTACK_AUTH_TOKEN:?} localstack/localstack-pro\n";
    let doc = YamlDoc::parse(bb.as_bytes());
    let u = doc
        .unit_at(pos(bb, "docker run"), &pats(&["pipelines.**.step"]))
        .expect("step");
    assert_eq!(path_string(&u.path), "pipelines / default / 0 / step");
    assert_eq!(
        path_of(&doc, bb, "docker run"),
        "pipelines / default / 0 / step / script / 0"
    );
}

#[test]
fn non_ascii_tabs_crlf_and_invalid_utf8() {
    // Byte offsets stay right after multi-byte characters.
    let src = "# Überblick – ünïcode\nname: \"Zoë ✓\"\nimage: localstack/localstack # 漢字\n";
    let doc = YamlDoc::parse(src.as_bytes());
    assert!(!doc.used_fallback());
    let n = doc
        .node_at(pos(src, "localstack/localstack"))
        .expect("node");
    assert_eq!(&src[doc.node(n).value_span()], "localstack/localstack");
    let q = doc.node_at(pos(src, "Zoë")).expect("node");
    assert_eq!(&src[doc.node(q).value_span()], "\"Zoë ✓\"");
    // CRLF.
    let crlf = "a: 1\r\nb:\r\n  c: LOCALSTACK_API_KEY\r\n";
    let doc = YamlDoc::parse(crlf.as_bytes());
    assert_eq!(path_of(&doc, crlf, "LOCALSTACK"), "b / c");
    // Tabs are rejected by the parser; the fallback still gives paths.
    let tabs = "env:\n\tLOCALSTACK_API_KEY: x\n";
    let doc = YamlDoc::parse(tabs.as_bytes());
    assert!(doc.used_fallback());
    assert_eq!(
        path_of(&doc, tabs, "LOCALSTACK"),
        "env / LOCALSTACK_API_KEY"
    );
    // Invalid UTF-8 keeps byte offsets.
    let mut bad = b"a: \xff\xfe\nb: LOCALSTACK_API_KEY\n".to_vec();
    bad.extend_from_slice(b"c: ok\n");
    let doc = YamlDoc::parse(&bad);
    let at = bad.windows(5).position(|w| w == b"LOCAL").expect("pos");
    let n = doc.node_at(at).expect("node");
    assert_eq!(&bad[doc.node(n).value_span()], b"LOCALSTACK_API_KEY");
    assert_eq!(doc.path(n), vec![Seg::Key("b".into())]);
}

#[test]
fn patterns() {
    let p = |s: &str| PathPattern::parse(s);
    let path = vec![
        Seg::Key("jobs".into()),
        Seg::Key("test".into()),
        Seg::Key("steps".into()),
        Seg::Index(2),
    ];
    assert!(p("jobs.*.steps.*").matches(&path));
    assert!(p("jobs.*.steps.2").matches(&path));
    assert!(!p("jobs.*.steps.1").matches(&path));
    assert!(p("**.steps.*").matches(&path));
    assert!(p("**").matches(&path));
    assert!(p("jobs.**").matches(&path));
    assert!(!p("jobs.*").matches(&path));
    assert!(p("jobs.**.*").matches(&path));
    assert!(!p("services.*").matches(&path));
    let dotted = PathPattern::from_segs(vec![
        PatSeg::Key("metadata".into()),
        PatSeg::Key("app.kubernetes.io/name".into()),
    ]);
    assert!(dotted.matches(&[
        Seg::Key("metadata".into()),
        Seg::Key("app.kubernetes.io/name".into())
    ]));
}

#[test]
fn deep_and_hostile_input_stays_cheap() {
    let deep = "[".repeat(100_000);
    let doc = YamlDoc::parse(deep.as_bytes());
    let _ = doc.path_at(50_000);
    let mut nested = String::new();
    for i in 0..2000 {
        nested.push_str(&" ".repeat(i));
        nested.push_str("k:\n");
    }
    let doc = YamlDoc::parse(nested.as_bytes());
    assert!(doc.path_at(nested.len() - 3).is_some_and(|p| !p.is_empty()));
    let _ = doc.unit_at(nested.len() - 3, &pats(&["**.k"]));
}
