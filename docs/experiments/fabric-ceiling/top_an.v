// (an) central control -> all 30 BRAM + 2 SPRAM in one cycle [RAMs with (* no_rw_check *)]
module top_an (input wire clk, input wire [3:0] din, output wire [7:0] dout);
    fabric #(.MODE(0), .XLUT(0), .NFILL(0), .NRW(1)) u (.clk(clk), .din(din), .dout(dout));
endmodule
