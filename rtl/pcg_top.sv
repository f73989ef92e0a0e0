// pcg_top — FPGA synthesis top: one pcg_core and one pcg_router behind a 27-pin host port.
//
// WHAT THIS IS. A wrapper that lets Yosys and nextpnr measure one grid tile (core + router) on an iCE40
// UP5K (sg48 package, 39 user I/Os): `pcgrid synth`, docs/synthesis.md. Every input of the core and of
// the router's five ports is driven from the pins and every output reaches the pins, so synthesis keeps
// all of the tile's logic. WHAT THIS IS NOT. It is not the network interface that the lockstep harness
// verifies against the SystemC grid, and nothing here is part of the numeric or timing specification: the
// host protocol and the tiny network interface (NI) below are only as much as a measurement needs. There
// is no flow control towards the router's input ports (the router's sticky overflow shows a violation).
// Simulated by testbenches/pcg_top_smoke.sv (CTest rtl_top_smoke, Icarus: host memory write/read, a
// flit through the router, NI memory write and read, a forward pass of the core), also on the synthesized
// netlist (testbenches/gate_smoke.sh, CTest rtl_top_gate_smoke); not lockstep-verified.
//
// PINS (27): clk_i; rst_i (synchronous, active high); we_i, addr_i[3:0], wdata_i[7:0] (a host action per
// cycle, registered at the pins); rdata_o[7:0] (the readback byte chosen by RSEL, registered); busy_o,
// err_zero_o (the core's); overflow_o (the router's, sticky); flit_o (a flit left some router output
// since the last WATCH).
//
// HOST ACTIONS (we_i = 1, addr_i =); the action takes effect one cycle after the pins show it
// (CMD, MEMWR and MEMRD reach the core, and INJECT the router, one cycle later still: their inputs are
// registered):
//   0 SHIFT   load <= {load, wdata_i}: a 192-bit load register filled a byte at a time, last byte = LSBs
//             (224 bits with ACTS = 1)
//   1 CMD     cmd_valid for one cycle, the command fields from load (layout: localparams C* below, 192
//             bits; with ACTS = 1 also the leaky slope at 206:192). The core's rules apply: only while
//             busy_o = 0.
//   2 MEMWR   mem_we with mem_sel = load[34:32], mem_addr = load[31:16], mem_wdata = load[15:0]
//   3 MEMRD   mem_re with mem_sel = load[34:32], mem_addr = load[31:16]; mem_rdata lands in RD
//   4 INJECT  router input port wdata_i[2:0] (0 local, 1 E, 2 W, 3 N, 4 S) receives the flit load[31:0]
//             with head = wdata_i[3], tail = wdata_i[4] (head flit: [7:0] destination x, [15:8] y)
//   5 CREDIT  credit_in = wdata_i[4:0] for one cycle (the downstream behind output p freed a slot)
//   6 RSEL    rdata_o shows readback byte wdata_i[3:0] from the next cycle on:
//               0..3  the last flit out of the watched router output, 4 {0, from[2:0], tail, head} of it
//               5, 6  RD (the last mem_rdata read) low, high byte
//               7     {flit-left-output flags [4:0], overflow, err_zero, busy}
//               8     {NI dropped a flit, router local_ready, NI FIFO count [2:0], NI state [1:0], the
//                     core's cmd_err: its last command strobe was refused}
//   7 WATCH   watch router output wdata_i[2:0] (0 local, 1 E, 2 W, 3 N, 4 S); clear the five flags
//
// NETWORK INTERFACE (router local output → core). The router's local output has no backpressure, so its
// flits enter a NI_DEPTH-flit FIFO (a flit arriving at a full FIFO is dropped and counted in a sticky
// flag). The NI takes a flit from the FIFO in a cycle without host action while the core is idle, and
// leaves the cycle after a memory write idle (an esum accumulate, sel 3, needs it). Packet = head flit
// (routing only), an NI header flit {kind[31:30], sel[18:16], addr[15:0]}, then body flits by kind:
//   0 MEMWR   every body flit writes its [15:0] at addr, addr+1, ... of memory sel
//   1 CMD     every body flit but the tail is shifted into the load register 32 bits at a time (6 flits,
//             7 with ACTS = 1, fill it, same layout as the host's); the tail flit (its data ignored) issues cmd_valid
//   2 MEMRD   the header issues mem_re at (sel, addr); the word lands in RD
// The NI shares the load register with the host: a host that shifts while a CMD packet arrives mixes them.
//
// PARTS. WITH_CORE = 0 or WITH_ROUTER = 0 leaves that block out, to measure the other one alone (pcgrid
// synth --param WITH_ROUTER=0): without the router, INJECT into port 0 hands the flit straight to the NI
// and the other ports do nothing; without the core, busy/err_zero/cmd_err/mem_rdata are 0.
module pcg_top #(
    parameter int MY_X = 0,  // the router's coordinates (its my_x / my_y inputs)
    parameter int MY_Y = 0,
    parameter int DEPTH = 4,  // router input buffer depth
    parameter int SRAM_WORDS = 16384,
    parameter int SLOTS = 256,
    parameter int XWORDS = 1024,
    parameter int OWORDS = 1024,
    parameter int CTX = 4,
    parameter int NI_DEPTH = 2,  // NI FIFO, flits (a power of two)
    parameter bit SMAX = 1,  // the core's softmax output-error unit (pcg_softmax)
    parameter bit ACTS = 0,  // the core's leaky_relu, tanh and sigmoid (pcg_act; 0: the UP5K tile has no room)
    parameter bit ELEM = 0,  // the core's elementwise slices (cmd_elem/cmd_mul; 0: the UP5K tile has no room)
    parameter bit WITH_CORE = 1,  // 0: no pcg_core (measure the router alone)
    parameter bit WITH_ROUTER = 1  // 0: no pcg_router (measure the core alone)
) (
    input  logic       clk_i,
    input  logic       rst_i,
    input  logic       we_i,
    input  logic [3:0] addr_i,
    input  logic [7:0] wdata_i,
    output logic [7:0] rdata_o,
    output logic       busy_o,
    output logic       err_zero_o,
    output logic       overflow_o,
    output logic       flit_o
);
  localparam int FLIT_BITS = 32;  // the host protocol and the NI assume 32-bit flits
  localparam int LoadBits = ACTS ? 224 : 192;  // ACTS: the leaky slope above the 192 command bits
  localparam int NiA = $clog2(NI_DEPTH);

  // Command layout in the load register: the LSB of each field.
  localparam int CSeed = 0, CLabel = 32, CShift = 48, CAct = 53, CHi = 56, CLo = 72, CObase = 88;
  localparam int CXbase = 104, CSbase = 120, CWbase = 136, CM = 152, CN = 168, CCtx = 184, COp = 186;
  localparam int CFirst = 189, CElem = 190, CMul = 191, CAlpha = 192;

  localparam logic [3:0] AShift = 4'd0, ACmd = 4'd1, AMemWr = 4'd2, AMemRd = 4'd3;
  localparam logic [3:0] AInject = 4'd4, ACredit = 4'd5, ARsel = 4'd6, AWatch = 4'd7;

  // ---- host port, decoded into one register per action at the pins ---------------------------------
  logic rst_q, we_q;
  logic [7:0] wdata_q;
  logic act_shift_q, act_cmd_q, act_memwr_q, act_memrd_q, act_rsel_q, act_watch_q;
  logic [4:0] act_inject_q, act_credit_q;
  always_ff @(posedge clk_i) begin
    rst_q <= rst_i;
    we_q <= we_i;
    wdata_q <= wdata_i;
    act_shift_q <= we_i && addr_i == AShift;
    act_cmd_q <= we_i && addr_i == ACmd;
    act_memwr_q <= we_i && addr_i == AMemWr;
    act_memrd_q <= we_i && addr_i == AMemRd;
    act_rsel_q <= we_i && addr_i == ARsel;
    act_watch_q <= we_i && addr_i == AWatch;
    for (int p = 0; p < 5; p++) act_inject_q[p] <= we_i && addr_i == AInject && wdata_i[2:0] == 3'(p);
    act_credit_q <= (we_i && addr_i == ACredit) ? wdata_i[4:0] : 5'b0;
  end
  logic host_cmd, host_memwr, host_memrd;
  assign host_cmd = act_cmd_q;
  assign host_memwr = act_memwr_q;
  assign host_memrd = act_memrd_q;

  // ---- router -----------------------------------------------------------------------------------------
  logic [4:0] r_in_valid, r_in_head, r_in_tail, r_credit_in;
  logic [5*FLIT_BITS-1:0] r_in_data;
  logic [4:0] r_out_valid, r_out_head, r_out_tail;
  logic [5*FLIT_BITS-1:0] r_out_data;
  logic [14:0] r_out_from;
  logic r_overflow, r_local_ready;
  logic [LoadBits-1:0] load_q;

  // The router's inputs are registered once more (a link register, as in a grid, where link latency is
  // >= 1): an INJECT reaches the router one cycle after its action register. One data register serves
  // the five ports (only one is injected per cycle), so the placer can put it beside the router: driven
  // from the shared load register, the flit crossed the chip and was the tile's critical path (Fmax).
  logic [4:0] in_valid_q;
  logic in_head_q, in_tail_q;
  logic [FLIT_BITS-1:0] in_data_q;
  always_ff @(posedge clk_i) begin
    in_valid_q <= rst_q ? 5'b0 : act_inject_q;
    in_data_q <= load_q[FLIT_BITS-1:0];
    in_head_q <= wdata_q[3];
    in_tail_q <= wdata_q[4];
  end
  assign r_in_valid = in_valid_q;
  assign r_credit_in = act_credit_q;
  assign r_in_head = {5{in_head_q}};
  assign r_in_tail = {5{in_tail_q}};
  assign r_in_data = {5{in_data_q}};

  if (WITH_ROUTER) begin : g_router
    pcg_router #(
        .FLIT_BITS(FLIT_BITS),
        .DEPTH(DEPTH)
    ) u_router (
        .clk(clk_i),
        .rst(rst_q),
        .my_x(8'(MY_X)),
        .my_y(8'(MY_Y)),
        .in_valid(r_in_valid),
        .in_data(r_in_data),
        .in_head(r_in_head),
        .in_tail(r_in_tail),
        .credit_in(r_credit_in),
        .local_ready(r_local_ready),
        .out_valid(r_out_valid),
        .out_data(r_out_data),
        .out_head(r_out_head),
        .out_tail(r_out_tail),
        .out_from(r_out_from),
        .overflow(r_overflow)
    );
  end else begin : g_no_router
    assign r_local_ready = 1'b1;
    assign r_out_valid = {4'b0, r_in_valid[0]};
    assign r_out_data = r_in_data;
    assign r_out_head = r_in_head;
    assign r_out_tail = r_in_tail;
    assign r_out_from = '0;
    assign r_overflow = 1'b0;
  end

  // ---- the router's outputs: registered, as the links of a grid register them ---------------------
  // Every output (valid, from, tail, head, data) is registered first, as the neighbours' link registers
  // (and the local network interface) would. The capture below and the NI FIFO read these registers, so
  // no path runs from the router's grant through its output multiplexers into the wrapper (Fmax).
  logic [4:0] out_v_q;
  logic [39:0] out_q[5];  // {0, from[2:0], tail, head, data[31:0]}; Yosys makes the array registers
  always_ff @(posedge clk_i) begin
    out_v_q <= rst_q ? 5'b0 : r_out_valid;
    for (int p = 0; p < 5; p++)
      out_q[p] <= {3'b0, r_out_from[3*p+:3], r_out_tail[p], r_out_head[p], r_out_data[FLIT_BITS*p+:FLIT_BITS]};
  end

  // ---- the watched output's last flit and a flag per output, for readback ---------------------------
  logic [4:0] watch_q;  // one-hot
  logic [39:0] cap_q;  // {0, from[2:0], tail, head, data[31:0]}
  logic [4:0] cap_v_q;
  // The watched output as an AND-OR over the one-hot watch_q (no priority chain, Fmax).
  logic [39:0] cap_sel;
  always_comb begin
    cap_sel = '0;
    for (int p = 0; p < 5; p++) cap_sel = cap_sel | ({40{watch_q[p]}} & out_q[p]);
  end
  always_ff @(posedge clk_i) begin
    if (|(out_v_q & watch_q)) cap_q <= cap_sel;
    if (rst_q) begin
      watch_q <= 5'b00001;
      cap_v_q <= '0;
    end else if (act_watch_q) begin
      for (int p = 0; p < 5; p++) watch_q[p] <= wdata_q[2:0] == 3'(p);
      cap_v_q <= '0;
    end else begin
      cap_v_q <= cap_v_q | out_v_q;
    end
  end

  // ---- network interface: local output → FIFO → core ------------------------------------------------
  logic core_busy, core_err_zero, core_cmd_err;
  logic [15:0] core_rdata;

  logic [FLIT_BITS+1:0] ni_mem[NI_DEPTH];  // {tail, head, data}
  logic [NiA-1:0] ni_rd_q, ni_wr_q;
  logic [NiA:0] ni_count_q;
  logic ni_drop_q, ni_gap_q;
  logic [FLIT_BITS-1:0] ni_flit;
  logic ni_head, ni_tail;
  assign {ni_tail, ni_head, ni_flit} = ni_mem[ni_rd_q];

  typedef enum logic [1:0] {
    NiIdle,
    NiHeader,
    NiBody
  } ni_state_e;
  ni_state_e ni_state_q;
  logic [1:0] ni_kind_q;
  logic [2:0] ni_sel_q;
  logic [15:0] ni_addr_q;

  // (Continuous assignments: as one always_comb, Icarus 11 loops forever once a flit leaves the router.)
  logic ni_go, ni_push, ni_is_hdr, ni_memwr, ni_memrd, ni_shift, ni_cmd;
  logic core_cmd_q;  // a command on its way to the core (the core's inputs are registered, below)
  assign ni_go = ni_count_q != '0 && !we_q && !core_busy && !core_cmd_q && !ni_gap_q;
  // The router's local output comes from its output register (above): the grant logic does not reach
  // the FIFO's write enable in the same cycle (Fmax).
  logic ni_in_v_q;
  logic [FLIT_BITS+1:0] ni_in_q;  // {tail, head, data}
  assign ni_in_v_q = out_v_q[0];
  assign ni_in_q = out_q[0][FLIT_BITS+1:0];
  assign ni_push = ni_in_v_q && (ni_count_q != (NiA + 1)'(NI_DEPTH) || ni_go);
  assign ni_is_hdr = ni_state_q == NiHeader;
  assign ni_memwr = ni_go && ni_state_q == NiBody && ni_kind_q == 2'd0;
  assign ni_memrd = ni_go && ni_is_hdr && ni_flit[31:30] == 2'd2;
  assign ni_shift = ni_go && ni_state_q == NiBody && ni_kind_q == 2'd1 && !ni_tail;
  assign ni_cmd = ni_go && ni_state_q == NiBody && ni_kind_q == 2'd1 && ni_tail;

  always_ff @(posedge clk_i) begin
    if (ni_push) ni_mem[ni_wr_q] <= ni_in_q;
    if (rst_q) begin
      ni_rd_q <= '0;
      ni_wr_q <= '0;
      ni_count_q <= '0;
      ni_drop_q <= 1'b0;
      ni_gap_q <= 1'b0;
      ni_state_q <= NiIdle;
    end else begin
      if (ni_push) ni_wr_q <= ni_wr_q + 1'b1;
      if (ni_go) ni_rd_q <= ni_rd_q + 1'b1;
      ni_count_q <= ni_count_q + (NiA + 1)'(ni_push) - (NiA + 1)'(ni_go);
      if (ni_in_v_q && !ni_push) ni_drop_q <= 1'b1;
      ni_gap_q <= ni_memwr;
      if (ni_go) begin
        if (ni_tail) ni_state_q <= NiIdle;
        else if (ni_head) ni_state_q <= NiHeader;
        else if (ni_is_hdr) ni_state_q <= NiBody;
        if (ni_is_hdr) begin
          ni_kind_q <= ni_flit[31:30];
          ni_sel_q <= ni_flit[18:16];
          ni_addr_q <= ni_flit[15:0];
        end
        if (ni_memwr) ni_addr_q <= ni_addr_q + 16'd1;
      end
    end
  end

  // ---- load register (host bytes, NI words) ----------------------------------------------------------
  always_ff @(posedge clk_i) begin
    if (act_shift_q) load_q <= {load_q[LoadBits-9:0], wdata_q};
    else if (ni_shift) load_q <= {load_q[LoadBits-33:0], ni_flit};
  end

  // ---- core -------------------------------------------------------------------------------------------
  // The core's command strobe and memory port leave flip-flops (one cycle after the host or NI action):
  // the NI's decision does not reach into the core's memory multiplexers in the same cycle (Fmax).
  // The command fields come from the load register, which cannot change in that cycle.
  logic core_mem_re, core_we_q;
  logic [2:0] core_sel_q;
  logic [15:0] core_addr_q, core_wdata_q;
  always_ff @(posedge clk_i) begin
    core_cmd_q <= !rst_q && (host_cmd || ni_cmd);
    core_mem_re <= !rst_q && (host_memrd || ni_memrd);
    core_we_q <= !rst_q && (host_memwr || ni_memwr);
    core_sel_q <= we_q ? load_q[34:32] : (ni_is_hdr ? ni_flit[18:16] : ni_sel_q);
    core_addr_q <= we_q ? load_q[31:16] : (ni_is_hdr ? ni_flit[15:0] : ni_addr_q);
    core_wdata_q <= we_q ? load_q[15:0] : ni_flit[15:0];
  end

  if (WITH_CORE) begin : g_core
    pcg_core #(
        .SRAM_WORDS(SRAM_WORDS),
        .SLOTS(SLOTS),
        .XWORDS(XWORDS),
        .OWORDS(OWORDS),
        .CTX(CTX),
        .SMAX(SMAX),
        .ACTS(ACTS),
        .ELEM(ELEM)
    ) u_core (
        .clk(clk_i),
        .rst(rst_q),
        .cmd_valid(core_cmd_q),
        .cmd_op(load_q[COp+:3]),
        .cmd_ctx(load_q[CCtx+:2]),
        .cmd_first(load_q[CFirst]),
        .cmd_elem(load_q[CElem]),
        .cmd_mul(load_q[CMul]),
        .cmd_n(load_q[CN+:16]),
        .cmd_m(load_q[CM+:16]),
        .cmd_wbase(load_q[CWbase+:16]),
        .cmd_sbase(load_q[CSbase+:16]),
        .cmd_xbase(load_q[CXbase+:16]),
        .cmd_obase(load_q[CObase+:16]),
        .cmd_lo(load_q[CLo+:16]),
        .cmd_hi(load_q[CHi+:16]),
        .cmd_act(load_q[CAct+:3]),
        .cmd_shift(load_q[CShift+:5]),
        .cmd_label(load_q[CLabel+:16]),
        .cmd_seed(load_q[CSeed+:32]),
        .cmd_alpha(ACTS ? load_q[CAlpha%LoadBits+:15] : 15'd0),
        .busy(core_busy),
        .err_zero(core_err_zero),
        .cmd_err(core_cmd_err),
        .mem_we(core_we_q),
        .mem_re(core_mem_re),
        .mem_sel(core_sel_q),
        .mem_addr(core_addr_q),
        .mem_wdata(core_wdata_q),
        .mem_rdata(core_rdata)
    );
  end else begin : g_no_core
    assign core_busy = 1'b0;
    assign core_err_zero = 1'b0;
    assign core_cmd_err = 1'b0;
    assign core_rdata = '0;
  end

  // mem_rdata is valid the cycle after mem_re (pcg_core: one cycle of read latency).
  logic rd_pend_q;
  logic [15:0] rd_q;
  always_ff @(posedge clk_i) begin
    rd_pend_q <= !rst_q && core_mem_re;
    if (rd_pend_q) rd_q <= core_rdata;
  end

  // ---- readback ---------------------------------------------------------------------------------------
  logic [3:0] rsel_q;
  logic [7:0] rb;
  always_comb begin
    case (rsel_q)
      4'd0: rb = cap_q[7:0];
      4'd1: rb = cap_q[15:8];
      4'd2: rb = cap_q[23:16];
      4'd3: rb = cap_q[31:24];
      4'd4: rb = cap_q[39:32];
      4'd5: rb = rd_q[7:0];
      4'd6: rb = rd_q[15:8];
      4'd7: rb = {cap_v_q, r_overflow, core_err_zero, core_busy};
      4'd8: rb = {ni_drop_q, r_local_ready, 3'(ni_count_q), ni_state_q, core_cmd_err};
      default: rb = 8'h00;
    endcase
  end
  always_ff @(posedge clk_i) begin
    if (rst_q) rsel_q <= '0;
    else if (act_rsel_q) rsel_q <= wdata_q[3:0];
    rdata_o <= rb;
  end

  assign busy_o = core_busy;
  assign err_zero_o = core_err_zero;
  assign overflow_o = r_overflow;
  assign flit_o = |cap_v_q;
endmodule
