// (b2) distributed: central decode, then one per-RAM register stage (we/wa/ra/wd) into the RAM
module top_b2 (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(2), .XLUT(0), .NFILL(0), .NRW(0)) u (.clk(clk), .din(din), .dout(dout));
endmodule
