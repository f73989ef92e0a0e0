// A deliberate violation of scripts/check_rtl_rules.py's rule (CTest rtl_rules_catches): a function called
// inside two always_comb blocks. With Icarus 11.0 (Debian 12) this module loops forever at the first input
// change after a = 1, b = 2 -> b = 3 (measured; the same pattern as pcg_core's sat16 before the fix).
module comb_call (
    input  logic [3:0] a,
    input  logic [3:0] b,
    output logic [3:0] y,
    output logic [3:0] z,
    output logic [3:0] w
);
  function automatic logic [3:0] sat(input logic signed [7:0] x);  // sat( in a comment is not a call
    if (x[7:3] == 5'b0 || x[7:3] == 5'b11111) sat = x[3:0];
    else sat = x[7] ? 4'h8 : 4'h7;
  endfunction
  always_comb begin
    y = a;
    if (b[0]) begin
      y = sat(8'(a) + 8'(b));
    end
  end
  always_comb z = sat(8'(b) * 8'd2);
  assign w = sat(8'(a));  // a continuous assignment is fine
  /* always_comb w = sat(8'(a)); (commented out: not a call) */
endmodule
