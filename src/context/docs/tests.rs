use super::*;

fn region(format: DocFormat, src: &str, needle: &str) -> Region {
    let map = DocsMap::build_as(format, src.as_bytes());
    let pos = src
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in text"));
    map.region_at(pos).clone()
}

fn lang(r: &Region) -> Option<&str> {
    match r {
        Region::CodeBlock { lang, .. } => lang.as_deref(),
        _ => None,
    }
}

#[test]
fn markdown_fences_indented_blocks_spans_and_comments() {
    let src = "---\ntitle: CI setup\nenv: LOCALSTACK_AUTH_TOKEN\n---\n\n# Running in CI\n\nSet `LOCALSTACK_AUTH_TOKEN` in your CI secrets; ``LOCALSTACK_API_KEY`` is gone.\n\n```bash\ndocker run -e LOCALSTACK_API_KEY=... localstack/localstack\n```\n\n~~~{.yaml title=\"compose\"}\nimage: localstack/localstack-pro\n~~~\n\n    export LOCALSTACK_API_KEY=old   # indented code\n\n- a list item\n\n    continuation of the item, not code: localstack/localstack\n\n<!-- TODO: LOCALSTACK_API_KEY\n     remove this section -->\nThe image localstack/localstack needs a token.\n````md\n```\nnested fence localstack/localstack-pro\n```\n````\n";
    let md = DocFormat::Markdown;
    let front = region(md, src, "env: LOCALSTACK");
    assert_eq!(lang(&front), Some("yaml"));
    assert_eq!(region(md, src, "Running in CI"), Region::Prose);
    assert_eq!(
        region(md, src, "LOCALSTACK_AUTH_TOKEN` in"),
        Region::InlineCode
    );
    assert_eq!(
        region(md, src, "LOCALSTACK_API_KEY`` is"),
        Region::InlineCode
    );
    assert_eq!(region(md, src, "is gone"), Region::Prose);
    let bash = region(md, src, "docker run");
    assert_eq!(lang(&bash), Some("bash"));
    if let Region::CodeBlock { content, .. } = &bash {
        assert!(src[content.clone()].starts_with("docker run"));
        assert!(src[content.clone()]
            .trim_end()
            .ends_with("localstack/localstack"));
    }
    assert_eq!(lang(&region(md, src, "image: localstack")), Some("yaml"));
    let indented = region(md, src, "export LOCALSTACK_API_KEY=old");
    assert!(matches!(indented, Region::CodeBlock { lang: None, .. }));
    assert_eq!(region(md, src, "continuation of the item"), Region::Prose);
    assert_eq!(region(md, src, "remove this section"), Region::Comment);
    assert_eq!(region(md, src, "The image"), Region::Prose);
    assert_eq!(lang(&region(md, src, "nested fence")), Some("md"));
}

#[test]
fn markdown_unclosed_constructs_stay_bounded() {
    // An unmatched backtick does not turn the rest of the paragraph into code.
    let src = "Use `docker run and localstack/localstack\n\nNext `code` here.\n```sh\nunclosed fence localstack/localstack\n";
    let md = DocFormat::Markdown;
    assert_eq!(
        region(md, src, "localstack/localstack\n\nNext"),
        Region::Prose
    );
    assert_eq!(region(md, src, "code`"), Region::InlineCode);
    assert_eq!(lang(&region(md, src, "unclosed fence")), Some("sh"));
}

#[test]
fn rst_directives_literals_and_comments() {
    let src = "Setup\n=====\n\nStart it with::\n\n    docker run -e LOCALSTACK_AUTH_TOKEN localstack/localstack-pro\n\n.. code-block:: yaml\n   :linenos:\n\n   services:\n     localstack:\n       image: localstack/localstack\n\nUse ``LOCALSTACK_AUTH_TOKEN`` now.\n\n.. LOCALSTACK_API_KEY is deprecated (hidden comment)\n\n.. _target:\n\nBack to prose with localstack/localstack.\n";
    let rst = DocFormat::Rst;
    assert!(matches!(
        region(rst, src, "docker run"),
        Region::CodeBlock { lang: None, .. }
    ));
    let y = region(rst, src, "services:");
    assert_eq!(lang(&y), Some("yaml"));
    if let Region::CodeBlock { content, .. } = &y {
        assert!(src[content.clone()].trim_start().starts_with("services:"));
    }
    assert_eq!(
        region(rst, src, "LOCALSTACK_AUTH_TOKEN`` now"),
        Region::InlineCode
    );
    assert_eq!(region(rst, src, "LOCALSTACK_API_KEY is"), Region::Comment);
    assert_eq!(region(rst, src, "Back to prose"), Region::Prose);
    assert_eq!(region(rst, src, "Start it"), Region::Prose);
}

#[test]
fn asciidoc_listing_blocks() {
    let src = "= CI\n\n[source,bash]\n----\nexport LOCALSTACK_API_KEY=old\n----\n\n....\nliteral localstack/localstack\n....\n\n// hidden LOCALSTACK_API_KEY\n////\nblock comment localstack/localstack\n////\n\n[source,yaml]\nimage: localstack/localstack-pro\n\nProse `LOCALSTACK_AUTH_TOKEN` here.\n";
    let a = DocFormat::AsciiDoc;
    assert_eq!(lang(&region(a, src, "export")), Some("bash"));
    assert!(matches!(
        region(a, src, "literal"),
        Region::CodeBlock { lang: None, .. }
    ));
    assert_eq!(region(a, src, "hidden"), Region::Comment);
    assert_eq!(region(a, src, "block comment"), Region::Comment);
    assert_eq!(lang(&region(a, src, "image:")), Some("yaml"));
    assert_eq!(
        region(a, src, "LOCALSTACK_AUTH_TOKEN` here"),
        Region::InlineCode
    );
    assert_eq!(region(a, src, "Prose"), Region::Prose);
}

#[test]
fn notebook_cells() {
    let src = r#"{
 "cells": [
  {
   "cell_type": "markdown",
   "metadata": {},
   "source": ["Set LOCALSTACK_API_KEY first\n"]
  },
  {
   "cell_type": "code",
   "execution_count": 1,
   "metadata": {},
   "outputs": [{"name": "stdout", "text": ["LOCALSTACK_AUTH_TOKEN=printed\n"]}],
   "source": [
    "import os\n",
    "os.environ[\"LOCALSTACK_API_KEY\"] = \"abc\"\n"
   ]
  }
 ],
 "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
 "nbformat": 4
}"#;
    let nb = DocFormat::Notebook;
    assert_eq!(region(nb, src, "Set LOCALSTACK_API_KEY"), Region::Prose);
    let code = region(nb, src, "os.environ");
    assert!(matches!(
        &code,
        Region::CodeBlock { lang: Some(l), json_escaped: true, .. } if l == "python"
    ));
    assert_eq!(
        region(nb, src, "LOCALSTACK_AUTH_TOKEN=printed"),
        Region::Output
    );
    // Damaged JSON never panics.
    for cut in 0..src.len() {
        if src.is_char_boundary(cut) {
            let _ = DocsMap::build_as(nb, &src.as_bytes()[..cut]);
        }
    }
}

#[test]
fn formats_from_extensions() {
    assert_eq!(DocFormat::from_extension("MD"), DocFormat::Markdown);
    assert_eq!(DocFormat::from_extension("rst"), DocFormat::Rst);
    assert_eq!(DocFormat::from_extension("adoc"), DocFormat::AsciiDoc);
    assert_eq!(DocFormat::from_extension("ipynb"), DocFormat::Notebook);
    assert_eq!(DocFormat::from_extension("txt"), DocFormat::Plain);
}
