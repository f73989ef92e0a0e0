// (d) as (a) + independent LFSR/accumulator filler (94 blocks) to ~90% LCs
module top_d (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(0), .NFILL(94), .NRW(0)) u (.clk(clk), .din(din), .dout(dout));
endmodule
