// (cn1_98) as (cn1) + filler (106 blocks) to ~98% LCs [no_rw_check]
module top_cn1_98 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(1), .NFILL(106), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
