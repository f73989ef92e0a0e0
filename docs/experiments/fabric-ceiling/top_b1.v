// (b1) distributed: per-RAM register copy of state/cnt/ptr/wd next to each RAM, decode local
module top_b1 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(1), .XLUT(0), .NFILL(0), .NRW(0)) u (.clk(clk), .din(din), .dout(dout));
endmodule
