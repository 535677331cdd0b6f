"""The visible text of a report, split where a reader meets it: the first screen (everything
before the first figure, the rule of tests/report/test_answer_first.py and docs/report.md), the
body, and the appendix (section ``appendix``, "How this was run")."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"meta", "img", "br", "hr", "input", "link"}


@dataclass
class Parts:
    first_screen: list[str] = field(default_factory=list)  # text before the first <figure>
    outside_appendix: list[str] = field(default_factory=list)
    appendix: list[str] = field(default_factory=list)
    first_screen_tables: list[str] = field(default_factory=list)  # ids of sections holding a table
    section_order: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts = Parts()
        self.stack: list[tuple[str, str | None]] = []  # (tag, id)
        self.seen_figure = False
        self.hidden = 0

    def _in(self, ident: str) -> bool:
        return any(i == ident for _, i in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id")
        if tag == "figure":
            self.seen_figure = True
        if tag == "section" and ident:
            self.parts.section_order.append(ident)
        if tag == "table" and not self.seen_figure:
            section = next((i for t, i in reversed(self.stack) if t == "section"), None)
            self.parts.first_screen_tables.append(str(section))
        if tag in ("style", "title", "head"):
            self.hidden += 1
        if tag not in VOID:
            self.stack.append((tag, ident))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "title", "head"):
            self.hidden -= 1
        for k in range(len(self.stack) - 1, -1, -1):
            if self.stack[k][0] == tag:
                del self.stack[k:]
                break

    def handle_data(self, data: str) -> None:
        if self.hidden or not data.strip():
            return
        if self._in("appendix"):
            self.parts.appendix.append(data)
        else:
            self.parts.outside_appendix.append(data)
        if not self.seen_figure:
            self.parts.first_screen.append(data)


def parts(html: str) -> Parts:
    p = _Parser()
    p.feed(html)
    p.close()
    return p.parts


def text(chunks: list[str]) -> str:
    return " ".join(" ".join(chunks).split())
