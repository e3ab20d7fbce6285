"""The template language: ``{slot}`` draws a value (the same slot twice in one text gives
the same value twice), ``[a|b|c]`` picks one alternative, ``[a|]`` makes ``a``
optional, and alternatives nest. `block` compiles one template a line."""

from __future__ import annotations

from typing import TypeAlias

from fraudwall.sim.texts.slots import SLOTS, Ctx


class _Slot:
    __slots__ = ("fn", "name")

    def __init__(self, name: str) -> None:
        if name not in SLOTS:
            raise ValueError(f"unknown template slot {{{name}}}")
        self.name = name
        self.fn = SLOTS[name]


class _Alt:
    __slots__ = ("options",)

    def __init__(self, options: tuple[Seq, ...]) -> None:
        self.options = options


_Node: TypeAlias = "str | _Slot | _Alt"
Seq: TypeAlias = "tuple[_Node, ...]"


def _parse_seq(s: str, i: int, top: bool) -> tuple[Seq, int]:
    out: list[_Node] = []
    buf: list[str] = []

    def flush() -> None:
        if buf:
            out.append("".join(buf))
            buf.clear()

    while i < len(s):
        ch = s[i]
        if ch == "{":
            j = s.index("}", i)
            flush()
            out.append(_Slot(s[i + 1 : j]))
            i = j + 1
        elif ch == "[":
            flush()
            options: list[Seq] = []
            i += 1
            while True:
                seq, i = _parse_seq(s, i, top=False)
                options.append(seq)
                if i >= len(s):
                    raise ValueError(f"unclosed [ in template {s!r}")
                i += 1
                if s[i - 1] == "]":
                    break
            out.append(_Alt(tuple(options)))
        elif ch in "|]":
            if top:
                raise ValueError(f"stray {ch} in template {s!r}")
            break
        else:
            buf.append(ch)
            i += 1
    flush()
    return tuple(out), i


def compile_template(src: str) -> Seq:
    seq, _ = _parse_seq(src, 0, top=True)
    return seq


def block(text: str) -> tuple[Seq, ...]:
    """One template a line; blank lines and lines starting with # are skipped."""
    lines = (ln.strip() for ln in text.splitlines())
    return tuple(compile_template(ln) for ln in lines if ln and not ln.startswith("#"))


def _emit(seq: Seq, ctx: Ctx, out: list[str]) -> None:
    for node in seq:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, _Slot):
            v = ctx.vals.get(node.name)
            if v is None:
                v = node.fn(ctx)
                ctx.vals[node.name] = v
            out.append(v)
        else:
            opts = node.options
            _emit(opts[ctx.r.idx(len(opts))], ctx, out)


def render(seq: Seq, ctx: Ctx) -> str:
    out: list[str] = []
    _emit(seq, ctx, out)
    return "".join(out)
