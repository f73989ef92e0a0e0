// Randomized self-checking testbench for the mesh router RTL (rtl/pcg_router.sv); CTest rtl_router_random_*.
//
// Checks the Verilated pcg_router (FLIT_BITS / DEPTH as CMakeLists.txt Verilates it) cycle for cycle
// against `Ref`, a C++ transcription of the arbitration of the SystemC mesh router (sim/src/grid.cpp,
// class Mesh, step(); the pseudo-code in the header of rtl/pcg_router.sv). Every cycle, before and after
// driving that cycle's inputs (the outputs must depend on registered state only):
//   out_valid, out_data, out_head, out_tail, out_from of the five outputs, local_ready and overflow;
//   an output without a grant must drive data/head/tail/from = 0.
// Stimulus: phases of 5000 cycles, each starting with a reset, new coordinates (uniform or on the 0/255
// edges) and a downstream credit-return rate (5, 40, 90 or 100 % per cycle); a random load per cycle;
// worms of 1..5 flits per input; head destinations spread over the five routes plus uniform ones; the
// upstream of inputs 1..4 obeys its credits (returned 1..4 cycles after the pop), the local network
// interface obeys local_ready; junk data/head/tail on idle inputs and on credit_in[0] (ignored).
// Every fourth phase the local network interface ignores local_ready: after a push into a full local
// buffer, `overflow` must be 0 before and 1 one edge later; the buffer is undefined from then on, so the
// router and the reference are reset and the phase goes on. In the other phases flow control is obeyed
// and an overflow is a failure.
// Limits: only traffic the contract allows (assumptions A1-A3 of rtl/pcg_router.sv: well-formed worms,
// XY-consistent arrivals, hence no `used` conflicts). One router in isolation: links, latency and the interplay of
// routers are the lockstep harness's business (testbenches/lockstep.cpp).
//
// pcgrid_router_random_gates is the same testbench on Yosys's iCE40 UP5K netlist of the router (the build's
// generated/pcg_router_gates.v over Yosys's cell models; PCGRID_NETLIST builds).
//
// The model's registers power up random (Verilator's randReset(2), from SEED); the first phase resets it.
//
// Usage: pcgrid_router_random[_gates] [CYCLES [SEED]]   (defaults 200000, 1)
// Prints the first mismatches and one summary line; exits 0 iff there was no mismatch.
#ifdef PCGRID_ROUTER_GATES
#include <Vpcg_router_gates.h>
using RouterModel = Vpcg_router_gates;
constexpr const char* kModel = "netlist";
#else
#include <Vpcg_router_tb.h>
using RouterModel = Vpcg_router_tb;
constexpr const char* kModel = "RTL";
#endif
#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <random>
#include <string>

#ifndef PCGRID_RTL_FLIT_BITS
#define PCGRID_RTL_FLIT_BITS 32
#endif
#ifndef PCGRID_RTL_DEPTH
#define PCGRID_RTL_DEPTH 4
#endif

namespace {

constexpr int kFlitBits = PCGRID_RTL_FLIT_BITS, kDepth = PCGRID_RTL_DEPTH;
static_assert(kFlitBits >= 16 && kFlitBits <= 64, "heads carry dx, dy in data[15:0]; data is kept in 64 bits");
constexpr int kWords = (5 * kFlitBits + 31) / 32;
constexpr int kPhase = 5000;  // cycles per phase (reset, coordinates, credit-return rate)
constexpr int kMaxReported = 20;

struct Flit {
  uint64_t data = 0;
  bool head = false, tail = false;
};

// The arbitration of grid.cpp Mesh::step() for one router (ports 0 local, 1 east, 2 west, 3 north, 4 south).
struct Ref {
  std::deque<Flit> in[5];
  int lock[5], rr[5], credits[5];
  int cand[5];      // the head chosen for each output in the last cycle (-1: none)
  unsigned popped;  // inputs popped in the last cycle
  bool overflow;
  bool overflow_pending;  // a push overflowed at the last edge: the RTL flag rises one edge later

  void reset() {
    for (int p = 0; p < 5; ++p) {
      in[p].clear();
      lock[p] = -1;
      rr[p] = 0;
      credits[p] = kDepth;
      cand[p] = -1;
    }
    popped = 0;
    overflow = false;
    overflow_pending = false;
  }
  static int route(int x, int y, uint64_t d) {
    const int dx = int(d & 0xff), dy = int((d >> 8) & 0xff);
    if (x < dx) return 1;
    if (x > dx) return 2;
    if (y < dy) return 4;
    if (y > dy) return 3;
    return 0;
  }
  // This cycle's grants: from[out] = granted input or -1.
  void arb(int from[5]) const {
    int used = 0;
    for (int out = 0; out < 5; ++out) {
      from[out] = -1;
      int pick = -1;
      if (lock[out] >= 0) {
        pick = lock[out];
        if (in[pick].empty()) pick = -1;
      } else if (cand[out] >= 0 && !(popped >> cand[out] & 1)) {
        pick = cand[out];  // chosen in the last cycle, still the front (two-cycle head allocation)
      }
      if (pick < 0 || (used >> pick & 1)) continue;
      if (out != 0 && credits[out] == 0) continue;
      used |= 1 << pick;
      from[out] = pick;
    }
  }
  // Posedge: this cycle's choice of a head per output (on the state before the edge), pops of the grants,
  // credit updates, then the pushes.
  void clock(int x, int y, const bool valid[5], const Flit f[5], const bool cin[5]) {
    int from[5];
    arb(from);
    for (int out = 0; out < 5; ++out) {
      cand[out] = -1;
      for (int k = 0; k < 5; ++k) {
        const int i = (rr[out] + k) % 5;
        if (in[i].empty() || !in[i].front().head || route(x, y, in[i].front().data) != out) continue;
        cand[out] = i;
        break;
      }
    }
    popped = 0;
    for (int o = 0; o < 5; ++o)
      if (from[o] >= 0) popped |= 1u << from[o];
    for (int o = 0; o < 5; ++o) {
      if (from[o] >= 0) {
        const Flit g = in[from[o]].front();
        in[from[o]].pop_front();
        lock[o] = g.tail ? -1 : from[o];
        if (g.head) rr[o] = (from[o] + 1) % 5;
      }
      if (o) credits[o] += int(cin[o]) - int(from[o] >= 0);
    }
    overflow = overflow || overflow_pending;
    overflow_pending = false;
    for (int p = 0; p < 5; ++p) {
      if (!valid[p]) continue;
      if (int(in[p].size()) >= kDepth)
        overflow_pending = true;
      else
        in[p].push_back(f[p]);
    }
  }
};

uint64_t getbits(const uint32_t* w, int lo, int n) {
  uint64_t v = 0;
  for (int b = 0; b < n; ++b) v |= uint64_t((w[(lo + b) / 32] >> ((lo + b) % 32)) & 1) << b;
  return v;
}
void setbits(uint32_t* w, int lo, int n, uint64_t v) {
  for (int b = 0; b < n; ++b) {
    const uint32_t m = 1u << ((lo + b) % 32);
    if (v >> b & 1)
      w[(lo + b) / 32] |= m;
    else
      w[(lo + b) / 32] &= ~m;
  }
}

// Everything the router drives, to check that the cycle's inputs do not reach the outputs.
struct Outputs {
  uint32_t valid, head, tail, from, local_ready, overflow;
  uint32_t data[kWords];
  bool operator==(const Outputs& o) const {
    for (int i = 0; i < kWords; ++i)
      if (data[i] != o.data[i]) return false;
    return valid == o.valid && head == o.head && tail == o.tail && from == o.from && local_ready == o.local_ready &&
           overflow == o.overflow;
  }
};
Outputs sample(const RouterModel& top) {
  Outputs s{top.out_valid, top.out_head, top.out_tail, top.out_from, top.local_ready, top.overflow, {}};
  for (int i = 0; i < kWords; ++i) s.data[i] = top.out_data[i];
  return s;
}

bool parse(const char* s, unsigned long long max, unsigned long long& v) {
  char* end = nullptr;
  v = std::strtoull(s, &end, 10);
  return *s >= '0' && *s <= '9' && *end == '\0' && v <= max;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long long cycles = 200000, seed = 1;
  if (argc > 3 || (argc > 1 && !parse(argv[1], 1ull << 40, cycles)) || (argc > 2 && !parse(argv[2], ~0ull, seed))) {
    std::fprintf(stderr, "usage: %s [CYCLES [SEED]]   (defaults 200000, 1)\n", argv[0]);
    return 2;
  }
  std::mt19937_64 rng(seed);
  auto rnd = [&](int n) { return int(rng() % uint64_t(n)); };
  auto chance = [&](int pct) { return rnd(100) < pct; };
  const uint64_t dmask = kFlitBits == 64 ? ~0ull : ((1ull << kFlitBits) - 1);

  // Every register (the RTL's; the netlist's block RAM contents and flip-flops start at 0 as the iCE40 configures
  // them) random at power-up, from the run's seed: the router must rely on its reset alone.
  Verilated::randReset(2);
  Verilated::randSeed(int(seed & 0x7fffffff));
  RouterModel top;
  Ref ref;
  long long mismatches = 0, grants = 0, heads = 0, blocked_credit = 0, overflow_pushes = 0, dropped = 0;
  long long grant_per_out[5] = {};
  auto report = [&](unsigned long long cyc, const std::string& what, long long rtl, long long expected) {
    if (++mismatches <= kMaxReported)
      std::printf("MISMATCH cycle %llu: %s rtl=%lld ref=%lld\n", cyc, what.c_str(), rtl, expected);
  };

  // Testbench side of the links.
  int up_credit[5];               // free slots the upstream of input p believes it has (p = 1..4)
  std::deque<int> pend_up[5];     // credits on their way back to the upstream of input p (cycles left)
  int ds_owed[5];                 // flits the downstream of output o consumed and has not credited back yet
  int worm_left[5];               // flits of the current worm still to send on input p
  int x = 5, y = 5, cr_pct = 40;  // coordinates and downstream credit-return probability of the phase
  bool ovf_phase = false;         // the local input ignores local_ready in this phase
  bool ovf_check = false;         // a push overflowed at the last edge: check the flag, then reset

  auto posedge = [&]() {  // one clock edge with the inputs as driven
    top.clk = 1;
    top.eval();
    top.clk = 0;
    top.eval();
  };
  auto idle_edge = [&]() {  // one clock edge with no push and no credit
    top.in_valid = 0;
    top.credit_in = 0;
    top.eval();
    posedge();
  };
  auto do_reset = [&]() {
    top.rst = 1;
    idle_edge();
    top.rst = 0;
    ref.reset();
    for (int p = 0; p < 5; ++p) {
      up_credit[p] = kDepth;
      pend_up[p].clear();
      ds_owed[p] = 0;
      worm_left[p] = 0;
    }
  };

  for (unsigned long long c = 0; c < cycles; ++c) {
    if (c % kPhase == 0) {
      auto coord = [&]() { return rnd(4) == 0 ? (rnd(2) ? 0 : 255) : rnd(256); };
      x = coord();
      y = coord();
      const int rates[4] = {5, 40, 90, 100};
      cr_pct = rates[rnd(4)];
      top.my_x = x;
      top.my_y = y;
      ovf_phase = c / kPhase % 4 == 3;
      ovf_check = false;
      do_reset();
    }
    const int load = 20 + rnd(80);  // per-input push probability this cycle (%)
    if (ovf_check) {                // the state after an overflowing push is undefined: only the flag is checked
      top.eval();                   // right after the overflowing edge: not yet; one (idle) edge later: set
      if (top.overflow) report(c, "overflow right after the overflowing push", top.overflow, 0);
      idle_edge();
      if (!top.overflow) report(c, "overflow one edge after the overflowing push", top.overflow, 1);
      ovf_check = false;
      do_reset();
      continue;
    }

    // --- this cycle's outputs (registered state only) against the reference, before driving the inputs
    top.eval();
    int from[5];
    ref.arb(from);
    for (int o = 0; o < 5; ++o) {
      const std::string port = "[" + std::to_string(o) + "]";
      const bool v = top.out_valid >> o & 1;
      if (v != (from[o] >= 0)) report(c, "out_valid" + port, v, from[o] >= 0);
      const uint64_t d = getbits(top.out_data.data(), o * kFlitBits, kFlitBits);
      const int fr = int(top.out_from >> (3 * o) & 7);
      const bool h = top.out_head >> o & 1, t = top.out_tail >> o & 1;
      if (from[o] >= 0) {
        const Flit& f = ref.in[from[o]].front();
        if (d != f.data) report(c, "out_data" + port, (long long)d, (long long)f.data);
        if (h != f.head) report(c, "out_head" + port, h, f.head);
        if (t != f.tail) report(c, "out_tail" + port, t, f.tail);
        if (fr != from[o]) report(c, "out_from" + port, fr, from[o]);
        ++grants;
        ++grant_per_out[o];
        heads += f.head;
      } else {
        if (d || h || t || fr) report(c, "idle output not zero" + port, (long long)d | h | t | fr, 0);
        if (o && ref.credits[o] == 0) ++blocked_credit;
      }
    }
    const Outputs before = sample(top);
    const bool popped0 = from[0] == 0 || from[1] == 0 || from[2] == 0 || from[3] == 0 || from[4] == 0;
    const bool ref_ready = int(ref.in[0].size()) - popped0 < kDepth;
    if (bool(top.local_ready) != ref_ready) report(c, "local_ready", top.local_ready, ref_ready);
    if (bool(top.overflow) != ref.overflow) report(c, "overflow", top.overflow, ref.overflow);

    // --- drive the inputs of this edge
    bool valid[5] = {}, cin[5] = {};
    Flit f[5];
    uint32_t words[kWords] = {};
    for (int p = 0; p < 5; ++p) {
      // credits returned for input p reach its upstream after a delay
      for (int& dl : pend_up[p]) --dl;
      while (!pend_up[p].empty() && pend_up[p].front() <= 0) {
        ++up_credit[p];
        pend_up[p].pop_front();
      }
      const bool can = p == 0 ? ref_ready || ovf_phase : up_credit[p] > 0;
      if (can && chance(load)) {
        valid[p] = true;
        if (p) --up_credit[p];
        uint64_t data = rng() & dmask;
        const bool head = worm_left[p] == 0;  // A1: well-formed worms of 1..5 flits
        if (head) worm_left[p] = 1 + rnd(5);
        const bool tail = --worm_left[p] == 0;
        if (head) {  // destinations: each of the five routes about equally often, plus uniform ones
          int dx, dy;
          switch (rnd(6)) {
            case 0: dx = x, dy = y; break;
            case 1: dx = x + 1 + rnd(3), dy = y + rnd(5) - 2; break;
            case 2: dx = x - 1 - rnd(3), dy = y + rnd(5) - 2; break;
            case 3: dx = x, dy = y - 1 - rnd(3); break;
            case 4: dx = x, dy = y + 1 + rnd(3); break;
            default: dx = rnd(256), dy = rnd(256); break;
          }
          dx = dx < 0 ? 0 : dx > 255 ? 255 : dx;
          dy = dy < 0 ? 0 : dy > 255 ? 255 : dy;
          // A2: XY-consistent arrivals (mirror a destination the neighbour would not have sent this way)
          if (p == 1 && dx > x) dx = x - (dx - x) < 0 ? 0 : x - (dx - x);
          if (p == 2 && dx < x) dx = x + (x - dx) > 255 ? 255 : x + (x - dx);
          if (p == 3) {
            dx = x;
            if (dy < y) dy = y;
          }
          if (p == 4) {
            dx = x;
            if (dy > y) dy = y;
          }
          data = (data & ~0xffffull) | uint64_t(dx) | uint64_t(dy) << 8;
        }
        f[p] = {data, head, tail};
        setbits(words, p * kFlitBits, kFlitBits, data);
      }
      // the downstream of output p returns credits for flits it consumed
      if (p && ds_owed[p] > 0 && chance(cr_pct)) {
        cin[p] = true;
        --ds_owed[p];
      }
    }
    cin[0] = chance(50);  // must be ignored
    // The pops of this edge return a credit to the upstream of that input.
    for (int o = 0; o < 5; ++o)
      if (from[o] > 0) pend_up[from[o]].push_back(1 + rnd(4));
    for (int o = 1; o < 5; ++o)
      if (from[o] >= 0) ++ds_owed[o];

    top.in_valid = 0;
    top.in_head = 0;
    top.in_tail = 0;
    top.credit_in = 0;
    for (int p = 0; p < 5; ++p) {
      top.in_valid |= valid[p] << p;
      top.in_head |= (valid[p] ? f[p].head : bool(rnd(2))) << p;  // junk when not valid
      top.in_tail |= (valid[p] ? f[p].tail : bool(rnd(2))) << p;
      if (!valid[p]) setbits(words, p * kFlitBits, kFlitBits, rng() & dmask);
      top.credit_in |= cin[p] << p;
    }
    for (int i = 0; i < kWords; ++i) top.in_data[i] = words[i];
    top.eval();
    if (!(sample(top) == before)) report(c, "outputs depend on same-cycle inputs", 1, 0);
    posedge();
    for (int p = 0; p < 5; ++p) {  // generator self-check: flow control kept every push in bounds
      if (!valid[p]) continue;
      const bool popped = from[0] == p || from[1] == p || from[2] == p || from[3] == p || from[4] == p;
      if (int(ref.in[p].size()) - int(popped) < kDepth) continue;
      if (p == 0 && ovf_phase) {  // deliberate
        ++dropped;
        ovf_check = true;
      } else {
        ++overflow_pushes;
      }
    }
    ref.clock(x, y, valid, f, cin);
  }
  top.final();
  // A run long enough to reach an overflow phase must have provoked drops there.
  const bool pass = mismatches == 0 && overflow_pushes == 0 && (cycles <= 3ull * kPhase || dropped > 0);
  std::printf(
      "router_random %s: %s FLIT_BITS=%d DEPTH=%d seed=%llu cycles=%llu grants=%lld (per output %lld %lld %lld %lld "
      "%lld) heads=%lld credit-blocked=%lld overflow-pushes=%lld overflowing-local-pushes=%lld mismatches=%lld\n",
      pass ? "PASS" : "FAIL", kModel, kFlitBits, kDepth, seed, cycles, grants, grant_per_out[0], grant_per_out[1],
      grant_per_out[2], grant_per_out[3], grant_per_out[4], heads, blocked_credit, overflow_pushes, dropped,
      mismatches);
  return pass ? 0 : 1;
}
