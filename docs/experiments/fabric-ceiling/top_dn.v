// (dn) as (a) + independent LFSR/accumulator filler (94 blocks) to ~90% LCs [RAMs with (* no_rw_check *)]
module top_dn (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(0), .NFILL(94), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
