// pcg_top_smoke — Icarus smoke test of the synthesis wrapper rtl/pcg_top.sv with the real core and router
// (CTest rtl_top_smoke). It drives the 27-pin host port as a board would and checks, through the readback
// byte: a host memory write and read of a weight word; a single-flit packet from the west input leaving
// the east output (captured flit, its `from`, head and tail bits, the per-output flags); an NI memory
// write of two words arriving from the north input; an NI memory read injected at the local port; the
// NI's status (no drop, empty FIFO) and the router's sticky overflow; two forward passes of the core
// (FWD on a 2 x 2 relu slice, and one whose sums saturate the accumulator; v̂ read back) and a softmax
// output error (SMAX) of the second (ε read back). With -DACTS_SMOKE (a tile built with ACTS = 1, CTests
// rtl_top_smoke_acts and rtl_top_gate_smoke_acts) also forward passes with tanh, sigmoid and leaky_relu
// (pcg_act.sv: v̂ and the derivative word read back). Also the refusal of commands the core cannot carry out
// (cmd_err); with ACTS_SMOKE (the tile built with ACTS = 1 and ELEM = 1) an elementwise add and mul (the x
// accumulate, FWD with cmd_elem / cmd_mul), else the refusal of cmd_elem. Prints PASS or
// FAIL lines. It is a smoke test of the wrapper's plumbing and of one command, not of the learning
// datapath (the lockstep harness verifies pcg_core and pcg_router against the SystemC grid). With
// -DGATE_LEVEL it runs on the synthesized netlist instead (testbenches/gate_smoke.sh, CTest
// rtl_top_gate_smoke). With -DBOARD it drives the board top rtl/board/pcg_icebreaker.sv instead, every host
// action a UART frame and every readback byte a READ frame and the board's answer (CTests rtl_board_smoke and,
// with -DGATE_LEVEL as well, rtl_board_gate_smoke); that tile has no softmax unit, so SMAX is refused there.
// +vcd=FILE writes the run's waveforms.
`timescale 1ns/1ps
module pcg_top_smoke;
  logic clk = 0, rst = 1, we = 0;
  logic [3:0] addr = 0;
  logic [7:0] wdata = 0;
  wire [7:0] rdata;
  wire busy, err_zero, overflow, flit;
`ifdef BOARD  // the board top rtl/board/pcg_icebreaker.sv: every host action and readback through its UART
  localparam int DIV = 4;  // clock cycles per UART bit (104 on the board)
  logic rx = 1'b1;
  wire tx, ledr_n, ledg_n;
`ifdef GATE_LEVEL  // the synthesized board netlist (gate_smoke.sh ... board: DIV = 4, MY_X = 2, MY_Y = 3)
  pcg_icebreaker dut(
`else
  pcg_icebreaker #(.DIV(DIV), .MY_X(2), .MY_Y(3)) dut(  // its default tile: SMAX = 0
`endif
    .CLK(clk), .BTN_N(!rst), .RX(rx), .TX(tx), .LEDR_N(ledr_n), .LEDG_N(ledg_n));
  assign busy = !ledg_n;
  assign overflow = !ledr_n;
  assign rdata = 8'h00;  // not a pin of the board: readb() reads through the UART
  assign err_zero = 1'b0;
  assign flit = 1'b0;
`else
`ifdef GATE_LEVEL  // the synthesized netlist (testbenches/gate_smoke.sh): parameters set at synthesis
  pcg_top dut(
`elsif ACTS_SMOKE
  pcg_top #(.MY_X(2), .MY_Y(3), .ACTS(1), .ELEM(1)) dut(
`else
  pcg_top #(.MY_X(2), .MY_Y(3)) dut(
`endif
    .clk_i(clk), .rst_i(rst), .we_i(we), .addr_i(addr), .wdata_i(wdata),
    .rdata_o(rdata), .busy_o(busy), .err_zero_o(err_zero), .overflow_o(overflow), .flit_o(flit));
`endif
  always #5 clk = ~clk;
  integer errors = 0;
  // +vcd=FILE: waveforms of the whole run (e.g. vvp pcg_top_smoke.vvp +vcd=smoke.vcd; docs/rtl.md)
  string vcd_file;
  initial if ($value$plusargs("vcd=%s", vcd_file)) begin
    $dumpfile(vcd_file);
    $dumpvars(0, pcg_top_smoke);
  end
`ifdef BOARD
  // One UART byte (8N1, LSB first) into the board's RX, DIV cycles per bit.
  task automatic send_byte(input [7:0] b);
    logic [9:0] f;
    f = {1'b1, b, 1'b0};
    for (int i = 0; i < 10; i++) begin rx = f[i]; repeat (DIV) @(negedge clk); end
  endtask
  // A frame of pcg_icebreaker's protocol: {1, ctl, addr, data[7]}, {0, data[6:0]}.
  task automatic frame(input [1:0] ctl, input [3:0] a, input [7:0] d);
    send_byte({1'b1, ctl, a, d[7]}); send_byte({1'b0, d[6:0]});
  endtask
  // A host action. It reaches pcg_top's pins about when the frame's stop bit ends (the receiver takes the byte
  // at the stop bit's middle, two synchroniser cycles late); 3 cycles more and the tile has taken it, as after
  // act() of the pin version, so that the cycle counts of the busy checks below hold for both.
  task automatic act(input [3:0] a, input [7:0] d);
    frame(2'd0, a, d);
    repeat (3) @(negedge clk);
  endtask
  // READ frame, and the board's one-byte answer from TX (sampled at the middle of each bit). The answer
  // starts while the frame's stop bit is still being sent, so the receiver listens from the frame's start.
  task automatic uart_read(output [7:0] v);
    uart_answer(2'd1, v);
  endtask
  // A frame that the board answers (ctl 1 READ, ctl 3 INFO) and its answer.
  task automatic uart_answer(input [1:0] ctl, output [7:0] v);
    fork
      frame(ctl, 4'd0, 8'd0);
      begin
        @(negedge tx);
        repeat (DIV / 2) @(negedge clk);
        if (tx !== 1'b0) begin $display("FAIL UART start bit"); errors++; end
        for (int i = 0; i < 8; i++) begin repeat (DIV) @(negedge clk); v[i] = tx; end
        repeat (DIV) @(negedge clk);
        if (tx !== 1'b1) begin $display("FAIL UART stop bit"); errors++; end
      end
    join
  endtask
  task automatic readb(input [4:0] s, output [7:0] v);
    act(6, {3'b0, s}); uart_read(v);
  endtask
`else
  task automatic act(input [3:0] a, input [7:0] d);
    @(negedge clk); we = 1; addr = a; wdata = d; @(negedge clk); we = 0;
  endtask
  task automatic readb(input [4:0] s, output [7:0] v);
    act(6, {3'b0, s}); repeat (3) @(negedge clk); v = rdata;
  endtask
`endif
  task automatic shift32(input [31:0] w);
    act(0, w[31:24]); act(0, w[23:16]); act(0, w[15:8]); act(0, w[7:0]);
  endtask
  task automatic inject(input [2:0] p, input h, input t, input [31:0] w);
    shift32(w); act(4, {3'b0, t, h, p});
  endtask
  logic [7:0] b0, b1, b2;
  // Command layout of pcg_top's load register (its localparams C*; the netlist has no parameters).
  localparam int CLabel = 32, CAct = 53, CXbase = 104, CWbase = 136, CM = 152, CN = 168, COp = 186, CElem = 190, CMul = 191;
  localparam int CAlpha = 192;
  logic [223:0] cmd;  // 192 bits are shifted in (224 for a tile with ACTS = 1: the leaky slope on top)
  logic signed [15:0] v0, v1;
  task automatic memwr(input [2:0] sel, input [15:0] a, input [15:0] d);
    act(0, {5'b0, sel}); shift32({a, d}); act(2, 0);
  endtask
  task automatic memrd(input [2:0] sel, input [15:0] a, output [15:0] d);
    logic [7:0] lo, hi;
    act(0, {5'b0, sel}); shift32({a, 16'h0}); act(3, 0);
    readb(5, lo); readb(6, hi); d = {hi, lo};
  endtask
  initial begin
    $display("start"); repeat (4) @(negedge clk); rst = 0; $display("reset done"); repeat (2) @(negedge clk);
`ifdef BOARD
    repeat (40) @(negedge clk);  // the board's reset: BTN_N's synchroniser, then 16 cycles (also its UART's)
`endif
    // host memory write of weight word 5 = 0x1234 (sel 0), then read back
    act(0, 8'h00); shift32({16'd5, 16'h1234}); act(2, 0);
    act(0, 8'h00); shift32({16'd5, 16'h0000}); act(3, 0);
    readb(5, b0); readb(6, b1);
    if ({b1, b0} !== 16'h1234) begin $display("FAIL host mem rd %h%h", b1, b0); errors++; end
    // a single-flit packet from the west input (port 2) to x=5,y=3: leaves east (port 1)
    act(7, 8'd1);
    inject(2, 1, 1, {16'hbeef, 8'd3, 8'd5});
    repeat (4) @(negedge clk);
    readb(0, b0); readb(1, b1); readb(4, b2);
    if ({b1, b0} !== {8'd3, 8'd5} || b2 !== {3'b0, 3'd2, 1'b1, 1'b1}) begin $display("FAIL east capture %h %h %h", b0, b1, b2); errors++; end
    readb(7, b0);
    if (b0[7:3] !== 5'b00010) begin $display("FAIL flags %b", b0); errors++; end
    // a packet from the north (port 3) to this tile: head, NI header MEMWR sel 0 addr 9, two words, tail
    inject(3, 1, 0, {16'h0, 8'd3, 8'd2});
    inject(3, 0, 0, {2'd0, 11'd0, 3'd0, 16'd9});
    inject(3, 0, 0, {16'h0, 16'h00aa});
    inject(3, 0, 1, {16'h0, 16'h00bb});
    repeat (10) @(negedge clk);
    act(0, 8'h00); shift32({16'd10, 16'h0000}); act(3, 0);
    readb(5, b0); readb(6, b1);
    if ({b1, b0} !== 16'h00bb) begin $display("FAIL NI mem write %h%h", b1, b0); errors++; end
    // NI MEMRD of addr 9 (sel 0) via a local-port injection (port 0 → local output)
    inject(0, 1, 0, {16'h0, 8'd3, 8'd2});
    inject(0, 0, 1, {2'd2, 11'd0, 3'd0, 16'd9});
    repeat (10) @(negedge clk);
    readb(5, b0); readb(6, b1);
    if ({b1, b0} !== 16'h00aa) begin $display("FAIL NI mem read %h%h", b1, b0); errors++; end
    readb(8, b0);
    if (b0[7] !== 1'b0 || b0[4:2] !== 0) begin $display("FAIL NI status %b", b0); errors++; end
    // The core's forward pass on a 2 x 2 relu slice: weights at wbase 16 (row r at 16 + 3r), biases in
    // slots 0 and 1, x in x-buffer words 0 and 1; v̂ = relu(sat16((b·2^11 + Σ w·x + 2^12) >>> 13)), read
    // back from the v̂ RAM (sel 4). Row 0: 384.5 rounds half up to 385 (truncation would give 384); row 1:
    // pre = −293, so relu gives 0.
    memwr(0, 16, 16'sd3072); memwr(0, 17, -16'sd1024); memwr(0, 19, -16'sd3072); memwr(0, 20, 16'sd1000);
    memwr(1, 0, 16'sd514); memwr(1, 1, -16'sd100);
    memwr(2, 0, 16'sd2048); memwr(2, 1, 16'sd4096);
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd2; cmd[CWbase+:16] = 16'd16; cmd[CAct+:3] = 3'd1;  // FWD = op 0
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    repeat (3) @(negedge clk);
    if (!busy) begin $display("FAIL core not busy after FWD"); errors++; end
    repeat (12) @(negedge clk);
    if (busy) begin $display("FAIL core still busy"); errors++; end
    memrd(4, 0, v0); memrd(4, 1, v1);
    if (v0 !== 16'sd385 || v1 !== 16'sd0) begin $display("FAIL FWD v %0d %0d", v0, v1); errors++; end
    // A forward pass whose sums leave the int32 range, on a 2 x 6 identity slice: the spec saturates the
    // accumulator after EVERY add (sat32), which the core does with the clamp deferred by one add. Row 0:
    // four products 2^30, then two of −2^30 + 2^15: 2^30, then 2^31 − 1 (clamped), twice more, then down
    // to 65,535 → pre 8 (a sum saturated only at the end would give 32767). Row 1: four products
    // −2^30 + 2^15 clamp at −2^31, then two of 2^30 − 2^16 + 1 bring it to −131,070 → pre −16 (−32768
    // without per-add saturation). Raw words: weights −32768 (row 0) and 32767 (row 1), biases 0,
    // x = −32768 four times, then 32767 twice.
    for (int j = 0; j < 6; j++) begin
      memwr(0, 16'(32 + j), 16'h8000); memwr(0, 16'(39 + j), 16'h7fff); memwr(2, 16'(j), j < 4 ? 16'h8000 : 16'h7fff);
    end
    memwr(1, 0, 16'd0); memwr(1, 1, 16'd0);
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd6; cmd[CWbase+:16] = 16'd32;  // FWD, identity (act 0)
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    repeat (24) @(negedge clk);
    if (busy) begin $display("FAIL core still busy (saturating FWD)"); errors++; end
    memrd(4, 0, v0); memrd(4, 1, v1);
    if (v0 !== 16'sd8 || v1 !== -16'sd16) begin $display("FAIL saturating FWD v %0d %0d", v0, v1); errors++; end
    // The softmax-CE output error (SMAX, op 6) of that slice with label 1: v̂ = (8, −16) gives ε = (−4119,
    // 4119) (fx::softmax_ce_error; e_1 interpolates the exp ROM's last entry, so a ROM the synthesis left
    // empty or mis-initialised fails it). 4 + 20·2 = 44 cycles busy.
    cmd = '0;
    cmd[COp+:3] = 3'd6; cmd[CN+:16] = 16'd2; cmd[CLabel+:16] = 16'd1;
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
`ifdef BOARD
    // The board's tile has no softmax unit (pcg_icebreaker's SMAX = 0: with it and the UART bridge the UP5K
    // would need 5,328 of 5,280 LCs), so the core refuses SMAX: not busy, ε unchanged (FWD cleared it).
    repeat (3) @(negedge clk);
    if (busy) begin $display("FAIL the board's core accepted SMAX"); errors++; end
    memrd(7, 0, v0); memrd(7, 1, v1);
    if (v0 !== 16'sd0 || v1 !== 16'sd0) begin $display("FAIL a refused SMAX changed eps %0d %0d", v0, v1); errors++; end
    readb(8, b0);
    if (b0[0] !== 1'b1) begin $display("FAIL SMAX not refused on the board (cmd_err %b)", b0[0]); errors++; end
`else
    repeat (40) @(negedge clk);
    if (!busy) begin $display("FAIL core not busy during SMAX"); errors++; end
    repeat (10) @(negedge clk);
    if (busy) begin $display("FAIL core still busy (SMAX)"); errors++; end
    memrd(7, 0, v0); memrd(7, 1, v1);
    if (v0 !== -16'sd4119 || v1 !== 16'sd4119) begin $display("FAIL SMAX eps %0d %0d", v0, v1); errors++; end
    readb(8, b0);
    if (b0[0] !== 1'b0) begin $display("FAIL cmd_err set after accepted commands"); errors++; end
`endif
    // A command the core cannot carry out is refused: a FWD of the saturating slice above with an activation
    // code the tile lacks (tanh, 4, without ACTS; 6, undefined, with it), its last x word changed to 0 so
    // that an executed FWD would change v̂ (row 0 would saturate to 32767). Not busy, v̂ unchanged, cmd_err (readback byte 8, bit 0) set; then an
    // undefined op (7) is refused too, and a SEED (accepted, no cycles) clears the flag.
    memwr(2, 5, 16'sd0);
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd6; cmd[CWbase+:16] = 16'd32;
`ifdef ACTS_SMOKE
    cmd[CAct+:3] = 3'd6;
    for (int k = 27; k >= 0; k--) act(0, cmd[8*k+:8]);
`else
    cmd[CAct+:3] = 3'd4;
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
`endif
    act(1, 0);
    repeat (3) @(negedge clk);
    if (busy) begin $display("FAIL a refused FWD made the core busy"); errors++; end
    repeat (20) @(negedge clk);
    readb(8, b0);
    if (b0[0] !== 1'b1) begin $display("FAIL cmd_err not set by a FWD with an activation the core lacks"); errors++; end
    memrd(4, 0, v0);
    if (v0 !== 16'sd8) begin $display("FAIL a refused FWD changed v %0d", v0); errors++; end
    memwr(2, 5, 16'h7fff);
    cmd = '0;
    cmd[COp+:3] = 3'd5;  // SEED
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    readb(8, b0);
    if (b0[0] !== 1'b0) begin $display("FAIL cmd_err not cleared by an accepted SEED"); errors++; end
    cmd[COp+:3] = 3'd7;  // undefined
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    readb(8, b0);
    if (b0[0] !== 1'b1 || busy) begin $display("FAIL undefined op 7 not refused (%b, busy %b)", b0, busy); errors++; end
`ifdef ACTS_SMOKE
    // An elementwise add (ELEM, load bit 190): two parents' words added into x words 200 and 201 through the
    // memory port's accumulate (sel 4 write: x = sat16(x + word)), then FWD with cmd_elem: v̂ = x (identity),
    // and the x words cleared behind the read. 30000 + 30000 saturates to 32767; −100 + 50 = −50.
    memwr(2, 200, 16'd0); memwr(2, 201, 16'd0);
    memwr(4, 200, 16'sd30000); memwr(4, 201, -16'sd100); memwr(4, 200, 16'sd30000); memwr(4, 201, 16'sd50);
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd1; cmd[CXbase+:16] = 16'd200; cmd[CElem] = 1'b1;
    for (int k = 27; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    repeat (12) @(negedge clk);
    if (busy) begin $display("FAIL core still busy (ELEM FWD)"); errors++; end
    memrd(4, 0, v0); memrd(4, 1, v1);
    if (v0 !== 16'sd32767 || v1 !== -16'sd50) begin $display("FAIL ELEM add v %0d %0d", v0, v1); errors++; end
    memrd(2, 200, v0); memrd(2, 201, v1);
    if (v0 !== 16'sd0 || v1 !== 16'sd0) begin $display("FAIL ELEM FWD left x %0d %0d", v0, v1); errors++; end
    // An elementwise mul (ELEM with cmd_mul, load bit 191): a in the x buffer (300, 301) and at weight words 41
    // and 43, b at weight words 40 and 42; FWD pre = sat16(round(a·b / 2^11)): (−32768)·(−32768) saturates to
    // 32767 (4p = 2^32 leaves the accumulator's 33 bits: held at 2^32 − 1), 3000·(−2048) gives −3000.
    memwr(2, 300, -16'sd32768); memwr(2, 301, 16'sd3000);
    memwr(0, 40, -16'sd32768); memwr(0, 41, -16'sd32768); memwr(0, 42, -16'sd2048); memwr(0, 43, 16'sd3000);
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd1; cmd[CWbase+:16] = 16'd40; cmd[CXbase+:16] = 16'd300;
    cmd[CElem] = 1'b1; cmd[CMul] = 1'b1;
    for (int k = 27; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    repeat (12) @(negedge clk);
    if (busy) begin $display("FAIL core still busy (ELEM mul FWD)"); errors++; end
    memrd(4, 0, v0); memrd(4, 1, v1);
    if (v0 !== 16'sd32767 || v1 !== -16'sd3000) begin $display("FAIL ELEM mul v %0d %0d", v0, v1); errors++; end
`else
    // The default tile (ELEM = 0) refuses a FWD with cmd_elem (load bit 190): not busy, cmd_err set.
    cmd = '0;
    cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd1; cmd[CXbase+:16] = 16'd200; cmd[CElem] = 1'b1;
    for (int k = 23; k >= 0; k--) act(0, cmd[8*k+:8]);
    act(1, 0);
    repeat (3) @(negedge clk);
    if (busy) begin $display("FAIL a tile without ELEM accepted cmd_elem"); errors++; end
    readb(8, b0);
    if (b0[0] !== 1'b1) begin $display("FAIL cmd_err not set by cmd_elem on a tile without ELEM"); errors++; end
`endif
`ifdef ACTS_SMOKE
    // The table and leaky activations (pcg_act.sv) on a 2 x 1 slice: W = pre (x = 8192 = 4.0, bias 0, so
    // pre = round(W·x / 2^13) = W), then v̂ and the derivative word {m, pass} (sel 6, written one edge after
    // v̂) read back. Expected values from fx::act_forward and pcg_act's m (checked by the [rtl] tests against
    // fx::act_delta): tanh(1000) → 927, m 0x65c8 (word 0xcb90), tanh(−20000) → −2048 (T[0]), word 0;
    // sigmoid(300) → 1099, word 0x3fa8, sigmoid(17000) → 2047 (T[256]), word 0x0020; leaky_relu α = 328:
    // −1000 → −10, word 0x0290 (m = α, no pass), 500 → 500, word 0x0291. The tables' corners need the
    // ROMs as synthesized (initial contents) and the interpolation in the DSP or the fabric.
    memwr(2, 0, 16'sd8192);
    begin : acts
      logic [2:0] a[3];
      logic signed [15:0] p[6], vx[6];
      logic [15:0] wx[6], w0, w1;
      a[0] = 3'd4; a[1] = 3'd5; a[2] = 3'd2;
      p[0] = 16'sd1000; p[1] = -16'sd20000; vx[0] = 16'sd927; vx[1] = -16'sd2048; wx[0] = 16'hcb90; wx[1] = 16'h0000;
      p[2] = 16'sd300; p[3] = 16'sd17000; vx[2] = 16'sd1099; vx[3] = 16'sd2047; wx[2] = 16'h3fa8; wx[3] = 16'h0020;
      p[4] = -16'sd1000; p[5] = 16'sd500; vx[4] = -16'sd10; vx[5] = 16'sd500; wx[4] = 16'h0290; wx[5] = 16'h0291;
      for (int t = 0; t < 3; t++) begin
        memwr(0, 16'd48, p[2*t]); memwr(0, 16'd50, p[2*t+1]);
        cmd = '0;
        cmd[CN+:16] = 16'd2; cmd[CM+:16] = 16'd1; cmd[CWbase+:16] = 16'd48; cmd[CAct+:3] = a[t];
        cmd[CAlpha+:15] = 15'd328;
        for (int k = 27; k >= 0; k--) act(0, cmd[8*k+:8]);
        act(1, 0);
        repeat (12) @(negedge clk);
        if (busy) begin $display("FAIL core still busy (act %0d)", a[t]); errors++; end
        memrd(4, 0, v0); memrd(4, 1, v1);
        if (v0 !== vx[2*t] || v1 !== vx[2*t+1]) begin
          $display("FAIL act %0d v %0d %0d (want %0d %0d)", a[t], v0, v1, vx[2*t], vx[2*t+1]); errors++;
        end
        memrd(6, 0, w0); memrd(6, 1, w1);
        if (w0 !== wx[2*t] || w1 !== wx[2*t+1]) begin
          $display("FAIL act %0d derivative words %h %h (want %h %h)", a[t], w0, w1, wx[2*t], wx[2*t+1]); errors++;
        end
      end
    end
`endif
    if (overflow) begin $display("FAIL overflow"); errors++; end
`ifdef BOARD
    // INFO (ctl 3): the board's build, {4'hA, WITH_ROUTER, ELEM, ACTS, SMAX}: the default board is the tile
    // (router, no softmax, pcg_act or elementwise unit); a READ after it answers the readback byte again.
    uart_answer(2'd3, b0);
    if (b0 !== 8'ha8) begin $display("FAIL INFO answered %h, want a8 (the tile: router, SMAX = ACTS = ELEM = 0)", b0); errors++; end
    readb(8, b0);
    if ((b0 & 8'hfe) !== 8'h40) begin $display("FAIL READ after INFO gave %h, want readback byte 8 = 40", b0); errors++; end
    // The bridge's framing: a second byte with no first byte before it is ignored, and a first byte
    // replaces an unfinished one. Then a RESET frame: pcg_top's reset clears RSEL (back to byte 0) and the
    // flit flags of byte 7 (a flit is injected first, so that a flag is set).
    readb(0, b1);
    send_byte(8'h07);  // stray second byte: no action
    send_byte({1'b1, 2'd0, 4'd6, 1'b0});  // unfinished first byte of an RSEL ...
    frame(2'd0, 4'd6, 8'd8);  // ... replaced by RSEL 8
    repeat (3) @(negedge clk);
    uart_read(b0);
    if ((b0 & 8'hfe) !== 8'h40) begin $display("FAIL framing: byte 8 after resync is %h, want 40 (local_ready; bit 0 the last cmd_err)", b0); errors++; end
    act(7, 8'd1);
    inject(2, 1, 1, {16'h0, 8'd3, 8'd5});
    repeat (4) @(negedge clk);
    readb(7, b0);
    if (b0[7:3] !== 5'b00010) begin $display("FAIL flags before RESET %b", b0); errors++; end
    frame(2'd2, 4'd0, 8'd0);
    repeat (40) @(negedge clk);
    uart_read(b2);
    if (b2 !== b1) begin $display("FAIL RESET: READ gives %h, want readback byte 0 = %h", b2, b1); errors++; end
    readb(7, b0);
    if (b0[7:3] !== 5'b00000) begin $display("FAIL flags after RESET %b", b0); errors++; end
`endif
    if (errors == 0) $display("PASS"); else $display("FAILED");
    $finish;
  end
endmodule
