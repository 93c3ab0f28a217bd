"""A small Liberty (``.lib``) reader: groups, attributes, NLDM tables, cell functions.

Only what the ASIC flow needs is interpreted (units, operating conditions,
per cell: area, leakage, pins with direction, capacitance, ``function``,
``timing`` arcs, ``internal_power`` tables, and the ``ff`` group of
flip-flops); everything else is parsed and kept as raw attributes. The
reader is a regular-expression tokenizer and a recursive-descent parser over
the whole file (the 11 MB SKY130 library parses in a few seconds); a
malformed file is a :class:`~lgnhw.errors.FormatError` naming the file and
the line.

Units are normalised on load: time in ns, capacitance in pF, leakage power
in nW, internal energy in pJ (the tables' unit is capacitance x voltage**2).
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field

import numpy as np

from ..errors import FormatError

__all__ = ["Group", "parse", "Table", "Arc", "PowerTable", "Pin", "Cell", "Library",
           "load_library", "trim", "Function"]

#: Deepest group nesting accepted (real libraries nest about 5 deep).
MAX_DEPTH = 64

_TOKEN = re.compile(r"""
    (?P<ws>(?:\s|\\\r?\n)+)
  | (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<punct>[{}():;,])
  | (?P<word>[^\s{}():;,"\\]+)
""", re.X | re.S)


@dataclass
class Group:
    """``kind (args) { ... }``: simple attributes (``name : value``), complex ones
    (``name (v, ...)``, a list per occurrence) and subgroups, in file order.
    ``span`` is the group's character range in the source text."""
    kind: str
    args: list
    attrs: dict = field(default_factory=dict)
    complex: dict = field(default_factory=dict)
    groups: list = field(default_factory=list)
    span: tuple = (0, 0)
    line: int = 0          # character offset of the group in the source (see Library.line)

    def sub(self, kind: str) -> list:
        return [g for g in self.groups if g.kind == kind]

    def first(self, kind: str):
        for g in self.groups:
            if g.kind == kind:
                return g
        return None

    @property
    def name(self) -> str:
        return self.args[0] if self.args else ""


def _tokens(text: str, path):
    out = []
    pos, n = 0, len(text)
    match = _TOKEN.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            line = text.count("\n", 0, pos) + 1
            raise FormatError(path, f"line {line}: not a Liberty file (unexpected {text[pos:pos + 20]!r})")
        kind = m.lastgroup
        if kind == "string":
            out.append(("w", m.group()[1:-1], pos))
        elif kind == "word":
            out.append(("w", m.group(), pos))
        elif kind == "punct":
            out.append((m.group(), m.group(), pos))
        pos = m.end()
    return out


def parse(text: str, path=None) -> Group:
    """The top-level group (``library (...) { ... }``) of Liberty source ``text``."""
    toks = _tokens(text, path)
    n = len(toks)
    i = 0

    def where(k):
        p = toks[min(k, n - 1)][2] if n else 0
        return text.count("\n", 0, p) + 1

    def fail(k, what):
        raise FormatError(path, f"line {where(k)}: not a Liberty file ({what})")

    def expect(k, t):
        if k >= n or toks[k][0] != t:
            fail(k, f"expected {t!r}" + (f", found {toks[k][1]!r}" if k < n else " before the end"))
        return k + 1

    def args_of(k):
        """``( v, v ... )`` starting at the ``(``; returns (values, index after ``)``)."""
        k = expect(k, "(")
        vals = []
        while k < n and toks[k][0] != ")":
            if toks[k][0] == "w":
                vals.append(toks[k][1])
            elif toks[k][0] != ",":
                fail(k, f"unexpected {toks[k][1]!r} in a list")
            k += 1
        return vals, expect(k, ")")

    def body(group, k, depth=1):
        if depth > MAX_DEPTH:
            fail(k, f"groups nested more than {MAX_DEPTH} deep")
        while True:
            if k >= n:
                fail(k, f"group {group.kind} is not closed")
            t, v, _ = toks[k]
            if t == "}":
                return k + 1
            if t != "w":
                fail(k, f"unexpected {v!r}")
            name = v
            k += 1
            if k < n and toks[k][0] == ":":
                k += 1
                if k >= n or toks[k][0] != "w":
                    fail(k, f"attribute {name} has no value")
                value = toks[k][1]
                k += 1
                group.attrs[name] = value
                if k < n and toks[k][0] == ";":
                    k += 1
            elif k < n and toks[k][0] == "(":
                start = toks[k - 1][2]
                vals, k = args_of(k)
                if k < n and toks[k][0] == "{":
                    sub = Group(name, vals, line=start)
                    k = body(sub, k + 1, depth + 1)
                    sub.span = (start, toks[k - 1][2] + 1)
                    group.groups.append(sub)
                else:
                    group.complex.setdefault(name, []).append(vals)
                    if k < n and toks[k][0] == ";":
                        k += 1
            else:
                fail(k, f"{name} is neither an attribute nor a group")

    if not toks or toks[0] != ("w", "library", toks[0][2]) or n < 2:
        raise FormatError(path, "not a Liberty file (it does not start with a library group)")
    vals, i = args_of(1)
    top = Group("library", vals, line=0)
    i = expect(i, "{")
    i = body(top, i)
    top.span = (toks[0][2], toks[i - 1][2] + 1)
    return top


def _floats(values, path, what) -> np.ndarray:
    try:
        out = np.array([float(x) for v in values for x in v.replace(",", " ").split()], dtype=np.float64)
    except ValueError:
        out = None
    if out is None or not np.isfinite(out).all():
        raise FormatError(path, f"{what() if callable(what) else what}: not a list of finite numbers")
    return out


_ROLE = {"input_net_transition": "slew", "input_transition_time": "slew",
         "related_pin_transition": "slew", "constrained_pin_transition": "slew2",
         "total_output_net_capacitance": "load"}


@dataclass(frozen=True)
class Table:
    """An NLDM table: up to two axes, each named by its role (``slew``: the input or
    related pin's transition, ``load``: the output capacitance, ``slew2``: the
    constrained pin's transition), bilinear interpolation, linear extrapolation."""
    axes: tuple            # roles of index_1, index_2
    index: tuple           # numpy arrays
    values: np.ndarray

    def __call__(self, **at) -> np.ndarray:
        v = self.values
        if not self.axes:
            return np.full(np.shape(next(iter(at.values()), 0.0)), float(v.reshape(-1)[0]))
        xs = [np.asarray(at.get(role, 0.0), dtype=np.float64) for role in self.axes]
        shape = np.broadcast_shapes(*(x.shape for x in xs))
        xs = [np.broadcast_to(x, shape).reshape(-1) for x in xs]
        # weights per axis: (lower index, fraction)
        idx, frac = [], []
        for x, ix in zip(xs, self.index):
            if ix.size == 1:
                idx.append(np.zeros(x.shape, dtype=np.int64))
                frac.append(np.zeros(x.shape))
                continue
            i = np.clip(np.searchsorted(ix, x) - 1, 0, ix.size - 2)
            idx.append(i)
            frac.append((x - ix[i]) / (ix[i + 1] - ix[i]))
        if len(self.axes) == 1:
            i, f = idx[0], frac[0]
            row = v.reshape(-1)
            hi = np.minimum(i + 1, row.size - 1)
            out = row[i] * (1 - f) + row[hi] * f
        else:
            (i, f), (j, g) = (idx[0], frac[0]), (idx[1], frac[1])
            i1 = np.minimum(i + 1, v.shape[0] - 1)
            j1 = np.minimum(j + 1, v.shape[1] - 1)
            out = (v[i, j] * (1 - f) * (1 - g) + v[i1, j] * f * (1 - g)
                   + v[i, j1] * (1 - f) * g + v[i1, j1] * f * g)
        return out.reshape(shape)


@dataclass(frozen=True)
class Arc:
    """A ``timing`` group of an output (or, for constraints, an input) pin."""
    related: str
    sense: str             # positive_unate, negative_unate, non_unate
    kind: str              # combinational, rising_edge, setup_rising, hold_rising, ...
    tables: dict           # cell_rise, cell_fall, rise_transition, fall_transition, rise_constraint, ...


@dataclass(frozen=True)
class PowerTable:
    """An ``internal_power`` group: energy per rising / falling transition (pJ)."""
    related: str
    when: str
    rise: Table | None
    fall: Table | None


@dataclass(frozen=True)
class Pin:
    name: str
    direction: str
    capacitance: float     # pF
    function: str | None
    clock: bool
    arcs: tuple
    power: tuple


@dataclass(frozen=True)
class Cell:
    name: str
    area: float            # um^2
    leakage_nw: float
    pins: dict
    ff: dict | None        # {"next_state", "clocked_on", "clear", "preset", "state"} for flip-flops
    latch: bool
    dont_use: bool

    @property
    def inputs(self) -> list:
        return [p for p in self.pins.values() if p.direction == "input"]

    @property
    def outputs(self) -> list:
        return [p for p in self.pins.values() if p.direction == "output"]


_UNITS_TIME = {"1ps": 1e-3, "10ps": 1e-2, "100ps": 1e-1, "1ns": 1.0}
_UNITS_LEAK = {"1pw": 1e-3, "1nw": 1.0, "1uw": 1e3, "1mw": 1e6, "1w": 1e9}
_UNITS_CAP = {"ff": 1e-3, "pf": 1.0}


@dataclass
class Library:
    """A parsed Liberty library with its units normalised (ns, pF, nW, pJ, V)."""
    path: str
    name: str
    corner: str            # default operating conditions
    voltage: float
    temperature: float
    process: float
    cells: dict            # name -> Cell (built on first use: see cell())
    groups: dict           # name -> cell Group
    text: str
    templates: dict
    time_scale: float
    cap_scale: float
    leak_scale: float

    def cell(self, name: str) -> Cell:
        if name not in self.cells:
            if name not in self.groups:
                raise FormatError(self.path, f"the library has no cell {name}")
            self.cells[name] = _cell(self, self.groups[name])
        return self.cells[name]

    def line(self, group: Group) -> int:
        """The line number of ``group`` in the source."""
        return self.text.count("\n", 0, group.line) + 1

    def has(self, name: str) -> bool:
        return name in self.groups

    @property
    def energy_scale(self) -> float:
        """pJ per table unit of internal power (capacitance x voltage**2)."""
        return self.cap_scale

    def summary(self) -> dict:
        def num(x):
            return None if not np.isfinite(x) else x
        return {"name": self.name, "file": self.path, "corner": self.corner,
                "voltage_v": self.voltage, "temperature_c": num(self.temperature),
                "process": num(self.process)}


def _table(lib: Library, g: Group, scale: float) -> Table:
    tmpl = lib.templates.get(g.name, ())
    index = []
    for k in (1, 2, 3):
        vals = g.complex.get(f"index_{k}")
        if vals:
            index.append(_floats(vals[0], lib.path, lambda: f"line {lib.line(g)}: table {g.kind} index"))
    axes = tuple(_ROLE.get(v, v) for v in tmpl[:len(index)])
    if len(axes) < len(index):
        raise FormatError(lib.path, f"line {lib.line(g)}: table {g.kind} uses template {g.name!r}, "
                                    "which is not defined")
    vals = g.complex.get("values")
    if not vals:
        raise FormatError(lib.path, f"line {lib.line(g)}: table {g.kind} has no values")
    v = _floats(vals[0], lib.path, lambda: f"line {lib.line(g)}: table {g.kind} values") * scale
    shape = tuple(ix.size for ix in index) or (1,)
    if v.size != int(np.prod(shape)):
        raise FormatError(lib.path, f"line {lib.line(g)}: table {g.kind} has {v.size} values for "
                                    f"a {'x'.join(map(str, shape))} index")
    return Table(axes, tuple(index), v.reshape(shape))


_TIME_TABLES = ("cell_rise", "cell_fall", "rise_transition", "fall_transition",
                "rise_constraint", "fall_constraint")


def _num(lib, g, key, default=0.0) -> float:
    v = g.attrs.get(key)
    if v is None:
        return default
    try:
        x = float(v)
    except ValueError:
        x = float("nan")
    if not np.isfinite(x):
        raise FormatError(lib.path, f"line {lib.line(g)}: {key} of {g.kind} {g.name} is not a number "
                                    f"({v[:40]!r})")
    return x


def _cell(lib: Library, g: Group) -> Cell:
    pins = {}
    for p in g.sub("pin"):
        arcs = []
        for t in p.sub("timing"):
            tables = {}
            for sub in t.groups:
                if sub.kind in _TIME_TABLES:
                    tables[sub.kind] = _table(lib, sub, lib.time_scale)
            arcs.append(Arc(t.attrs.get("related_pin", ""), t.attrs.get("timing_sense", "non_unate"),
                            t.attrs.get("timing_type", "combinational"), tables))
        power = []
        for ip in p.sub("internal_power"):
            rise, fall = ip.first("rise_power"), ip.first("fall_power")
            power.append(PowerTable(ip.attrs.get("related_pin", ""), ip.attrs.get("when", ""),
                                    None if rise is None else _table(lib, rise, lib.energy_scale),
                                    None if fall is None else _table(lib, fall, lib.energy_scale)))
        for name in p.args:            # ``pin (A, B) { ... }`` declares several alike pins
            pins[name] = Pin(name, p.attrs.get("direction", ""), _num(lib, p, "capacitance") * lib.cap_scale,
                             p.attrs.get("function"), p.attrs.get("clock", "false") == "true",
                             tuple(arcs), tuple(power))
    leak = g.attrs.get("cell_leakage_power")
    if leak is not None:
        leakage = _num(lib, g, "cell_leakage_power")
    else:
        states = [_num(lib, lp, "value") for lp in g.sub("leakage_power")]
        leakage = float(np.mean(states)) if states else 0.0
    ff = None
    f = g.first("ff")
    if f is not None:
        ff = {"state": f.args[0] if f.args else "IQ", "next_state": f.attrs.get("next_state", ""),
              "clocked_on": f.attrs.get("clocked_on", ""), "clear": f.attrs.get("clear"),
              "preset": f.attrs.get("preset")}
    return Cell(g.name, _num(lib, g, "area"), leakage * lib.leak_scale, pins, ff,
                g.first("latch") is not None or g.first("statetable") is not None,
                g.attrs.get("dont_use", "false") == "true")


def _unit(lib_group: Group, path, key, table, default):
    v = lib_group.attrs.get(key)
    if v is None:
        return default
    s = v.replace(" ", "").lower()
    if s not in table:
        raise FormatError(path, f"unsupported {key} {v!r} (known: {', '.join(table)})")
    return table[s]


def read_text(path) -> str:
    """The text of a Liberty file, gzip-compressed or not."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        raise FormatError(path, f"cannot read: {err.strerror or err}") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as err:
            raise FormatError(path, f"cannot decompress ({err})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("latin-1")
        except UnicodeDecodeError:  # pragma: no cover - latin-1 decodes anything
            raise FormatError(path, "not a text file") from None


def load_library(path, text: str | None = None) -> Library:
    """Parse the Liberty file at ``path`` (plain or ``.gz``)."""
    path = str(path)
    if text is None:
        text = read_text(path)
    top = parse(text, path)
    tscale = _unit(top, path, "time_unit", _UNITS_TIME, 1.0)
    lscale = _unit(top, path, "leakage_power_unit", _UNITS_LEAK, 1.0)
    cap = top.complex.get("capacitive_load_unit")
    cscale = 1.0
    if cap:
        try:
            mult, unit = float(cap[0][0]), cap[0][1].lower()
            cscale = mult * _UNITS_CAP[unit]
        except (ValueError, IndexError, KeyError):
            raise FormatError(path, f"unsupported capacitive_load_unit {cap[0]!r}") from None
    templates = {}
    for kind in ("lu_table_template", "power_lut_template"):
        for t in top.sub(kind):
            templates[t.name] = tuple(t.attrs.get(f"variable_{k}") for k in (1, 2, 3)
                                      if t.attrs.get(f"variable_{k}"))
    corner = top.attrs.get("default_operating_conditions", "")
    oc = {g.name: g for g in top.sub("operating_conditions")}
    cond = oc.get(corner) or (next(iter(oc.values())) if oc else None)
    if cond is not None and not corner:
        corner = cond.name
    def cond_num(key, nominal):
        if cond is not None and key in cond.attrs:
            return _num_plain(path, cond.attrs[key], key)
        return _num_plain(path, top.attrs.get(nominal, "nan"), nominal)
    voltage = cond_num("voltage", "nom_voltage")
    if not np.isfinite(voltage) or voltage <= 0:
        raise FormatError(path, "the library states no supply voltage (operating_conditions or nom_voltage)")
    groups = {g.name: g for g in top.sub("cell")}
    if not groups:
        raise FormatError(path, "the library has no cells")
    return Library(path, top.name, corner, voltage, cond_num("temperature", "nom_temperature"),
                   cond_num("process", "nom_process"), {}, groups, text, templates,
                   tscale, cscale, lscale)


def _num_plain(path, value, key) -> float:
    """A number of the library header; missing ones are NaN (``value`` "nan") and
    are refused where they matter (the voltage), written as null otherwise."""
    try:
        x = float(value)
    except ValueError:
        x = float("inf")
    if np.isinf(x):
        raise FormatError(path, f"{key} is not a number ({value[:40]!r})")
    return x


def trim(lib: Library, cells, header: str = "") -> str:
    """Liberty text with everything before the first cell (the file's opening comment,
    units, operating conditions, templates) and only ``cells``, each copied
    verbatim; ``header`` (a comment) goes first."""
    text = lib.text
    first = min(g.span[0] for g in lib.groups.values())
    parts = [header, text[:first].rstrip() + "\n"]
    for name in cells:
        g = lib.groups[name]
        parts.append("\n    " + text[g.span[0]:g.span[1]] + "\n")
    parts.append("}\n")
    return "".join(parts)


# -- Boolean functions -------------------------------------------------------------

_FTOKEN = re.compile(r"\s*(?:(?P<id>[A-Za-z_][A-Za-z0-9_\[\]\.]*)|(?P<const>[01])|(?P<op>[!'&*|+^()]))")


class Function:
    """A Liberty ``function`` / ``next_state`` expression, compiled to numpy.

    Operators, loosest first: ``|`` ``+`` (or), ``^`` (xor), ``&`` ``*`` or
    juxtaposition (and), prefix ``!`` and postfix ``'`` (not); ``0``, ``1``."""

    def __init__(self, text: str, where: str = ""):
        self.text = text
        self._toks = []
        pos = 0
        s = text.strip()
        while pos < len(s):
            m = _FTOKEN.match(s, pos)
            if m is None or m.end() == pos:
                raise ValueError(f"cannot parse function {text!r}{where}")
            self._toks.append((m.lastgroup, m.group(m.lastgroup)))
            pos = m.end()
            while pos < len(s) and s[pos].isspace():
                pos += 1
        self._i = 0
        self.tree = self._or()
        if self._i != len(self._toks):
            raise ValueError(f"cannot parse function {text!r}{where}")
        del self._toks
        self.variables = sorted(self._vars(self.tree))

    def _peek(self):
        return self._toks[self._i] if self._i < len(self._toks) else (None, None)

    def _or(self):
        node = self._xor()
        while self._peek()[1] in ("|", "+"):
            self._i += 1
            node = ("or", node, self._xor())
        return node

    def _xor(self):
        node = self._and()
        while self._peek()[1] == "^":
            self._i += 1
            node = ("xor", node, self._and())
        return node

    def _and(self):
        node = self._unary()
        while True:
            kind, v = self._peek()
            if v in ("&", "*"):
                self._i += 1
                node = ("and", node, self._unary())
            elif kind in ("id", "const") or v in ("!", "("):
                node = ("and", node, self._unary())
            else:
                return node

    def _unary(self):
        kind, v = self._peek()
        if v == "!":
            self._i += 1
            node = ("not", self._unary())
        elif v == "(":
            self._i += 1
            node = self._or()
            if self._peek()[1] != ")":
                raise ValueError("unbalanced parentheses")
            self._i += 1
        elif kind == "id":
            self._i += 1
            node = ("var", v)
        elif kind == "const":
            self._i += 1
            node = ("const", v == "1")
        else:
            raise ValueError("operand expected")
        while self._peek()[1] == "'":
            self._i += 1
            node = ("not", node)
        return node

    def _vars(self, node) -> set:
        if node[0] == "var":
            return {node[1]}
        if node[0] == "const":
            return set()
        return set().union(*(self._vars(x) for x in node[1:]))

    def __call__(self, env: dict):
        """Evaluate on numpy boolean arrays (``env``: variable -> array)."""
        return self._eval(self.tree, env)

    def _eval(self, node, env):
        op = node[0]
        if op == "var":
            return env[node[1]]
        if op == "const":
            shape = np.shape(next(iter(env.values()))) if env else ()
            return np.full(shape, node[1], dtype=bool)
        if op == "not":
            return ~self._eval(node[1], env)
        a, b = self._eval(node[1], env), self._eval(node[2], env)
        return (a & b) if op == "and" else (a | b) if op == "or" else (a ^ b)
