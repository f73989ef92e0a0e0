// pcg_sdp_ram — simple dual-port RAM: one write port, one registered read port (Yosys infers an iCE40
// SB_RAM40_4K for each 256 x 16 piece).
// Read-during-write of the same address returns an undefined word, and no user relies on it: pcg_core
// never uses a word read in the cycle it is written, the router takes such a word from its bypass register.
// Synthesis is told so (no_rw_check), which spares the collision comparator and bypass multiplexer that
// Yosys would otherwise put behind the RAM (on the router's critical path: Fmax). Simulation (Verilator,
// Icarus; SYNTHESIS undefined) returns the old word inverted on a collision, so a design that did use
// such a word would fail its lockstep and random tests instead of silently depending on read-old data.
module pcg_sdp_ram #(
    parameter int WIDTH = 16,
    parameter int DEPTH = 256
) (
    input  logic                     clk,
    input  logic                     we,
    input  logic [$clog2(DEPTH)-1:0] wa,
    input  logic [        WIDTH-1:0] wd,
    input  logic [$clog2(DEPTH)-1:0] ra,
    output logic [        WIDTH-1:0] q
);
  (* ram_style = "block", no_rw_check *) logic [WIDTH-1:0] m[DEPTH];  // block RAM even when small
  always_ff @(posedge clk) if (we) m[wa] <= wd;
`ifdef SYNTHESIS
  always_ff @(posedge clk) q <= m[ra];
`else
  always_ff @(posedge clk) q <= (we && wa == ra) ? ~m[ra] : m[ra];
  // The iCE40's block RAMs power up holding zeros (the bitstream loads them), and pcg_core relies on it
  // for its error sums (docs/rtl.md, "Power-up state"); simulation starts from the same state (Verilator
  // zeroes memories anyway; Icarus would start at x). Not for synthesis: Yosys would take it as init data.
  initial for (int i = 0; i < DEPTH; i++) m[i] = '0;
`endif
endmodule
