// (b2nd) as (b2n) + filler (74 blocks) to ~90% LCs [RAMs with (* no_rw_check *)]
module top_b2nd (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(2), .XLUT(0), .NFILL(74), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
