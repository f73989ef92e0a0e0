// pcg_router — one 5-port wormhole mesh router of the pcgrid NoC (docs/simulator.md, DESIGN.md §3).
//
// Contract: this module reproduces, cycle for cycle, one router of the C++ mesh model
// (sim/src/grid.cpp, class Mesh, step()) for a fault-free mesh with XY routing. The SystemC harness
// instantiates ONE Verilated model per router and wires the routers together itself: it owns the links
// (link latency), the network-interface queue of the local core, and the credit return path. Therefore:
//
//   * Ports are numbered as in mapper/include/pcgrid/routing.hpp: 0 local, 1 east (x+1), 2 west (x-1),
//     3 north (y-1), 4 south (y+1). Every vector port packs port p at [p*FLIT_BITS +: FLIT_BITS] or bit p.
//   * my_x / my_y are ports (not parameters) so that a single Verilated model serves every router.
//   * Inputs: in_valid[p] pushes a flit {in_tail[p], in_head[p], in_data[p]} into input buffer p at the
//     posedge. The upstream router guarantees (by credits) that ports 1..4 never overflow; the local
//     network interface must only push when local_ready is 1. A push into a full buffer is dropped and
//     sets the sticky `overflow` error flag, which the harness checks.
//   * credit_in[o] (o = 1..4): the downstream input buffer behind output o freed one slot this cycle.
//     The downstream never returns more credits than it consumed, so credits[o] stays in 0..DEPTH.
//   * Outputs out_valid/out_data/out_head/out_tail/out_from are this cycle's grants. They are a
//     combinational function of registered state (and of my_x/my_y, which are constant per router);
//     they do not depend on in_valid/in_data/credit_in, so the harness may sample them before driving
//     the inputs of the same cycle. At the posedge every granted flit is popped from its input buffer,
//     and the harness moves it to the neighbour (or delivers it to the core for output 0).
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
//   * credit_in[0] is ignored (the local output has no credits, as in grid.cpp).
//
// Synthesis: input buffers are small register files (circular buffers), read combinationally at the
// read pointer; DEPTH 4 / FLIT_BITS 32 fits comfortably on an iCE40 UP5K (see docs for measured numbers).
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
  // Widths and constants
  // ---------------------------------------------------------------------------------------------------
  localparam int FW = FLIT_BITS + 2;                      // stored flit: {tail, head, data}
  localparam int PW = (DEPTH > 1) ? $clog2(DEPTH) : 1;    // buffer slot index
  localparam int CW = $clog2(DEPTH + 1);                  // occupancy and credit counters (0..DEPTH)
  localparam logic [CW-1:0] FULL = CW'(DEPTH);
  localparam logic [PW-1:0] LAST_SLOT = PW'(DEPTH - 1);

  localparam logic [2:0] P_LOCAL = 3'd0;
  localparam logic [2:0] P_EAST  = 3'd1;
  localparam logic [2:0] P_WEST  = 3'd2;
  localparam logic [2:0] P_NORTH = 3'd3;
  localparam logic [2:0] P_SOUTH = 3'd4;

  // (a + 1) % 5 for a in 0..4.
  function automatic logic [2:0] next5(input logic [2:0] a);
    next5 = (a == 3'd4) ? 3'd0 : a + 3'd1;
  endfunction

  // Next slot of a circular buffer of DEPTH slots (DEPTH need not be a power of two).
  function automatic logic [PW-1:0] next_slot(input logic [PW-1:0] a);
    next_slot = (a == LAST_SLOT) ? '0 : a + PW'(1);
  endfunction

  // XY routing (mapper/src/routing.cpp, xy_port): X first, then Y; north is y-1, south is y+1.
  function automatic logic [2:0] route_xy(input logic [7:0] x, input logic [7:0] y,
                                          input logic [7:0] dx, input logic [7:0] dy);
    if (x < dx)      route_xy = P_EAST;
    else if (x > dx) route_xy = P_WEST;
    else if (y < dy) route_xy = P_SOUTH;
    else if (y > dy) route_xy = P_NORTH;
    else             route_xy = P_LOCAL;
  endfunction

  // ---------------------------------------------------------------------------------------------------
  // Input buffers (one per port). Vectors below are flattened (port p at [p*N +: N]) rather than
  // multi-dimensional packed arrays: Icarus 11 rejects variable indices into those.
  // ---------------------------------------------------------------------------------------------------
  logic [5*FLIT_BITS-1:0] front_data;      // front flit of each buffer (meaningless when empty)
  logic [4:0]             front_head, front_tail;
  logic [4:0]             nonempty;
  logic [4:0]             used;            // input p sends (is popped) this cycle
  logic [4:0]             full_after_pop;  // buffer p has no room for a push at this edge

  for (genvar p = 0; p < 5; p++) begin : g_buf
    logic [FW-1:0]  mem [0:DEPTH-1];       // {tail, head, data}
    logic [PW-1:0]  rd_ptr, wr_ptr;
    logic [CW-1:0]  count;
    logic           push;

    // Pop first, then push: the slot freed by a pop at this edge is usable by a push at the same edge.
    assign full_after_pop[p] = (count == FULL) && !used[p];
    assign push              = in_valid[p] && !full_after_pop[p];
    assign nonempty[p]       = (count != '0);
    assign {front_tail[p], front_head[p], front_data[p*FLIT_BITS +: FLIT_BITS]} = mem[rd_ptr];

    always_ff @(posedge clk) begin
      if (rst) begin
        rd_ptr <= '0;
        wr_ptr <= '0;
        count  <= '0;
      end else begin
        if (used[p]) rd_ptr <= next_slot(rd_ptr);
        if (push) begin
          mem[wr_ptr] <= {in_tail[p], in_head[p], in_data[p*FLIT_BITS +: FLIT_BITS]};
          wr_ptr      <= next_slot(wr_ptr);
        end
        // A pop implies count > 0 and a push implies room after the pop: count stays in 0..DEPTH.
        count <= count + CW'(push) - CW'(used[p]);
      end
    end
  end

  // (local count - input 0 granted) < DEPTH: the local buffer is not full after this cycle's pop.
  assign local_ready = !full_after_pop[0];

  // ---------------------------------------------------------------------------------------------------
  // Per-output state: wormhole lock, round-robin pointer, credits
  // ---------------------------------------------------------------------------------------------------
  logic [4:0]  lock_valid;  // output o is held by the worm coming from input lock_in[o*3 +: 3]
  logic [14:0] lock_in;
  logic [14:0] rr;          // round-robin pointer of output o at [o*3 +: 3], 0..4
  logic [4:0]  has_credit;  // output may send: local always, others when credits != 0

  assign has_credit[0] = 1'b1;
  for (genvar o = 1; o < 5; o++) begin : g_credit
    logic [CW-1:0] credits;  // free slots in the downstream input buffer, 0..DEPTH
    assign has_credit[o] = (credits != '0);
    always_ff @(posedge clk) begin
      if (rst) credits <= FULL;
      else     credits <= credits + CW'(credit_in[o]) - CW'(out_valid[o]);
    end
  end

  // ---------------------------------------------------------------------------------------------------
  // Arbitration (combinational, registered state only). Outputs are visited 0..4 in order and each input
  // sends at most one flit per cycle (`used`), exactly as the loop in grid.cpp Mesh::step().
  // ---------------------------------------------------------------------------------------------------
  logic [24:0] req;         // req[out*5 + in]: buffer `in` is non-empty, its front is a head routed to `out`
  logic [24:0] grant;       // grant[out*5 + in]: one-hot (or zero) per output
  logic [14:0] grant_from;  // input granted to output o at [o*3 +: 3] (0 when out_valid[o] == 0)

  for (genvar i = 0; i < 5; i++) begin : g_route
    logic [2:0] head_route;  // route of buffer i's front flit, if it is a head
    assign head_route = route_xy(my_x, my_y, front_data[i*FLIT_BITS +: 8], front_data[i*FLIT_BITS + 8 +: 8]);
    for (genvar o = 0; o < 5; o++) begin : g_req
      assign req[o*5 + i] = nonempty[i] && front_head[i] && (head_route == 3'(o));
    end
  end

  // Index 0..4 to one-hot (a decoder rather than a shift: yosys' SAT-based `share` pass chokes on shifts).
  function automatic logic [4:0] onehot5(input logic [2:0] a);
    for (int i = 0; i < 5; i++) onehot5[i] = (a == 3'(i));
  endfunction

  // Round robin: the first set bit of m at or after position r (cyclically, r in 0..4), one-hot.
  function automatic logic [4:0] rr_pick(input logic [4:0] m, input logic [2:0] r);
    logic found;
    rr_pick = '0;
    for (int rv = 0; rv < 5; rv++) begin
      if (r == 3'(rv)) begin
        found = 1'b0;
        for (int k = 0; k < 5; k++) begin
          if (!found && m[(rv + k) % 5]) begin
            rr_pick[(rv + k) % 5] = 1'b1;
            found = 1'b1;
          end
        end
      end
    end
  endfunction

  // Outputs in order 0..4; `used` holds the inputs granted to lower-numbered outputs. Equivalent to the
  // grid.cpp loop: a locked output takes its worm's input if it has a flit and no earlier output took it;
  // a free output takes the first unused requesting head in round-robin order; either needs a credit.
  always_comb begin
    logic [4:0] sel;
    used  = '0;
    grant = '0;
    for (int o = 0; o < 5; o++) begin
      if (lock_valid[o]) sel = onehot5(lock_in[o*3 +: 3]) & nonempty & ~used;
      else               sel = rr_pick(req[o*5 +: 5] & ~used, rr[o*3 +: 3]);
      if (has_credit[o]) begin
        grant[o*5 +: 5] = sel;
        used            = used | sel;
      end
    end
  end

  // One-hot to index, and the output flits: the front of the granted input, zero when not granted.
  always_comb begin
    out_valid  = '0;
    grant_from = '0;
    out_data   = '0;
    out_head   = '0;
    out_tail   = '0;
    for (int o = 0; o < 5; o++) begin
      out_valid[o] = |grant[o*5 +: 5];
      for (int i = 0; i < 5; i++) begin
        if (grant[o*5 + i]) begin
          grant_from[o*3 +: 3]               = grant_from[o*3 +: 3] | 3'(i);
          out_data[o*FLIT_BITS +: FLIT_BITS] = out_data[o*FLIT_BITS +: FLIT_BITS] | front_data[i*FLIT_BITS +: FLIT_BITS];
          out_head[o]                        = out_head[o] | front_head[i];
          out_tail[o]                        = out_tail[o] | front_tail[i];
        end
      end
    end
  end
  assign out_from = grant_from;

  // ---------------------------------------------------------------------------------------------------
  // Lock / round-robin update and the sticky overflow flag
  // ---------------------------------------------------------------------------------------------------
  always_ff @(posedge clk) begin
    if (rst) begin
      lock_valid <= '0;
      lock_in    <= '0;
      rr         <= '0;
      overflow   <= 1'b0;
    end else begin
      for (int o = 0; o < 5; o++) begin
        if (out_valid[o]) begin
          lock_valid[o]      <= !out_tail[o];   // a tail releases the output
          lock_in[o*3 +: 3]  <= grant_from[o*3 +: 3];
          if (out_head[o]) rr[o*3 +: 3] <= next5(grant_from[o*3 +: 3]);
        end
      end
      if (|(in_valid & full_after_pop)) overflow <= 1'b1;
    end
  end

endmodule
