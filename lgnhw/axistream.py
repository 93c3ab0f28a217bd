"""The AXI4-Stream wrapper ``<name>_axis`` around a core, and its byte layout.

Both backends append this module to the core's Verilog. AXI4-Stream moves
whole bytes, so each stream is padded to byte lanes:

* ``s_axis_tdata`` holds one input vector per beat: netlist input ``j`` is
  bit ``j`` (byte ``j // 8``, bit ``j % 8``); the bits above the last input
  are ignored. No TKEEP: a partial vector cannot be classified, so every
  input beat is a whole vector.
* ``m_axis_tdata`` holds one result per beat as ``C + 1`` little-endian
  words of ``W`` bytes each (``W`` the fewest bytes that hold both the class
  index and a class score): word 0 is the class index, word ``1 + c`` is
  class ``c``'s score, all zero-extended. A host reads a beat as
  ``numpy.frombuffer(beat, dtype=f"<u{W}")`` (W = 1, 2 or 4).
  ``m_axis_tkeep`` is all ones (every byte is valid).
* ``s_axis_tlast`` travels with its vector through the pipeline and comes out
  as ``m_axis_tlast`` on that vector's result, so a packet of N vectors gives
  a packet of N results: a batch keeps its framing.

The TLAST delay line is ``latency`` bits advancing on the core's own rule
(``m_axis_tready | ~m_axis_tvalid``, or every clock for an always-ready
core), so it stays aligned with the payload under any backpressure.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AxisLayout", "axis_wrapper"]


@dataclass(frozen=True)
class AxisLayout:
    """Byte layout of the wrapper's streams for a core with these port widths."""

    num_inputs: int
    num_classes: int
    index_width: int          # CW: class index bits of the core's o__payload
    count_width: int          # NW: bits of each class score

    @classmethod
    def of(cls, num_inputs: int, num_classes: int, index_width: int, count_width: int):
        return cls(max(1, int(num_inputs)), int(num_classes), int(index_width), int(count_width))

    @classmethod
    def for_plan(cls, plan):
        """The layout of a :class:`lgnhw.gateware.plan.Plan`'s core."""
        index_width = plan.payload_width - plan.num_classes * plan.count_width
        return cls.of(plan.num_inputs, plan.num_classes, index_width, plan.count_width)

    @property
    def in_bytes(self) -> int:
        return -(-self.num_inputs // 8)

    @property
    def word_bytes(self) -> int:
        """W: bytes per output word, a power of two so numpy can read the words."""
        need = -(-max(self.index_width, self.count_width) // 8)
        return 1 << (need - 1).bit_length()

    @property
    def out_bytes(self) -> int:
        return (self.num_classes + 1) * self.word_bytes

    def output_fields(self) -> list[tuple[int, int, int]]:
        """``(tdata_lsb, payload_lsb, width)`` of each field: the index, then each class score."""
        wb = 8 * self.word_bytes
        fields = [(0, 0, self.index_width)]
        fields += [((1 + c) * wb, self.index_width + c * self.count_width, self.count_width)
                   for c in range(self.num_classes)]
        return fields


def _tdata_from_payload(layout: AxisLayout, payload: str) -> str:
    """Verilog concatenation of ``m_axis_tdata`` from the core's packed ``payload`` wire."""
    wb = 8 * layout.word_bytes
    parts = []
    for _, src, width in reversed(layout.output_fields()):
        pad = wb - width
        field = f"{payload}[{src + width - 1}:{src}]"
        parts.append(f"{{{pad}'d0, {field}}}" if pad else field)
    return "{" + ", ".join(parts) + "}"


def axis_wrapper(name: str, layout: AxisLayout, latency: int, always_ready: bool = False) -> str:
    """Verilog of module ``<name>_axis`` around core ``name`` (see the module docstring)."""
    ib, ob = layout.in_bytes, layout.out_bytes
    pw = layout.index_width + layout.num_classes * layout.count_width
    lines = [
        f"// AXI4-Stream wrapper of {name}: s_axis_tdata = input bits (input j = bit j, {ib} bytes),",
        f"// m_axis_tdata = {layout.num_classes + 1} little-endian {layout.word_bytes}-byte words"
        " (class index, then the score of each class); TLAST follows its vector.",
        "/* verilator lint_off DECLFILENAME */  // the wrapper shares the core's file",
        f"module {name}_axis (",
        "    input  wire aclk,",
        "    input  wire aresetn,",
        f"    input  wire [{8 * ib - 1}:0] s_axis_tdata,",
        "    input  wire s_axis_tlast,",
        "    input  wire s_axis_tvalid,",
        "    output wire s_axis_tready,",
        f"    output wire [{8 * ob - 1}:0] m_axis_tdata,",
        f"    output wire [{ob - 1}:0] m_axis_tkeep,",
        "    output wire m_axis_tlast,",
        "    output wire m_axis_tvalid,",
        "    input  wire m_axis_tready",
        ");",
        "/* verilator lint_on DECLFILENAME */",
        f"    wire [{pw - 1}:0] payload;",
        f"    assign m_axis_tdata = {_tdata_from_payload(layout, 'payload')};",
        f"    assign m_axis_tkeep = {{{ob}{{1'b1}}}};",
    ]
    if always_ready:
        lines.append("    assign s_axis_tready = 1'b1;")
        lines.append("    wire _unused_ready = m_axis_tready;  // the core never stalls")
    if latency == 0:
        lines.append("    assign m_axis_tlast = s_axis_tlast;")
    else:
        advance = "1'b1" if always_ready else "m_axis_tready | ~m_axis_tvalid"
        shift = "s_axis_tlast" if latency == 1 else f"{{last_d[{latency - 2}:0], s_axis_tlast}}"
        lines += [
            f"    reg [{latency - 1}:0] last_d;",
            "    always @(posedge aclk)",
            f"        if (!aresetn) last_d <= {latency}'d0;",
            f"        else if ({advance}) last_d <= {shift};",
            f"    assign m_axis_tlast = last_d[{latency - 1}];",
        ]
    if ib * 8 > layout.num_inputs:
        lines.append(f"    wire _unused_pad = &{{1'b0, s_axis_tdata[{8 * ib - 1}:{layout.num_inputs}]}};")
    lines += [
        f"    {name} core (",
        "        .clk(aclk),",
        "        .rst(~aresetn),",
        f"        .i__payload(s_axis_tdata[{layout.num_inputs - 1}:0]),",
        "        .i__valid(s_axis_tvalid),",
    ]
    if not always_ready:
        lines += ["        .i__ready(s_axis_tready),", "        .o__ready(m_axis_tready),"]
    lines += [
        "        .o__payload(payload),",
        "        .o__valid(m_axis_tvalid)",
        "    );",
        "endmodule",
    ]
    return "\n".join(lines) + "\n"
