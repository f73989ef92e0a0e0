// pcg_router — one 5-port wormhole mesh router of the pcgrid NoC (docs/simulator.md, DESIGN.md §3).
//
// Contract: this module reproduces, cycle for cycle, one router of the C++ mesh model
// (sim/src/grid.cpp, class Mesh, step()) for a fault-free mesh with XY routing. The SystemC harness
// instantiates ONE Verilated model per router and wires the routers together itself: it owns the links
// (link latency), the network-interface queue of the local core, and the credit return path. Therefore:
//
//   * Ports are numbered as in mapper/include/pcgrid/routing.hpp: 0 local, 1 east (x+1), 2 west (x-1),
//     3 north (y-1), 4 south (y+1). Every vector port packs port p at [p*FLIT_BITS +: FLIT_BITS] or bit p.
//   * my_x / my_y are ports (not parameters) so that a single Verilated model serves every router. They
//     must be held constant while flits are buffered (tie them per router): the XY route of a head is
//     computed when it enters its input buffer and stored with it.
//   * Inputs: in_valid[p] pushes a flit {in_tail[p], in_head[p], in_data[p]} into input buffer p at the
//     posedge. The upstream router guarantees (by credits) that ports 1..4 never overflow; the local
//     network interface must only push when local_ready is 1. A push into a full buffer is dropped and
//     sets the sticky `overflow` error flag, which the harness checks.
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
// Arbitration (identical to grid.cpp, evaluated every cycle on registered state):
//   used = 0
//   for out in 0..4 (in this order):
//     if lock[out] valid: pick = lock[out] if that buffer is non-empty, else none
//     else: pick = first in = (rr[out]+k) % 5, k = 0..4, with !used[in], buffer non-empty, front is a
//           head, and route(front) == out
//     grant out <- pick  iff  pick exists, !used[pick], and (out == 0 or credits[out] != 0);
//     a grant sets used[pick].
// Posedge update per granted out: pop the front of input `pick`; lock[out] <= tail ? none : pick;
// if head: rr[out] <= (pick+1) % 5; credits[out] += credit_in[out] - granted[out] (out 1..4).
// Then the pushes of in_valid happen (a pop and a push of the same buffer in one edge both take place).
//
// Decisions beyond grid.cpp (documented for the harness):
//   * The order "pop, then push" defines fullness: a push overflows iff count - popped == DEPTH.
//     An overflowing push is dropped (buffer contents unchanged) and `overflow` latches until reset.
//   * Outputs that are not granted drive out_data/out_head/out_tail/out_from = 0.
//   * rst is synchronous; outputs are not gated by rst (after the first reset edge all buffers are empty,
//     so out_valid is 0 while rst is held).
//   * credit_in[0] is ignored (the local output has no credits, as in grid.cpp). Credit counters are
//     not checked for over/underflow: that would be a harness bug, not a network condition.
//   * Malformed worms (a head entering an input before the previous worm's tail) cannot come out of
//     grid.cpp, but the logic follows the pseudo-code above for them too, including the `used`
//     conflicts between a locked output and another output that only they can cause.
//
// Synthesis: the input buffers are small register files (circular buffers read combinationally at the
// read pointer). Yosys 0.23 synth_ice40, FLIT_BITS 32 / DEPTH 4: about 1600 SB_LUT4 and 910 flip-flops.
// The critical loop is inherent in the contract (registered state -> grants -> pops -> next state in one
// cycle, about 10 LUT levels); nextpnr-ice40 on a UP5K reaches about 25 MHz.
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
  // Widths and helpers
  // ---------------------------------------------------------------------------------------------------
  localparam int EW = FLIT_BITS + 2;                      // buffered flit: {tail, head, data}
  localparam int PW = (DEPTH > 1) ? $clog2(DEPTH) : 1;    // buffer slot index
  localparam int CW = $clog2(DEPTH + 1);                  // occupancy and credit counters (0..DEPTH)
  localparam logic [CW-1:0] FULL = CW'(DEPTH);
  localparam logic [PW-1:0] LAST_SLOT = PW'(DEPTH - 1);

  // (a + 1) % 5 for a in 0..4.
  function automatic logic [2:0] next5(input logic [2:0] a);
    next5 = (a == 3'd4) ? 3'd0 : a + 3'd1;
  endfunction

  // Next slot of a circular buffer of DEPTH slots (DEPTH need not be a power of two).
  function automatic logic [PW-1:0] next_slot(input logic [PW-1:0] a);
    next_slot = (a == LAST_SLOT) ? '0 : a + PW'(1);
  endfunction

  // XY routing (mapper/src/routing.cpp, xy_port) as a one-hot output port: X first, then Y;
  // north is y-1, south is y+1. Plain AND/OR on purpose (see "Arbitration" for why).
  function automatic logic [4:0] route_xy(input logic [7:0] x, input logic [7:0] y,
                                          input logic [7:0] dx, input logic [7:0] dy);
    logic lt_x, gt_x, lt_y, gt_y;
    lt_x = x < dx;
    gt_x = x > dx;
    lt_y = y < dy;
    gt_y = y > dy;
    route_xy[0] = !lt_x && !gt_x && !lt_y && !gt_y;  // local
    route_xy[1] = lt_x;                              // east
    route_xy[2] = gt_x;                              // west
    route_xy[3] = !lt_x && !gt_x && gt_y;            // north
    route_xy[4] = !lt_x && !gt_x && lt_y;            // south
  endfunction

  // Round robin: the first set bit of m at or after position r (cyclically, r in 0..4), one-hot.
  function automatic logic [4:0] rr_pick(input logic [4:0] m, input logic [2:0] r);
    logic [4:0] pick;
    logic       taken;
    rr_pick = '0;
    for (int rv = 0; rv < 5; rv++) begin
      pick  = '0;
      taken = 1'b0;
      for (int k = 0; k < 5; k++) begin
        pick[(rv + k) % 5] = m[(rv + k) % 5] & ~taken;
        taken              = taken | m[(rv + k) % 5];
      end
      rr_pick = rr_pick | (pick & {5{r == 3'(rv)}});
    end
  endfunction

  // ---------------------------------------------------------------------------------------------------
  // Input buffers, one circular buffer per port. Vectors are flattened (port p at [p*N +: N]) rather
  // than multi-dimensional packed arrays: Icarus 11 rejects variable indices into those.
  //
  // The route of a head is computed when it enters the buffer and stored with it, and each buffer keeps
  // a registered copy of its front entry's request (`front_req`), so arbitration starts from flip-flops.
  // This relies on my_x/my_y being constant while flits are buffered (they are tied per router).
  // ---------------------------------------------------------------------------------------------------
  logic [5*FLIT_BITS-1:0] front_data;      // front flit of each buffer (meaningless when empty)
  logic [4:0]             front_head, front_tail;
  logic [4:0]             nonempty;
  logic [24:0]            req;             // req[out*5 + in]: buffer `in` is non-empty, its front is a
                                           // head routed to `out`
  logic [4:0]             used;            // input p sends (is popped) this cycle
  logic [4:0]             full_after_pop;  // buffer p has no room for a push at this edge

  for (genvar p = 0; p < 5; p++) begin : g_buf
    logic [EW-1:0]  mem [0:DEPTH-1];       // {tail, head, data}
    logic [4:0]     route_mem [0:DEPTH-1]; // route of each entry, one-hot (0 unless a head)
    logic [PW-1:0]  rd_ptr, wr_ptr;
    logic [CW-1:0]  count;
    logic           push;
    logic [4:0]     in_route;              // route of the incoming flit, 0 unless it is a head
    logic [EW-1:0]  front;                 // entry at rd_ptr
    logic [4:0]     front_req;             // route of the front entry, 0 when empty (registered copy)

    assign in_route = route_xy(my_x, my_y, in_data[p*FLIT_BITS +: 8], in_data[p*FLIT_BITS + 8 +: 8])
                    & {5{in_head[p]}};
    assign front    = mem[rd_ptr];

    // Pop first, then push: the slot freed by a pop at this edge is usable by a push at the same edge.
    assign full_after_pop[p] = (count == FULL) && !used[p];
    assign push              = in_valid[p] && !full_after_pop[p];
    assign nonempty[p]       = (count != '0);
    assign {front_tail[p], front_head[p]} = front[EW-1 -: 2];
    assign front_data[p*FLIT_BITS +: FLIT_BITS] = front[FLIT_BITS-1:0];
    for (genvar o = 0; o < 5; o++) begin : g_req
      assign req[o*5 + p] = front_req[o];
    end

    always_ff @(posedge clk) begin
      if (rst) begin
        rd_ptr    <= '0;
        wr_ptr    <= '0;
        count     <= '0;
        front_req <= '0;
      end else begin
        if (used[p]) rd_ptr <= next_slot(rd_ptr);
        if (push) begin
          mem[wr_ptr]       <= {in_tail[p], in_head[p], in_data[p*FLIT_BITS +: FLIT_BITS]};
          route_mem[wr_ptr] <= in_route;
          wr_ptr            <= next_slot(wr_ptr);
        end
        // A pop implies count > 0 and a push implies room after the pop: count stays in 0..DEPTH.
        count <= count + CW'(push) - CW'(used[p]);
        // Track the route of the entry that is at the front after this edge: the pushed flit if the
        // buffer is empty after the pop, else the entry behind the popped one, else unchanged.
        if (count == '0 || (count == CW'(1) && used[p])) front_req <= push ? in_route : '0;
        else if (used[p])                               front_req <= route_mem[next_slot(rd_ptr)];
      end
    end
  end

  // (local count - input 0 granted) < DEPTH: the local buffer is not full after this cycle's pop.
  assign local_ready = !full_after_pop[0];

  // ---------------------------------------------------------------------------------------------------
  // Per-output state: wormhole lock, round-robin pointer, credits
  // ---------------------------------------------------------------------------------------------------
  logic [4:0]  lock_valid;  // output o is held by a worm (a non-tail flit went through, tail not yet);
                            // equal to |lock_oh[o], kept as a register so the "free" test is one flop
  logic [24:0] lock_oh;     // lock_oh[o*5 + i]: ... coming from input i (one-hot; 0 when not locked)
  logic [14:0] rr;          // round-robin pointer of output o at [o*3 +: 3], 0..4
  logic [4:0]  has_credit;  // output may send: local always, others when credits != 0

  assign has_credit[0] = 1'b1;
  for (genvar o = 1; o < 5; o++) begin : g_credit
    logic [CW-1:0] credits, credits_next;  // free slots in the downstream input buffer, 0..DEPTH
    logic          nonzero;                // registered credits != 0 (keeps the compare off the grant path)
    assign credits_next  = credits + CW'(credit_in[o]) - CW'(out_valid[o]);
    assign has_credit[o] = nonzero;
    always_ff @(posedge clk) begin
      if (rst) begin
        credits <= FULL;
        nonzero <= 1'b1;
      end else begin
        credits <= credits_next;
        nonzero <= (credits_next != '0);
      end
    end
  end

  // ---------------------------------------------------------------------------------------------------
  // Arbitration (combinational, registered state only), equivalent to the loop in grid.cpp Mesh::step():
  // outputs are visited 0..4 in order and each input sends at most one flit per cycle (`used`).
  //
  // The sequential `used` chain is flattened without changing its result. Input i can be wanted by
  // (a) the one output its front head routes to, if that output is free (not locked), and (b) any locked
  // output whose worm comes from i (only malformed traffic makes these overlap). Hence, for a free
  // output o, a requesting input can only have been taken by an earlier *locked* output with a credit,
  // which is known from registered state; and an input is taken before output o iff some earlier
  // output could claim it (the first claimant wins).
  //
  // Written as AND/OR logic over one-hot vectors: with nested if/else here, yosys' SAT-based `share`
  // pass enumerates mux activation patterns and runs out of memory; one-hot logic is shallower anyway.
  // ---------------------------------------------------------------------------------------------------
  logic [24:0] lock_sel;    // lock_sel[o*5 + i]: output o is locked to input i and has a credit
  logic [24:0] lock_claim;  // ... and buffer i has a flit
  logic [24:0] free_grant;  // free_grant[o*5 + i]: o is free and grants the head at the front of i
  logic [24:0] grant;       // grant[o*5 + i]: at most one bit set per output

  for (genvar o = 0; o < 5; o++) begin : g_claim
    for (genvar i = 0; i < 5; i++) begin : g_in
      assign lock_sel[o*5 + i]   = lock_oh[o*5 + i] && has_credit[o];
      assign lock_claim[o*5 + i] = lock_sel[o*5 + i] && nonempty[i];
    end
  end

  always_comb begin
    logic [4:0] locked_before;  // inputs claimed by locked outputs 0..o-1 (emptiness aside: req has it)
    logic [4:0] taken_before;   // inputs granted to outputs 0..o-1 (`used` of grid.cpp at output o)
    locked_before = '0;
    taken_before  = '0;
    for (int o = 0; o < 5; o++) begin
      free_grant[o*5 +: 5] = rr_pick(req[o*5 +: 5] & ~locked_before, rr[o*3 +: 3])
                           & {5{!lock_valid[o] && has_credit[o]}};
      // free_grant[o] and lock_claim[o] are exclusive; free_grant[o] never hits taken_before (see above).
      grant[o*5 +: 5] = free_grant[o*5 +: 5] | (lock_claim[o*5 +: 5] & ~taken_before);
      locked_before   = locked_before | lock_sel[o*5 +: 5];
      taken_before    = taken_before | lock_claim[o*5 +: 5] | free_grant[o*5 +: 5];
    end
    used = taken_before;
  end

  // One-hot to index, and the output flits: the front of the granted input, zero when not granted.
  logic [14:0] grant_from;  // input granted to output o at [o*3 +: 3] (0 when out_valid[o] == 0)
  always_comb begin
    grant_from = '0;
    out_data   = '0;
    out_head   = '0;
    out_tail   = '0;
    for (int o = 0; o < 5; o++) begin
      for (int i = 0; i < 5; i++) begin
        grant_from[o*3 +: 3] = grant_from[o*3 +: 3] | (3'(i) & {3{grant[o*5 + i]}});
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
  assign out_from = grant_from;

  // ---------------------------------------------------------------------------------------------------
  // Lock / round-robin update and the sticky overflow flag
  // ---------------------------------------------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      lock_valid <= '0;
      lock_oh    <= '0;
      rr         <= '0;
      overflow   <= 1'b0;
    end else begin
      for (int o = 0; o < 5; o++) begin
        if (out_valid[o]) begin
          lock_valid[o]     <= !out_tail[o];   // a tail releases the output
          lock_oh[o*5 +: 5] <= grant[o*5 +: 5] & {5{!out_tail[o]}};
          if (out_head[o]) rr[o*3 +: 3] <= next5(grant_from[o*3 +: 3]);
        end
      end
      if (|(in_valid & full_after_pop)) overflow <= 1'b1;
    end
  end

endmodule
