"""Configuration text as a tree of statements by indentation, the way VRP, Comware, IOS and ASA print it.

`#` (VRP, Comware) and `!` (IOS, ASA) on a line of their own separate sections and end any open one;
`return` / `end` close the configuration. Every statement keeps its file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

#: Lines that only structure the text (separators, the end marker, the banner of `show running-config`).
STRUCTURE_PREFIXES = ("Building configuration", "Current configuration", ": Saved", ": Written by", ": Serial",
                      ": Hardware", "!Software Version", "!Command:", "!Time:", "!Last configuration")


@dataclass
class Node:
    text: str
    file: str
    line: int
    indent: int
    children: list[Node] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)
    words: list[str] = field(init=False, repr=False)
    where: str = field(init=False, repr=False)  # file:line

    def __post_init__(self) -> None:
        self.words = self.text.split()
        self.where = f"{self.file}:{self.line}"

    def walk(self) -> Iterator[Node]:
        yield self
        for c in self.children:
            yield from c.walk()


@dataclass
class Tree:
    """The top-level statements of one configuration, every statement in file order, and the counts."""

    file: str
    roots: list[Node]
    statements: int
    structure: int  # separators, comments, `return`/`end`, banners
    nodes: list[Node] = field(default_factory=list)

    def walk(self) -> Iterator[Node]:
        return iter(self.nodes)


def parse(file: str, lines: list[tuple[int, str]], comment: str) -> Tree:
    """Build the tree; `comment` is `#` (VRP/Comware) or `!` (IOS/ASA). A `!`/`#` line with text after it
    is a comment; alone it is a separator. ASA's `: …` lines are comments too."""
    roots: list[Node] = []
    nodes: list[Node] = []
    stack: list[Node] = []
    statements = structure = 0
    for no, raw in lines:
        text = raw.rstrip()
        body = text.strip()
        if not body:
            continue
        if body.startswith(comment) or body in ("return", "end", ":") or body.startswith(STRUCTURE_PREFIXES) or \
                (comment == "!" and body.startswith(": ")):
            structure += 1
            if body == comment or body in ("return", "end"):
                stack = []
            continue
        indent = len(text) - len(text.lstrip(" "))
        node = Node(body, file, no, indent)
        nodes.append(node)
        statements += 1
        while stack and stack[-1].indent >= indent:
            stack.pop()
        if stack:
            node.parent = stack[-1]
            stack[-1].children.append(node)
        else:
            roots.append(node)
        stack.append(node)
    return Tree(file, roots, statements, structure, nodes)
