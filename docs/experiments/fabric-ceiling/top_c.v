// (c) as (a) + explicit 3-LUT SB_LUT4 decode chain between state and the shared write-run signal
module top_c (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(2), .NFILL(0), .NRW(0)) u (.clk(clk), .din(din), .dout(dout));
endmodule
