// (cn1) as (an) + explicit 2-LUT SB_LUT4 decode chain (one extra level vs an) [no_rw_check]
module top_cn1 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(1), .NFILL(0), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
