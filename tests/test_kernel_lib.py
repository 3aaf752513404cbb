"""Unit tests of the kernel library (pinmc/lib/kernel/folio.pin, gup.pin).

Every case is a tiny spec fragment that `use`s "kernel/gup.pin", runs one
library operation on its own folio(s) and compares the resulting field values
(and fn results, stored in thread locals) with the values the kernel source
gives.  Each case names its source; the ground truth with the quoted code is
/work/shared/kernel/PINNING.md sections 1.1-1.4, 1.6-1.7 (mm/gup.c early-2025
text, include/linux/mm.h, include/linux/page_ref.h).

The cases of one operation family share one spec: one thread, one step per
case (in the order listed), each case on its own pages, so the explicit engine
explores a single chain of states.  The values are read from the final state of
the witness of `reachable fin: done(u)`.  A case also fails if it changes any
field of its pages that it does not list (so "no change" means no change), and
a family fails if any assert, range or deadlock property fails.

The last tests prove, with the z3 prover, that a small folio with P >= 1 pins
and B >= 0 ordinary references, R = B + 1024 * P without wrap, always reads as
maybe-DMA-pinned, for every pin and reference count up to the kernel's limits
(which the explicit engine cannot enumerate).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pinmc.engines.base import EngineError
from pinmc.engines.explicit.bfs import check
from pinmc.engines.symbolic.prove import ProveOptions, prove
from pinmc.semantics.pipeline import compile_spec

I32_MIN = -(2**31)
I32_MAX = 2**31 - 1
BIAS = 1024  # GUP_PIN_COUNTING_BIAS, include/linux/mm.h: (1U << 10)


# --------------------------------------------------------------- harness

@dataclass(frozen=True)
class Case:
    """One library call on fresh folios.

    `pages` maps a short page name (X, Y, ...) to its declaration after
    `page NAME:` (e.g. "folio { nr_pages = 512 }"); `locals` maps a short
    local name to its type; `ops` is the body of the case's step and may say
    `goto STEP` to loop; `expect` maps "X.field" or a local name to the value
    the kernel source gives (bools as True/False).  Short names are renamed
    per case, so cases never share state (except the global mmf_has_pinned).
    """

    id: str
    cite: str
    pages: dict[str, str]
    ops: str
    expect: dict[str, int | bool]
    locals: dict[str, str] = field(default_factory=dict)


@dataclass
class FamilyRun:
    text: str
    names: dict[str, dict[str, str]]  # case id -> short name -> spec name
    init: dict[str, int]
    final: dict[str, int]
    groups: dict[str, list[str]]  # page name -> its slot names


def _prefix(i: int) -> str:
    return f"c{i}_"


def _family_text(name: str, cases: list[Case]) -> tuple[str, dict[str, dict[str, str]]]:
    pages, locals_, steps, names = [], [], [], {}
    for i, c in enumerate(cases):
        p = _prefix(i)
        ren = {s: p + s for s in list(c.pages) + list(c.locals)}
        ren["STEP"] = f"s{i}"
        names[c.id] = ren
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, ren)) + r")\b")
        for short, decl in c.pages.items():
            pages.append(f"page {ren[short]}: {decl}")
        for short, ty in c.locals.items():
            locals_.append(f"    var {ren[short]}: {ty}")
        body = pattern.sub(lambda m: ren[m.group(1)], c.ops)
        steps.append(f"    s{i}: {{ // {c.id}: {c.cite}\n        {body}\n    }}")
    text = "\n".join([
        f"spec kernel_lib_{name}",
        'use "kernel/gup.pin"',
        *pages,
        "thread u {",
        *locals_,
        *steps,
        "}",
        "reachable fin: done(u)",
        "",
    ])
    return text, names


def run_family(tmp: Path, name: str, cases: list[Case]) -> FamilyRun:
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), ids
    text, names = _family_text(name, cases)
    path = tmp / f"{name}.pin"
    path.write_text(text)
    system = compile_spec(str(path))
    result = check(system)
    assert result.stats.complete
    # one thread, no choice: the reachable states form a single chain
    assert result.stats.transitions == result.stats.states - 1, result.stats
    for v in result.verdicts:
        if v.prop != "fin":
            assert not v.failed, (v.prop, v.status, v.note, text)
    fin = result.verdict("fin")
    assert fin.status == "reachable" and fin.trace is not None
    slots = [v.name for v in system.vars]
    groups: dict[str, list[str]] = {}
    for v in system.vars:
        groups.setdefault(v.group, []).append(v.name)
    return FamilyRun(text, names, dict(zip(slots, system.init)), dict(zip(slots, fin.trace.final)), groups)


def check_case(run: FamilyRun, case: Case) -> None:
    ren = run.names[case.id]
    got, want = {}, {}
    for key, value in case.expect.items():
        if "." in key:
            page, fld = key.split(".", 1)
            slot = f"{ren[page]}.{fld}"
        else:
            slot = f"u.{ren[key]}"
        assert slot in run.final, (slot, sorted(run.final))
        got[key], want[key] = run.final[slot], int(value)
    assert got == want, f"{case.id} ({case.cite})"
    # every other field of the case's pages keeps its initial value
    listed = {f"{ren[k.split('.', 1)[0]]}.{k.split('.', 1)[1]}" for k in case.expect if "." in k}
    for short in case.pages:
        for slot in run.groups[ren[short]]:
            if slot not in listed:
                assert run.final[slot] == run.init[slot], f"{case.id}: {slot} changed"


def family_fixture(name: str, cases: list[Case]):
    @pytest.fixture(scope="module")
    def fx(tmp_path_factory: pytest.TempPathFactory) -> FamilyRun:
        return run_family(tmp_path_factory.mktemp(name), name, cases)
    return fx


def ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def folio(**fields: object) -> str:
    if not fields:
        return "folio"
    def lit(v: object) -> str:
        return ("true" if v else "false") if isinstance(v, bool) else str(v)
    return "folio { " + ", ".join(f"{k} = {lit(v)}" for k, v in fields.items()) + " }"


SMALL = folio()                      # order 0, _refcount = 1 (mapped once)
LARGE = folio(nr_pages=512)          # PMD THP, _refcount = 1, _pincount = 0
ZERO = folio(zero=True)              # the shared zero page


# --------------------------------------------------------------- try_grab_folio (slow path)

TGF = "mm/gup.c try_grab_folio() (PINNING.md 1.2)"
GRAB = [
    # FOLL_PIN, small folio: folio_ref_add(folio, refs * GUP_PIN_COUNTING_BIAS) (3faa52c03f44)
    Case("pin_small", TGF + ": small folio, refs * BIAS", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 1 + BIAS, "X._pincount": 0}),
    Case("pin_small_3", TGF + ": small folio, 3 * BIAS", {"X": SMALL},
         "try_grab_folio(X, 3, FOLL_PIN)", {"X._refcount": 1 + 3 * BIAS}),
    Case("pin_small_twice", TGF + ": two pins, 2 * BIAS", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_PIN); try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 1 + 2 * BIAS}),
    # FOLL_PIN, large folio: folio_ref_add(folio, refs); atomic_add(refs, &folio->_pincount) (47e29d32afba)
    Case("pin_large", TGF + ": large folio, exact _pincount", {"X": LARGE},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 2, "X._pincount": 1}),
    Case("pin_large_512", TGF + ": 512 subpages of a THP at once", {"X": LARGE},
         "try_grab_folio(X, 512, FOLL_PIN)", {"X._refcount": 513, "X._pincount": 512}),
    Case("pin_order1", TGF + ": order-1 folio has a _pincount on 64-bit", {"X": folio(nr_pages=2)},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 2, "X._pincount": 1}),
    # FOLL_PIN, zero page: `if (is_zero_folio(folio)) return 0;` (c8070b787519, v6.5)
    Case("pin_zero", TGF + ": zero page not accounted (c8070b787519)", {"X": ZERO},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 1, "X._pincount": 0}),
    Case("pin_zero_3", TGF + ": zero page, refs 3 (c8070b787519)", {"X": ZERO},
         "try_grab_folio(X, 3, FOLL_PIN)", {"X._refcount": 1}),
    # FOLL_GET: folio_ref_add(folio, refs), whatever the folio
    Case("get_small", TGF + ": FOLL_GET adds refs", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_GET)", {"X._refcount": 2, "X._pincount": 0}),
    Case("get_small_5", TGF + ": FOLL_GET adds refs", {"X": SMALL},
         "try_grab_folio(X, 5, FOLL_GET)", {"X._refcount": 6}),
    Case("get_large", TGF + ": FOLL_GET leaves _pincount", {"X": LARGE},
         "try_grab_folio(X, 1, FOLL_GET)", {"X._refcount": 2, "X._pincount": 0}),
    Case("get_large_512", TGF + ": FOLL_GET leaves _pincount", {"X": LARGE},
         "try_grab_folio(X, 512, FOLL_GET)", {"X._refcount": 513, "X._pincount": 0}),
    Case("get_zero", TGF + ": FOLL_GET branch comes before the zero-page test", {"X": ZERO},
         "try_grab_folio(X, 1, FOLL_GET)", {"X._refcount": 2}),
    # WARN_ON_ONCE(folio_ref_count(folio) <= 0) -> -ENOMEM (8fde12ca79af)
    Case("refused_0_pin", TGF + ": refused at _refcount 0", {"X": folio(_refcount=0)},
         "r = try_grab_refused(X); try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 0, "r": True},
         {"r": "bool"}),
    Case("refused_0_get", TGF + ": refused at _refcount 0", {"X": folio(_refcount=0)},
         "try_grab_folio(X, 1, FOLL_GET)", {"X._refcount": 0}),
    Case("refused_0_large", TGF + ": refused at _refcount 0", {"X": folio(nr_pages=512, _refcount=0)},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": 0, "X._pincount": 0}),
    Case("refused_neg_pin", TGF + ": refused at a negative _refcount", {"X": folio(_refcount=-1)},
         "r = try_grab_refused(X); try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": -1, "r": True},
         {"r": "bool"}),
    Case("refused_neg_get", TGF + ": refused at a negative _refcount", {"X": folio(_refcount=-5)},
         "try_grab_folio(X, 7, FOLL_GET)", {"X._refcount": -5}),
    Case("refused_neg_large", TGF + ": refused at a negative _refcount",
         {"X": folio(nr_pages=512, _refcount=-1, _pincount=3)},
         "try_grab_folio(X, 1, FOLL_PIN)", {"X._refcount": -1, "X._pincount": 3}),
    Case("refused_i32_min", TGF + ": refused at INT_MIN", {"X": folio(_refcount=I32_MIN)},
         "try_grab_folio(X, 1, FOLL_PIN); try_grab_folio(X, 1, FOLL_GET)", {"X._refcount": I32_MIN}),
    Case("allowed_at_1", TGF + ": _refcount 1 is not refused", {"X": SMALL},
         "r = try_grab_refused(X)", {"r": False}, {"r": "bool"}),
    # PINNING.md 1.4: one FOLL_PIN may push R from just below 2^31 to negative;
    # then every further grab is refused and the unsigned compare still says "pinned"
    Case("pin_past_i32_max", TGF + " + PINNING.md 1.4: a pin may wrap R negative, then all grabs fail",
         {"X": folio(_refcount=I32_MAX)},
         "r = try_grab_refused(X); try_grab_folio(X, 1, FOLL_PIN); "
         "r2 = try_grab_refused(X); r3 = folio_maybe_dma_pinned(X); try_grab_folio(X, 1, FOLL_GET)",
         {"X._refcount": I32_MAX + BIAS - 2**32, "r": False, "r2": True, "r3": True},
         {"r": "bool", "r2": "bool", "r3": "bool"}),
]
grab = family_fixture("grab", GRAB)


@pytest.mark.parametrize("case", GRAB, ids=ids(GRAB))
def test_try_grab_folio(grab, case):
    """mm/gup.c try_grab_folio(folio, refs, flags) (PINNING.md 1.2, 1.4):
    FOLL_GET adds refs; FOLL_PIN adds refs * 1024 (small), refs to both
    counts (large, 47e29d32afba), nothing on the zero page (c8070b787519);
    refused with no change when _refcount <= 0."""
    check_case(grab, case)


# --------------------------------------------------------------- try_grab_folio_fast

TGFF = "mm/gup.c try_grab_folio_fast()"
# (id, page, flags, refs, expected _refcount, expected _pincount): the slow
# path's net effect (PINNING.md 1.2 "then adds refs to _pincount (large) or
# refs * (BIAS - 1) to R (small)" after try_get_folio() added refs)
_SAME = [
    ("small_get", SMALL, "FOLL_GET", 1, 2, 0),
    ("small_get_4", SMALL, "FOLL_GET", 4, 5, 0),
    ("small_pin", SMALL, "FOLL_PIN", 1, 1 + BIAS, 0),
    ("small_pin_3", SMALL, "FOLL_PIN", 3, 1 + 3 * BIAS, 0),
    ("large_get", LARGE, "FOLL_GET", 1, 2, 0),
    ("large_pin", LARGE, "FOLL_PIN", 1, 2, 1),
    ("large_pin_512", LARGE, "FOLL_PIN", 512, 513, 512),
    ("zero_get", ZERO, "FOLL_GET", 1, 2, 0),
    ("zero_pin", ZERO, "FOLL_PIN", 1, 1, 0),
    ("zero_pin_3", ZERO, "FOLL_PIN", 3, 1, 0),
]
FAST = [
    Case(f"same_{cid}", f"{TGFF} = try_grab_folio() net effect", {"X": page, "Y": page},
         f"try_grab_folio(X, {refs}, {flags}); try_grab_folio_fast(Y, {refs}, {flags})",
         {"X._refcount": r, "X._pincount": p, "Y._refcount": r, "Y._pincount": p})
    for cid, page, flags, refs, r, p in _SAME
] + [
    # try_get_folio(): WARN_ON_ONCE(folio_ref_count(folio) < 0) -> NULL, and
    # folio_ref_try_add() is add-unless-zero
    Case("refused_0_get", TGFF + ": add-unless-zero", {"X": folio(_refcount=0)},
         "r = try_grab_fast_refused(X); try_grab_folio_fast(X, 1, FOLL_GET)",
         {"X._refcount": 0, "r": True}, {"r": "bool"}),
    Case("refused_0_pin", TGFF + ": add-unless-zero", {"X": folio(_refcount=0)},
         "r = try_grab_fast_pin_refused(X); try_grab_folio_fast(X, 1, FOLL_PIN)",
         {"X._refcount": 0, "r": True}, {"r": "bool"}),
    Case("refused_0_large", TGFF + ": add-unless-zero", {"X": folio(nr_pages=512, _refcount=0)},
         "try_grab_folio_fast(X, 1, FOLL_PIN)", {"X._refcount": 0, "X._pincount": 0}),
    Case("refused_neg", TGFF + ": WARN and fail on a negative count", {"X": folio(_refcount=-1)},
         "r = try_grab_fast_pin_refused(X); try_grab_folio_fast(X, 1, FOLL_PIN); "
         "try_grab_folio_fast(X, 1, FOLL_GET)", {"X._refcount": -1, "r": True}, {"r": "bool"}),
    Case("refused_i32_min", TGFF + ": WARN and fail on a negative count", {"X": folio(_refcount=I32_MIN)},
         "try_grab_folio_fast(X, 1, FOLL_GET)", {"X._refcount": I32_MIN}),
    Case("allowed_at_1", TGFF, {"X": SMALL},
         "r = try_grab_fast_refused(X); r2 = try_grab_fast_pin_refused(X)",
         {"r": False, "r2": False}, {"r": "bool", "r2": "bool"}),
    # `if (is_zero_page(page)) return page_folio(page);` comes before
    # try_get_folio() for FOLL_PIN: the zero page is never refused there
    Case("zero_pin_not_refused", TGFF + ": FOLL_PIN returns the zero page before try_get_folio()",
         {"X": folio(zero=True, _refcount=0)},
         "r = try_grab_fast_pin_refused(X); r2 = try_grab_fast_refused(X); "
         "try_grab_folio_fast(X, 1, FOLL_PIN)", {"X._refcount": 0, "r": False, "r2": True},
         {"r": "bool", "r2": "bool"}),
]
# FOLL_PIN | FOLL_LONGTERM: `(flags & FOLL_LONGTERM) && !folio_is_longterm_pinnable(folio)`
# -> folio_put_refs(folio, refs); return NULL (the caller falls back to the slow path)
_LONGTERM = [
    ("normal", SMALL, False, 1 + BIAS, 0),
    ("movable", folio(zone="ZONE_MOVABLE"), True, 1, 0),
    ("cma", folio(migratetype="MIGRATE_CMA"), True, 1, 0),
    ("isolate", folio(migratetype="MIGRATE_ISOLATE"), True, 1, 0),
    ("large_movable", folio(nr_pages=512, zone="ZONE_MOVABLE"), True, 1, 0),
    ("large_normal", LARGE, False, 2, 1),
    ("zero_movable", folio(zero=True, zone="ZONE_MOVABLE"), False, 1, 0),  # is_zero_folio(): pinnable
    ("zero_normal", ZERO, False, 1, 0),
    # is_zero_page() returns before the FOLL_LONGTERM test, even where
    # folio_is_longterm_pinnable() would say no (CMA is tested before zero there)
    ("zero_cma", folio(zero=True, migratetype="MIGRATE_CMA"), False, 1, 0),
    ("frozen_normal", folio(_refcount=0), True, 0, 0),                    # try_get_folio() fails first
]
FAST += [
    Case(f"longterm_{cid}", TGFF + " FOLL_LONGTERM + folio_is_longterm_pinnable() (PINNING.md 1.7)",
         {"X": page},
         "r = try_grab_fast_longterm_refused(X); if not r { try_grab_folio_fast(X, 1, FOLL_PIN) }",
         {"r": refused, "X._refcount": r, "X._pincount": p}, {"r": "bool"})
    for cid, page, refused, r, p in _LONGTERM
]
fast = family_fixture("fast", FAST)


@pytest.mark.parametrize("case", FAST, ids=ids(FAST))
def test_try_grab_folio_fast(fast, case):
    """mm/gup.c try_grab_folio_fast() / try_get_folio() (PINNING.md 1.2,
    1.4, 1.7): the same net effect as try_grab_folio() for FOLL_GET and
    FOLL_PIN, small, large and zero page; refused (no change) at
    _refcount <= 0 (add-unless-zero, WARN on negative) except for a FOLL_PIN
    of the zero page; FOLL_LONGTERM refused on ZONE_MOVABLE, MIGRATE_CMA and
    MIGRATE_ISOLATE, allowed for the zero page on ZONE_MOVABLE."""
    check_case(fast, case)


# --------------------------------------------------------------- releasing: put_page, gup_put_folio, unpin

GPF = "mm/gup.c gup_put_folio() (PINNING.md 1.2)"
PUT = [
    # include/linux/mm.h get_page()/folio_get(): folio_ref_inc(); put_page()/folio_put(): folio_ref_dec
    Case("get_page", "include/linux/mm.h get_page() -> folio_ref_inc()", {"X": SMALL},
         "get_page(X)", {"X._refcount": 2}),
    Case("put_page", "include/linux/mm.h put_page() -> folio_put()", {"X": folio(_refcount=3)},
         "put_page(X)", {"X._refcount": 2}),
    Case("put_page_large", "include/linux/mm.h put_page(): _pincount untouched",
         {"X": folio(nr_pages=512, _refcount=3, _pincount=1)},
         "put_page(X)", {"X._refcount": 2, "X._pincount": 1}),
    # FOLL_PIN: small `refs *= GUP_PIN_COUNTING_BIAS`; large atomic_sub(refs, &_pincount);
    # then folio_put_refs(folio, refs)
    Case("pin_small", GPF + ": small, -BIAS", {"X": folio(_refcount=1 + BIAS)},
         "gup_put_folio(X, 1, FOLL_PIN)", {"X._refcount": 1}),
    Case("pin_small_3", GPF + ": small, -3 * BIAS", {"X": folio(_refcount=1 + 3 * BIAS)},
         "gup_put_folio(X, 3, FOLL_PIN)", {"X._refcount": 1}),
    Case("pin_large", GPF + ": large, -1/-1", {"X": folio(nr_pages=512, _refcount=2, _pincount=1)},
         "gup_put_folio(X, 1, FOLL_PIN)", {"X._refcount": 1, "X._pincount": 0}),
    Case("pin_large_512", GPF + ": large, unpin_user_pages() groups 512 entries",
         {"X": folio(nr_pages=512, _refcount=513, _pincount=512)},
         "gup_put_folio(X, 512, FOLL_PIN)", {"X._refcount": 1, "X._pincount": 0}),
    Case("pin_zero", GPF + ": `if (is_zero_folio(folio)) return;`", {"X": ZERO},
         "gup_put_folio(X, 1, FOLL_PIN)", {"X._refcount": 1}),
    Case("get_small", GPF + ": FOLL_GET, folio_put_refs(folio, refs)", {"X": folio(_refcount=3)},
         "gup_put_folio(X, 2, FOLL_GET)", {"X._refcount": 1}),
    Case("get_large", GPF + ": FOLL_GET leaves _pincount", {"X": folio(nr_pages=512, _refcount=3, _pincount=1)},
         "gup_put_folio(X, 2, FOLL_GET)", {"X._refcount": 1, "X._pincount": 1}),
    Case("get_zero", GPF + ": FOLL_GET releases the zero page's reference", {"X": folio(zero=True, _refcount=2)},
         "gup_put_folio(X, 1, FOLL_GET)", {"X._refcount": 1}),
    # mm/gup.c unpin_user_page(page) = gup_put_folio(page_folio(page), 1, FOLL_PIN)
    Case("unpin_small", "mm/gup.c unpin_user_page()", {"X": folio(_refcount=1 + BIAS)},
         "unpin_user_page(X)", {"X._refcount": 1}),
    Case("unpin_large", "mm/gup.c unpin_user_page()", {"X": folio(nr_pages=512, _refcount=2, _pincount=1)},
         "unpin_user_page(X)", {"X._refcount": 1, "X._pincount": 0}),
    Case("unpin_zero", "mm/gup.c unpin_user_page(): zero page", {"X": ZERO},
         "unpin_user_page(X)", {"X._refcount": 1}),
    Case("unpin_pages_large", "mm/gup.c unpin_user_pages(): 512 entries of one folio, one gup_put_folio",
         {"X": folio(nr_pages=512, _refcount=513, _pincount=512)},
         "unpin_user_pages(X, 512)", {"X._refcount": 1, "X._pincount": 0}),
    Case("unpin_pages_small", "mm/gup.c unpin_user_pages(): a small folio pinned twice",
         {"X": folio(_refcount=1 + 2 * BIAS)}, "unpin_user_pages(X, 2)", {"X._refcount": 1}),
    # pin then unpin is the identity (S01, S02)
    Case("roundtrip_small", "S01: pin_user_pages + unpin_user_page", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_PIN); try_grab_folio(X, 1, FOLL_PIN); unpin_user_page(X); "
         "r = X._refcount; unpin_user_page(X)", {"X._refcount": 1, "r": 1 + BIAS}, {"r": "i32"}),
    Case("roundtrip_fast", "try_grab_folio_fast + gup_put_folio", {"X": SMALL, "Y": LARGE},
         "try_grab_folio_fast(X, 2, FOLL_PIN); gup_put_folio(X, 2, FOLL_PIN); "
         "try_grab_folio_fast(Y, 2, FOLL_PIN); gup_put_folio(Y, 2, FOLL_PIN)",
         {"X._refcount": 1, "Y._refcount": 1, "Y._pincount": 0}),
    # S07: the release-API mismatch (pin_user_pages.rst: "must be released via unpin_user_page()")
    Case("mismatch_pin_put", "S07 A: FOLL_PIN released by put_page leaks 1023 refs", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_PIN); put_page(X); r = folio_maybe_dma_pinned(X)",
         {"X._refcount": BIAS, "r": True}, {"r": "bool"}),
    Case("mismatch_get_unpin", "S07 B: FOLL_GET released by unpin_user_page underflows", {"X": SMALL},
         "try_grab_folio(X, 1, FOLL_GET); unpin_user_page(X)", {"X._refcount": 2 - BIAS}),
]
# mm/gup.c unpin_user_pages_dirty_lock(pages, n, make_dirty): without make_dirty
# just unpin_user_pages(); else `if (!folio_test_dirty(folio)) { folio_lock;
# folio_mark_dirty; folio_unlock; }` then gup_put_folio(folio, nr, FOLL_PIN)
for make_dirty in (False, True):
    for dirty in (False, True):
        PUT.append(Case(
            f"dirty_lock_{'make' if make_dirty else 'nomake'}_{'dirty' if dirty else 'clean'}",
            "mm/gup.c unpin_user_pages_dirty_lock()", {"X": folio(_refcount=1 + BIAS, dirty=dirty)},
            f"unpin_user_pages_dirty_lock(X, {'true' if make_dirty else 'false'})",
            {"X._refcount": 1, "X.dirty": dirty or make_dirty}))
PUT.append(Case("dirty_lock_large", "mm/gup.c unpin_user_pages_dirty_lock(): large folio",
                {"X": folio(nr_pages=512, _refcount=2, _pincount=1, anon=False, mapping=True)},
                "unpin_user_pages_dirty_lock(X, true)", {"X._refcount": 1, "X._pincount": 0, "X.dirty": True}))
put = family_fixture("put", PUT)


@pytest.mark.parametrize("case", PUT, ids=ids(PUT))
def test_release(put, case):
    """get_page/put_page (include/linux/mm.h), gup_put_folio(),
    unpin_user_page(), unpin_user_pages_dirty_lock() (mm/gup.c, PINNING.md
    1.2): a pin is undone exactly (small -1024, large -1/-1, zero page
    nothing); dirty_lock marks a clean folio dirty only with make_dirty."""
    check_case(put, case)


# --------------------------------------------------------------- folio_maybe_dma_pinned

MDP = "include/linux/mm.h folio_maybe_dma_pinned() (PINNING.md 1.3)"


def _mdp(cid: str, page: str, expect: bool, cite: str = MDP) -> Case:
    return Case(cid, cite, {"X": page}, "r = folio_maybe_dma_pinned(X)", {"r": expect}, {"r": "bool"})


PINNED = [
    # small: `((unsigned int)folio_ref_count(folio)) >= GUP_PIN_COUNTING_BIAS`
    _mdp("small_1", SMALL, False),
    _mdp("small_0", folio(_refcount=0), False),
    _mdp("small_1023", folio(_refcount=1023), False),
    _mdp("small_1024", folio(_refcount=1024), True),
    _mdp("small_1025", folio(_refcount=1025), True),
    _mdp("small_i32_max", folio(_refcount=I32_MAX), True),
    # the sign bit "counts a little higher": the unsigned compare
    _mdp("small_i32_min", folio(_refcount=I32_MIN), True, MDP + ": unsigned compare"),
    _mdp("small_minus_1", folio(_refcount=-1), True, MDP + ": unsigned compare"),
    _mdp("small_minus_1024", folio(_refcount=-1024), True, MDP + ": unsigned compare"),
    # large: `atomic_read(&folio->_pincount) > 0`, exact whatever _refcount is
    _mdp("large_unpinned", LARGE, False),
    _mdp("large_unpinned_R_1024", folio(nr_pages=512, _refcount=1024), False, MDP + ": large is exact"),
    _mdp("large_unpinned_R_max", folio(nr_pages=512, _refcount=I32_MAX), False, MDP + ": large is exact"),
    _mdp("large_unpinned_R_neg", folio(nr_pages=512, _refcount=-1), False, MDP + ": large is exact"),
    _mdp("large_pinned", folio(nr_pages=512, _refcount=2, _pincount=1), True),
    _mdp("order1_unpinned_R_1024", folio(nr_pages=2, _refcount=1024), False, MDP + ": 64-bit order-1 is exact"),
    Case("after_pin", MDP + " after try_grab_folio(FOLL_PIN)", {"X": SMALL, "Y": LARGE, "Z": ZERO},
         "try_grab_folio(X, 1, FOLL_PIN); try_grab_folio(Y, 1, FOLL_PIN); try_grab_folio(Z, 1, FOLL_PIN); "
         "rx = folio_maybe_dma_pinned(X); ry = folio_maybe_dma_pinned(Y); rz = folio_maybe_dma_pinned(Z)",
         {"X._refcount": 1 + BIAS, "Y._refcount": 2, "Y._pincount": 1, "Z._refcount": 1,
          "rx": True, "ry": True, "rz": False},   # the zero page is never "pinned" (c8070b787519)
         {"rx": "bool", "ry": "bool", "rz": "bool"}),
    # the queries the definition uses
    Case("folio_test_large", "folio_test_large() (folio_has_pincount() on 64-bit)",
         {"X": SMALL, "Y": folio(nr_pages=2), "Z": LARGE},
         "a = folio_test_large(X); b = folio_test_large(Y); c = folio_test_large(Z)",
         {"a": False, "b": True, "c": True}, {"a": "bool", "b": "bool", "c": "bool"}),
    Case("folio_ref_count", "include/linux/page_ref.h folio_ref_count(): atomic_read(&folio->_refcount)",
         {"X": folio(_refcount=-7)}, "v = folio_ref_count(X)", {"v": -7}, {"v": "i32"}),
]
pinned = family_fixture("pinned", PINNED)


@pytest.mark.parametrize("case", PINNED, ids=ids(PINNED))
def test_folio_maybe_dma_pinned(pinned, case):
    """include/linux/mm.h folio_maybe_dma_pinned() (PINNING.md 1.3, S03):
    small folio `(unsigned)R >= 1024` (false at 1023, true at 1024, true for
    every negative R); large folio `_pincount > 0` exactly."""
    check_case(pinned, case)


# --------------------------------------------------------------- long chains

# Cases that loop (goto) over hundreds of steps get a spec of their own: the
# explicit engine's cost per BFS level grows with the width of the state.
LOOPS = [
    # S03: 1023 get_page() after R = 1 reads as one pin (pin_user_pages.rst: "if a page has
    # get_page() called on it 1024 times, then it will appear to have a single dma-pinned count")
    Case("s03_false_positive", "S03 + " + MDP, {"X": SMALL},
         "get_page(X); n += 1; if n == 1022 { r0 = folio_maybe_dma_pinned(X) } "
         "if n < 1023 { goto STEP } r = folio_maybe_dma_pinned(X)",
         {"X._refcount": 1024, "X._pincount": 0, "n": 1023, "r0": False, "r": True},
         {"n": "i32", "r0": "bool", "r": "bool"}),
    Case("roundtrip_large", "S02: 512 pins, then 512 x unpin_user_page", {"X": LARGE},
         "if n == 0 { try_grab_folio(X, 512, FOLL_PIN) } unpin_user_page(X); n += 1; "
         "if n < 512 { goto STEP }", {"X._refcount": 1, "X._pincount": 0, "n": 512}, {"n": "i32"}),
]
loops = family_fixture("loops", LOOPS)


@pytest.mark.parametrize("case", LOOPS, ids=ids(LOOPS))
def test_long_chains(loops, case):
    """S03 (pin_user_pages.rst, include/linux/mm.h folio_maybe_dma_pinned()):
    1023 get_page() after R = 1 read as one pin; S02 (pin_user_pages.rst):
    a 512-page THP pin released by 512 unpin_user_page() calls."""
    check_case(loops, case)


# --------------------------------------------------------------- folio_expected_ref_count

ERC = "include/linux/mm.h folio_expected_ref_count() (86ebd50224c0, f183663901f2; PINNING.md 1.6)"


def _erc(cid: str, page: str, expect: int, note: str = "") -> Case:
    return Case(cid, ERC + (": " + note if note else ""), {"X": page}, "r = folio_expected_ref_count(X)",
                {"r": expect}, {"r": "i32"})


FILE = dict(anon=False, anon_exclusive=False, mapping=True)
EXPECTED = [
    # ref_count = (swapcache << order) + (!anon ? (!!mapping << order) + PG_private : 0) + mapcount
    _erc("anon_mapped_once", SMALL, 1),
    _erc("anon_unmapped", folio(mapcount=0), 0, "migration: unmapped, caller adds its own"),
    _erc("anon_mapped_3", folio(mapcount=3), 3),
    _erc("anon_private_ignored", folio(private=True), 1, "PG_private only counts for !anon"),
    _erc("anon_swapcache", folio(swapcache=True), 2, "one per page from the swap cache"),
    _erc("anon_swapcache_unmapped", folio(swapcache=True, mapcount=0), 1),
    _erc("anon_large_swapcache", folio(nr_pages=512, swapcache=True), 513, "swapcache << order"),
    _erc("anon_large", LARGE, 1),
    _erc("file_buffers_mapped", folio(private=True, **FILE), 3, "page cache + PG_private + mapping"),
    _erc("file_buffers_unmapped", folio(private=True, mapcount=0, **FILE), 2),
    _erc("file_no_buffers", folio(**FILE), 2),
    _erc("file_large_buffers", folio(nr_pages=512, private=True, **FILE), 514, "!!mapping << order"),
    _erc("file_large_unmapped", folio(nr_pages=512, mapcount=0, **FILE), 512),
    _erc("file_truncated", folio(anon=False, anon_exclusive=False, mapcount=0), 0),
    # f183663901f2: the swap-cache term moved out of the anon branch (shmem folios)
    _erc("shmem_swapcache", folio(anon=False, anon_exclusive=False, swapcache=True, mapcount=0), 1,
         "f183663901f2"),
    _erc("shmem_large_swapcache",
         folio(nr_pages=512, anon=False, anon_exclusive=False, swapcache=True, mapcount=0), 512,
         "f183663901f2"),
]
expected = family_fixture("expected", EXPECTED)


@pytest.mark.parametrize("case", EXPECTED, ids=ids(EXPECTED))
def test_folio_expected_ref_count(expected, case):
    """include/linux/mm.h folio_expected_ref_count() (86ebd50224c0, fixed by
    f183663901f2; PINNING.md 1.6): 1 per page from the swap cache; for
    non-anon folios 1 per page from the page cache and 1 for PG_private;
    1 per mapping."""
    check_case(expected, case)


# --------------------------------------------------------------- folio_ref_freeze / unfreeze

FRZ = "include/linux/page_ref.h folio_ref_freeze(): atomic_cmpxchg(&_refcount, count, 0) == count"
# an isolated, unmapped file folio with buffers: page cache + PG_private + the isolation reference
ISOLATED_FILE = folio(_refcount=3, mapcount=0, private=True, **FILE)
FREEZE = [
    Case("freeze_expected", FRZ + " (mm/migrate.c: expected_ref_count + 1)", {"X": ISOLATED_FILE},
         "r = folio_ref_freeze_ok(X, folio_expected_ref_count(X) + 1); "
         "folio_ref_freeze(X, folio_expected_ref_count(X) + 1)",
         {"X._refcount": 0, "r": True}, {"r": "bool"}),
    Case("freeze_blocks_gup", FRZ + " (PINNING.md 1.6: a frozen count makes GUP-fast fail)",
         {"X": ISOLATED_FILE},
         "folio_ref_freeze(X, 3); a = try_grab_fast_pin_refused(X); b = try_grab_refused(X); "
         "try_grab_folio_fast(X, 1, FOLL_PIN)", {"X._refcount": 0, "a": True, "b": True},
         {"a": "bool", "b": "bool"}),
    Case("freeze_other_count", FRZ, {"X": folio(_refcount=3)},
         "r = folio_ref_freeze_ok(X, 2); folio_ref_freeze(X, 2)", {"X._refcount": 3, "r": False},
         {"r": "bool"}),
    Case("freeze_fails_pinned_small", FRZ + ": a pinned small folio has R >= expected + 1024",
         {"X": folio(_refcount=2 + BIAS, mapcount=0, private=True, **FILE)},
         "r = folio_ref_freeze_ok(X, folio_expected_ref_count(X) + 1); "
         "folio_ref_freeze(X, folio_expected_ref_count(X) + 1)",
         {"X._refcount": 2 + BIAS, "r": False}, {"r": "bool"}),
    Case("freeze_fails_pinned_large", FRZ + ": a pinned large folio has R >= expected + P",
         {"X": folio(nr_pages=512, _refcount=2, _pincount=1, mapcount=0)},
         "r = folio_ref_freeze_ok(X, folio_expected_ref_count(X) + 1); "
         "folio_ref_freeze(X, folio_expected_ref_count(X) + 1)",
         {"X._refcount": 2, "X._pincount": 1, "r": False}, {"r": "bool"}),
    Case("freeze_unfreeze", FRZ + "; folio_ref_unfreeze(): atomic_set_release(&_refcount, count)",
         {"X": folio(_refcount=2)},
         "folio_ref_freeze(X, 2); r = X._refcount; folio_ref_unfreeze(X, 2)",
         {"X._refcount": 2, "r": 0}, {"r": "i32"}),
    Case("unfreeze_other", "include/linux/page_ref.h folio_ref_unfreeze()", {"X": folio(_refcount=3)},
         "folio_ref_freeze(X, 3); folio_ref_unfreeze(X, 1)", {"X._refcount": 1}),
]
freeze = family_fixture("freeze", FREEZE)


@pytest.mark.parametrize("case", FREEZE, ids=ids(FREEZE))
def test_folio_ref_freeze(freeze, case):
    """include/linux/page_ref.h folio_ref_freeze()/folio_ref_unfreeze()
    (PINNING.md 1.6): freezing succeeds only at exactly `count` (sets 0),
    otherwise no change; unfreeze sets the count."""
    check_case(freeze, case)


# --------------------------------------------------------------- folio_is_longterm_pinnable

# include/linux/mm.h folio_is_longterm_pinnable() (PINNING.md 1.7), in source order:
#   CONFIG_CMA: MIGRATE_CMA or MIGRATE_ISOLATE -> false; is_zero_folio -> true;
#   (device-coherent, fsdax: not modelled) ; return !folio_is_zone_movable(folio)
LTP_TABLE = [
    # zone, migratetype, zero, pinnable
    ("ZONE_NORMAL", "MIGRATE_MOVABLE", False, True),
    ("ZONE_NORMAL", "MIGRATE_CMA", False, False),
    ("ZONE_NORMAL", "MIGRATE_ISOLATE", False, False),
    ("ZONE_MOVABLE", "MIGRATE_MOVABLE", False, False),
    ("ZONE_MOVABLE", "MIGRATE_CMA", False, False),
    ("ZONE_MOVABLE", "MIGRATE_ISOLATE", False, False),
    ("ZONE_NORMAL", "MIGRATE_MOVABLE", True, True),
    ("ZONE_NORMAL", "MIGRATE_CMA", True, False),      # the CMA test comes before the zero-page test
    ("ZONE_NORMAL", "MIGRATE_ISOLATE", True, False),
    ("ZONE_MOVABLE", "MIGRATE_MOVABLE", True, True),  # the zero page is special-cased
    ("ZONE_MOVABLE", "MIGRATE_CMA", True, False),
    ("ZONE_MOVABLE", "MIGRATE_ISOLATE", True, False),
]
LONGTERM = [
    Case(f"{zone.lower()}_{mt.lower()}{'_zero' if zero else ''}",
         "include/linux/mm.h folio_is_longterm_pinnable() (PINNING.md 1.7)",
         {"X": folio(zone=zone, migratetype=mt, zero=zero)},
         "r = folio_is_longterm_pinnable(X)", {"r": want}, {"r": "bool"})
    for zone, mt, zero, want in LTP_TABLE
] + [
    Case("large_movable", "folio_is_longterm_pinnable(): the size does not matter",
         {"X": folio(nr_pages=512, zone="ZONE_MOVABLE"), "Y": LARGE},
         "r = folio_is_longterm_pinnable(X); r2 = folio_is_longterm_pinnable(Y)",
         {"r": False, "r2": True}, {"r": "bool", "r2": "bool"}),
]
longterm = family_fixture("longterm", LONGTERM)


@pytest.mark.parametrize("case", LONGTERM, ids=ids(LONGTERM))
def test_folio_is_longterm_pinnable(longterm, case):
    """include/linux/mm.h folio_is_longterm_pinnable() truth table
    (PINNING.md 1.7): CMA/ISOLATE never, the zero page always (unless
    CMA/ISOLATE), otherwise not in ZONE_MOVABLE."""
    check_case(longterm, case)


# --------------------------------------------------------------- MMF_HAS_PINNED, folio_needs_cow_for_dma

NCD = ("mm/gup.c mm_set_has_pinned_flag() (008cfe4418b3), include/linux/mm.h "
       "folio_needs_cow_for_dma() (PINNING.md 1.3)")
# the cases run in this order, in one mm (mmf_has_pinned is a global)
HAS_PINNED = [
    Case("before_any_pin", NCD + ": MMF_HAS_PINNED clear -> false even at R >= 1024",
         {"X": SMALL, "Y": folio(_refcount=1 + BIAS), "L": folio(nr_pages=512, _refcount=2, _pincount=1)},
         "f = mmf_has_pinned; try_grab_folio(X, 1023, FOLL_GET); "
         "p = folio_maybe_dma_pinned(X); cx = folio_needs_cow_for_dma(X); "
         "cy = folio_needs_cow_for_dma(Y); cl = folio_needs_cow_for_dma(L)",
         {"X._refcount": 1024, "f": False, "p": True, "cx": False, "cy": False, "cl": False},
         {"f": "bool", "p": "bool", "cx": "bool", "cy": "bool", "cl": "bool"}),
    Case("after_pin", NCD + ": set on FOLL_PIN -> folio_maybe_dma_pinned()",
         {"X": SMALL, "Y": folio(_refcount=1024), "Z": SMALL, "L": LARGE},
         "mm_set_has_pinned_flag(); try_grab_folio(X, 1, FOLL_PIN); try_grab_folio(L, 1, FOLL_PIN); "
         "f = mmf_has_pinned; cx = folio_needs_cow_for_dma(X); cy = folio_needs_cow_for_dma(Y); "
         "cz = folio_needs_cow_for_dma(Z); cl = folio_needs_cow_for_dma(L)",
         {"X._refcount": 1 + BIAS, "L._refcount": 2, "L._pincount": 1,
          "f": True, "cx": True, "cy": True, "cz": False, "cl": True},   # Y: the S03 false positive
         {"f": "bool", "cx": "bool", "cy": "bool", "cz": "bool", "cl": "bool"}),
    Case("never_cleared", NCD + ": 'after set it'll be there for the mm's lifecycle'",
         {"X": folio(_refcount=1 + BIAS)},
         "unpin_user_page(X); f = mmf_has_pinned; cx = folio_needs_cow_for_dma(X); "
         "mm_set_has_pinned_flag(); g = mmf_has_pinned",
         {"X._refcount": 1, "f": True, "cx": False, "g": True},
         {"f": "bool", "cx": "bool", "g": "bool"}),
]
has_pinned = family_fixture("has_pinned", HAS_PINNED)


@pytest.mark.parametrize("case", HAS_PINNED, ids=ids(HAS_PINNED))
def test_mmf_has_pinned(has_pinned, case):
    """mm/gup.c mm_set_has_pinned_flag() and include/linux/mm.h
    folio_needs_cow_for_dma() (PINNING.md 1.3, 008cfe4418b3): false before
    any FOLL_PIN in the mm even if R >= 1024; after it, exactly
    folio_maybe_dma_pinned(); the flag is never cleared."""
    check_case(has_pinned, case)


def test_harness_reports_wrong_and_stray_values(tmp_path):
    """The harness itself: a family spec is one chain of states (one per
    step, plus the loop iterations); a wrong expectation is reported."""
    bad = Case("bad", "deliberately wrong", {"X": SMALL}, "try_grab_folio(X, 1, FOLL_PIN)",
               {"X._refcount": 1024})
    run = run_family(tmp_path, "harness", [bad])
    with pytest.raises(AssertionError):
        check_case(run, bad)
    stray = Case("stray", "changes an unlisted field", {"X": SMALL},
                 "try_grab_folio(X, 1, FOLL_PIN); X.dirty = true", {"X._refcount": 1 + BIAS})
    run = run_family(tmp_path, "harness2", [stray])
    with pytest.raises(AssertionError, match="dirty changed"):
        check_case(run, stray)


# --------------------------------------------------------------- no false negatives, proved

# PINNING.md 1.3 "Key model facts (provable by z3 over integers)": for a small
# folio, P >= 1 and B >= 0 and R = B + 1024 * P < 2^32 imply (u32)R >= 1024.
# One thread loops for ever taking (try_grab_folio) and dropping
# (unpin_user_page, put_page) pins and ordinary references in bulk, never
# wrapping R past 2^31 - 1; P and B are ghost counts of what it holds (B
# starts at 1: the mapping).
NFN_SPEC = """\
spec kernel_lib_no_false_negative "small folio: P >= 1 pins and B >= 0 refs, R = B + 1024 * P, is maybe DMA-pinned"
use "kernel/gup.pin"

const LIMIT = 0x7fffffff      // R < 2^31: no wrap
const PINS = 2097152          // 2^21: pins one call may take, and pins held at once
const GETS = 0x7fffffff       // references one call may take, and held at once

page X: folio                 // small folio, mapped once: _refcount = 1

thread user {
    var P: 0..PINS = 0        // ghost: FOLL_PIN pins held
    var B: 0..GETS = 1        // ghost: ordinary references held (the mapping's included)
    loop: {
        either {
            choose n in 1..PINS {
                if int(X._refcount) + GUP_PIN_COUNTING_BIAS * n <= LIMIT and P + n <= PINS
                        and not try_grab_refused(X) {
                    try_grab_folio(X, n, FOLL_PIN)
                    P += n
                }
            }
        } or {
            choose n in 1..GETS {
                if int(X._refcount) + n <= LIMIT and B + n <= GETS and not try_grab_refused(X) {
                    try_grab_folio(X, n, FOLL_GET)
                    B += n
                }
            }
        } or {
            if P > 0 { unpin_user_page(X); P -= 1 }
        } or {
            if B > 0 { put_page(X); B -= 1 }
        }
        goto loop
    }
}

invariant no_false_negative:
    (user.P >= 1 and user.B >= 0 and int(X._refcount) == user.B + GUP_PIN_COUNTING_BIAS * user.P
     and int(X._refcount) < 0x80000000)
    => folio_maybe_dma_pinned(X)
EXTRA
"""

# not vacuous: the hypothesis holds with a pin and R near the limit
NFN_PROVE_EXTRA = """\
reachable pinned_near_limit:
    user.P >= 1 and int(X._refcount) == user.B + GUP_PIN_COUNTING_BIAS * user.P and int(X._refcount) > LIMIT - 1024
"""
# with small bounds the explicit engine checks that the hypothesis is the
# invariant of every reachable state, and the unconditional claim
NFN_EXPLICIT_EXTRA = """\
invariant bias_sum: int(X._refcount) == user.B + GUP_PIN_COUNTING_BIAS * user.P
invariant pinned_seen: user.P >= 1 => folio_maybe_dma_pinned(X)
reachable pinned: user.P >= 1
"""


def test_no_false_negative_explicit_engine_cannot_enumerate(tmp_path):
    """At the kernel's bounds a step chooses among 2^21 / 2^31 - 1 values:
    the explicit engine refuses (PIN407), so the proof below is the prover's."""
    path = tmp_path / "nfn.pin"
    path.write_text(NFN_SPEC.replace("EXTRA", NFN_PROVE_EXTRA))
    with pytest.raises(EngineError) as err:
        check(compile_spec(str(path)))
    assert err.value.code == "PIN407"


def test_no_false_negative_small_bounds_explicit(tmp_path):
    """The same spec with PINS = 3, GETS = 4 (-D): every reachable state has
    R = B + 1024 * P, and P >= 1 implies maybe pinned (PINNING.md 1.3)."""
    path = tmp_path / "nfn.pin"
    path.write_text(NFN_SPEC.replace("EXTRA", NFN_EXPLICIT_EXTRA))
    system = compile_spec(str(path), None, {"PINS": 3, "GETS": 4})
    result = check(system)
    assert result.stats.complete and result.stats.states > 10
    status = {v.prop: v.status for v in result.verdicts}
    assert status == {"no_false_negative": "holds", "bias_sum": "holds", "pinned_seen": "holds",
                      "pinned": "reachable", "range": "holds", "deadlock": "free"}, status


def test_no_false_negative_proved(tmp_path):
    """PINNING.md 1.3 "No false negatives (small)": P >= 1, B >= 0,
    R = B + 1024 * P without wrap imply (u32)R >= 1024, i.e.
    folio_maybe_dma_pinned(); proved by `prove` for every reachable count,
    with up to 2^21 pins and 2^31 - 1 references per call."""
    path = tmp_path / "nfn.pin"
    path.write_text(NFN_SPEC.replace("EXTRA", NFN_PROVE_EXTRA))
    system, result = prove(str(path), None, {}, ProveOptions(timeout=30))
    v = result.verdict("no_false_negative")
    assert v.status == "holds", v
    assert v.engine != "bmc", v  # a proof, not a bounded search
    w = result.verdict("pinned_near_limit")
    assert w.status == "reachable" and w.trace is not None, w
    final = dict(zip((s.name for s in system.vars), w.trace.final))
    assert final["user.P"] >= 1 and final["X._refcount"] > I32_MAX - 1024, final
    assert final["X._refcount"] == final["user.B"] + BIAS * final["user.P"], final
