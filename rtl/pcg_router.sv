// pcg_router — one 5-port wormhole mesh router of the pcgrid NoC (docs/simulator.md, DESIGN.md §3).
//
// Contract: this module reproduces, cycle for cycle, one router of the C++ mesh model
// (sim/src/grid.cpp, class Mesh, step()) for a fault-free mesh with XY routing, for every traffic
// pattern that mesh can produce (see "Assumptions" below). The SystemC harness instantiates ONE
// Verilated model per router and wires the routers together itself: it owns the links (link latency),
// the network-interface queue of the local core, and the credit return path. Therefore:
//
//   * Ports are numbered as in mapper/include/pcgrid/routing.hpp: 0 local, 1 east (x+1), 2 west (x-1),
//     3 north (y-1), 4 south (y+1). Every vector port packs port p at [p*FLIT_BITS +: FLIT_BITS] or bit p.
//   * my_x / my_y are ports (not parameters) so that a single Verilated model serves every router. They
//     must be held constant while flits are buffered (tie them per router): the XY route of a head is
//     computed when it enters its input buffer and stored with it.
//   * Inputs: in_valid[p] pushes a flit {in_tail[p], in_head[p], in_data[p]} into input buffer p at the
//     posedge. The upstream router guarantees (by credits) that ports 1..4 never overflow; the local
//     network interface must only push when local_ready is 1. A push into a full buffer is an error: it
//     sets the sticky `overflow` flag, which the harness checks, and leaves the buffer undefined.
//   * credit_in[o] (o = 1..4): the downstream input buffer behind output o freed one slot this cycle.
//     The downstream never returns more credits than it consumed, so credits[o] stays in 0..DEPTH.
//   * Outputs out_valid/out_data/out_head/out_tail/out_from are this cycle's grants, and local_ready
//     says whether a local push fits. They are combinational functions of registered state only (no
//     input port reaches them), so the harness may sample them before driving the inputs of the same
//     cycle. At the posedge every granted flit is popped from its input buffer, and the harness moves
//     it to the neighbour (or delivers it to the core for output 0).
//
// Head flit layout: data[7:0] = destination x, data[15:8] = destination y. Body/tail data is opaque.
//
// Arbitration (identical to grid.cpp; two-cycle head allocation, docs/simulator.md). Every cycle, on
// registered state:
//   used = 0
//   for out in 0..4 (in this order):
//     if lock[out] valid: pick = lock[out] if that buffer is non-empty, else none
//     else: pick = cand[out] if cand[out] exists and input cand[out] was not popped in the last cycle
//     grant out <- pick  iff  pick exists, !used[pick], and (out == 0 or credits[out] != 0);
//     a grant sets used[pick].
//   for out in 0..4: cand[out] <- first in = (rr[out]+k) % 5, k = 0..4, whose buffer is non-empty with a
//     head at the front and route(front) == out; none if there is no such input   (state before the edge)
// Posedge update per granted out: pop the front of input `pick`; lock[out] <= tail ? none : pick;
// if head: rr[out] <= (pick+1) % 5; credits[out] += credit_in[out] - granted[out] (out 1..4).
// Then the pushes of in_valid happen (a pop and a push of the same buffer in one edge both take place).
// So a head is granted in its second cycle at the front at the earliest. The choice ignores locks: a
// head that waits behind a worm holding its output is granted in the cycle after that worm's tail.
//
// Decisions beyond grid.cpp (documented for the harness):
//   * The order "pop, then push" defines fullness: a push overflows iff count - popped == DEPTH.
//     `overflow` rises one edge after an overflowing push and latches until reset. From that push on, the
//     contents of that buffer are undefined until reset (the write pointer does not look at fullness or
//     at this cycle's grants: Fmax). The grid never overflows a buffer; the harness stops at the flag.
//   * Outputs that are not granted drive out_data/out_head/out_tail/out_from = 0.
//   * rst is synchronous; outputs are not gated by rst (after the first reset edge all buffers are empty,
//     so out_valid is 0 while rst is held).
//   * credit_in[0] is ignored (the local output has no credits, as in grid.cpp). Credit counters are
//     not checked for over/underflow: that would be a harness bug, not a network condition.
//
// Assumptions (traffic the fault-free XY grid never produces; the logic is NOT exact for it):
//   A1 Well-formed worms per input: after a head, the flits entering that input are bodies up to and
//      including a tail before the next head (grid.cpp injects head, bodies, tail, and links and credits
//      keep the order). Consequently an output locked to input i only ever sees bodies at the front of
//      i, a body at the front of i is only wanted by the output locked to i, and every flit of a worm
//      goes where its head went. (The overflow flag is exact for any traffic.)
//   A2 XY-consistent routes: a head entering from the east (input 1) has dx <= my_x, from the west
//      (input 2) dx >= my_x, from the north (input 3) dx == my_x and dy >= my_y, from the south
//      (input 4) dx == my_x and dy <= my_y (the neighbours are XY routers of the same mesh). Hence
//      output 0 (local) is reached from every input, output 1 (east) only from inputs 0 and 2, output 2
//      (west) only from 0 and 1, output 3 (north) from 0, 1, 2, 4, output 4 (south) from 0, 1, 2, 3
//      (IN_TO_OUT). Impossible input/output pairs are removed from the arbiters and the output muxes,
//      and the route of a head entering through inputs 1..4 is computed from the comparisons that XY
//      leaves open (e.g. from the north: local iff dy == my_y, else south). A head breaking this would
//      get a wrong or empty route (and then never leave).
//   A3 No `used` conflicts: with A1 the front of an input is wanted by exactly one output (its route if
//      a head, its locked output if a body), so no input is granted twice and the sequential `used`
//      chain of the pseudo-code never changes the outcome; the outputs arbitrate independently.
//
// Implementation (equivalent to the pseudo-code under A1..A3):
//   * Each input keeps `tg`, the one-hot output its front flit goes to (0 when empty), in a register:
//     a head's route is computed when it is pushed, a body inherits the route of its worm's head.
//     Input buffers are circular buffers of DEPTH + 1 slots (one-hot pointers): one slot is always free,
//     so every incoming flit is written at the write pointer, and the pointer advances, without looking at
//     this cycle's grants. The flits' data bits live in a block RAM per input
//     (pcg_sdp_ram, registered read): each edge it reads the slot that will be the front after the edge
//     (rd, or the next slot after a pop); a flit written into that very slot at that edge (pushed into an
//     empty buffer, or behind a popped last flit) comes instead from `byp`, the input registered at the
//     same edge. Route/head/tail of every slot stay in flip-flops (the slot behind the front is needed
//     combinationally); the front's route/head/tail are registered copies.
//   * Per output, this cycle's grant is a register `gq` (one-hot or 0), computed in the cycle before:
//     the locked input if its buffer is non-empty after the edge, else `hw`, the head chosen in that
//     cycle (cand) if it is not popped at that edge; either only with a credit after the edge. `prio`, a
//     pairwise priority matrix of the inputs that can reach the output, encodes the round-robin order
//     from rr. hw[i] = tg_i[o] & head_i & !popped_i & no input j before i with tg_j[o] & head_j. So the
//     grants, the pops and the output multiplexers' selects come straight from flip-flops (Fmax: a pop
//     used to be three LUT levels of arbitration deep, docs/synthesis.md).
//   * Next state is written as AND/OR of the pops with values computed from registered state, so yosys
//     does not build clock-enable/reset logic behind the grant logic.
//
// Verification: testbenches/router_random.cpp (CTest rtl_router_random_*) against a C++ transcription of
// the pseudo-code above (well-formed worms, XY-consistent routes per input, credits respected, local
// pushes only when local_ready, except in the phases that provoke overflows to check the flag), every
// output every cycle, zero mismatches; and the lockstep tests ([rtl]) inside the SystemC grid.
//
// Synthesis (docs/synthesis.md): Yosys 0.23 synth_ice40 + nextpnr-ice40 0.4, UP5K sg48, FLIT_BITS 32 /
// DEPTH 4, the router alone behind pcg_top's host port (pcgrid synth --param WITH_CORE=0): 1,859 LCs
// (incl. the host port and its output registers), 844 flip-flops, 10 SB_RAM40_4K; 47.3 / 46.7 / 47.7 MHz,
// median 47.3 MHz over 3 seeds (43.4 before the two-cycle head allocation), short of a 48 MHz goal. Its
// longest path: an arriving head's route comparisons -> the route's one-hot -> the input's route
// register; lookahead routing, measured as a prototype, made the tile slower (synthesis.md, 8th session).
// Accepted by Verilator 5.006 (-Wall clean), Icarus Verilog 11 (-g2012) and Yosys 0.23 (read_verilog -sv).
module pcg_router #(
  parameter int FLIT_BITS = 32,   // arch router.flit_bits (>= 16)
  parameter int DEPTH = 4         // arch router.buffer_depth, input buffer depth per port (1..16)
) (
  input  logic                   clk,
  input  logic                   rst,          // synchronous, active high
  input  logic [7:0]             my_x, my_y,   // this router's coordinates
  input  logic [4:0]             in_valid,     // push into input buffer p at this posedge
  input  logic [5*FLIT_BITS-1:0] in_data,      // port p's flit in bits [p*FLIT_BITS +: FLIT_BITS]
  input  logic [4:0]             in_head, in_tail,
  // Bit 0 is ignored by contract (the local output has no credit counter).
  /* verilator lint_off UNUSEDSIGNAL */
  input  logic [4:0]             credit_in,    // downstream behind output p freed one slot (p = 1..4)
  /* verilator lint_on UNUSEDSIGNAL */
  output logic                   local_ready,  // a local flit pushed at this posedge fits
  output logic [4:0]             out_valid,    // this cycle's grants
  output logic [5*FLIT_BITS-1:0] out_data,
  output logic [4:0]             out_head, out_tail,
  output logic [14:0]            out_from,     // 3 bits per output: input port of the granted flit
  output logic                   overflow      // sticky: a push into a full buffer happened
);

  // ---------------------------------------------------------------------------------------------------
  // Widths, constants, helpers
  // ---------------------------------------------------------------------------------------------------
  localparam int NS  = DEPTH + 1;                         // buffer slots (one more than the depth)
  localparam int CW  = $clog2(DEPTH + 1);                 // credit counters, 0..DEPTH
  localparam int SLOT_A = $clog2(NS);                     // data RAM address bits
  localparam int NSP = 1 << SLOT_A;                       // data RAM words (slots NS..NSP-1 unused)

  // Binary index of a one-hot slot pointer.
  function automatic logic [SLOT_A-1:0] onehot_enc(input logic [NS-1:0] h);
    onehot_enc = '0;
    for (int s = 0; s < NS; s++) onehot_enc = onehot_enc | (SLOT_A'(s) & {SLOT_A{h[s]}});
  endfunction

  // XY reachability: IN_TO_OUT[o*5 + i] = 1 iff a worm entering through input i can leave through output o.
  //   out 0 (local): every input;         out 1 (east):  local, west;    out 2 (west): local, east;
  //   out 3 (north): local, east, west, south;                          out 4 (south): local, east, west, north.
  localparam logic [24:0] IN_TO_OUT = {5'b01111, 5'b10111, 5'b00011, 5'b00101, 5'b11111};

  // XY routing (mapper/src/routing.cpp, xy_port) as a one-hot output port: X first, then Y;
  // north is y-1, south is y+1.
  // Every bit is one comparison or the AND of two (the equalities are separate comparisons), so an
  // arriving head's route reaches the route registers through one LUT after the comparisons (Fmax).
  function automatic logic [4:0] route_xy(input logic [7:0] x, input logic [7:0] y,
                                          input logic [7:0] dx, input logic [7:0] dy);
    logic eq_x, lt_x, gt_x, eq_y, lt_y, gt_y;
    eq_x = x == dx;
    lt_x = x < dx;
    gt_x = x > dx;
    eq_y = y == dy;
    lt_y = y < dy;
    gt_y = y > dy;
    route_xy[0] = eq_x && eq_y;  // local
    route_xy[1] = lt_x;          // east
    route_xy[2] = gt_x;          // west
    route_xy[3] = eq_x && gt_y;  // north
    route_xy[4] = eq_x && lt_y;  // south
  endfunction

  // The XY route of a head entering through input p, knowing where XY lets it come from: from the east
  // (p = 1) dx <= x, from the west (p = 2) dx >= x, from the north (p = 3) dx == x and dy >= y, from the
  // south (p = 4) dx == x and dy <= y. Only the local input (p = 0) needs the full comparison.
  function automatic logic [4:0] route_in(input int p, input logic [7:0] x, input logic [7:0] y,
                                          input logic [7:0] dx, input logic [7:0] dy);
    logic eq_x, eq_y;
    eq_x = x == dx;
    eq_y = y == dy;
    case (p)
      0:       route_in = route_xy(x, y, dx, dy);
      1:       route_in = {eq_x && y < dy, eq_x && y > dy, !eq_x, 1'b0, eq_x && eq_y};
      2:       route_in = {eq_x && y < dy, eq_x && y > dy, 1'b0, !eq_x, eq_x && eq_y};
      3:       route_in = {!eq_y, 3'b000, eq_y};
      default: route_in = {1'b0, !eq_y, 2'b00, eq_y};
    endcase
  endfunction

  // Round-robin order starting at input s: PRIO(s)[j*5 + i] = 1 iff input j comes before input i.
  function automatic logic [24:0] prio_from(input int s);
    prio_from = '0;
    for (int j = 0; j < 5; j++)
      for (int i = 0; i < 5; i++)
        prio_from[j*5 + i] = ((j - s + 5) % 5) < ((i - s + 5) % 5);
  endfunction
  // prio_tab[k]: the order after a grant to input k (from k + 1), constants. Assigned here and not called
  // inside the always_comb below: Icarus 11.0 makes a called function's variables part of an always_comb
  // block's sensitivity (see pcg_core.sv, xacc_sum), and the five outputs' blocks would wake each other.
  /* verilator coverage_off */  // constants: no toggle coverage to earn
  logic [5*25-1:0] prio_tab;
  for (genvar k = 0; k < 5; k++) begin : g_prio_tab
    assign prio_tab[k*25 +: 25] = prio_from((k + 1) % 5);
  end
  /* verilator coverage_on */

  // ---------------------------------------------------------------------------------------------------
  // Input buffers
  // ---------------------------------------------------------------------------------------------------
  logic [5*FLIT_BITS-1:0] front_data;
  logic [4:0]             front_head, front_tail;
  logic [24:0]            req;            // req[o*5 + i]: buffer i is non-empty and its front goes to o
  logic [4:0]             used;           // input p is popped this cycle
  logic [4:0]             full;           // buffer p holds DEPTH flits (registered state)
  logic [4:0]             ne_n;           // buffer p is non-empty after this edge

  for (genvar p = 0; p < 5; p++) begin : g_buf
    localparam int CW7 = 7;               // control part of a slot: {route (5), tail, head}
    logic [NS*CW7-1:0] ctl;               // control bits of the DEPTH + 1 slots (flip-flops)
    logic [NS-1:0]  rd, wr;               // one-hot read (front) and write slots
    logic [DEPTH:0] occ;                  // occupancy, thermometer: occ[k] = more than k flits (occ[DEPTH] = 0)
    logic [4:0]     tg;                   // output of the front flit, one-hot; 0 when empty (registered)
    logic           fhead, ftail;         // head / tail bit of the front flit (registered)
    logic [4:0]     last_tg;              // output of the worm being received through this input
    logic [4:0]     in_tg;                // output of the incoming flit
    logic [FLIT_BITS-1:0] fdata;
    logic [4:0]     sec_tg;               // output of the flit behind the front
    logic [1:0]     sec_ht;
    logic           pop, acc;
    logic [NS-1:0]  rd1;                  // slot behind the front

    assign pop    = used[p];
    assign acc    = in_valid[p];  // a push into a full buffer is an error (overflow), not a drop
    assign rd1    = {rd[NS-2:0], rd[NS-1]};
    logic [4:0]     in_route;             // XY route of the incoming flit if it is a head
    assign in_route = route_in(p, my_x, my_y, in_data[p*FLIT_BITS +: 8], in_data[p*FLIT_BITS + 8 +: 8]);
    assign in_tg  = in_head[p] ? in_route : last_tg;

    // Route/head/tail of the entry behind the front, read through the one-hot pointer.
    always_comb begin
      sec_tg  = '0;
      sec_ht  = '0;
      for (int s = 0; s < NS; s++) begin
        sec_ht = sec_ht | (ctl[s*CW7 +: 2] & {2{rd1[s]}});
        sec_tg = sec_tg | (ctl[s*CW7 + 2 +: 5] & {5{rd1[s]}});
      end
    end

    // Every incoming flit is written into the free slot wr and wr advances (neither looks at this cycle's
    // grants; with a correct upstream the slot is free).
    always_ff @(posedge clk) begin
      for (int s = 0; s < NS; s++)
        if (in_valid[p] && wr[s]) ctl[s*CW7 +: CW7] <= {in_tg, in_tail[p], in_head[p]};
    end

    // Flit data in a block RAM (one SB_RAM40_4K per 16 bits on the iCE40) with a registered read: the RAM
    // reads the slot that is the front after this edge (rd, or rd1 after a pop). When that slot is written
    // at this same edge (a flit pushed into an empty buffer, or behind a popped last flit), the RAM's
    // read-during-write result is not used: the front comes from `byp`, the flit registered at the pins.
    // The RAM addresses are binary copies of the pointers (rdb = rd, rd1b = rd1, wrb = wr), so the pop
    // reaches the read address through one multiplexer (Fmax). The write slot is the front iff the
    // buffer is empty, the slot behind it iff it holds exactly one flit.
    logic [SLOT_A-1:0] ra, rdb, rd1b, wrb;
    logic [FLIT_BITS-1:0] q, byp;
    logic bsel;
    assign ra = pop ? rd1b : rdb;
    pcg_sdp_ram #(FLIT_BITS, NSP) u_data (clk, in_valid[p], wrb, in_data[p*FLIT_BITS +: FLIT_BITS], ra, q);
    always_ff @(posedge clk) begin
      byp  <= in_data[p*FLIT_BITS +: FLIT_BITS];
      bsel <= in_valid[p] && (pop ? occ[0] && !occ[1] : !occ[0]);
    end
    always_ff @(posedge clk) begin
      if (rst) begin
        rdb  <= onehot_enc(NS'(1));
        rd1b <= onehot_enc(NS'(2));
        wrb  <= onehot_enc(NS'(1));
      end else begin
        if (pop) rdb <= rd1b;
        if (pop) rd1b <= onehot_enc({rd1[NS-2:0], rd1[NS-1]});
        if (acc) wrb <= onehot_enc({wr[NS-2:0], wr[NS-1]});
      end
    end
    assign fdata = bsel ? byp : q;

    // Next state as plain AND/OR of this cycle's pop with values computed from registered state only
    // (no if/else holds: yosys would turn those into deep clock-enable and reset logic).
    logic [NS-1:0]  rd_n, wr_n;
    logic [DEPTH:0] occ_n, occ_keep, occ_pop;
    logic [4:0]     tg_n;
    logic           fhead_n, ftail_n, fhead_keep, ftail_keep, fhead_pop, ftail_pop, push_nf;
    assign push_nf  = in_valid[p] && !full[p];
    // without a pop: the count grows on a push that fits; the front stays, or the pushed flit becomes it
    assign occ_keep = push_nf ? {occ[DEPTH-1:0], 1'b1} : occ;
    assign fhead_keep = occ[0] ? fhead : in_head[p];
    assign ftail_keep = occ[0] ? ftail : in_tail[p];
    // with a pop: a push always fits; the entry behind the front, else the pushed flit, becomes the front
    assign occ_pop  = in_valid[p] ? occ : occ >> 1;
    assign fhead_pop = occ[1] ? sec_ht[0] : in_head[p];
    assign ftail_pop = occ[1] ? sec_ht[1] : in_tail[p];
    assign rd_n     = ({NS{pop}} & rd1) | ({NS{!pop}} & rd);
    assign wr_n     = ({NS{acc}} & {wr[NS-2:0], wr[NS-1]}) | ({NS{!acc}} & wr);
    assign occ_n    = ({(DEPTH+1){pop}} & occ_pop) | ({(DEPTH+1){!pop}} & occ_keep);
    // tg_n: the output of the new front — the entry behind the front after a pop, the front without one,
    // the pushed flit if the buffer is empty after the pop (0 if nothing is pushed then). Written so that
    // the route comparisons of an arriving head pass one AND-OR only (Fmax).
    logic sel_in;
    assign sel_in   = pop ? !occ[1] : !occ[0];
    assign tg_n     = ({5{sel_in && in_valid[p] && in_head[p]}} & in_route)
                    | ({5{sel_in && in_valid[p] && !in_head[p]}} & last_tg)
                    | ({5{!sel_in}} & (pop ? sec_tg : tg));
    assign fhead_n  = (pop && fhead_pop) || (!pop && fhead_keep);
    assign ftail_n  = (pop && ftail_pop) || (!pop && ftail_keep);

    always_ff @(posedge clk) begin
      if (rst) begin
        rd      <= NS'(1);
        wr      <= NS'(1);
        occ     <= '0;
        tg      <= '0;
        fhead   <= 1'b0;
        ftail   <= 1'b0;
        last_tg <= '0;
      end else begin
        rd    <= rd_n;
        wr    <= wr_n;
        occ   <= occ_n;
        tg    <= tg_n;
        fhead <= fhead_n;
        ftail <= ftail_n;
        if (in_valid[p] && in_head[p]) last_tg <= in_tg;
      end
    end
    assign full[p] = occ[DEPTH-1];
    assign ne_n[p] = occ_n[0];

    assign front_data[p*FLIT_BITS +: FLIT_BITS] = fdata;
    assign front_head[p] = fhead;
    assign front_tail[p] = ftail;
    for (genvar o = 0; o < 5; o++) begin : g_req
      assign req[o*5 + p] = tg[o];
    end
  end

  assign local_ready = !full[0] || used[0];

  // ---------------------------------------------------------------------------------------------------
  // Outputs: this cycle's grants are registers (gq), computed in the cycle before from registered state,
  // this edge's pops (from gq) and pushes, and credits
  // ---------------------------------------------------------------------------------------------------
  logic [24:0] grant;     // grant[o*5 + i]

  for (genvar o = 0; o < 5; o++) begin : g_out
    localparam logic [4:0] S = IN_TO_OUT[o*5 +: 5];
    /* verilator lint_off UNUSEDSIGNAL */  // bits of inputs that cannot reach output o
    logic [4:0]  gq, gq_n;   // this cycle's grant (one-hot or 0), the next cycle's
    logic [4:0]  hw;         // the head chosen this cycle for the next (cand in grid.cpp)
    logic [4:0]  lkin, lkin_n;  // the locked input (one-hot) while lk
    /* verilator lint_on UNUSEDSIGNAL */
    logic        lk, lk_n;   // locked to a worm
    logic        cr_n;       // has a credit after this edge
    logic        valid, tail_g, head_g;
    logic [24:0] prio, prio_n, prio_next;  // prio[j*5 + i]: j before i in round-robin order from rr

    // hw[i]: input i's front is a head routed to o, no input before it in round-robin order has one, and
    // i is not popped at this edge (then the head is still the front next cycle)
    for (genvar i = 0; i < 5; i++) begin : g_in
      if (S[i]) begin : g_can
        logic win;
        always_comb begin
          win = 1'b1;
          // prio is antisymmetric: only its entries j < i are read (the others are optimised away)
          for (int j = 0; j < 5; j++)
            if (j != i && S[j])
              win = win && !(req[o*5 + j] && front_head[j] && (j < i ? prio[j*5 + i] : !prio[i*5 + j]));
        end
        assign hw[i] = req[o*5 + i] && front_head[i] && win && !used[i];
      end else begin : g_cannot
        assign hw[i] = 1'b0;
      end
    end
    // gq is already 0 outside S (gq_n is masked with S). The masks with S below are redundant, but without
    // them Yosys builds a different netlist (4,489 vs 4,463 LCs for the tile) that places slower: kept.
    assign grant[o*5 +: 5] = gq & S;
    assign valid  = |(gq & S);
    assign tail_g = |(gq & S & front_tail);
    assign head_g = |(gq & S & front_head);
    assign lk_n   = valid ? !tail_g : lk;
    assign lkin_n = valid ? gq : lkin;
    // next cycle: the locked input if it has a flit, else the head chosen now; either needs a credit
    assign gq_n   = {5{cr_n}} & S & (({5{lk_n}} & lkin_n & ne_n) | ({5{!lk_n}} & hw));
    always_comb begin
      prio_next = '0;
      for (int k = 0; k < 5; k++) prio_next = prio_next | ({25{gq[k] && S[k]}} & prio_tab[k*25 +: 25]);
    end
`ifdef PCG_MUTATE_RR
    assign prio_n = prio;  // mutant for the scoreboard's own check (docs/rtl.md): the round-robin order never moves
`else
    assign prio_n = head_g ? prio_next : prio;  // rr <= granted input + 1 on a head
`endif
    always_ff @(posedge clk) begin
      if (rst) begin
        gq   <= '0;
        lk   <= 1'b0;
        lkin <= '0;
        prio <= prio_from(0);
      end else begin
        gq   <= gq_n;
        lk   <= lk_n;
        lkin <= lkin_n;
        prio <= prio_n;
      end
    end

    if (o == 0) begin : g_local
      assign cr_n = 1'b1;
    end else begin : g_credit
      logic [CW-1:0] credits;
      logic          nonzero;
      // credits + credit_in - valid != 0 (credits >= 1 when valid)
      assign cr_n = credit_in[o] || (valid && credits != CW'(1)) || (!valid && nonzero);
      always_ff @(posedge clk) begin
        if (rst) begin
          credits <= CW'(DEPTH);
          nonzero <= 1'b1;
        end else begin
          credits <= credits + CW'(credit_in[o]) - CW'(valid);
          nonzero <= cr_n;
        end
      end
    end
  end

  always_comb begin
    used = '0;
    for (int o = 0; o < 5; o++) used = used | grant[o*5 +: 5];
  end

  always_comb begin
    out_from = '0;
    out_data = '0;
    out_head = '0;
    out_tail = '0;
    for (int o = 0; o < 5; o++) begin
      for (int i = 0; i < 5; i++) begin
        out_from[o*3 +: 3] = out_from[o*3 +: 3] | (3'(i) & {3{grant[o*5 + i]}});
        out_data[o*FLIT_BITS +: FLIT_BITS] = out_data[o*FLIT_BITS +: FLIT_BITS]
                                           | (front_data[i*FLIT_BITS +: FLIT_BITS] & {FLIT_BITS{grant[o*5 + i]}});
        out_head[o] = out_head[o] | (front_head[i] & grant[o*5 + i]);
        out_tail[o] = out_tail[o] | (front_tail[i] & grant[o*5 + i]);
      end
    end
  end
  for (genvar o = 0; o < 5; o++) begin : g_valid
    assign out_valid[o] = |grant[o*5 +: 5];
  end

  // The flag rises one edge after the overflowing push: its inputs are registered first, so the grants do
  // not reach it in the same cycle (Fmax). It is an error flag: the harness stops at the first one.
  logic [4:0] ovf_try, ovf_pop;  // last cycle's pushes into full buffers, and its pops
  always_ff @(posedge clk) begin
    if (rst) begin
      overflow <= 1'b0;
      ovf_try  <= '0;
      ovf_pop  <= '0;
    end else begin
      ovf_try  <= in_valid & full;
      ovf_pop  <= used;
      overflow <= overflow || |(ovf_try & ~ovf_pop);
    end
  end

endmodule
