"""Soundness guards: a `reachable` property never reached makes `pinmc test`
say the spec may be vacuous (text, JSON and Markdown), and partial-order
reduction keeps every step that writes what a property reads visible, for
`reachable` and `lemma` properties as for invariants (tests/test_por.py has
the invariant and assert cases)."""

from __future__ import annotations

import contextlib
import json
import textwrap
from io import StringIO
from pathlib import Path

import pytest

from jobs import compile_text

from pinmc.cli import main
from pinmc.engines.base import Options
from pinmc.engines.explicit.bfs import check
from pinmc.engines.explicit.por import usable_groups
from pinmc.trace import replay

# `stuck` is never reached: the spec may be vacuous; `moved` is reached
VACUOUS = """
    spec v "a step whose guard never holds"
    var gate: bool = false
    var n: 0..2 = 0
    thread t {
        go: { n = 1 }
        wait: when gate { n = 2 }
    }
    reachable moved: n == 1
    reachable stuck: n == 2
    allow deadlock
    expect moved reachable
    expect stuck unreachable
    """

def run(*argv: str) -> tuple[int, str, str]:
    """`pinmc ARGV` in this process: (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def vacuous(tmp_path: Path) -> Path:
    path = tmp_path / "v.pin"
    path.write_text(textwrap.dedent(VACUOUS))
    return path


NOTE = "note: v: reachable property stuck is never reached; the spec may be vacuous"


def test_text_says_the_spec_may_be_vacuous(vacuous: Path) -> None:
    status, out, err = run("test", str(vacuous))
    assert status == 0, err
    lines = out.splitlines()
    assert lines[-2] == NOTE
    assert lines[-1] == "1 checks, 2 expectations: 2 met, 0 not met, 0 unknown, 0 files with errors"
    assert "moved" not in lines[-2]  # a reached property gets no note


def test_json_lists_the_vacuous_properties(vacuous: Path) -> None:
    status, out, err = run("test", str(vacuous), "--format", "json")
    assert status == 0, err
    doc = json.loads(out)
    assert doc["vacuous"] == [{"spec": "v", "proposal": None, "property": "stuck",
                               "note": "reachable property stuck is never reached; the spec may be vacuous"}]


def test_markdown_notes_go_to_standard_error(vacuous: Path) -> None:
    status, out, err = run("test", str(vacuous), "--format", "markdown")
    assert status == 0, err
    assert err.splitlines() == [NOTE]
    assert "| `v` |" in out and "vacuous" not in out  # the page itself is unchanged


def test_the_note_names_the_proposal(vacuous: Path, tmp_path: Path) -> None:
    """A note for each check: the spec alone, and the spec with a proposal
    that leaves the gate shut."""
    text = textwrap.dedent(VACUOUS).replace("wait: when gate { n = 2 }", "wait: when open(gate) { n = 2 }")
    text = text.replace("var gate: bool = false", "var gate: bool = false\nrule open(g: bool) -> bool = g")
    vacuous.write_text(text)
    (tmp_path / "p.pin").write_text("proposal p for v\nrule open(g: bool) -> bool = g and g\n")
    status, out, err = run("test", str(tmp_path))
    assert status == 0, err
    assert [l for l in out.splitlines() if l.startswith("note:")] == [
        NOTE, "note: v + p: reachable property stuck is never reached; the spec may be vacuous"]
    status, out, _ = run("test", str(tmp_path), "--format", "json")
    assert [(v["spec"], v["proposal"], v["property"]) for v in json.loads(out)["vacuous"]] == [
        ("v", None, "stuck"), ("v", "p", "stuck")]


def test_no_note_when_every_reachable_property_is_reached(tmp_path: Path) -> None:
    (tmp_path / "r.pin").write_text("spec r\nvar n: 0..1 = 0\nthread t { go: { n = 1 } }\n"
                                    "reachable moved: n == 1\nexpect moved reachable\n")
    status, out, _ = run("test", str(tmp_path))
    assert status == 0
    assert "vacuous" not in out
    assert json.loads(run("test", str(tmp_path), "--format", "json")[1])["vacuous"] == []


# --------------------------------------------------------------- POR and what properties read

TWO_ACTORS = """
    spec s
    thread a {{
        var x: 0..1 = 0
        w1: {{ skip }}
        set: {{ x = 1 }}
        w2: {{ skip }}
        clr: {{ x = 0 }}
    }}
    thread b {{
        var y: 0..1 = 0
        w1: {{ skip }}
        set: {{ y = 1 }}
        w2: {{ skip }}
        clr: {{ y = 0 }}
    }}
    {prop}
    """


@pytest.mark.parametrize("expander", ["scalar", "vector"])
@pytest.mark.parametrize("prop, name, status", [
    ("reachable both: a.x == 1 and b.y == 1", "both", "reachable"),
    ("lemma not_both: not (a.x == 1 and b.y == 1)", "not_both", "violated"),
])
def test_steps_writing_what_a_property_reads_stay_visible(tmp_path: Path, expander: str, prop: str, name: str,
                                                          status: str) -> None:
    """Each thread's `set` and `clr` write what the property reads: were
    they ample, a's steps would all run before b's, and the state where
    both are 1 would never be visited (a witness missed, a lemma `holds`)."""
    system = compile_text(tmp_path, TWO_ACTORS.format(prop=prop))
    usable = usable_groups(system)
    assert usable["a", "w1"] and usable["b", "w2"]  # the reduction is active here
    assert not any(usable[t, s] for t in ("a", "b") for s in ("set", "clr"))
    off = check(system, Options(por=False, symmetry=False), expander=expander)
    on = check(system, Options(por=True, symmetry=False), expander=expander)
    assert on.stats.states < off.stats.states
    for result in (off, on):
        v = result.verdict(name)
        assert v.status == status
        assert len(v.trace) == 4  # a.w1 a.set b.w1 b.set, in some order
        assert replay(system, [(s.transition, s.args) for s in v.trace.steps]) == v.trace


def test_without_the_property_the_steps_are_ample(tmp_path: Path) -> None:
    """The same spec with a property that reads neither x nor y: every
    group is usable, so the visibility above comes from the property."""
    system = compile_text(tmp_path, TWO_ACTORS.format(prop="reachable started: a@set"))
    usable = usable_groups(system)
    assert all(usable[t, s] for t in ("b",) for s in ("w1", "set", "w2", "clr"))
