"""How large a spec may make what the engines see, and how to measure it.

Every stage after parsing walks expressions and statements recursively
(elaboration, lowering, the generated code of the explicit engine, the
reference interpreter, the z3 encoding), so the front end bounds how deep
they nest, with a located diagnostic instead of a RecursionError later:

  * the parse tree nests at most `syntax.parser.MAX_NESTING` deep (PIN106);
  * elaboration, with every fn and proc call inlined, recurses at most
    MAX_ELAB_DEPTH levels (PIN411);
  * no expression the engines see nests more than MAX_DEPTH deep, or has
    more than MAX_SIZE nodes counted once per use (PIN411): a statement's
    expressions once elaborated, a step's guard, checks and updates as it
    is lowered (each statement that changes a variable wraps its value once
    more), and every property;
  * a step splits into at most MAX_PATHS transitions (PIN411);
  * page and actor arrays have at most MAX_ARRAY elements (PIN308): an
    index that is not constant selects among them through a chain of
    if-then-else as long as the array.

The specs of specs/ and the kernel library stay far below: parse trees 18
deep, expressions 15 deep and of 1,100 nodes, arrays of 3.
"""

from __future__ import annotations

from pinmc.ir import nodes as ir
from pinmc.ir.nodes import Expr

MAX_ELAB_DEPTH = 160
MAX_DEPTH = 256
MAX_SIZE = 200_000
MAX_PATHS = 4096
MAX_ARRAY = 64
# the largest constant a folded operation may give (PIN303); literals are at
# most 2^256 - 1 (PIN107), so only products of constants come near it
MAX_CONST_BITS = 1024


class Measure:
    """Depth and size of expressions, remembered per node, so measuring a
    growing expression again costs only its new nodes.  Holds on to the
    nodes it measured (their ids stay theirs)."""

    def __init__(self) -> None:
        self._memo: dict[int, tuple[Expr, int, int]] = {}  # id -> (node, depth, size)

    def __call__(self, root: Expr) -> tuple[int, int]:
        """(depth, size) of `root`: the longest chain of nested nodes, and
        the number of nodes when shared ones are counted once per use."""
        memo = self._memo
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in memo:
                continue
            kids = ir.children(node)
            if ready or not kids:
                got = [memo[id(c)] for c in kids]
                memo[id(node)] = (node, 1 + max((g[1] for g in got), default=0), 1 + sum(g[2] for g in got))
                continue
            stack.append((node, True))
            stack.extend((c, False) for c in kids if id(c) not in memo)
        _, depth, size = memo[id(root)]
        return depth, size

    def too_large(self, roots: list[Expr]) -> str | None:
        """Why `roots` together exceed MAX_DEPTH or MAX_SIZE, or None."""
        sizes = [self(r) for r in roots]
        depth = max((d for d, _ in sizes), default=0)
        size = sum(n for _, n in sizes)
        if depth > MAX_DEPTH:
            return f"an expression {depth} levels deep (at most {MAX_DEPTH})"
        if size > MAX_SIZE:
            return f"expressions of {size:,} nodes (at most {MAX_SIZE:,})"
        return None
