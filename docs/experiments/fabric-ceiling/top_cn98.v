// (cn98) as (cn) + filler (106 blocks) to ~98% LCs [no_rw_check]
module top_cn98 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(2), .NFILL(106), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
