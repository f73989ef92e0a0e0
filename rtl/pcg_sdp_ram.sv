// pcg_sdp_ram — simple dual-port RAM: one write port, one registered read port (Yosys infers an iCE40
// SB_RAM40_4K for each 256 x 16 piece). Read and write are separate processes: read-during-write of the
// same address is left undefined (no bypass logic); pcg_core never reads a word in the cycle it writes it.
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
  (* ram_style = "block" *) logic [WIDTH-1:0] m[DEPTH];  // block RAM even when small (router buffers)
  always_ff @(posedge clk) if (we) m[wa] <= wd;
  always_ff @(posedge clk) q <= m[ra];
endmodule
