// Cycle-level SystemC grid (docs/simulator.md).
//
// Modules:
//   Mesh    — every router of the grid: 5 input ports (local, E, W, N, S) with buffers of `buffer_depth`
//             flits, wormhole switching, round-robin output arbitration, credit-based flow control, XY or
//             table routing from the mapping, `link_latency` cycles per link. One SC_THREAD steps the routers
//             that hold flits, one cycle at a time, and sleeps while the network is empty.
//   Slice   — one SC_THREAD per slice, on its core: waits for the messages its phase needs (the tags in the
//             headers say which sample, phase and relaxation step they belong to), takes the core's MAC
//             lanes (one sc_mutex per core: slices of one core share them), computes with SliceKernel,
//             holds the lanes for the phase's cycles (kernel.hpp timing) and sends its messages.
//   Host    — the host-interface tile at the host router: injects pixels and labels as messages, collects
//             output predictions.
// There is no global barrier: a slice knows from the plan which messages it must receive before each
// phase. Idle cores have no process activity; time jumps from event to event. 1 cycle = 1 ns of SystemC
// time.
#include "pcgrid/engine.hpp"
#include "pcgrid/lockstep.hpp"

#include <fmt/format.h>
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <tuple>

namespace pcgrid {

namespace {

using sc_core::sc_event;
using sc_core::sc_module_name;
using sc_core::SC_NS;
using sc_core::sc_time;

enum class MsgKind : uint8_t { Pred, Target, Err, Output };

struct Message {
  MsgKind kind = MsgKind::Pred;
  int src = kHost, dst = kHost;  // slices (or kHost)
  int64_t sample = 0;
  int step = 0;
  bool train = true;
  int label = 0;
  std::vector<int16_t> payload;
  int src_core = 0, dst_core = 0;
  int64_t flits = 0;
  bool damaged = false;  // a flit was dropped or the worm was truncated: the receiver discards it
};
using MsgPtr = std::shared_ptr<Message>;

struct Flit {
  MsgPtr msg;
  bool head = false, tail = false;
  int dst_core = 0;
  uint32_t data = 0;  // the flit's bits, filled only when RTL routers are in lockstep (flit_bits = 32)
};

// The bits of flit k of a message (RTL lockstep, flit_bits = 32): the head carries the destination
// (x in bits 7:0, y in 15:8) and a tag of the message in 31:16; body flits carry two payload words each,
// the lower word first.
uint32_t flit_bits32(const Message& m, int64_t k, Coord dst) {
  if (k == 0) {
    const uint32_t tag =
        uint32_t(m.src + 1) * 2654435761u ^ uint32_t(m.kind) << 8 ^ uint32_t(m.step) ^ uint32_t(m.sample) * 40503u;
    return uint32_t(dst.x & 0xff) | uint32_t(dst.y & 0xff) << 8 | (tag & 0xffff) << 16;
  }
  uint32_t d = 0;
  for (int w = 0; w < 2; ++w) {
    const size_t i = size_t(k - 1) * 2 + size_t(w);
    if (i < m.payload.size()) d |= uint32_t(uint16_t(m.payload[i])) << (16 * w);
  }
  return d;
}

// Minimal VCD writer for one core and its router over a cycle window.
class Vcd {
 public:
  Vcd(const std::string& path, int64_t from, int64_t to) : f_(path), from_(from), to_(to) {
    if (!f_) throw SimError(fmt::format("{}: cannot write VCD file", path));
  }
  int add(const std::string& name, int bits) {
    vars_.push_back({name, bits, -1});
    return int(vars_.size()) - 1;
  }
  void header() {
    f_ << "$timescale 1 ns $end\n$scope module pcgrid $end\n";
    for (size_t k = 0; k < vars_.size(); ++k)
      f_ << "$var wire " << vars_[k].bits << " " << id(int(k)) << " " << vars_[k].name << " $end\n";
    f_ << "$upscope $end\n$enddefinitions $end\n";
    for (size_t k = 0; k < vars_.size(); ++k) set(int(k), 0, from_);  // initial values at the window start
  }
  void set(int var, int64_t value, int64_t cycle) {
    if (cycle >= to_) return;
    cycle = std::max(cycle, from_);  // a value set before the window holds at its start
    if (vars_[size_t(var)].last == value) return;
    if (cycle != cur_) {
      f_ << "#" << cycle << "\n";
      cur_ = cycle;
    }
    vars_[size_t(var)].last = value;
    const int bits = vars_[size_t(var)].bits;
    if (bits == 1) {
      f_ << (value ? '1' : '0') << id(var) << "\n";
    } else {
      std::string b;
      for (int k = bits - 1; k >= 0; --k) b += ((uint64_t(value) >> k) & 1) ? '1' : '0';
      f_ << "b" << b << " " << id(var) << "\n";
    }
  }

 private:
  static std::string id(int k) { return std::string(1, char('!' + k % 90)) + (k >= 90 ? std::to_string(k / 90) : ""); }
  struct Var {
    std::string name;
    int bits;
    int64_t last;
  };
  std::ofstream f_;
  int64_t from_, to_, cur_ = -1;
  std::vector<Var> vars_;
};

// What the grid asks the engine about faults (implemented by the cycle engine below).
class FaultView {
 public:
  virtual ~FaultView() = default;
  virtual bool silent(int receiver, int peer) const = 0;  // known to be gone (configuration from the host)
  virtual bool gone(int slice) const = 0;                 // dead or idle
  virtual bool corrupt(int src, int dst, int64_t sample, int step, int kind, std::vector<int16_t>& p) = 0;
  virtual FaultStats& fstats() = 0;
  virtual const Routing& routing() const = 0;
};

// ---- the mesh of routers ------------------------------------------------------------------------------
class Mesh : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Mesh);
  Mesh(sc_module_name n, const Mapping& m, SimStats& st, FaultView& fv, int64_t watchdog,
       std::function<void(const MsgPtr&)> deliver)
      : sc_module(n), a_(m.arch), st_(st), fv_(fv), watchdog_(watchdog), deliver_(std::move(deliver)) {
    routers_.resize(size_t(a_.cores()));
    dead_.assign(size_t(a_.cores()), 0);
    link_dead_.assign(size_t(a_.cores()) * 4, 0);
    for (const Coord& c : a_.dead_routers) dead_[size_t(a_.id(c))] = 1;
    for (auto& r : routers_)
      for (auto& c : r.credits) c = a_.buffer_depth;
    SC_THREAD(run);
  }
  // A message enters at its source router's local port (queued in the network interface).
  void inject(const MsgPtr& msg) {
    Router& r = routers_[size_t(msg->src_core)];
    if (dead_[size_t(msg->src_core)]) {  // no router to send through
      fv_.fstats().lost_flits += msg->flits;
      return;
    }
    const Coord dst = a_.at(msg->dst_core);
    for (int64_t k = 0; k < msg->flits; ++k)
      r.inject.push_back({msg, k == 0, k == msg->flits - 1, msg->dst_core, rtl_ ? flit_bits32(*msg, k, dst) : 0});
    r.load += msg->flits;
    in_flight_ += msg->flits;
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
  // A router dies now (a fault at a cycle): everything in it is lost; neighbours treat their ports towards
  // it as sinks and truncate worms that were coming from it.
  void kill_router(int id) {
    if (dead_[size_t(id)]) return;
    dead_[size_t(id)] = 1;
    Router& r = routers_[size_t(id)];
    int64_t lost = int64_t(r.inject.size());
    for (int p = 0; p < 5; ++p) lost += int64_t(r.in[p].size() + r.arriving[p].size());
    r = Router{};
    fv_.fstats().lost_flits += lost;
    in_flight_ -= lost;
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
  void kill_link(Coord u, Coord v) {
    for (int k = 0; k < 2; ++k) {
      const int p = v.x > u.x ? kEast : v.x < u.x ? kWest : v.y < u.y ? kNorth : kSouth;
      link_dead_[size_t(a_.id(u)) * 4 + size_t(p - 1)] = 1;
      Router& d = routers_[size_t(a_.id(v))];  // flits on the wire are lost
      const int64_t lost = int64_t(d.arriving[opposite(p)].size());
      d.arriving[opposite(p)].clear();
      d.load -= lost;
      in_flight_ -= lost;
      fv_.fstats().lost_flits += lost;
      std::swap(u, v);
    }
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
  void set_lockstep(Lockstep* l) { rtl_ = l; }
  void attach_vcd(Vcd* v, int core) {
    vcd_ = v;
    vcd_core_ = core;
    for (int p = 0; p < 5; ++p) vcd_buf_[p] = v->add(fmt::format("router_in_{}_occupancy", port_name(p)), 8);
    vcd_fwd_ = v->add("router_flits_forwarded", 32);
  }

 private:
  struct Router {
    std::deque<Flit> in[5];                            // input buffers
    std::deque<std::pair<int64_t, Flit>> arriving[5];  // on the link: (arrival cycle, flit)
    std::deque<Flit> inject;                           // network interface queue of the local core/host
    int lock[6] = {-1, -1, -1, -1, -1, -1};            // output port (5 = sink) → input holding it (wormhole)
    int rr[6] = {0, 0, 0, 0, 0, 0};                    // round-robin pointer per output
    int credits[5] = {0, 0, 0, 0, 0};                  // free slots in the downstream input buffer
    int64_t load = 0;                                  // flits anywhere in this router
    int64_t forwarded = 0;
    MsgPtr open[5];               // worm entered through this input, tail not yet
    unsigned credit_pending = 0;  // RTL lockstep: credits returned since the last clock edge (bit per port)
    // Two-cycle head allocation (docs/simulator.md): cand[out] is the head chosen for `out` in cycle
    // cand_cycle (-1: none), popped has a bit per input popped in that cycle. Both count only in the cycle
    // after it: a router skipped in a cycle (it held no flit) chose nothing and popped nothing then.
    int cand[6] = {-1, -1, -1, -1, -1, -1};
    unsigned popped = 0;
    int64_t cand_cycle = -2;
  };
  // Is the neighbour through `port` gone (dead router or dead link)?
  bool port_dead(int id, int port) const {
    if (port == kLocal) return false;
    const Coord n = pcgrid::step(a_.at(id), port);
    return !a_.inside(n) || dead_[size_t(a_.id(n))] || link_dead_[size_t(id) * 4 + size_t(port - 1)];
  }
  static int opposite(int p) { return p == kEast ? kWest : p == kWest ? kEast : p == kNorth ? kSouth : kNorth; }

  void run() {
    int64_t idle = 0;
    for (;;) {
      if (in_flight_ == 0) {
        idle = 0;
        sc_core::wait(wake_);
      }
      const int64_t now = int64_t(sc_core::sc_time_stamp().value() / 1000);  // ps → ns = cycles
      idle = step(now) ? 0 : idle + 1;
      if (idle > watchdog_) purge_all();  // nothing moved for longer than any live transfer can take
      sc_core::wait(1, SC_NS);
    }
  }
  // Watchdog: flits stuck behind faults are dropped so the network always drains.
  void purge_all() {
    for (auto& r : routers_) {
      int64_t lost = int64_t(r.inject.size());
      for (int p = 0; p < 5; ++p) lost += int64_t(r.in[p].size() + r.arriving[p].size());
      fv_.fstats().lost_flits += lost;
      for (int p = 0; p < 5; ++p) {
        r.in[p].clear();
        r.arriving[p].clear();
        r.lock[p] = -1;
        r.lock[5] = -1;
        r.open[p].reset();
        r.credits[p] = a_.buffer_depth;
      }
      for (int& c : r.cand) c = -1;
      r.popped = 0;
      r.inject.clear();
      r.load = 0;
    }
    in_flight_ = 0;
  }

  bool step(int64_t now) {
    const int n = a_.cores();
    struct Move {
      int r, in, out;
    };
    std::vector<Move> moves;
    for (int id = 0; id < n; ++id) {
      Router& r = routers_[size_t(id)];
      const bool rtl = rtl_ && rtl_->router_on_rtl(id);  // the Verilated router is clocked every mesh cycle
      if ((r.load == 0 && !rtl) || dead_[size_t(id)]) continue;
      pushes_.clear();
      for (int p = 0; p < 5; ++p) {
        while (!r.arriving[p].empty() && r.arriving[p].front().first <= now) {
          Flit& f = r.arriving[p].front().second;
          if (f.head) r.open[p] = f.msg;
          if (f.tail) r.open[p].reset();
          if (rtl) pushes_.push_back({p, f.data, f.head, f.tail});
          r.in[p].push_back(std::move(f));
          r.arriving[p].pop_front();
        }
        // A worm whose upstream died will never get its tail: close it with a truncating tail flit, so the
        // locks along its path are released and the receiver discards the message.
        if (r.open[p] && port_dead(id, p) && r.arriving[p].empty()) {
          r.open[p]->damaged = true;
          Flit t;
          t.msg = r.open[p];
          t.tail = true;
          t.dst_core = t.msg->dst_core;
          r.in[p].push_back(std::move(t));
          r.open[p].reset();
          ++r.load;
          ++in_flight_;
        }
      }
      const bool offer = !r.inject.empty();
      bool injected = false;
      if (offer && int(r.in[kLocal].size()) < a_.buffer_depth) {
        const Flit& f = r.inject.front();
        if (rtl) pushes_.push_back({kLocal, f.data, f.head, f.tail});
        r.in[kLocal].push_back(std::move(r.inject.front()));
        r.inject.pop_front();
        injected = true;
      }
      if (rtl) {
        rtl_->router_edge(id, pushes_, r.credit_pending, offer, injected, now);
        r.credit_pending = 0;
      }
      const size_t first_move = moves.size();
      const Coord here = a_.at(id);
      // Two-cycle head allocation: a free output takes the head chosen for it in the last cycle, if that
      // head was not popped then (so it is still the front of its buffer); a locked output takes its worm's
      // next flit. Then this cycle's choice for every output: the first input in round-robin order whose
      // front is a head routed there (a head thus competes from its second cycle at the front).
      const bool chosen = r.cand_cycle == now - 1;  // the last cycle's choice exists
      int used_in = 0;                              // an input buffer sends at most one flit per cycle
      for (int out = 0; out < 6; ++out) {           // 0..4 ports, 5 = sink for flits without a route
        int pick = -1;
        if (r.lock[out] >= 0) {
          pick = r.lock[out];
          if (r.in[pick].empty()) pick = -1;
        } else {
          pick = chosen ? r.cand[out] : -1;
          if (pick >= 0 && (((r.popped >> pick) & 1) || r.in[pick].empty() || !r.in[pick].front().head))
            pick = -1;  // a guard: faults that empty buffers (purge_all, kill_router) reset the choice too
        }
        if (pick < 0 || ((used_in >> pick) & 1)) continue;
        if (out != kLocal && out != kNoRoutePort && !port_dead(id, out) && r.credits[out] == 0) continue;
        used_in |= 1 << pick;
        moves.push_back({id, pick, out});
      }
      int head_route[5];  // output of the head at each input's front, -1: empty or a body there
      bool heads = false;
      for (int in = 0; in < 5; ++in) {
        head_route[in] = -1;
        if (r.in[in].empty() || !r.in[in].front().head) continue;
        head_route[in] = route(here, r.in[in].front().dst_core);
        heads = true;
      }
      for (int out = 0; out < 6; ++out) {
        r.cand[out] = -1;
        for (int k = 0; heads && k < 5; ++k) {
          const int in = (r.rr[out] + k) % 5;
          if (head_route[in] == out) {
            r.cand[out] = in;
            break;
          }
        }
      }
      r.cand_cycle = now;
      r.popped = 0;  // set by this cycle's moves below
      if (rtl) {     // the RTL's grants replace the model's (after the scoreboard compared them)
        std::vector<RtlGrant> model;
        for (size_t k = first_move; k < moves.size(); ++k) {
          const Flit& f = r.in[moves[k].in].front();
          model.push_back({moves[k].out, moves[k].in, f.data, f.head, f.tail});
        }
        const std::vector<RtlGrant> g = rtl_->router_grants(id, model, now);
        moves.resize(first_move);
        for (const RtlGrant& x : g) moves.push_back({id, x.in, x.out});
      }
    }
    for (const Move& mv : moves) {
      Router& r = routers_[size_t(mv.r)];
      Flit f = std::move(r.in[mv.in].front());
      r.in[mv.in].pop_front();
      r.popped |= 1u << mv.in;
      --r.load;
      ++r.forwarded;
      if (mv.in != kLocal && !port_dead(mv.r, mv.in)) {  // a slot freed: credit back upstream (next cycle)
        const Coord up = step_coord(a_.at(mv.r), mv.in);
        Router& u = routers_[size_t(a_.id(up))];
        ++u.credits[opposite(mv.in)];
        u.credit_pending |= 1u << opposite(mv.in);
      }
      r.lock[mv.out] = f.tail ? -1 : mv.in;
      if (f.head) r.rr[mv.out] = (mv.in + 1) % 5;
      if (mv.out == kLocal) {
        --in_flight_;
        if (f.tail) deliver_(f.msg);
        continue;
      }
      if (mv.out == kNoRoutePort || port_dead(mv.r, mv.out)) {  // into a dead part of the chip: lost
        --in_flight_;
        ++fv_.fstats().lost_flits;
        if (f.tail) f.msg->damaged = true;
        continue;
      }
      --r.credits[mv.out];
      const Coord dn = step_coord(a_.at(mv.r), mv.out);
      Router& d = routers_[size_t(a_.id(dn))];
      ++st_.flit_hops;
      ++st_.link_flits[size_t(mv.r) * 4 + size_t(mv.out - 1)];
      d.arriving[opposite(mv.out)].push_back({now + a_.link_latency, std::move(f)});
      ++d.load;
    }
    if (vcd_) {
      const Router& r = routers_[size_t(vcd_core_)];
      for (int p = 0; p < 5; ++p) vcd_->set(vcd_buf_[p], int64_t(r.in[p].size()), now);
      vcd_->set(vcd_fwd_, r.forwarded, now);
    }
    return !moves.empty();
  }
  static Coord step_coord(Coord c, int port) { return pcgrid::step(c, port); }
  // Output port towards dst_core; kNoRoutePort (a sink) when the tables have no route (faults).
  static constexpr int kNoRoutePort = 5;
  int route(Coord here, int dst_core) const {
    const Coord d = a_.at(dst_core);
    if (here == d) return kLocal;
    const int p = fv_.routing().port(here, d);
    return p < kEast || p > kSouth ? kNoRoutePort : p;
  }

  const Arch& a_;
  SimStats& st_;
  FaultView& fv_;
  int64_t watchdog_;
  std::function<void(const MsgPtr&)> deliver_;
  std::vector<Router> routers_;
  std::vector<char> dead_, link_dead_;
  Lockstep* rtl_ = nullptr;
  std::vector<RtlFlit> pushes_;
  int64_t in_flight_ = 0;
  sc_event wake_;
  Vcd* vcd_ = nullptr;
  int vcd_core_ = 0, vcd_buf_[5] = {}, vcd_fwd_ = 0;
};

// ---- the grid: slices, cores, host -----------------------------------------------------------------
class Grid : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Grid);
  Grid(sc_module_name n, const Mapping& m, const Plan& plan, std::vector<SliceKernel>& k, int steps, int shift_v,
       int shift_lr, SimStats& st, FaultView& fv)
      : sc_module(n),
        m_(m),
        plan_(plan),
        k_(k),
        steps_(steps),
        shift_v_(shift_v),
        shift_lr_(shift_lr),
        st_(st),
        fv_(fv),
        bound_(wait_bound(m, plan, steps)),
        mesh_("mesh", m, st, fv, bound_, [this](const MsgPtr& msg) { deliver(msg); }) {
    const int ns = int(plan.slices.size());
    mail_.resize(size_t(ns));
    learned_dead_.resize(size_t(ns));
    zeros_.resize(size_t(ns));
    arrived_.reset(new sc_event[size_t(ns)]);
    core_lock_.resize(size_t(m.arch.cores()));
    core_dead_now_.assign(size_t(m.arch.cores()), 0);
    for (auto& l : core_lock_) l = std::make_unique<sc_core::sc_mutex>();
    host_core_ = m.arch.id(m.arch.host);
    for (int s = 0; s < ns; ++s) {
      sc_core::sc_spawn_options o;
      sc_core::sc_spawn([this, s] { slice_thread(s); }, sc_core::sc_gen_unique_name("slice"), &o);
      if (plan.slices[size_t(s)].is_output) out_slice_ = s;
    }
  }

  // The bound on waiting for a message (docs/faults.md): 4 × the cycles the whole chip would need for one
  // training sample with every phase of every slice and every flit-hop serialised. A live sender is never
  // slower than that, so only a message that will never come reaches the bound.
  static int64_t wait_bound(const Mapping& m, const Plan& plan, int steps) {
    int64_t serial = 0;
    for (const SlicePlan& sp : plan.slices) {
      const int64_t n = sp.e_hi - sp.e_lo, work = n * std::max<int64_t>(1, sp.fan_in);
      serial += (4 + steps) * (kPhaseCycles + work / m.arch.mac_lanes + n) + n * kDivCycles;
    }
    int64_t hops = 0;
    for (const Flow& f : m.flows) hops += f.flits * (m.arch.width + m.arch.height) * m.arch.link_latency;
    return 4 * (serial + (steps + 1) * hops + 1000);
  }
  int64_t bound() const { return bound_; }

  // Host side (called from the engine between sc_start calls). `key` is the sample's key for flit faults.
  void host_send(int64_t sample, int64_t key, bool train, const uint8_t* pixels, int label) {
    keys_[sample] = key;
    for (const SlicePlan& sp : plan_.slices) {
      if (!sp.is_input || fv_.gone(sp.id) || fv_.silent(sp.id, kHost)) continue;
      auto msg = make(MsgKind::Pred, kHost, sp.id, sample, 0, train);
      for (const Part& pt : sp.pred_in[0].parts)
        for (int64_t e = pt.lo; e < pt.hi; ++e) msg->payload.push_back(fx::pixel_value(pixels[e]));
      send(msg);
    }
    if (train && !fv_.silent(out_slice_, kHost) && !fv_.gone(out_slice_)) {
      auto msg = make(MsgKind::Target, kHost, out_slice_, sample, 0, train);
      msg->label = label;
      msg->payload.assign(1, int16_t(label));
      send(msg);
    }
  }
  // Faults at a cycle: the core's compute stops at its slices' next phase boundary.
  void kill_core_now(int core) { core_dead_now_[size_t(core)] = 1; }
  // Output predictions received by the host, by sample.
  std::map<int64_t, std::vector<int16_t>> outputs;
  int64_t host_waiting_for = -1;  // sc_pause when this sample's output arrives
  Mesh& mesh() { return mesh_; }
  void set_lockstep(std::shared_ptr<Lockstep> l) {
    rtl_hold_ = std::move(l);
    rtl_ = rtl_hold_.get();
    mesh_.set_lockstep(rtl_);
  }
  Lockstep* lockstep() const { return rtl_; }
  Vcd* vcd = nullptr;
  int vcd_core = -1, vcd_busy = 0, vcd_phase = 0, vcd_sample = 0;

 private:
  using Key = std::tuple<int, int, int64_t, int>;  // (src, kind, sample, step)

  MsgPtr make(MsgKind kind, int src, int dst, int64_t sample, int step, bool train) {
    auto msg = std::make_shared<Message>();
    msg->kind = kind;
    msg->src = src;
    msg->dst = dst;
    msg->sample = sample;
    msg->step = step;
    msg->train = train;
    msg->src_core = src == kHost ? host_core_ : plan_.slices[size_t(src)].core;
    msg->dst_core = dst == kHost ? host_core_ : plan_.slices[size_t(dst)].core;
    return msg;
  }
  void send(const MsgPtr& msg) {
    const bool local = msg->src_core == msg->dst_core && msg->src != kHost && msg->dst != kHost;
    msg->flits = message_flits(int64_t(msg->payload.size()), m_.arch.flit_bits);
    if (msg->dst != kHost) {  // flit faults, decided per message exactly as in the functional engine
      const int kind = msg->kind == MsgKind::Pred ? 0 : msg->kind == MsgKind::Target ? 1 : 2;
      msg->damaged = !fv_.corrupt(msg->src, msg->dst, keys_[msg->sample], msg->step, kind, msg->payload);
    }
    if (local) {  // stays inside the core
      deliver(msg);
      return;
    }
    ++st_.messages;
    st_.flits += msg->flits;
    mesh_.inject(msg);
  }
  void deliver(const MsgPtr& msg) {
    if (msg->dst == kHost) {
      if (msg->damaged) return;  // a truncated output never reaches the host
      outputs[msg->sample] = msg->payload;
      if (msg->sample == host_waiting_for) sc_core::sc_pause();
      return;
    }
    mail_[size_t(msg->dst)][{msg->src, int(msg->kind), msg->sample, msg->step}] = msg;
    arrived_[size_t(msg->dst)].notify(sc_core::SC_ZERO_TIME);
  }
  // Waits for one message. Unbounded waits are only for the first message of a sample (a slice with
  // nothing to do is idle, not stuck); every other wait ends at the bound and returns null.
  MsgPtr receive(int s, int src, MsgKind kind, int64_t sample, int step) {
    auto& box = mail_[size_t(s)];
    const Key key{src, int(kind), sample, step};
    const int64_t deadline = now() + bound_;
    for (;;) {
      auto it = box.find(key);
      if (it != box.end()) {
        MsgPtr msg = it->second;
        box.erase(it);
        return msg;
      }
      if (now() >= deadline) return nullptr;
      sc_core::wait(sc_time(double(deadline - now()), SC_NS), arrived_[size_t(s)]);
    }
  }
  // Waits (without bound) until some message of `sample` is in the mailbox; returns its training flag
  // (every message of a sample carries it, so a slice knows the mode even if its PRED parts are missing).
  bool wait_first(int s, int64_t sample) {
    auto& box = mail_[size_t(s)];
    for (;;) {
      for (const auto& [k, msg] : box)
        if (std::get<2>(k) == sample) return msg->train;
      sc_core::wait(arrived_[size_t(s)]);
    }
  }
  bool quiet(int s, int peer) { return fv_.silent(s, peer) || learned_dead_[size_t(s)].count(peer) > 0; }
  // Receives the message of a link, or returns null after counting why it is missing (zeros are used).
  MsgPtr take(int s, int peer, MsgKind kind, int64_t sample, int step) {
    FaultStats& fs = fv_.fstats();
    if (quiet(s, peer)) {
      ++fs.missing_messages;
      return nullptr;
    }
    MsgPtr msg = receive(s, peer, kind, sample, step);
    if (!msg) {
      ++fs.timeouts;
      ++fs.missing_messages;
      learned_dead_[size_t(s)].insert(peer);  // do not wait for it again
      return nullptr;
    }
    if (msg->damaged) ++fs.damaged_messages;  // the caller uses zeros
    return msg;
  }
  static bool usable(const MsgPtr& m) { return m && !m->damaged; }
  // Holds the core's MAC lanes for `cycles`. Returns false when the core has died meanwhile.
  bool compute(const SlicePlan& sp, int phase, int64_t sample, int64_t cycles) {
    if (core_dead_now_[size_t(sp.core)]) return false;
    auto& lock = *core_lock_[size_t(sp.core)];
    lock.lock();
    st_.core_busy[size_t(sp.core)] += cycles;
    const bool tr = vcd && sp.core == vcd_core;
    const int64_t t0 = now();
    if (tr) {
      vcd->set(vcd_busy, 1, t0);
      vcd->set(vcd_phase, phase, t0);
      vcd->set(vcd_sample, sample, t0);
    }
    sc_core::wait(sc_time(double(cycles), SC_NS));
    if (tr) vcd->set(vcd_busy, 0, now());
    lock.unlock();
    return !core_dead_now_[size_t(sp.core)];
  }
  static int64_t now() { return int64_t(sc_core::sc_time_stamp().value() / 1000); }

  void slice_thread(int s) {
    const SlicePlan& sp = plan_.slices[size_t(s)];
    SliceKernel& k = k_[size_t(s)];
    const int lanes = m_.arch.mac_lanes;
    Counters& c = st_.counters;
    // Heap buffers live in the Grid, not on this thread's stack: a thread still waiting when the simulation
    // ends is never unwound, so its locals would never be freed.
    std::vector<int16_t>& zeros = zeros_[size_t(s)];
    Lockstep* ls = rtl_ && rtl_->core_on_rtl(sp.core) ? rtl_ : nullptr;  // this core runs on the RTL
    for (int64_t sample = 0;; ++sample) {
      const bool train = wait_first(s, sample);
      if (fv_.gone(s) || core_dead_now_[size_t(sp.core)]) return;  // this core's slices stop for good
      // Forward: all PRED parts (inputs: the host's pixels).
      for (const Link& l : sp.pred_in) {
        MsgPtr msg = take(s, l.peer, MsgKind::Pred, sample, 0);
        zeros.assign(size_t(l.words), 0);
        const int16_t* data = usable(msg) ? msg->payload.data() : zeros.data();
        k.receive_pred(l, data);
        if (ls) ls->pred_in(s, l, data, now());
      }
      int64_t before = c.macs;
      int64_t fc = k.forward(lanes, c);
      if (ls) fc = ls->forward(s, fc, now());
      st_.core_macs[size_t(sp.core)] += c.macs - before;
      if (!compute(sp, 1, sample, fc)) return;
      for (const Link& l : sp.pred_out) {
        if (l.peer != kHost && (fv_.gone(l.peer) || fv_.silent(l.peer, s))) continue;  // nobody to send to
        auto msg = make(l.peer == kHost ? MsgKind::Output : MsgKind::Pred, s, l.peer, sample, 0, train);
        k.pred_payload(l, msg->payload);
        if (ls) ls->pred_out(s, l, msg->payload, now());
        if (l.peer == kHost && fv_.silent(kHost, s)) continue;
        send(msg);
      }
      if (!train) continue;
      if (sp.is_output) {
        MsgPtr t = take(s, kHost, MsgKind::Target, sample, 0);
        if (usable(t)) {
          int64_t oc = k.output_error(t->payload[0], lanes, c);
          if (ls) oc = ls->output_error(s, t->payload[0], oc, now());
          if (!compute(sp, 2, sample, oc)) return;
        }
      }
      for (int t = 1; t <= steps_; ++t) {
        if (!sp.err_out.empty()) {
          int64_t cycles = 0;
          std::vector<MsgPtr> out;
          before = c.macs;
          for (const Link& l : sp.err_out) {
            if (fv_.gone(l.peer) || fv_.silent(l.peer, s)) continue;
            auto msg = make(MsgKind::Err, s, l.peer, sample, t, train);
            int64_t ec = k.err_payload(l, lanes, c, msg->payload);
            if (ls) ec = ls->err_out(s, l, out.empty(), msg->payload, ec, now());
            cycles += ec;
            out.push_back(msg);
          }
          st_.core_macs[size_t(sp.core)] += c.macs - before;
          if (!compute(sp, 3, sample, cycles)) return;
          for (auto& msg : out) send(msg);
        }
        if (!sp.err_in.empty()) {
          k.begin_step();
          for (const Link& l : sp.err_in) {
            MsgPtr msg = take(s, l.peer, MsgKind::Err, sample, t);
            if (!usable(msg)) continue;
            k.receive_err(l, msg->payload.data());
            if (ls) ls->err_in(s, l, msg->payload.data(), now());
          }
          int64_t rc = k.relax(shift_v_, lanes, c);
          if (ls) rc = ls->relax(s, rc, now());
          if (!compute(sp, 4, sample, rc)) return;
        }
      }
      before = c.macs;
      int64_t cyc = k.update(shift_lr_, lanes, c);
      if (ls) cyc = ls->update(s, cyc, now());
      st_.core_macs[size_t(sp.core)] += c.macs - before;
      if (cyc && !compute(sp, 5, sample, cyc)) return;
    }
  }

  const Mapping& m_;
  const Plan& plan_;
  std::vector<SliceKernel>& k_;
  int steps_, shift_v_, shift_lr_;
  SimStats& st_;
  FaultView& fv_;
  int64_t bound_;
  Mesh mesh_;
  std::vector<std::map<Key, MsgPtr>> mail_;
  std::vector<std::set<int>> learned_dead_;
  std::vector<std::vector<int16_t>> zeros_;  // per slice: the zero substitute of a missing message
  std::map<int64_t, int64_t> keys_;
  std::unique_ptr<sc_event[]> arrived_;
  std::vector<std::unique_ptr<sc_core::sc_mutex>> core_lock_;
  std::vector<char> core_dead_now_;
  int host_core_ = 0, out_slice_ = 0;
  std::shared_ptr<Lockstep> rtl_hold_;
  Lockstep* rtl_ = nullptr;
};

// ---- the engine ---------------------------------------------------------------------------------------
class Cycle final : public FxEngine, public FaultView {
 public:
  Cycle(const Mapping& m, const FxConfig& c) : FxEngine(m, c) {
    if (instances_++ > 0)
      throw SimError("only one cycle-level grid per process: SystemC has a single simulation context");
    grid_ = std::make_unique<Grid>("grid", m, plan_, kernels_, steps_, c.shift_v, c.shift_lr, stats_, *this);
  }
  ~Cycle() override { finish_vcd(); }
  std::string name() const override { return "cycle"; }

  // FaultView
  bool silent(int receiver, int peer) const override { return peer_silent(receiver, peer); }
  bool gone(int s) const override { return slice_dead(s) || slice_idle(s); }
  bool corrupt(int src, int dst, int64_t sample, int step, int kind, std::vector<int16_t>& p) override {
    return flit_faults(src, dst, sample, step, kind, p);
  }
  FaultStats& fstats() override { return fstats_; }
  const Routing& routing() const override { return live_routing_; }

  int train(const uint8_t* pixels, int label) override {
    const int64_t key = train_index_++;
    if (due(key) || p_flip_ > 0) {  // faults change the chip only at a quiescent point
      sync();
      apply_due_faults(key);
      sram_faults(key);
    }
    if (!training_) {
      training_ = true;
      mark_ = now();
    }
    const int64_t s = next_sample_++;
    grid_->host_send(s, key, true, pixels, label);
    const int pred = run_until_output(s);
    ++stats_.train_samples;
    return pred;
  }

  void infer(const uint8_t* pixels, int64_t n, int64_t pps, int* predicted) override {
    sync();
    const int64_t t0 = now();
    const int64_t first = next_sample_;
    const int64_t window = 4;  // samples in flight
    int64_t sent = 0;
    for (int64_t k = 0; k < n; ++k) {
      while (sent < n && sent < k + window) {
        grid_->host_send(next_sample_++, -1 - infer_index_++, false, pixels + sent * pps, 0);
        ++sent;
      }
      predicted[k] = run_until_output(first + k);
      ++stats_.infer_samples;
    }
    drain();
    stats_.infer_cycles += now() - t0;
  }

  // Lets every slice finish its pending work (relaxation and weight updates of the last sample).
  void sync() override {
    drain();
    if (training_) {
      stats_.train_cycles += now() - mark_;
      training_ = false;
    }
  }

  void enable_vcd(const std::string& path, Coord core, int64_t from, int64_t to) {
    vcd_ = std::make_unique<Vcd>(path, from, to);
    grid_->vcd = vcd_.get();
    grid_->vcd_core = m_->arch.id(core);
    grid_->vcd_busy = vcd_->add("core_busy", 1);
    grid_->vcd_phase = vcd_->add("core_phase", 3);
    grid_->vcd_sample = vcd_->add("core_sample", 32);
    grid_->mesh().attach_vcd(vcd_.get(), m_->arch.id(core));
    vcd_->header();
  }
  void finish_vcd() { vcd_.reset(); }
  void set_lockstep(std::shared_ptr<Lockstep> l) {
    if (train_index_ + infer_index_ > 0) throw SimError("the RTL must be attached before the first sample");
    if (!faults_.faults.empty() || p_flip_ > 0 || p_corrupt_ > 0 || p_drop_ > 0)
      throw SimError("RTL lockstep runs without faults (the RTL has no fault model yet); drop --faults");
    grid_->set_lockstep(std::move(l));
  }
  int64_t wait_bound() const { return grid_->bound(); }

 private:
  static int64_t now() { return int64_t(sc_core::sc_time_stamp().value() / 1000); }
  bool due(int64_t sample) const {
    for (size_t k = 0; k < faults_.faults.size(); ++k)
      if (!applied_[k] && faults_.faults[k].at_cycle < 0 && faults_.faults[k].at_sample <= sample) return true;
    return false;
  }
  // Faults at a cycle: one process per fault, sleeping until its cycle.
  void on_faults_set() override {
    for (size_t k = 0; k < faults_.faults.size(); ++k) {
      const Fault f = faults_.faults[k];
      if (f.at_cycle < 0) continue;
      async_ = true;
      sc_core::sc_spawn_options o;
      sc_core::sc_spawn(
          [this, f, k] {
            if (f.at_cycle > now()) sc_core::wait(sc_time(double(f.at_cycle - now()), SC_NS));
            strike(f, k);
          },
          sc_core::sc_gen_unique_name("fault"), &o);
    }
  }
  void strike(const Fault& f, size_t k) {
    applied_[k] = 1;
    const std::vector<Coord> in_use = cores_in_use();
    if (f.kind == FaultKind::DeadLink) {
      for (const auto& [u, v] : f.links) grid_->mesh().kill_link(u, v);
      return;
    }
    for (const Coord& c : fault_cores(f, m_->arch, in_use, faults_.seed, k)) {
      const int id = m_->arch.id(c);
      grid_->kill_core_now(id);
      for (int s : core_slices_[size_t(id)])
        if (!struck_.count(s)) {
          struck_.insert(s);
          ++fstats_.dead_slices;
          fstats_.lost_neurons += plan_.slices[size_t(s)].e_hi - plan_.slices[size_t(s)].e_lo;
          fstats_.lost_weights += kernels_[size_t(s)].sram_words();
        }
      if (f.router_dies && c != m_->arch.host) grid_->mesh().kill_router(id);
    }
  }
  // Runs until sample s's prediction reaches the host; −1 when it cannot (the output is gone).
  int run_until_output(int64_t s) {
    if (output_lost()) {
      ++fstats_.lost_outputs;
      return -1;
    }
    grid_->host_waiting_for = s;
    if (!grid_->outputs.count(s) && sc_core::sc_pending_activity()) sc_core::sc_start();  // pauses at the output
    grid_->host_waiting_for = -1;
    check_lockstep();
    auto it = grid_->outputs.find(s);
    if (it == grid_->outputs.end()) {
      if (!async_)
        throw SimError(fmt::format("the grid ran out of events before sample {} produced an output (deadlock)", s));
      ++fstats_.lost_outputs;  // faults at a cycle: the output was lost on the way
      return -1;
    }
    const int pred = argmax16(it->second);
    grid_->outputs.erase(it);
    return pred;
  }
  void drain() {
    grid_->host_waiting_for = -1;
    // Runs until no event is left: every slice waits for a message that is not coming.
    if (sc_core::sc_pending_activity()) sc_core::sc_start();
    check_lockstep();
    grid_->outputs.clear();
  }
  void check_lockstep() const {
    if (grid_->lockstep() && grid_->lockstep()->failed())
      throw SimError("RTL lockstep: " + grid_->lockstep()->divergence());
  }
  static int instances_;
  std::unique_ptr<Grid> grid_;
  std::unique_ptr<Vcd> vcd_;
  int64_t next_sample_ = 0, mark_ = 0, train_index_ = 0, infer_index_ = 0;
  bool training_ = false, async_ = false;
  std::set<int> struck_;
};
int Cycle::instances_ = 0;

}  // namespace

std::unique_ptr<FxEngine> make_cycle_engine(const Mapping& m, const FxConfig& c) {
  return std::make_unique<Cycle>(m, c);
}

void enable_vcd(FxEngine& e, const std::string& path, Coord core, int64_t from, int64_t to) {
  auto* c = dynamic_cast<Cycle*>(&e);
  if (!c) throw SimError("--vcd needs --engine cycle");
  c->enable_vcd(path, core, from, to);
}
void set_lockstep(FxEngine& e, std::shared_ptr<Lockstep> l) {
  auto* c = dynamic_cast<Cycle*>(&e);
  if (!c) throw SimError("the RTL lockstep needs --engine cycle");
  c->set_lockstep(std::move(l));
}
void finish_vcd(FxEngine& e) {
  if (auto* c = dynamic_cast<Cycle*>(&e)) c->finish_vcd();
}

}  // namespace pcgrid

// libsystemc's own main() (unused: pcgrid has its own and drives the kernel with sc_start) refers to
// sc_main, so the executable must define it. It is never called.
int sc_main(int, char**) { return 0; }
