// (dn98) as (an) + filler (106 blocks) to ~98% LCs, the team's utilisation [no_rw_check]
module top_dn98 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(0), .NFILL(106), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
