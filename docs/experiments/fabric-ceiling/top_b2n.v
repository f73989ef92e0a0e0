// (b2n) distributed: central decode, then one per-RAM register stage (we/wa/ra/wd) into the RAM [RAMs with (* no_rw_check *)]
module top_b2n (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(2), .XLUT(0), .NFILL(0), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
