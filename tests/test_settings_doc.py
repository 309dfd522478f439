"""The README's configuration table and the settings in rag/config.py describe the same things."""
import re

import pytest

from rag.config import DOCS, ROOT, SettingDoc, Settings

README = ROOT / "README.md"


def readme_table(text: str) -> dict[str, str]:
    """{variable: meaning} from the table under "## Configuration"."""
    section = re.search(r"^## Configuration\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert section, "README.md has no '## Configuration' section"
    rows = re.findall(r"^\| `(RAG_[A-Z0-9_]+)` \| (.*) \|$", section.group(1), re.M)
    assert rows, "the Configuration section has no | `RAG_...` | meaning | rows"
    return dict(rows)


def stated_default(meaning: str) -> str | None:
    """The default a README row states, without markup: "(default: `data/store`)" or "`WARNING` (default)"."""
    m = re.search(r"`([^`]+)` \(default\)", meaning)
    if m:
        return m.group(1)
    m = re.search(r"\(default: (\"[^\"]*\"|[^;,)]*)", meaning)
    return m.group(1).replace("`", "").strip().strip('"') if m else None


def code_default(doc: SettingDoc) -> str:
    """The default as code states it, up to any explanation after a comma ("none, the server's own" -> "none")."""
    return doc.default.strip('"') if doc.default.startswith('"') else doc.default.split(",")[0].strip()


def disagreements(table: dict[str, str], docs) -> list[str]:
    code = {d.env: d for d in docs}
    out = [f"{v} is a setting (Settings.{code[v].name}) but not in the README's table" for v in code if v not in table]
    out += [f"{v} is in the README's table but no setting reads it" for v in table if v not in code]
    for v, meaning in table.items():
        said = stated_default(meaning)
        if v in code and said is not None and said != code_default(code[v]):
            out.append(f"{v}: the README says the default is {said!r}, the code {code[v].default!r}")
    return out


def test_readme_table_lists_every_setting_with_its_default():
    assert disagreements(readme_table(README.read_text(encoding="utf-8")), DOCS) == []


def test_every_default_the_readme_states_is_checked():
    # Most rows state a default; a row whose wording the parser no longer understands would go unchecked.
    table = readme_table(README.read_text(encoding="utf-8"))
    assert sum(stated_default(m) is not None for m in table.values()) >= 25


TABLE = """## Configuration

| variable | meaning |
| --- | --- |
| `RAG_TOP_K` | passages retrieved per question (default: 6) |
| `RAG_BACKEND` | answer backend: `extractive` (default), `llamacpp` or `openai` |
| `RAG_TITLE` | title above the chat (default: "Ask about; this") |
| `RAG_GONE` | a setting that was removed |

## Next
| `RAG_NOT_IN_THE_SECTION` | ignored (default: 1) |
"""


@pytest.mark.parametrize("docs, expected", [
    ([SettingDoc("top_k", "RAG_TOP_K", "", "6"), SettingDoc("backend", "RAG_BACKEND", "", "extractive"),
      SettingDoc("title", "RAG_TITLE", "", '"Ask about; this"'), SettingDoc("gone", "RAG_GONE", "", "none")], []),
    ([SettingDoc("top_k", "RAG_TOP_K", "", "8"), SettingDoc("backend", "RAG_BACKEND", "", "openai"),
      SettingDoc("title", "RAG_TITLE", "", '"Ask"'), SettingDoc("new", "RAG_NEW", "", "1")],
     ["RAG_NEW is a setting (Settings.new) but not in the README's table",
      "RAG_GONE is in the README's table but no setting reads it",
      "RAG_TOP_K: the README says the default is '6', the code '8'",
      "RAG_BACKEND: the README says the default is 'extractive', the code 'openai'",
      "RAG_TITLE: the README says the default is 'Ask about; this', the code '\"Ask\"'"]),
])
def test_the_check_finds_each_kind_of_drift(docs, expected):
    assert disagreements(readme_table(TABLE), docs) == expected


def test_help_lines_come_from_the_declarations():
    from rag.cli import build_parser

    epilog = build_parser().epilog
    for d in DOCS:
        assert f"{d.env:<24} {d.help} (default: {d.default})" in epilog
    assert len(DOCS) == len(Settings.__dataclass_fields__)


def test_flags_win_over_variables_over_defaults():
    env = {"RAG_TOP_K": "4", "RAG_PORT": "9000"}
    s = Settings.from_env(env, top_k=9, backend=None)
    assert (s.top_k, s.port, s.backend) == (9, 9000, Settings().backend)
