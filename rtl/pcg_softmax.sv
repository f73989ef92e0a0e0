// pcg_softmax — the softmax cross-entropy output error of a slice (command SMAX of pcg_core), in the
// fixed-point specification of docs/fixed-point.md ("Output error") and sim/src/fixed.cpp
// (fx::softmax_ce_error), cycle for cycle as the SystemC model charges it: busy for 4 + 20·n cycles
// (kPhaseCycles + 2·n + kDivCycles·n, sim/include/pcgrid/kernel.hpp).
//
//   m = max_k v̂_k;  e_k = 2^16·e^(v̂_k − m) from the 257-entry table T of e^x on [−16, 0] in steps of 1/16:
//     u = v̂_k − m + 16·2^11;  e = 0 (u ≤ 0), T[256] = 65536 (u = 2^15), else T[i] + round((T[i+1] − T[i])·f / 2^7),
//     i = u >> 7, f = u mod 2^7;
//   p_k = floor((e_k·2^14 + Σe) / (2·Σe));  ε_k = [k = label]·2^13 − p_k   (Q3.13; |ε| ≤ 2^13, no clamp).
//
// Schedule (cycle 1 is the first cycle after the accepting edge):
//   A  cycles 1 .. n        read v̂_k (k = 0 .. n−1; registered before use), running maximum m (final in
//                           cycle n + 3);
//   B  cycles n+1 .. 2n     read v̂_k again, k = n−1 .. 0; a pipeline (u and the e = 0 / e = 2^16 tests, ROM
//                           read, T·2^7 + ΔT·f + 2^6 in the SB_MAC16, e) writes e_k into the slice's
//                           received-error sum RAM (esum, unused by an output slice: it has no children, so
//                           nothing sends it errors) and adds it to Σe (final in cycle 2n + 7); e_0 comes last
//                           and stays in a register;
//   C  from cycle 2n + 7    per output 15 cycles: load the remainder with e_k + (Σe >> 14), 14 steps of a
//                           non-restoring divider by 2·Σe (the quotient p_k < 2^14: e_k ≤ Σe), then write ε_k and
//                           clear esum_k (so the RAM is left as RELAX leaves it), and load the next output.
//   The last ε is written at the edge ending cycle 17n + 7 ≤ 20n + 4 (n ≥ 1); `done` is a countdown, high in
//   cycle 20n + 4, when pcg_core drops busy.
// Σe ≤ n·2^16 ≤ 2^24 (n ≤ 256 slots): 25 bits; the divisor 2·Σe 26 bits; the remainder 27 bits (signed).
// The table's 256 entries T[0..255] and the steps T[i+1] − T[i] (≤ 3,971: 12 bits) are two ROMs (one block
// RAM each); T[256] = 65536 is the u = 2^15 case. The interpolation (12 × 7-bit product plus T·2^7 + 2^6) maps
// to one SB_MAC16.
// The entries are fx::exp_table() (std::lround(std::exp(−16 + k/16)·65536)); tests/test_lockstep.cpp
// checks this file against it.
module pcg_softmax #(
    parameter int SA = 8,  // slot address bits
    parameter int RW = 9   // row counter bits ($clog2(SLOTS + 1))
) (
    input  logic                 clk,
    input  logic                 rst,
    input  logic                 idle,       // pcg_core is idle (its command registers follow the port)
    input  logic                 start,      // the accepting edge of an SMAX command
    input  logic        [SA-1:0] cmd_sbase,  // the command port's slot base (sampled while idle)
    input  logic                 cmd_n1,     // the command port's n == 1 (sampled while idle)
    input  logic                 cmd_lab0,   // the command port's label == 0 (sampled while idle)
    input  logic        [RW-1:0] n2,         // pcg_core's n − 2 (registered with the command, stable while busy)
    input  logic        [  15:0] labm1,      // pcg_core's label − 1 (likewise)
    output logic                 active,     // an SMAX command runs: the RAM ports below are the softmax's
    output logic        [SA-1:0] vhat_ra,
    input  logic signed [  15:0] vhat_q,
    output logic        [SA-1:0] esum_ra,
    input  logic        [  31:0] esum_q,
    output logic                 esum_we,
    output logic        [SA-1:0] esum_wa,
    output logic        [  31:0] esum_wd,
    output logic                 eps_we,
    output logic        [SA-1:0] eps_wa,
    output logic signed [  15:0] eps_wd,
    output logic                 done        // high in the cycle at whose end pcg_core drops busy
);
  // ---- the table ROMs -----------------------------------------------------------------------------------
  (* ram_style = "block", rom_style = "block" *) logic [15:0] t[256];
  (* ram_style = "block", rom_style = "block" *) logic [11:0] d[256];
  initial begin
    t[0] = 16'd0; d[0] = 12'd0; t[1] = 16'd0; d[1] = 12'd0; t[2] = 16'd0; d[2] = 12'd0; t[3] = 16'd0; d[3] = 12'd0;
    t[4] = 16'd0; d[4] = 12'd0; t[5] = 16'd0; d[5] = 12'd0; t[6] = 16'd0; d[6] = 12'd0; t[7] = 16'd0; d[7] = 12'd0;
    t[8] = 16'd0; d[8] = 12'd0; t[9] = 16'd0; d[9] = 12'd0; t[10] = 16'd0; d[10] = 12'd0; t[11] = 16'd0; d[11] = 12'd0;
    t[12] = 16'd0; d[12] = 12'd0; t[13] = 16'd0; d[13] = 12'd0; t[14] = 16'd0; d[14] = 12'd0; t[15] = 16'd0; d[15] = 12'd0;
    t[16] = 16'd0; d[16] = 12'd0; t[17] = 16'd0; d[17] = 12'd0; t[18] = 16'd0; d[18] = 12'd0; t[19] = 16'd0; d[19] = 12'd0;
    t[20] = 16'd0; d[20] = 12'd0; t[21] = 16'd0; d[21] = 12'd0; t[22] = 16'd0; d[22] = 12'd0; t[23] = 16'd0; d[23] = 12'd0;
    t[24] = 16'd0; d[24] = 12'd0; t[25] = 16'd0; d[25] = 12'd0; t[26] = 16'd0; d[26] = 12'd0; t[27] = 16'd0; d[27] = 12'd0;
    t[28] = 16'd0; d[28] = 12'd0; t[29] = 16'd0; d[29] = 12'd0; t[30] = 16'd0; d[30] = 12'd0; t[31] = 16'd0; d[31] = 12'd0;
    t[32] = 16'd0; d[32] = 12'd0; t[33] = 16'd0; d[33] = 12'd0; t[34] = 16'd0; d[34] = 12'd0; t[35] = 16'd0; d[35] = 12'd0;
    t[36] = 16'd0; d[36] = 12'd0; t[37] = 16'd0; d[37] = 12'd0; t[38] = 16'd0; d[38] = 12'd0; t[39] = 16'd0; d[39] = 12'd0;
    t[40] = 16'd0; d[40] = 12'd0; t[41] = 16'd0; d[41] = 12'd0; t[42] = 16'd0; d[42] = 12'd0; t[43] = 16'd0; d[43] = 12'd0;
    t[44] = 16'd0; d[44] = 12'd0; t[45] = 16'd0; d[45] = 12'd0; t[46] = 16'd0; d[46] = 12'd0; t[47] = 16'd0; d[47] = 12'd0;
    t[48] = 16'd0; d[48] = 12'd0; t[49] = 16'd0; d[49] = 12'd0; t[50] = 16'd0; d[50] = 12'd0; t[51] = 16'd0; d[51] = 12'd0;
    t[52] = 16'd0; d[52] = 12'd0; t[53] = 16'd0; d[53] = 12'd0; t[54] = 16'd0; d[54] = 12'd0; t[55] = 16'd0; d[55] = 12'd0;
    t[56] = 16'd0; d[56] = 12'd0; t[57] = 16'd0; d[57] = 12'd0; t[58] = 16'd0; d[58] = 12'd0; t[59] = 16'd0; d[59] = 12'd0;
    t[60] = 16'd0; d[60] = 12'd0; t[61] = 16'd0; d[61] = 12'd0; t[62] = 16'd0; d[62] = 12'd0; t[63] = 16'd0; d[63] = 12'd0;
    t[64] = 16'd0; d[64] = 12'd0; t[65] = 16'd0; d[65] = 12'd0; t[66] = 16'd0; d[66] = 12'd0; t[67] = 16'd0; d[67] = 12'd1;
    t[68] = 16'd1; d[68] = 12'd0; t[69] = 16'd1; d[69] = 12'd0; t[70] = 16'd1; d[70] = 12'd0; t[71] = 16'd1; d[71] = 12'd0;
    t[72] = 16'd1; d[72] = 12'd0; t[73] = 16'd1; d[73] = 12'd0; t[74] = 16'd1; d[74] = 12'd0; t[75] = 16'd1; d[75] = 12'd0;
    t[76] = 16'd1; d[76] = 12'd0; t[77] = 16'd1; d[77] = 12'd0; t[78] = 16'd1; d[78] = 12'd0; t[79] = 16'd1; d[79] = 12'd0;
    t[80] = 16'd1; d[80] = 12'd0; t[81] = 16'd1; d[81] = 12'd0; t[82] = 16'd1; d[82] = 12'd0; t[83] = 16'd1; d[83] = 12'd0;
    t[84] = 16'd1; d[84] = 12'd0; t[85] = 16'd1; d[85] = 12'd1; t[86] = 16'd2; d[86] = 12'd0; t[87] = 16'd2; d[87] = 12'd0;
    t[88] = 16'd2; d[88] = 12'd0; t[89] = 16'd2; d[89] = 12'd0; t[90] = 16'd2; d[90] = 12'd0; t[91] = 16'd2; d[91] = 12'd0;
    t[92] = 16'd2; d[92] = 12'd0; t[93] = 16'd2; d[93] = 12'd1; t[94] = 16'd3; d[94] = 12'd0; t[95] = 16'd3; d[95] = 12'd0;
    t[96] = 16'd3; d[96] = 12'd0; t[97] = 16'd3; d[97] = 12'd0; t[98] = 16'd3; d[98] = 12'd1; t[99] = 16'd4; d[99] = 12'd0;
    t[100] = 16'd4; d[100] = 12'd0; t[101] = 16'd4; d[101] = 12'd0; t[102] = 16'd4; d[102] = 12'd1; t[103] = 16'd5; d[103] = 12'd0;
    t[104] = 16'd5; d[104] = 12'd0; t[105] = 16'd5; d[105] = 12'd1; t[106] = 16'd6; d[106] = 12'd0; t[107] = 16'd6; d[107] = 12'd0;
    t[108] = 16'd6; d[108] = 12'd1; t[109] = 16'd7; d[109] = 12'd0; t[110] = 16'd7; d[110] = 12'd1; t[111] = 16'd8; d[111] = 12'd0;
    t[112] = 16'd8; d[112] = 12'd1; t[113] = 16'd9; d[113] = 12'd0; t[114] = 16'd9; d[114] = 12'd1; t[115] = 16'd10; d[115] = 12'd0;
    t[116] = 16'd10; d[116] = 12'd1; t[117] = 16'd11; d[117] = 12'd1; t[118] = 16'd12; d[118] = 12'd1; t[119] = 16'd13; d[119] = 12'd0;
    t[120] = 16'd13; d[120] = 12'd1; t[121] = 16'd14; d[121] = 12'd1; t[122] = 16'd15; d[122] = 12'd1; t[123] = 16'd16; d[123] = 12'd1;
    t[124] = 16'd17; d[124] = 12'd1; t[125] = 16'd18; d[125] = 12'd1; t[126] = 16'd19; d[126] = 12'd2; t[127] = 16'd21; d[127] = 12'd1;
    t[128] = 16'd22; d[128] = 12'd1; t[129] = 16'd23; d[129] = 12'd2; t[130] = 16'd25; d[130] = 12'd2; t[131] = 16'd27; d[131] = 12'd1;
    t[132] = 16'd28; d[132] = 12'd2; t[133] = 16'd30; d[133] = 12'd2; t[134] = 16'd32; d[134] = 12'd2; t[135] = 16'd34; d[135] = 12'd2;
    t[136] = 16'd36; d[136] = 12'd3; t[137] = 16'd39; d[137] = 12'd2; t[138] = 16'd41; d[138] = 12'd3; t[139] = 16'd44; d[139] = 12'd3;
    t[140] = 16'd47; d[140] = 12'd3; t[141] = 16'd50; d[141] = 12'd3; t[142] = 16'd53; d[142] = 12'd3; t[143] = 16'd56; d[143] = 12'd4;
    t[144] = 16'd60; d[144] = 12'd4; t[145] = 16'd64; d[145] = 12'd4; t[146] = 16'd68; d[146] = 12'd4; t[147] = 16'd72; d[147] = 12'd5;
    t[148] = 16'd77; d[148] = 12'd5; t[149] = 16'd82; d[149] = 12'd5; t[150] = 16'd87; d[150] = 12'd6; t[151] = 16'd93; d[151] = 12'd6;
    t[152] = 16'd99; d[152] = 12'd6; t[153] = 16'd105; d[153] = 12'd7; t[154] = 16'd112; d[154] = 12'd7; t[155] = 16'd119; d[155] = 12'd8;
    t[156] = 16'd127; d[156] = 12'd8; t[157] = 16'd135; d[157] = 12'd8; t[158] = 16'd143; d[158] = 12'd10; t[159] = 16'd153; d[159] = 12'd9;
    t[160] = 16'd162; d[160] = 12'd11; t[161] = 16'd173; d[161] = 12'd11; t[162] = 16'd184; d[162] = 12'd12; t[163] = 16'd196; d[163] = 12'd13;
    t[164] = 16'd209; d[164] = 12'd13; t[165] = 16'd222; d[165] = 12'd14; t[166] = 16'd236; d[166] = 12'd16; t[167] = 16'd252; d[167] = 12'd16;
    t[168] = 16'd268; d[168] = 12'd17; t[169] = 16'd285; d[169] = 12'd18; t[170] = 16'd303; d[170] = 12'd20; t[171] = 16'd323; d[171] = 12'd21;
    t[172] = 16'd344; d[172] = 12'd22; t[173] = 16'd366; d[173] = 12'd24; t[174] = 16'd390; d[174] = 12'd25; t[175] = 16'd415; d[175] = 12'd27;
    t[176] = 16'd442; d[176] = 12'd28; t[177] = 16'd470; d[177] = 12'd30; t[178] = 16'd500; d[178] = 12'd33; t[179] = 16'd533; d[179] = 12'd34;
    t[180] = 16'd567; d[180] = 12'd37; t[181] = 16'd604; d[181] = 12'd38; t[182] = 16'd642; d[182] = 12'd42; t[183] = 16'd684; d[183] = 12'd44;
    t[184] = 16'd728; d[184] = 12'd47; t[185] = 16'd775; d[185] = 12'd50; t[186] = 16'd825; d[186] = 12'd53; t[187] = 16'd878; d[187] = 12'd57;
    t[188] = 16'd935; d[188] = 12'd60; t[189] = 16'd995; d[189] = 12'd64; t[190] = 16'd1059; d[190] = 12'd69; t[191] = 16'd1128; d[191] = 12'd72;
    t[192] = 16'd1200; d[192] = 12'd78; t[193] = 16'd1278; d[193] = 12'd82; t[194] = 16'd1360; d[194] = 12'd88; t[195] = 16'd1448; d[195] = 12'd93;
    t[196] = 16'd1541; d[196] = 12'd100; t[197] = 16'd1641; d[197] = 12'd105; t[198] = 16'd1746; d[198] = 12'd113; t[199] = 16'd1859; d[199] = 12'd120;
    t[200] = 16'd1979; d[200] = 12'd128; t[201] = 16'd2107; d[201] = 12'd136; t[202] = 16'd2243; d[202] = 12'd144; t[203] = 16'd2387; d[203] = 12'd154;
    t[204] = 16'd2541; d[204] = 12'd164; t[205] = 16'd2705; d[205] = 12'd174; t[206] = 16'd2879; d[206] = 12'd186; t[207] = 16'd3065; d[207] = 12'd198;
    t[208] = 16'd3263; d[208] = 12'd210; t[209] = 16'd3473; d[209] = 12'd224; t[210] = 16'd3697; d[210] = 12'd239; t[211] = 16'd3936; d[211] = 12'd254;
    t[212] = 16'd4190; d[212] = 12'd270; t[213] = 16'd4460; d[213] = 12'd287; t[214] = 16'd4747; d[214] = 12'd307; t[215] = 16'd5054; d[215] = 12'd326;
    t[216] = 16'd5380; d[216] = 12'd346; t[217] = 16'd5726; d[217] = 12'd370; t[218] = 16'd6096; d[218] = 12'd393; t[219] = 16'd6489; d[219] = 12'd418;
    t[220] = 16'd6907; d[220] = 12'd446; t[221] = 16'd7353; d[221] = 12'd474; t[222] = 16'd7827; d[222] = 12'd505; t[223] = 16'd8332; d[223] = 12'd537;
    t[224] = 16'd8869; d[224] = 12'd572; t[225] = 16'd9441; d[225] = 12'd609; t[226] = 16'd10050; d[226] = 12'd648; t[227] = 16'd10698; d[227] = 12'd690;
    t[228] = 16'd11388; d[228] = 12'd735; t[229] = 16'd12123; d[229] = 12'd782; t[230] = 16'd12905; d[230] = 12'd832; t[231] = 16'd13737; d[231] = 12'd886;
    t[232] = 16'd14623; d[232] = 12'd943; t[233] = 16'd15566; d[233] = 12'd1004; t[234] = 16'd16570; d[234] = 12'd1069; t[235] = 16'd17639; d[235] = 12'd1137;
    t[236] = 16'd18776; d[236] = 12'd1211; t[237] = 16'd19987; d[237] = 12'd1289; t[238] = 16'd21276; d[238] = 12'd1373; t[239] = 16'd22649; d[239] = 12'd1460;
    t[240] = 16'd24109; d[240] = 12'd1555; t[241] = 16'd25664; d[241] = 12'd1655; t[242] = 16'd27319; d[242] = 12'd1762; t[243] = 16'd29081; d[243] = 12'd1876;
    t[244] = 16'd30957; d[244] = 12'd1997; t[245] = 16'd32954; d[245] = 12'd2125; t[246] = 16'd35079; d[246] = 12'd2262; t[247] = 16'd37341; d[247] = 12'd2409;
    t[248] = 16'd39750; d[248] = 12'd2563; t[249] = 16'd42313; d[249] = 12'd2729; t[250] = 16'd45042; d[250] = 12'd2905; t[251] = 16'd47947; d[251] = 12'd3092;
    t[252] = 16'd51039; d[252] = 12'd3292; t[253] = 16'd54331; d[253] = 12'd3504; t[254] = 16'd57835; d[254] = 12'd3730; t[255] = 16'd61565; d[255] = 12'd3971;
  end
  logic [7:0] rom_a;
  logic [15:0] t_q;
  logic [11:0] d_q;
  always_ff @(posedge clk) begin
    t_q <= t[rom_a];
    d_q <= d[rom_a];
  end

  typedef enum logic [2:0] {
    P_IDLE,
    P_A,
    P_B,
    P_BW,
    P_C,
    P_CW,
    P_END
  } phase_t;
  phase_t ph;
  logic active_q;  // a register (no phase decode in front of pcg_core's RAM address multiplexers)
  assign active = active_q;

  logic [SA-1:0] sb, pa, pb;  // slot base; read pointer (v̂: A up, B down; e: C), write pointer (e: B down; ε: C)
  logic [RW-1:0] kc;  // element counter of the running pass, with its flag k == n − 1
  logic kn1, n1q, lab0q;
  logic [12:0] cd;  // countdown to `done`
  logic cd_on;

  // A and B read v̂ at pa; the word is registered (vq) before it is used
  logic a1_v, a2_v, b1_v, b2_v, c1;
  logic signed [15:0] vq;
  // The running maximum m is kept as mi = {m[15], ~m[14:0]} (m's offset binary, inverted): then v̂ > m is the
  // carry out of one 16-bit add, the loop m → carry chain → enable is one LUT (Fmax), and v̂ − m and the
  // tests below are adds of mi's bits too.
  logic [15:0] mi;
`ifdef PCG_MUTATE_ROUNDING
  localparam logic [6:0] HALF = 7'd0;  // deliberately wrong (the scoreboard test's mutant): round-half-up dropped
`else
  localparam logic [6:0] HALF = 7'd64;  // 2^6: T[i] + round(ΔT[i]·f / 2^7) rounds half up
`endif
  // B: the exp pipeline: s3 (u, e = 0, e = 2^16), s4 (ROM read), s5 (T·2^7 + ΔT·f + 2^6 in the SB_MAC16), s6 (e)
  logic s3_v, s4_v, s5_v, s6_v;
  logic s3_z, s3_top, s4_z, s4_top, s5_z, s5_top;
  logic [14:0] s3_u;
  logic [6:0] s4_f;
  logic [23:0] s5_e;
  logic [16:0] s6_e, e0;  // e; e_0, the last one B computes (B runs k = n−1 .. 0)
  logic [24:0] sum;
  // C: the divider
  logic signed [26:0] rem;  // non-restoring: in [−2·Σe, 2·Σe)
  logic [13:0] lo, q;
  logic [3:0] it;
  logic islab;

  wire [RW-1:0] n_el = n2 + RW'(2);  // n (n2 = n − 2 wraps for n = 1)
  wire [SA-1:0] p_last = sb + SA'(n2) + 1'b1;  // sb + n − 1
  wire [16:0] a_cmp = {1'b0, !vq[15], vq[14:0]} + {1'b0, mi};  // carry: v̂ + 2^15 > m + 2^15
  // u = v̂ − m + 2^15 mod 2^15 (the table index and fraction) is the low bits of v̂ − m = v̂ + ~m + 1
  wire [15:0] b_uc = {vq[14:0], 1'b1} + {mi[14:0], 1'b1};
  wire [14:0] b_u = b_uc[15:1];
  // e = 0 iff u ≤ 0, i.e. v̂ + 2^15 ≤ m: m ≥ 0, v̂ < 0 and v̂'s low 15 bits ≤ m's, i.e. no carry out of
  // v̂[14:0] + mi[14:0] (a chain beside the subtraction, not after it: Fmax)
  wire [15:0] b_zc = {1'b0, vq[14:0]} + {1'b0, mi[14:0]};
  wire b_z = !mi[15] && vq[15] && !b_zc[15];
  // One step of a non-restoring divider by D = 2·Σe: R ← 2R + next bit − D if R ≥ 0, else 2R + next bit + D;
  // the quotient bit is 1 iff the new R ≥ 0. These are the restoring divider's quotient bits (a negative R
  // is the restoring remainder minus D, and 2(R_r − D) + b + D = 2R_r + b − D), with no multiplexer behind
  // the carry chain: the add or subtract is chosen by R's sign, a register (Fmax). As one chain with a
  // carry in: ({a, 1} + {b, c}) >> 1 = a + b + c.
  wire [27:0] c_dd = {2'b00, sum, 1'b0} ^ {28{!rem[26]}};  // D, or ~D (with carry in 1: −D)
  wire [28:0] c_sum = {rem, lo[13], 1'b1} + {c_dd, !rem[26]};
  wire [27:0] c_try = c_sum[28:1];
  wire [16:0] e_k = esum_q[16:0];  // e ≤ 2^16
  wire [16:0] c_e = ph == P_CW ? e_k : e0;  // the next output's e
  wire unused_ok = &{1'b0, esum_q[31:17], c_sum[0], s5_e[6:0], b_uc[0], b_zc[14:0], a_cmp[15:0]};
  wire [13:0] q_next = {q[12:0], !c_try[27]};

  always_comb begin
    vhat_ra = pa;
    esum_ra = pa;
    rom_a = s3_u[14:7];
    esum_we = 1'b0;
    esum_wa = pb;
    esum_wd = 32'(s6_e);
    eps_we = 1'b0;
    eps_wa = pb;
    eps_wd = (islab ? 16'sd8192 : 16'sd0) - 16'($signed({2'b00, q}));
    if (s6_v) esum_we = 1'b1;
    if (ph == P_CW) begin  // ε_k, and esum_k back to 0
      eps_we  = 1'b1;
      esum_we = 1'b1;
      esum_wd = 32'd0;
    end
  end

  always_ff @(posedge clk) begin
    if (rst) begin
      ph <= P_IDLE;
      active_q <= 1'b0;
      cd_on <= 1'b0;
      c1 <= 1'b0;
      done <= 1'b0;
      a1_v <= 1'b0;
      a2_v <= 1'b0;
      b1_v <= 1'b0;
      b2_v <= 1'b0;
      s3_v <= 1'b0;
      s4_v <= 1'b0;
      s5_v <= 1'b0;
      s6_v <= 1'b0;
    end else begin
      if (start) active_q <= 1'b1;
      else if (done) active_q <= 1'b0;
      // countdown: loaded in cycle 1 with 20·n + 2 = 16·n + (4·n + 2), `done` in cycle 20·n + 4
      done <= cd_on && cd == 13'd1;
      c1 <= start;  // cycle 1
      if (c1) begin
        cd <= {n_el, 4'b0000} + {2'b00, n_el, 2'b10};
        cd_on <= 1'b1;
      end else if (cd_on) begin
        cd <= cd - 13'd1;
        if (cd == 13'd1) cd_on <= 1'b0;
      end

      // the v̂ read pipeline (A: running maximum; B: the exp pipeline)
      a1_v <= ph == P_A;
      b1_v <= ph == P_B;
      a2_v <= a1_v;
      b2_v <= b1_v;
      vq <= vhat_q;
      if (a2_v && a_cmp[16]) mi <= {vq[15], ~vq[14:0]};
      s3_v <= b2_v;
      s3_z <= b_z;
      s3_top <= vq[15] == mi[15] && (vq[14:0] ^ mi[14:0]) == 15'h7fff;  // v̂ = m: e = T[256] = 2^16
      s3_u <= b_u;
      s4_v <= s3_v;
      s4_z <= s3_z;
      s4_top <= s3_top;
      s4_f <= s3_u[6:0];
      s5_v <= s4_v;
      s5_z <= s4_z;
      s5_top <= s4_top;
      // T[i] + round(ΔT[i]·f / 2^7) = (T[i]·2^7 + ΔT[i]·f + 2^6) >> 7: the multiply and the adds in one SB_MAC16
      s5_e <= 24'(d_q) * 24'(s4_f) + {1'b0, t_q, HALF};
      s6_v <= s5_v;
      s6_e <= s5_z ? 17'd0 : s5_top ? 17'd65536 : s5_e[23:7];
      if (s6_v) begin
        sum <= sum + 25'(s6_e);
        e0 <= s6_e;
        pb <= pb - 1'b1;
      end

      unique case (ph)
        P_IDLE: begin
          // follow the command port while idle (as pcg_core's command registers do)
          if (idle) begin
            sb <= cmd_sbase;
            pa <= cmd_sbase;
            n1q <= cmd_n1;
            lab0q <= cmd_lab0;
            kc <= '0;
            kn1 <= cmd_n1;
            mi <= 16'hffff;  // m = −32768
            sum <= '0;
          end
          if (start) ph <= P_A;
        end
        P_A: begin  // read v̂_k, k = 0 .. n − 1
          if (kn1) begin
            pa <= p_last;
            pb <= p_last;
            kc <= '0;
            kn1 <= n1q;
            ph <= P_B;
          end else begin
            pa <= pa + 1'b1;
            kc <= kc + 1'b1;
            kn1 <= kc == n2;
          end
        end
        P_B: begin  // read v̂_k, k = n − 1 .. 0
          pa <= kn1 ? sb : pa - 1'b1;  // C reads e_k at pa
          kc <= kc + 1'b1;
          kn1 <= kc == n2;
          if (kn1) ph <= P_BW;
        end
        P_BW, P_CW: begin
          if (ph == P_CW) pb <= pb + 1'b1;
          if (ph == P_CW && kn1) ph <= P_END;
          else if (ph == P_CW || !(b1_v || b2_v || s3_v || s4_v || s5_v || s6_v)) begin
            // load output k and read e_(k+1): output 0 when B's pipeline has drained (e_0 is the last e it
            // computed, Σe is final), output k + 1 after writing ε_k (e_(k+1) is in esum_q)
            rem <= 27'(c_e) + 27'(sum[24:14]);  // (e·2^14 + Σe) >> 14
            lo <= sum[13:0];
            it <= 4'd0;
            pa <= pa + 1'b1;
            ph <= P_C;
            if (ph == P_BW) begin  // output 0 (B's writes are done: the write pointer now walks the ε)
              pb <= sb;
              islab <= lab0q;
              kc <= '0;
              kn1 <= n1q;
            end else begin  // output kc + 1
              islab <= 16'(kc) == labm1;
              kc <= kc + 1'b1;
              kn1 <= kc == n2;
            end
          end
        end
        P_C: begin
          rem <= c_try[26:0];
          q <= q_next;
          lo <= {lo[12:0], 1'b0};
          it <= it + 4'd1;
          if (it == 4'd13) ph <= P_CW;
        end
        P_END: if (done) ph <= P_IDLE;
        default: ph <= P_IDLE;
      endcase
    end
  end
endmodule
