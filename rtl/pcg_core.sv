// pcg_core — one pcgrid neuron core: the learning datapath of dense slices in the fixed-point
// specification of docs/fixed-point.md, cycle for cycle as the SystemC model charges it (sim/src/kernel.cpp,
// "timing contract": a phase of `ops` operations takes 4 + ops cycles with one MAC lane, the weight update 6 + ops).
//
// What it holds (all learning state is local):
//   weight SRAM   two single-port banks of SRAM_WORDS/2 words (even / odd virtual address), each written as
//                 the "no-change" pattern Yosys maps to SB_SPRAM256KA. Row r of a slice occupies virtual
//                 addresses wbase + r*(m+1) + j, j < m; word j = m is the row's bias slot (the bias itself
//                 lives in the bias RAM, the slot keeps the update stream's addresses consecutive so that
//                 the read of word k and the write-back of word k-5 always hit different banks).
//   slot RAMs     per neuron slot: bias, f'(pre) as a pass bit, prediction v̂, error ε, received-error sum
//                 (32 bit) and two δ banks (current δ / δ at the last back-projection). Simple dual port, EBR.
//   x buffer      the received predictions (fan-in values) of the slices, XWORDS words.
//   out buffer    the outgoing ERR payloads, one region per link (OWORDS words); also the re-send cache.
//   contexts      CTX slices per core: the δ/cache flags of each (flip-flops) and its xorshift32 state (a
//                 4 x 32 block RAM; a context not seeded since reset starts from state 1, as the model).
//
// Commands (cmd_valid while !busy; busy rises at the accepting edge and falls 4 + ops cycles later, UPDATE 6 + ops):
//   FWD     pre = sat16(round((b·2^11 + Σ_j W[r][j]·x[j]) / 2^13)), v̂ = act(pre), ε = 0      ops = n·m
//   OUTERR  MSE output error ε = sat16((t − v̂)·4), t = 1.0 at the label                      ops = n
//   ERR     back-projection of δ = f'(pre)·ε over parent columns [lo, hi) into the out buffer at obase
//           (f'(pre) is stored as a pass bit when FWD writes pre, with FWD's activation: Fmax; with ACTS
//           beside a multiplier m, δ = pass ? ε : (ε·m + 2^14) >>> 15, see pcg_act.sv):
//           out[j] = sat16(round(Σ_r W[r][j]·δ[r] / 2^13)). The first link of a phase recomputes δ when ε
//           changed (n cycles) and decides for the whole phase: all δ zero → nothing computed, err_zero = 1
//           (zero skipping); δ unchanged since the last projection → the out buffer already holds the
//           payload (re-send); otherwise project.                                      ops = [n] + [n·(hi−lo)]
//   RELAX   ε = sat16(ε − round((ε − sat16(esum)) / 2^shift)), esum = 0                        ops = n
//   UPDATE  W[r][j] += stochastic_round(δ[r]·x[j] / 2^(11+shift)), b[r] += stochastic_round(δ[r] / 2^shift),
//           one xorshift32 draw per word in row-major order, bias last in each row; 2 more cycles
//           (kUpdatePipeline: the rounding is split over three stages for Fmax)     ops = n·(m+1)
//   SEED    the context's generator state = cmd_seed (no cycles)
//   ELEM    (cmd_elem with FWD or ERR) an elementwise slice, no weights:
//           FWD: pre = x[xbase + r], v̂ = act(pre), ε = 0, and x[xbase + r] = 0 behind the read (so that the
//                next sample's parents can accumulate into it: memory port sel 4)             ops = n
//           ERR: the δ pass as above, then out[obase + k] = δ[xbase + k], k < hi − lo (cmd_xbase is the δ slot
//                of the link's first element: an identity Jacobian, for add, activation, slice and concat)
//                                                                                ops = [n] + (hi − lo)
//           (both through the MAC with the operand 1.0 in place of the weight: exact). UPDATE is refused, and
//           so is every cmd_elem command in a core built with ELEM = 0 (pcg_top's default: the UP5K tile).
//           With cmd_mul (a mul slice, two parents a and b): the weight SRAM holds b[e] at wbase + 2e and a[e]
//           at wbase + 2e + 1, the x buffer a[e]; FWD (m = 1) pre = sat16(round(W[wbase + 2r]·x[xbase + r] /
//           2^11)), and ERR (m = 1: stride 2; cmd_wbase + lo the word of the link's first element's other
//           parent) out[obase + k] = sat16(round(δ[xbase + k]·W[wv] / 2^11)).                ops as above
//   SMAX    softmax cross-entropy output error ε = [k = label]·2^13 − round(2^13·softmax(v̂)_k) in the table and
//           divider arithmetic of docs/fixed-point.md (pcg_softmax.sv; only with SMAX = 1)  4 + 20·n cycles
// Activations (cmd_act, fx::FxAct's codes): identity (0), relu (1), hard_tanh (3) here; with ACTS = 1 (the
// default) also leaky_relu (2, slope cmd_alpha), tanh (4) and sigmoid (5) in pcg_act.sv, in the same cycles.
// Refused commands: a strobe that the core cannot carry out changes nothing (busy stays low, no state,
// context or memory changes) and sets cmd_err, which the next accepted command clears: an undefined op (7),
// SMAX without the unit (SMAX = 0), a FWD whose activation code the core lacks (2, 4 and 5 with ACTS = 0;
// 6 and 7 always), an UPDATE with cmd_elem (an elementwise slice has no weights), a FWD or ERR with cmd_elem in a
// core built without ELEM, and any strobe while busy. The host reads cmd_err after each command (pcg_top: readback
// byte 8, bit 0); the lockstep harness reports it as a divergence.
// Command limits (the harness checks them against the mapping): n <= SLOTS, m <= XWORDS, lo < hi <= m,
// bases inside their memories, shift <= 20 (the weight step's 11 + shift must stay below 32). The loop
// counters are only as wide as these limits need.
//
// The memory port (network interface and host configuration; only while !busy) reads with one cycle of
// latency and writes one word per cycle; an error accumulate (sel 3) is a read-modify-write and needs the
// next cycle idle.
//   sel 0 weight (virtual address)   1 bias (slot)    2 x buffer        3 esum += word (slot) / read low half
//   sel 4 v̂ (slot, read) / x[addr] = sat16(x[addr] + word) (write; ELEM's receive, a read-modify-write like sel 3)
//                                    5 out buffer     6 f'(pre): bit 0 the pass bit, bits 15:1 the multiplier
//                                                       (ACTS; slot, read)                     7 ε (slot, read)
module pcg_core #(
    parameter int SRAM_WORDS = 16384,  // arch core.sram_words (one SB_SPRAM256KA holds 16,384 words)
    parameter int SLOTS = 256,  // arch core.neuron_slots (one 256x16 EBR per slot array)
    parameter int XWORDS = 1024,  // received-prediction buffer (fan-in words of the core's slices)
    parameter int OWORDS = 1024,  // outgoing-error buffer
    parameter int CTX = 4,  // slices per core
    parameter bit SMAX = 1'b1,  // the softmax output-error unit (pcg_softmax: 2 block RAMs, 1 SB_MAC16)
    parameter bit ACTS = 1'b1,  // leaky_relu, tanh and sigmoid (pcg_act: 3 block RAMs of tables; frees 2, see u_rng)
    parameter bit ELEM = 1'b1  // elementwise slices (cmd_elem, cmd_mul: add, mul, activation, slice, concat)
) (
    input  logic        clk,
    input  logic        rst,
    input  logic        cmd_valid,
    input  logic [ 2:0] cmd_op,
    input  logic [ 1:0] cmd_ctx,
    input  logic        cmd_first,  // ERR: the first link of this phase
    input  logic        cmd_elem,  // FWD, ERR: an elementwise slice (add, activation, slice, concat), see ELEM
    input  logic        cmd_mul,  // with cmd_elem: a mul slice (the product of two parents), see ELEM
    input  logic [15:0] cmd_n,
    input  logic [15:0] cmd_m,
    input  logic [15:0] cmd_wbase,
    input  logic [15:0] cmd_sbase,
    input  logic [15:0] cmd_xbase,
    input  logic [15:0] cmd_obase,
    input  logic [15:0] cmd_lo,
    input  logic [15:0] cmd_hi,
    input  logic [ 2:0] cmd_act,
    input  logic [ 4:0] cmd_shift,
    input  logic [14:0] cmd_alpha,  // FWD with leaky_relu: the slope in Q1.15 (ACTS = 1)
    input  logic [15:0] cmd_label,
    input  logic [31:0] cmd_seed,
    output logic        busy,
    output logic        err_zero,
    output logic        cmd_err,  // the last command strobe was refused (see "Refused commands" above)
    input  logic        mem_we,
    input  logic        mem_re,
    input  logic [ 2:0] mem_sel,
    input  logic [15:0] mem_addr,
    input  logic [15:0] mem_wdata,
    output logic [15:0] mem_rdata
);
  localparam int WA = $clog2(SRAM_WORDS);
  localparam int BA = WA - 1;
  localparam int SA = $clog2(SLOTS);
  localparam int XA = $clog2(XWORDS);
  localparam int OA = $clog2(OWORDS);
  // Loop counters as narrow as the memories allow (the command fields are 16 bits; the harness keeps
  // n <= SLOTS, m <= XWORDS, lo < hi <= m): r counts rows up to n, j columns up to m.
  localparam int RW = $clog2(SLOTS + 1);
  localparam int JW = $clog2(XWORDS + 1);
  localparam int DW = SA > OA ? SA : OA;  // a pipeline destination: slot or out-buffer address

  localparam logic [2:0] OP_FWD = 3'd0, OP_OUTERR = 3'd1, OP_ERR = 3'd2, OP_RELAX = 3'd3;
  localparam logic [2:0] OP_UPDATE = 3'd4, OP_SEED = 3'd5, OP_SMAX = 3'd6;
  localparam logic [2:0] ACT_RELU = 3'd1, ACT_LEAKY = 3'd2, ACT_HTANH = 3'd3;

  // ---- helpers: the fixed-point primitives of sim/include/pcgrid/fixed.hpp ----------------------------
  // (Functions assign their name instead of `return`: Yosys 0.23 does not accept `return`.)
  // Saturation by sign-extension tests (no comparator carry chains): x fits iff its bits above the
  // target width all equal the target's sign bit.
  function automatic logic signed [15:0] sat16(input logic signed [39:0] x);
    if (x[39:15] == {25{1'b0}} || x[39:15] == {25{1'b1}}) sat16 = x[15:0];
    else sat16 = x[39] ? 16'sh8000 : 16'sh7fff;
  endfunction
  function automatic logic signed [31:0] sat32(input logic signed [32:0] x);
    if (x[32] == x[31]) sat32 = x[31:0];
    else sat32 = x[32] ? 32'sh8000_0000 : 32'sh7fff_ffff;
  endfunction
  // a + b + c (c one bit) as one carry chain: ({a,1} + {b,c}) >> 1
  function automatic logic signed [19:0] add3(input logic signed [18:0] a, input logic signed [18:0] b, input logic c);
    logic signed [19:0] t;
    t = {a, 1'b1} + {b, c};
    add3 = 20'(t >>> 1);
  endfunction
  // round half up, then >> 13 (accumulator Q.24 → Q.11 / Q.13), saturated to 16 bits, of sat32(acc_in):
  // acc_in is the accumulator register, 33 bits, whose clamp to 32 bits is deferred (see `acc`). For
  // acc_in outside the int32 range this is the result of the clamped value too (both saturate to
  // ±32767/−32768: |sat32| ≥ 2^31 − 1 is far beyond 2^28), so round13(acc_in) = round13_32(sat32(acc_in)).
  /* verilator lint_off UNUSEDSIGNAL */  // acc_in[11:0] are below the rounding bit
  function automatic logic signed [15:0] round13(input logic signed [32:0] acc_in);
    // = sat16((acc + 4096) >>> 13) = sat16(q + r), q = acc >>> 13, r = acc[12]; written so that the clamp
    // tests read acc's bits directly (no carry chain before them) and only the 16-bit q + r is a chain
    // (Fmax). q + r > 32767: q ≥ 32768, or q = 32767 and r. q + r < −32768: q ≤ −32769, unless q = −32769
    // and r.
    logic [4:0] top;
    logic r, mid_ones, pos, neg;
    logic [15:0] qr;
`ifdef PCG_MUTATE_ROUNDING
    r = 1'b0;  // deliberately wrong (the scoreboard test's mutant): the rounding bit 2^12 ignored (truncation)
`else
    r = acc_in[12];
`endif
    top = acc_in[32:28];
    mid_ones = &acc_in[27:13];
    pos = !top[4] && (top[3:0] != 4'b0000 || (mid_ones && r));
    neg = top[4] && top[3:0] != 4'b1111 && !(top[3:0] == 4'b1110 && mid_ones && r);
    qr = acc_in[28:13] + 16'(r);
    round13 = pos ? 16'sh7fff : neg ? 16'sh8000 : qr;
  endfunction
  /* verilator lint_on UNUSEDSIGNAL */
  // y − x == 1 (mod 2^16) without a carry chain (Fmax: it is decided when a command is accepted, from
  // the command port): y = x + 1 iff bit 0 differs and, for every bit i < 15, bit i + 1 differs exactly
  // when x_i = 1 and y_i = 0 (the carry runs through the trailing ones of x). One 4-input LUT per bit
  // and an AND; checked against the subtraction over all 2^32 pairs.
  function automatic logic succ16(input logic [15:0] x, input logic [15:0] y);
    succ16 = x[0] != y[0];
    for (int i = 0; i < 15; i++) succ16 = succ16 && ((x[i+1] != y[i+1]) == (x[i] && !y[i]));
  endfunction
  // 2^k − 1 as a thermometer code: bit i = (i < k), plain logic of k's five bits (no shifter, no carry
  // chain: Fmax). Equal to (1 << k) − 1 for every k in 0..31.
  function automatic logic [31:0] thermo(input logic [4:0] k);
    for (int i = 0; i < 32; i++) thermo[i] = k > 5'(i);
  endfunction
  // Comparisons with the constants 0 and ±1.0 (2048) as bit tests, not carry chains (Fmax).
  function automatic logic gt_one(input logic signed [15:0] p);  // p > 2048
    gt_one = !p[15] && (p[14:12] != 3'd0 || (p[11] && p[10:0] != 11'd0));
  endfunction
  function automatic logic lt_mone(input logic [4:0] top);  // p < -2048, from p[15:11]
    lt_mone = top[4] && top[3:0] != 4'b1111;
  endfunction
  function automatic logic in_one(input logic signed [15:0] p);  // -2048 < p < 2048
    in_one = (p[15:11] == 5'd0) || (p[15:11] == 5'b11111 && p[10:0] != 11'd0);
  endfunction
  function automatic logic signed [15:0] act_fwd(input logic [2:0] a, input logic signed [15:0] p);
    if (a == ACT_RELU) act_fwd = p[15] ? 16'sd0 : p;
    else if (a == ACT_HTANH) act_fwd = gt_one(p) ? 16'sd2048 : lt_mone(p[15:11]) ? -16'sd2048 : p;
    else act_fwd = p;
  endfunction
  // f'(pre) of the activation as a pass bit: δ = f'(pre)·ε is ε where it is 1, else 0
  function automatic logic act_pass(input logic [2:0] a, input logic signed [15:0] p);
    if (a == ACT_RELU) act_pass = !p[15] && p[14:0] != 15'd0;
    else if (a == ACT_HTANH) act_pass = in_one(p);
    else if (ACTS && a == ACT_LEAKY) act_pass = !p[15];
    else act_pass = 1'b1;
  endfunction
  function automatic logic [31:0] xorshift(input logic [31:0] x0);
    logic [31:0] x1, x2;
    x1 = x0 ^ (x0 << 13);
    x2 = x1 ^ (x1 >> 17);
    xorshift = x2 ^ (x2 << 5);
  endfunction

  // ---- memories ---------------------------------------------------------------------------------------
  logic [15:0] wb0[SRAM_WORDS/2];
  logic [15:0] wb1[SRAM_WORDS/2];
  logic [BA-1:0] wb_a0, wb_a1;
  logic wb_we0, wb_we1;
  logic [15:0] wb_d0, wb_d1, wb_q0, wb_q1;
  always_ff @(posedge clk)
    if (wb_we0) wb0[wb_a0] <= wb_d0;
    else wb_q0 <= wb0[wb_a0];
  always_ff @(posedge clk)
    if (wb_we1) wb1[wb_a1] <= wb_d1;
    else wb_q1 <= wb1[wb_a1];

  // slot RAMs, x buffer and out buffer: one write and one registered read port each (pcg_sdp_ram.sv)
  logic [SA-1:0] bias_ra, bias_wa, pre_ra, pre_wa, vhat_ra, eps_ra, eps_wa, d_ra, d_wa, esum_ra, esum_wa;
  logic bias_we, pre_we, eps_we, da_we, db_we, esum_we;
  logic [15:0] bias_wd, vhat_wd, eps_wd, d_wd;
  logic [31:0] esum_wd;
  logic [15:0] bias_q, vhat_q, eps_q, da_q, db_q;
  logic        fp_wd, fp_q;  // f'(pre) pass bit, written with pre (the only use of pre: Fmax)
  // The pass bit is written one cycle after v̂ (s5): act_pass's comparisons and the way to the RAM do not
  // share a cycle (Fmax). A FWD's last s4 write is at the edge where busy falls, so its s5 write is at the
  // earliest at the edge that accepts the next command; that command's first read of the bit (a δ pass,
  // or UPDATE's row prefetch in S_PREP) is an edge later. Only a memory-port debug read (sel 6) in the
  // first idle cycle after a FWD could see an undefined bit (read and write at one edge).
  logic        fp5_we, fp5_wd;
  logic [SA-1:0] fp5_wa;
  logic [31:0] esum_q;
  pcg_sdp_ram #(16, SLOTS) u_bias (clk, bias_we, bias_wa, bias_wd, bias_ra, bias_q);
  always_ff @(posedge clk) begin
    fp5_wa <= pre_wa;
    fp5_wd <= fp_wd;
  end
  // ACTS: the pass bit and the derivative's multiplier (15 bits) come from pcg_act at s5 (see there), side by
  // side in one 16-bit RAM (the pass bit alone takes a block RAM too)
  localparam int FPW = ACTS ? 16 : 1;
  logic a_pass5;
  logic [14:0] a_m5, fm_q;
  logic [FPW-1:0] fp_w, fp_r;
  pcg_sdp_ram #(FPW, SLOTS) u_fp (clk, fp5_we, fp5_wa, fp_w, pre_ra, fp_r);
  if (ACTS) begin : g_fm
    assign fp_w = {a_m5, a_pass5};
    assign fp_q = fp_r[0];
    assign fm_q = fp_r[FPW-1:1];
  end else begin : g_no_fm
    wire unused_m5 = &{1'b0, a_m5, a_pass5};
    assign fp_w = fp5_wd;
    assign fp_q = fp_r[0];
    assign fm_q = '0;
  end
  pcg_sdp_ram #(16, SLOTS) u_vhat (clk, pre_we, pre_wa, vhat_wd, vhat_ra, vhat_q);  // written with pre
  pcg_sdp_ram #(16, SLOTS) u_eps (clk, eps_we, eps_wa, eps_wd, eps_ra, eps_q);
  pcg_sdp_ram #(16, SLOTS) u_da (clk, da_we, d_wa, d_wd, d_ra, da_q);
  pcg_sdp_ram #(16, SLOTS) u_db (clk, db_we, d_wa, d_wd, d_ra, db_q);
  pcg_sdp_ram #(32, SLOTS) u_esum (clk, esum_we, esum_wa, esum_wd, esum_ra, esum_q);

  logic [XA-1:0] x_ra, x_wa;
  logic [15:0] x_q, x_wd;
  logic x_we;
  pcg_sdp_ram #(16, XWORDS) u_xbuf (clk, x_we, x_wa, x_wd, x_ra, x_q);

  logic [OA-1:0] o_wa;
  logic o_we;
  logic [15:0] o_wd, o_q;
  pcg_sdp_ram #(16, OWORDS) u_obuf (clk, o_we, o_wa, o_wd, mem_addr[OA-1:0], o_q);

  // Generator states of the contexts in a block RAM: read at the command port's ctx while idle (the
  // state is in rs_q in the cycle after an UPDATE is accepted), written by SEED and at the end of UPDATE.
  logic rs_we;
  logic [1:0] rs_wa;
  logic [31:0] rs_wd, rs_q;
  if (ACTS) begin : g_rng_ff
    // With ACTS the activation tables need three block RAMs; the four states (128 bits, which take two
    // block RAMs as a RAM) move into flip-flops, so that a tile with ACTS and without SMAX fits the UP5K.
    // The write is registered first and lands an edge later (the command strobe does not drive 128
    // flip-flop enables in its own cycle: Fmax); a read of that state in the cycle between (an UPDATE
    // accepted right after a SEED of its context) takes the registered word instead.
    (* ram_style = "logic" *) logic [31:0] rs_m[4];
    logic rs_we_q;
    logic [1:0] rs_wa_q;
    logic [31:0] rs_wd_q;
    always_ff @(posedge clk) begin
      rs_we_q <= rs_we;
      rs_wa_q <= rs_wa;
      rs_wd_q <= rs_wd;
      if (rs_we_q) rs_m[rs_wa_q] <= rs_wd_q;
      rs_q <= rs_we_q && rs_wa_q == cmd_ctx ? rs_wd_q : rs_m[cmd_ctx];
    end
  end else begin : g_rng_ram
    pcg_sdp_ram #(32, 4) u_rng (clk, rs_we, rs_wa, rs_wd, cmd_ctx, rs_q);
  end

  // ---- command registers and per-slice contexts ----------------------------------------------------
  logic [2:0] op, act;
  // ELEM (registered with the command; constant 0 in a core built with ELEM = 0, whose logic then folds away)
  logic elem_q, mulm_q;
  wire elem = ELEM && elem_q;
  wire mulm = ELEM && mulm_q;  // ELEM mul: the weight word is the operand and the sum is rounded by 2^11, not 2^13
  logic [SA-1:0] ep;  // ELEM ERR: the δ slot of the next copy
  logic [14:0] alpha;
  logic [1:0] ctx;
  logic [SA-1:0] sbase;
  logic [XA-1:0] xbase;
  logic [JW-1:0] m1;  // m − 1: loop ends as equality tests (Fmax)
  logic [WA-1:0] wbase;
  logic [4:0] shift;
  logic [CTX-1:0] c_seeded;  // the context's generator was seeded since reset (else its state is 1)
  logic [CTX-1:0] c_stale, c_valid, c_any, c_proj, c_eq, c_dcur, c_dlast;
  logic [31:0] rng;  // working generator state of the running command

  typedef enum logic [2:0] {
    S_IDLE,
    S_DPASS,
    S_DGAP,
    S_DDEC,
    S_PREP,
    S_ISSUE,
    S_DRAIN,
    S_SMAX  // pcg_softmax runs; busy falls with its `done`
  } state_t;
  state_t st;
  logic [2:0] dcnt;
  logic [RW-1:0] r;  // row / column counters of the issue loop
  logic [JW-1:0] j;
  // Addresses of the issue, kept as running pointers beside the counters (no adders before the RAMs):
  // rp = sbase + r (slot), xp = xbase + j (x buffer), opp = obase + (j − lo) (out buffer).
  logic [SA-1:0] rp, rp1;  // rp1 = rp + 1 (registered: the UPDATE's δ prefetch address)
  logic [XA-1:0] xp;
  logic [OA-1:0] opp;
  // Loop-position flags, registered with the counters (r == 0, r == n−1, r == label, j == 0, j == m−1,
  // j == m, j == hi−1), so that loop ends and stage tags are register outputs (Fmax), and the constants
  // they are updated from.
  logic r0, rn1, rlab, j0, jm1, jm, jh1, n1z, m1z, labz;
  wire pn1 = rn1 || elem;  // the projection's row end (ELEM: one row per column)
  logic [RW-1:0] n2;
  logic [JW-1:0] m2, hi2;
  logic [15:0] labm1;  // full width: a label beyond the slice never matches
  logic r_inc, r_rst, j_inc, j_rst;
  // Decoded op (registered with the command; Fmax): row-major (FWD, UPDATE), ERR; jend: the row-major
  // op's row end (FWD: j == m − 1, UPDATE: j == m, its bias slot).
  logic is_rm, is_err, is_fwd, is_upd, is_relax, is_outerr, jend;
  logic [WA:0] wv;  // virtual weight address of the next issue
  logic [WA:0] stride;  // m + 1 (a row's words)
  logic any_acc, same_acc;

  // ---- pipeline stage registers --------------------------------------------------------------------
  // s1: RAM outputs valid; s2: product register (SB_MAC16 output register); s3: accumulator valid;
  // s4: forward write-back (pre, v̂, ε).
  logic s1_v, s1_first, s1_last, s1_bank, s1_bias, s1_dp;  // s1_dp: a δ-pass operation
  logic [DW-1:0] s1_dst;
  logic s1_lab;  // OUTERR: this element is the label
  logic signed [16:0] s2_od;  // OUTERR: t − v̂
  logic s2_v, s2_first, s2_last, s2_bias;
  logic [DW-1:0] s2_dst;
  logic signed [31:0] s2_prod;
  logic [15:0] s2_b, s2_w, s2_delta;
  logic signed [15:0] s2_back;  // RELAX: e, the saturated sum of the received errors
  logic [31:0] mask_b, mask_w;  // UPDATE: 2^shift − 1 and 2^(11+shift) − 1 (shift <= 20)
  assign mask_w = {mask_b[20:0], 11'h7ff};
  logic s3_v, s3_last;
  logic [DW-1:0] s3_dst;
  // The accumulator. The spec's acc ← sat32(acc + p) is kept with the clamp deferred by one add:
  // acc holds the unclamped 33-bit sum u, and the next add reads sat32(u), so the loop is
  // register → one LUT (clamp, or 0 for a row's first add) → 33-bit carry chain → register (Fmax). |u| <
  // 2^32 because |sat32(u)| ≤ 2^31 and |p| < 2^31. FWD's bias · 2^11 enters with the row's first product,
  // in the SB_MAC16's post-adder (s2_prod); |bias · 2^11 + w · x| ≤ 2^26 + 2^30 cannot saturate, so
  // sat32(b · 2^11 + p0) = b · 2^11 + p0 as the spec has it.
  logic signed [32:0] acc;
  // ELEM mul: the accumulator takes 4p, which s4 rounds by 2^13 (= p by 2^11). p ≤ 2^30 (two int16), and only
  // p = 2^30, (−32768)², leaves 33 bits: it is held at 2^32 − 1, which rounds to the same 32767. (Formed here,
  // beside the accumulator's add, and not in front of the rounding unit, whose output addresses pcg_act's
  // ROMs: Fmax.)
  wire signed [32:0] s2_m4 = (!s2_prod[31] && s2_prod[30]) ? 33'sh0_ffff_ffff : {s2_prod[30:0], 2'b00};

  logic s4_v, s4_ov;  // s4_ov: ERR, the out-buffer write of a finished sum
  logic [DW-1:0] s4_dst;
  logic signed [15:0] s4_pre;
  logic signed [15:0] drow;  // UPDATE: δ of the row being streamed
  logic drow_load;

  // Issue of this cycle (combinational): which RAM reads start now.
  logic iss;  // an operation enters the pipeline
  logic iss_first, iss_last, iss_bias;
  logic [DW-1:0] iss_dst;
  logic iss_lab;
  logic [WA-1:0] iss_wv;
  logic [31:0] rng_next;
  assign rng_next = xorshift(rng);

  wire mem_idle = !busy;
  // busy = (st != S_IDLE), kept in its own flip-flop (no state decode behind the memory port's
  // multiplexers and the network interface: Fmax); set and cleared with every move out of and into
  // S_IDLE below. The lockstep harness checks busy's timing (phase cycles) against the SystemC core.
  logic busy_q;
  assign busy = busy_q;

  // Operand of the s1 multiply
  wire [15:0] wq = s1_bank ? wb_q1 : wb_q0;
  // FWD: a row's first sum starts from bias · 2^11 (ERR from 0), added to the first product
  wire signed [31:0] s1_addend = (is_fwd && s1_first && !elem) ? 32'($signed({bias_q, 11'd0})) : 32'sd0;
  // The running context's flags, copied when the command is accepted (no 4:1 context mux in the
  // datapath: Fmax); c_valid and c_dlast do not change during an ERR, c_dcur flips at S_DDEC.
  logic x_valid, x_dcur, x_dlast;
  wire [15:0] dq = x_dcur ? db_q : da_q;  // current δ bank
  wire d_pass = fp_q;
  // δ pass / UPDATE row prefetch. ACTS: where the pass bit is 0, δ = (ε·m + 2^14) >>> 15 (pcg_act).
  logic signed [30:0] dm_prod;
  assign dm_prod = 31'($signed(eps_q)) * $signed({16'd0, fm_q}) + 31'sd16384;
  wire signed [15:0] s1_delta = d_pass ? eps_q : ACTS ? dm_prod[30:15] : 16'sd0;

  // ---- SMAX: the softmax output-error unit ---------------------------------------------------------------
  logic sm_active, sm_done, sm_esum_we, sm_eps_we;
  logic [SA-1:0] sm_vhat_ra, sm_esum_ra, sm_esum_wa, sm_eps_wa;
  logic [31:0] sm_esum_wd;
  logic signed [15:0] sm_eps_wd;
  wire sm_start = st == S_IDLE && cmd_valid && cmd_op == OP_SMAX;
  // FWD's activation code is one this core has (fx::FxAct: 0..5; 2, 4, 5 only with ACTS)
  wire act_ok = ACTS ? cmd_act <= 3'd5 : cmd_act == 3'd0 || cmd_act == ACT_RELU || cmd_act == ACT_HTANH;
  wire elem_ok = ELEM || !cmd_elem;  // a core built without ELEM refuses cmd_elem
  wire sm_n1 = cmd_n == 16'd1, sm_lab0 = cmd_label == 16'd0;
  if (SMAX) begin : g_smax
    pcg_softmax #(
        .SA(SA),
        .RW(RW)
    ) u_smax (
        .clk(clk),
        .rst(rst),
        .idle(!busy_q),
        .start(sm_start),
        .cmd_sbase(cmd_sbase[SA-1:0]),
        .cmd_n1(sm_n1),
        .cmd_lab0(sm_lab0),
        .n2(n2),
        .labm1(labm1),
        .active(sm_active),
        .vhat_ra(sm_vhat_ra),
        .vhat_q(vhat_q),
        .esum_ra(sm_esum_ra),
        .esum_q(esum_q),
        .esum_we(sm_esum_we),
        .esum_wa(sm_esum_wa),
        .esum_wd(sm_esum_wd),
        .eps_we(sm_eps_we),
        .eps_wa(sm_eps_wa),
        .eps_wd(sm_eps_wd),
        .done(sm_done)
    );
  end else begin : g_no_smax
    wire unused_sm = &{1'b0, sm_start, sm_n1, sm_lab0};
    assign sm_active = 1'b0;
    assign sm_done = 1'b0;
    assign sm_esum_we = 1'b0;
    assign sm_eps_we = 1'b0;
    assign sm_vhat_ra = '0;
    assign sm_esum_ra = '0;
    assign sm_esum_wa = '0;
    assign sm_eps_wa = '0;
    assign sm_esum_wd = '0;
    assign sm_eps_wd = '0;
  end

  // ---- ACTS: leaky_relu, tanh and sigmoid (pcg_act) ---------------------------------------------------
  logic a_table4;
  logic signed [15:0] a_vhat4;
  if (ACTS) begin : g_act
    pcg_act u_act (
        .clk(clk),
        .act(act),
        .alpha(alpha),
        .pre3(round13(acc)),  // s4_pre's next value (the ROM is addressed from it)
        .pre4(s4_pre),
        .pass5i(fp5_wd),
        .table4(a_table4),
        .vhat4(a_vhat4),
        .pass5(a_pass5),
        .m5(a_m5)
    );
  end else begin : g_no_act
    wire unused_act = &{1'b0, alpha};
    assign a_table4 = 1'b0;
    assign a_vhat4 = '0;
    assign a_pass5 = 1'b0;
    assign a_m5 = '0;
  end

  // ---- the issue loop ------------------------------------------------------------------------------
  always_comb begin
    iss = 1'b0;
    iss_first = 1'b0;
    iss_last = 1'b0;
    iss_bias = 1'b0;
    iss_dst = '0;
    iss_lab = 1'b0;
    iss_wv = wv[WA-1:0];
    if (st == S_DPASS) begin
      iss = 1'b1;
      iss_dst = DW'(rp);
      iss_last = rn1;
    end else if (st == S_ISSUE || st == S_DDEC) begin
      iss = st == S_ISSUE || pj_dec;
      unique case (op)
        OP_FWD: begin
          iss_first = j0;
          iss_last = jm1;
          iss_dst = DW'(rp);
        end
        OP_ERR: begin
          iss_first = r0 || elem;  // ELEM: every column is one operation
          iss_last = pn1;
          iss_dst = DW'(opp);
        end
        OP_UPDATE: begin
          iss_bias = jm;
          iss_dst = DW'(rp);
        end
        default: begin  // RELAX, OUTERR: elementwise over r
          iss_dst = DW'(rp);
          iss_lab = rlab;
        end
      endcase
    end
  end

  // End of the issue loop in this cycle?
  logic loop_end;
  always_comb begin
    if (is_rm) loop_end = rn1 && jend;
    else if (is_err) loop_end = st == S_DPASS ? rn1 : (pn1 && jh1);
    else loop_end = rn1;
  end

  // ---- RAM address and write-enable multiplexing ---------------------------------------------------
  // Weight banks: a pending UPDATE write-back (u4) and the issue's read always target different banks
  // (consecutive virtual addresses, write-back 5 cycles after the read: an odd distance).
  logic u3_wwrite;
  assign u3_wwrite = u3_v && !u3_bias;
  always_comb begin
    wb_we0 = 1'b0;
    wb_we1 = 1'b0;
    wb_d0 = u3_wd;
    wb_d1 = u3_wd;
    wb_a0 = iss_wv[WA-1:1];
    wb_a1 = iss_wv[WA-1:1];
    if (u3_wwrite) begin
      if (wp[0]) begin
        wb_we1 = 1'b1;
        wb_a1  = wp[WA-1:1];
      end else begin
        wb_we0 = 1'b1;
        wb_a0  = wp[WA-1:1];
      end
    end
    if (mem_idle) begin
      wb_a0 = mem_addr[WA-1:1];
      wb_a1 = mem_addr[WA-1:1];
      wb_d0 = mem_wdata;
      wb_d1 = mem_wdata;
      wb_we0 = mem_we && mem_sel == 3'd0 && !mem_addr[0];
      wb_we1 = mem_we && mem_sel == 3'd0 && mem_addr[0];
    end
  end

  // Slot RAM reads
  wire [SA-1:0] slot_mem = mem_addr[SA-1:0];
  wire [SA-1:0] row_next = (st == S_PREP) ? rp : rp1;  // UPDATE: δ prefetch of the next row
  // Every slot-RAM read of a running command is at row rp (the ERR projection's out-buffer address opp only
  // travels down the pipeline as s1_dst), or at the next row for UPDATE's δ prefetch. A read outside an
  // issue cycle is not used. Not decoding the state and op here keeps the addresses short (Fmax).
  always_comb begin
    bias_ra = rp;
    pre_ra = rp;
    eps_ra = rp;
    vhat_ra = rp;
    d_ra = elem && st != S_DPASS ? ep : rp;  // ELEM ERR's copy reads δ at its own pointer
    esum_ra = rp;
    x_ra = xp;
    if (is_upd) begin
      pre_ra = row_next;
      eps_ra = row_next;
    end
    if (sm_active) begin  // a register, only while busy
      vhat_ra = sm_vhat_ra;
      esum_ra = sm_esum_ra;
    end
    if (mem_idle) begin
      bias_ra = slot_mem;
      pre_ra = slot_mem;
      eps_ra = slot_mem;
      vhat_ra = slot_mem;
      esum_ra = slot_mem;
      x_ra = mem_addr[XA-1:0];
    end
  end

  // Error accumulate of the memory port: read now, add and write next cycle (sel 3: esum; sel 4: x, ELEM).
  logic acc_pend, xacc_pend;
  logic [XA-1:0] x_s1a;  // the x address read at the last edge (ELEM FWD clears it behind the read)
  always_ff @(posedge clk) x_s1a <= x_ra;
  // The saturating sums are continuous assignments, not calls inside the always_comb blocks: Icarus 11.0
  // (Debian 12) puts a called function's own variables (sat16's argument) into an always_comb block's
  // sensitivity, so two always_comb blocks calling sat16 with different arguments re-trigger each other
  // forever at one simulation time (a zero-time loop; an always_comb defect of Icarus 11.0 like
  // steveicarus/iverilog#508). Rule for rtl/: no function calls inside always_comb (scripts/check_rtl_rules.py).
  logic [SA-1:0] acc_addr;
  logic [15:0] acc_word;
  logic signed [15:0] xacc_sum;
  assign xacc_sum = sat16(40'($signed(x_q)) + 40'($signed(acc_word)));
  always_comb begin
    x_we = s1_v && is_fwd && elem;
    x_wa = x_s1a;
    x_wd = 16'd0;
    if (mem_idle && mem_we && mem_sel == 3'd2) begin
      x_we = 1'b1;
      x_wa = mem_addr[XA-1:0];
      x_wd = mem_wdata;
    end
    if (xacc_pend) begin
      x_we = 1'b1;
      x_wa = x_s1a;
      x_wd = xacc_sum;
    end
  end

  // The weight step (u1..u3 after s2; written from u3, 5 cycles after the read) and the relaxation step (q2, q3) as adds of floors, split so that
  // no stage holds more than one carry chain or one shifter (Fmax):
  //   w + floor((p + (r mod 2^s)) / 2^s) = w + (p >>> s) + carry((p mod 2^s) + (r mod 2^s) ≥ 2^s)
  //   (weight: p = δ·x, s = 11 + k; bias: p = δ, s = k; r from the slice's xorshift32). The carry is
  //   the carry out of a 32-bit add of (p mod 2^s with ones at bits s..31) and (r mod 2^s): a carry
  //   into bit s runs through the ones (the carry chain's own output, no OR over the sum's bits).
  //   ε − round_half_up((ε − e) / 2^k) = ε + floor(((e − ε) + 2^(k−1) − 1) / 2^k)
  //                                   = ε + ((e − ε) >>> k) + [(e − ε) mod 2^k > 2^(k−1)]
  //   (the bracket: the low k bits, masked, compared with 2^(k−1)).
  logic signed [31:0] u_x;
  logic signed [20:0] u_xs;
  always_comb begin
    u_x = s2_bias ? 32'($signed(s2_delta)) : s2_prod;
    // the high part p >>> s: the weight's product pre-shifted by the constant 11 (21 bits remain)
    u_xs = s2_bias ? 21'($signed(s2_delta)) : 21'(s2_prod >>> 11);
  end
  logic u1_v, u2_v, u3_v, u1_bias, u2_bias, u3_bias;
  logic [31:0] u1_a, u1_b;
  logic signed [20:0] u1_hi;
  logic signed [17:0] u2_hi;
  logic u2_c;
  logic [15:0] u1_base, u2_base, u3_wd;
  // Write-back addresses: the update streams consecutive virtual addresses from wbase (bias slots
  // included) and one bias per row from sbase, so running pointers replace pipelined addresses.
  logic [WA-1:0] wp;  // virtual address of the u3 word
  logic [SA-1:0] bp;  // slot of the next bias write-back
  logic [32:0] u_lowsum;
  always_comb u_lowsum = {1'b0, u1_a} + {1'b0, u1_b};
  always_ff @(posedge clk) begin
    u1_v <= s2_v && is_upd;
    u2_v <= u1_v;
    u3_v <= u2_v;
    u1_bias <= s2_bias;
    u2_bias <= u1_bias;
    u3_bias <= u2_bias;
    // u1: the two low parts (masked) and the high part
    u1_a <= u_x | ~(s2_bias ? mask_b : mask_w);
    u1_b <= rng_next & (s2_bias ? mask_b : mask_w);
    u1_hi <= u_xs >>> shift;
    u1_base <= s2_bias ? s2_b : s2_w;
    // u2: the carry; the high part clamped to 18 bits (sat16 of the sum does not change)
    u2_c <= u_lowsum[32];  // the sum of the low parts reached 2^s
    // (the range tests as bit tests, not 21-bit comparisons: in range iff bits 20..16 are equal)
    u2_hi <= (!u1_hi[20] && u1_hi[19:16] != 4'b0000) ? 18'sd65535
           : (u1_hi[20] && u1_hi[19:16] != 4'b1111) ? -18'sd65536 : u1_hi[17:0];
    u2_base <= u1_base;
    // u3: the sum, saturated
    u3_wd <= sat16(40'(add3(19'($signed(u2_base)), 19'(u2_hi), u2_c)));
  end

  always_ff @(posedge clk) begin
    if (st == S_IDLE) begin  // follows the command port, like the other command registers
      wp <= cmd_wbase[WA-1:0];
      bp <= cmd_sbase[SA-1:0];
    end else if (u3_v) begin
      wp <= wp + 1'b1;
      if (u3_bias) bp <= bp + 1'b1;
    end
  end

  logic signed [16:0] q1_x;  // RELAX: e − ε
  logic [15:0] q2_sh;        // (e − ε) >>> k, low 16 bits (all the exact sum below needs)
  logic q2_c;  // and the rounding carry
  logic [15:0] q1_eps, q2_eps;
  logic [SA-1:0] q1_dst, q2_dst;
  logic q1_v, q2_v;
  logic [16:0] relax_mask, relax_half;  // 2^k − 1 and 2^(k−1) (0 for k = 0), set with the command
  assign relax_mask = mask_b[16:0];
  always_ff @(posedge clk) begin
    q1_v <= s2_v && is_relax;
    q1_x <= 17'(s2_back) - 17'($signed(s2_w));
    q1_eps <= s2_w;
    q1_dst <= s2_dst[SA-1:0];
    q2_v <= q1_v;
    q2_sh <= 16'(q1_x >>> shift);
    q2_c <= (17'($unsigned(q1_x)) & relax_mask) > relax_half;
    q2_eps <= q1_eps;
    q2_dst <= q1_dst;
  end
  // The spec saturates the result, but it always lies between ε and e (both int16): with d = e − ε and
  // k ≥ 1, 0 ≤ floor((d + 2^(k−1) − 1) / 2^k) ≤ d for d ≥ 0 and d ≤ … ≤ 0 for d < 0; k = 0 gives e.
  // So a 16-bit add is exact and the clamp is left out (Fmax: the carry chain ends at the RAM).
  logic [16:0] relax_t;
  assign relax_t = {q2_eps, 1'b1} + {q2_sh, q2_c};
  wire signed [15:0] relax_out = relax_t[16:1];

  // Slot RAM writes
  logic signed [15:0] outerr_eps;
  assign outerr_eps = sat16(40'(s2_od) * 40'sd4);
  logic signed [15:0] s4_act;  // act(pre) and f'(pre)'s pass bit of the s4 write (assigns: see xacc_sum)
  logic s4_pass;
  assign s4_act = act_fwd(act, s4_pre);
  assign s4_pass = act_pass(act, s4_pre);
  always_comb begin
    pre_we = s4_v;
    pre_wa = s4_dst[SA-1:0];
    fp_wd = s4_pass;
    vhat_wd = ACTS && a_table4 ? a_vhat4 : s4_act;
    eps_we = 1'b0;
    eps_wa = s4_dst[SA-1:0];
    eps_wd = 16'd0;
    if (s4_v) eps_we = 1'b1;
    if (q2_v) begin
      eps_we = 1'b1;
      eps_wa = q2_dst;
      eps_wd = relax_out;
    end
    if (s2_v && is_outerr) begin
      eps_we = 1'b1;
      eps_wa = s2_dst[SA-1:0];
      eps_wd = outerr_eps;
    end
    esum_we = 1'b0;
    esum_wa = s1_dst[SA-1:0];
    esum_wd = 32'd0;
    if (s1_v && is_relax) esum_we = 1'b1;
    if (acc_pend) begin
      esum_we = 1'b1;
      esum_wa = acc_addr;
      esum_wd = esum_q + {{16{acc_word[15]}}, acc_word};
    end
    if (sm_eps_we) begin  // SMAX (no other slot write runs then)
      eps_we = 1'b1;
      eps_wa = sm_eps_wa;
      eps_wd = sm_eps_wd;
    end
    if (sm_esum_we) begin
      esum_we = 1'b1;
      esum_wa = sm_esum_wa;
      esum_wd = sm_esum_wd;
    end
    // No error-sum write during the reset: the sums must still hold the zeros the block RAM powers up with
    // (docs/rtl.md, "Power-up state") when flip-flops power up at anything but 0 (the iCE40's are 0).
    if (rst) esum_we = 1'b0;
    // δ pass: the new δ goes to the bank that does not hold the last projection's δ
    da_we = s1_v && s1_dp && x_dlast;
    db_we = s1_v && s1_dp && !x_dlast;
    d_wa = s1_dst[SA-1:0];
    d_wd = s1_delta;
    bias_we = u3_v && u3_bias;
    bias_wa = bp;
    bias_wd = u3_wd;
    if (mem_idle) begin
      bias_we = mem_we && mem_sel == 3'd1;
      bias_wa = slot_mem;
      bias_wd = mem_wdata;
    end
    // ERR: the rounded sum is registered first (s4_pre) and written one cycle later (Fmax: round13's
    // clamp tests and the way to the block RAM do not share a cycle)
    o_we = s4_ov;
    o_wa = s4_dst[OA-1:0];
    o_wd = s4_pre;
  end

  // δ pass result of this cycle
  wire dpass_s1 = s1_v && s1_dp;
  // (the tests on ε and on the last δ run beside f', not after it: Fmax)
  // (δ == δ_last) for both banks side by side, the bank chosen last (Fmax): δ = d_pass ? ε : 0; with ACTS
  // δ itself is compared (its product is 0 or not whatever ε is)
  wire any_now = any_acc || (dpass_s1 && (ACTS ? s1_delta != 16'sd0 : d_pass && eps_q != 16'sd0));
  wire same_a = ACTS ? s1_delta == da_q : d_pass ? eps_q == da_q : da_q == 16'sd0;
  wire same_b = ACTS ? s1_delta == db_q : d_pass ? eps_q == db_q : db_q == 16'sd0;
  wire same_now = same_acc && (!dpass_s1 || (x_dlast ? same_b : same_a));

  // Projection decisions: after a δ pass (all δ zero → skip; δ equal to the last projection's and the
  // out buffer valid → re-send), or, without a δ pass, from the context (the first link of a phase whose ε
  // did not change, or a later link of the phase, which follows the first link's decision).
  // S_DDEC: the δ pass's decision, registered at the end of S_DGAP with the flags it is made of (Fmax)
  logic pj_dec;
  wire pj_ctx = cmd_first ? (c_any[cmd_ctx] && !(c_valid[cmd_ctx] && c_eq[cmd_ctx])) : c_proj[cmd_ctx];

  // ---- loop counters, address pointers and their flags ----------------------------------------------
  always_comb begin
    r_inc = 1'b0;
    r_rst = 1'b0;
    j_inc = 1'b0;
    j_rst = 1'b0;
    unique case (st)
      S_DPASS: r_inc = 1'b1;
      S_DGAP: r_rst = 1'b1;
      S_DDEC:
      if (pj_dec) begin
        r_rst = pn1;
        r_inc = !pn1;
        j_inc = pn1;
      end
      S_ISSUE:
      if (is_rm) begin  // FWD, UPDATE: row-major, a row ends at jend
        j_rst = jend;
        j_inc = !jend;
        r_inc = jend;
      end else if (is_err) begin  // column-major
        r_rst = pn1;
        r_inc = !pn1;
        j_inc = pn1;
      end else r_inc = 1'b1;  // elementwise
      default: ;
    endcase
  end
  always_ff @(posedge clk) begin
    if (st == S_IDLE) begin  // follow the command port (see the FSM)
      j <= cmd_op == OP_ERR ? JW'(cmd_lo) : '0;
            r <= '0;
            is_fwd <= cmd_op == OP_FWD;
            is_upd <= cmd_op == OP_UPDATE;
            is_relax <= cmd_op == OP_RELAX;
            is_outerr <= cmd_op == OP_OUTERR;
            rp <= cmd_sbase[SA-1:0];
            rp1 <= cmd_sbase[SA-1:0] + 1'b1;
            xp <= cmd_xbase[XA-1:0];
            ep <= cmd_xbase[SA-1:0];
            opp <= cmd_obase[OA-1:0];
            r0 <= 1'b1;
            rn1 <= cmd_n == 16'd1;
            rlab <= cmd_label == 16'd0;
            j0 <= cmd_op != OP_ERR || cmd_lo == 16'd0;
            jm1 <= cmd_m == 16'd1;
            jm <= 1'b0;
            jend <= cmd_op == OP_FWD && cmd_m == 16'd1;
            is_rm <= cmd_op == OP_FWD || cmd_op == OP_UPDATE;
            is_err <= cmd_op == OP_ERR;
            jh1 <= succ16(cmd_lo, cmd_hi);  // hi − lo == 1
            n2 <= RW'(cmd_n - 16'd2);
            m2 <= JW'(cmd_m - 16'd2);
            hi2 <= JW'(cmd_hi - 16'd2);
            labm1 <= cmd_label - 16'd1;
            n1z <= cmd_n == 16'd1;
            m1z <= cmd_m == 16'd1;
            labz <= cmd_label == 16'd0;
    end else begin
      if (r_rst) begin
        r <= '0;
        rp <= sbase;
        rp1 <= sbase + 1'b1;
        r0 <= 1'b1;
        rn1 <= n1z;
        rlab <= labz;
      end else if (r_inc) begin
        r <= r + 1'b1;
        rp <= rp1;
        rp1 <= rp1 + 1'b1;
        r0 <= 1'b0;
        rn1 <= r == n2;
        rlab <= 16'(r) == labm1;
      end
      if (j_rst) begin
        j <= '0;
        xp <= elem ? xp + 1'b1 : xbase;  // ELEM FWD (m = 1): the x pointer follows the row
        j0 <= 1'b1;
        jm1 <= m1z;
        jm <= 1'b0;
        jend <= is_fwd && m1z;
      end else if (j_inc) begin
        j <= j + 1'b1;
        xp <= xp + 1'b1;
        ep <= ep + 1'b1;
        opp <= opp + 1'b1;
        j0 <= 1'b0;
        jm1 <= j == m2;
        jm <= j == m1;
        jend <= is_fwd ? j == m2 : j == m1;
        jh1 <= j == hi2;
      end
    end
  end

  // ---- the control FSM ------------------------------------------------------------------------------
  logic [2:0] sel_d;
  logic lo_bit_d;
  logic cmd_first_d;
  always_ff @(posedge clk) if (st == S_IDLE && cmd_valid) cmd_first_d <= cmd_first;
  always_ff @(posedge clk) begin
    if (rst) begin
      st <= S_IDLE;
      busy_q <= 1'b0;
      c_stale <= '1;
      c_valid <= '0;
      c_any <= '0;
      c_proj <= '0;
      c_eq <= '0;
      c_dcur <= '0;
      c_dlast <= '0;
      err_zero <= 1'b0;
      cmd_err <= 1'b0;
      acc_pend <= 1'b0;
      xacc_pend <= 1'b0;
      s1_v <= 1'b0;
      s2_v <= 1'b0;
      s3_v <= 1'b0;
      s4_v <= 1'b0;
      fp5_we <= 1'b0;
      s4_ov <= 1'b0;
      op <= OP_FWD;
      ctx <= 2'd0;
      c_seeded <= '0;
    end else begin
      // memory port error accumulate
      acc_pend <= mem_idle && mem_we && mem_sel == 3'd3;
      acc_addr <= mem_addr[SA-1:0];
      acc_word <= mem_wdata;
      xacc_pend <= ELEM && mem_idle && mem_we && mem_sel == 3'd4;
      sel_d <= mem_sel;
      lo_bit_d <= mem_addr[0];

      // pipeline advance
      s1_v <= iss;
      s1_first <= iss_first;
      s1_last <= iss_last;
      s1_bias <= iss_bias;
      s1_dp <= st == S_DPASS;
      s1_bank <= iss_wv[0];
      s1_dst <= iss_dst;
      s1_lab <= iss_lab;
      s2_od <= (s1_lab ? 17'sd2048 : 17'sd0) - 17'($signed(vhat_q));
      s2_v <= s1_v && !s1_dp;
      s2_first <= s1_first;
      s2_last <= s1_last;
      s2_bias <= s1_bias;
      s2_dst <= s1_dst;
      s2_b <= bias_q;
      s2_w <= is_relax ? eps_q : wq;
      s2_back <= sat16(40'($signed(esum_q)));
      s2_delta <= drow;
      // one SB_MAC16: operand multiplexers, the multiply, the post-adder (FWD: a row's first product
      // carries bias · 2^11) and the output register
      s2_prod <= $signed(is_upd ? drow : elem && !mulm ? 16'sd8192 : wq) * $signed(is_err ? dq : x_q) + s1_addend;
      s3_v <= s2_v;
      s3_last <= s2_last;
      s3_dst <= s2_dst;
      if (s2_v && (is_fwd || is_err)) begin
        // a row's first add starts from 0: FWD's bias · 2^11 is already in s2_prod (post-adder)
        acc <= mulm ? s2_m4 : (s2_first ? 33'sd0 : 33'(sat32(acc))) + 33'(s2_prod);  // mul: one product a row
      end
      s4_v <= s3_v && s3_last && is_fwd;
      fp5_we <= pre_we;
      s4_ov <= s3_v && s3_last && is_err;
      s4_dst <= s3_dst;
      s4_pre <= round13(acc);
      // UPDATE: δ of the next row, from the slot reads issued one cycle earlier
      drow_load <= is_upd && (st == S_PREP || (st == S_ISSUE && jm));
      if (drow_load) drow <= s1_delta;

      // the generator steps once per weight and bias word, in stream order, as the word passes s2
      if (s2_v && is_upd) rng <= rng_next;
      if (st == S_DPASS || st == S_DGAP) begin
        any_acc  <= any_now;
        same_acc <= same_now;
        pj_dec   <= any_now && !(x_valid && same_now);
      end

      unique case (st)
        S_IDLE: begin
          // While idle the command registers follow the command port, so that cmd_valid only decides the
          // state and context updates (it does not fan out to every command register: Fmax).
          if (cmd_op == OP_ERR) wv <= {1'b0, cmd_wbase[WA-1:0]} + (WA + 1)'(cmd_lo);
          else wv <= {1'b0, cmd_wbase[WA-1:0]};
          op <= cmd_op;
          ctx <= cmd_ctx;
          x_valid <= c_valid[cmd_ctx];
          x_dcur <= c_dcur[cmd_ctx];
          x_dlast <= c_dlast[cmd_ctx];
          act <= cmd_act;
          elem_q <= cmd_elem;
          mulm_q <= cmd_elem && cmd_mul;
          alpha <= cmd_alpha;
          m1 <= JW'(cmd_m - 16'd1);
          stride <= (WA + 1)'(cmd_m) + 1;
          wbase <= cmd_wbase[WA-1:0];
          sbase <= cmd_sbase[SA-1:0];
          xbase <= cmd_xbase[XA-1:0];
          shift <= cmd_shift;
          mask_b <= thermo(cmd_shift);
          // 2^(k−1) (0 for k = 0): bit i is k == i + 1
          for (int i = 0; i < 17; i++) relax_half[i] <= cmd_shift == 5'(i + 1);
          dcnt <= 3'd4;
          any_acc <= 1'b0;
          same_acc <= 1'b1;
          if (cmd_valid) begin
            unique case (cmd_op)
              OP_FWD:
              if (act_ok && elem_ok) begin
                st <= S_ISSUE;
                c_stale[cmd_ctx] <= 1'b1;
                c_valid[cmd_ctx] <= 1'b0;
              end
              OP_OUTERR, OP_RELAX: begin
                st <= S_ISSUE;
                c_stale[cmd_ctx] <= 1'b1;
              end
              OP_UPDATE:
              if (!cmd_elem) begin
                st <= S_PREP;
                c_valid[cmd_ctx] <= 1'b0;
              end
              OP_ERR:
              if (elem_ok) begin
                if (cmd_first && c_stale[cmd_ctx]) begin
                  st <= S_DPASS;
                end else begin
                  c_proj[cmd_ctx] <= pj_ctx;
                  err_zero <= !c_any[cmd_ctx];
                  st <= pj_ctx && c_any[cmd_ctx] ? S_ISSUE : S_DRAIN;
                end
              end
              OP_SEED: c_seeded[cmd_ctx] <= 1'b1;
              OP_SMAX:
              if (SMAX) begin
                st <= S_SMAX;
                c_stale[cmd_ctx] <= 1'b1;
              end
              default: ;
            endcase
            if (cmd_op == OP_SEED) st <= S_IDLE;
            // every op but SEED (and a refused command) leaves S_IDLE
            busy_q <= (cmd_op == OP_FWD && act_ok && elem_ok) || cmd_op == OP_OUTERR || cmd_op == OP_RELAX
                   || (cmd_op == OP_UPDATE && !cmd_elem) || (cmd_op == OP_ERR && elem_ok) || (SMAX && cmd_op == OP_SMAX);
            cmd_err <= !((cmd_op == OP_FWD && act_ok && elem_ok) || cmd_op == OP_OUTERR || cmd_op == OP_RELAX
                      || (cmd_op == OP_UPDATE && !cmd_elem) || (cmd_op == OP_ERR && elem_ok) || cmd_op == OP_SEED
                      || (SMAX && cmd_op == OP_SMAX));
          end
        end
        S_SMAX:
        if (sm_done) begin
          st <= S_IDLE;
          busy_q <= 1'b0;
        end
        S_DPASS: begin
          if (rn1) st <= S_DGAP;
        end
        S_DGAP: begin  // δ of the last element is in s1 now; its flags are registered at this edge
          st <= S_DDEC;
        end
        S_DDEC: begin
          // Decide for the whole phase and issue the first projection operation if projecting.
          c_stale[ctx] <= 1'b0;
          c_dcur[ctx] <= !x_dlast;
          x_dcur <= !x_dlast;
          c_any[ctx] <= any_acc;
          c_eq[ctx] <= same_acc;
          c_proj[ctx] <= pj_dec;
          err_zero <= !any_acc;
          if (pj_dec) wv <= rn1 ? {1'b0, wbase} + (WA + 1)'(j) + 1 : wv + stride;
          dcnt <= pj_dec ? 3'd3 : 3'd2;
          st <= pj_dec && !loop_end ? S_ISSUE : S_DRAIN;
        end
        S_PREP: begin
          rng  <= c_seeded[ctx] ? rs_q : 32'd1;
          st   <= S_ISSUE;
          dcnt <= 3'd5;  // the write-back of the last word is 5 cycles after its read
        end
        S_ISSUE: begin
          unique case (op)
            OP_FWD: wv <= jm1 ? wv + 2 : wv + 1;  // skip the bias slot at a row's end
            OP_ERR: wv <= rn1 ? {1'b0, wbase} + (WA + 1)'(j) + 1 : wv + stride;
            OP_UPDATE: wv <= wv + 1;
            default: ;
          endcase
          if (loop_end) st <= S_DRAIN;
        end
        S_DRAIN: begin
          if (dcnt == 3'd1) begin
            st <= S_IDLE;
            busy_q <= 1'b0;
            if (is_upd) c_seeded[ctx] <= 1'b1;  // rng written back through rs_*
            if (is_err && c_proj[ctx] && c_any[ctx] && cmd_first_d) begin
              c_dlast[ctx] <= c_dcur[ctx];
              c_eq[ctx] <= 1'b1;
              c_valid[ctx] <= 1'b1;
            end
          end
          dcnt <= dcnt - 3'd1;
        end
        default: begin
          st <= S_IDLE;
          busy_q <= 1'b0;
        end
      endcase
      if (busy_q && cmd_valid) cmd_err <= 1'b1;  // a strobe while busy is refused (the port's rule)
    end
  end


  always_comb begin
    rs_we = (st == S_IDLE && cmd_valid && cmd_op == OP_SEED) || (st == S_DRAIN && dcnt == 3'd1 && is_upd);
    rs_wa = st == S_IDLE ? cmd_ctx : ctx;
    rs_wd = st == S_IDLE ? cmd_seed : rng;
  end

  // memory port read data (one cycle after the read)
  always_comb begin
    unique case (sel_d)
      3'd0: mem_rdata = lo_bit_d ? wb_q1 : wb_q0;
      3'd1: mem_rdata = bias_q;
      3'd2: mem_rdata = x_q;
      3'd3: mem_rdata = esum_q[15:0];
      3'd4: mem_rdata = vhat_q;
      3'd5: mem_rdata = o_q;
      3'd6: mem_rdata = {fm_q, fp_q};  // the multiplier is 0 without ACTS
      default: mem_rdata = eps_q;
    endcase
  end

  // mem_re is part of the port contract (a read is always performed; the strobe documents intent)
  wire unused_ok = &{1'b0, mem_re, cmd_wbase, cmd_sbase, cmd_xbase, cmd_obase, mem_addr, s3_dst, u_lowsum[31:0], relax_t[0], dm_prod[14:0]};  // upper address bits beyond the memories
endmodule
