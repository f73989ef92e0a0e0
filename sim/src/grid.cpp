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

#include <fmt/format.h>
#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
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
};
using MsgPtr = std::shared_ptr<Message>;

struct Flit {
  MsgPtr msg;
  bool head = false, tail = false;
  int dst_core = 0;
};

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

class Grid;

// ---- the mesh of routers ------------------------------------------------------------------------------
class Mesh : public sc_core::sc_module {
 public:
  SC_HAS_PROCESS(Mesh);
  Mesh(sc_module_name n, const Mapping& m, SimStats& st, std::function<void(const MsgPtr&)> deliver)
      : sc_module(n), m_(m), a_(m.arch), st_(st), deliver_(std::move(deliver)) {
    routers_.resize(size_t(a_.cores()));
    for (auto& r : routers_)
      for (auto& c : r.credits) c = a_.buffer_depth;
    SC_THREAD(run);
  }
  // A message enters at its source router's local port (queued in the network interface).
  void inject(const MsgPtr& msg) {
    Router& r = routers_[size_t(msg->src_core)];
    for (int64_t k = 0; k < msg->flits; ++k) r.inject.push_back({msg, k == 0, k == msg->flits - 1, msg->dst_core});
    r.load += msg->flits;
    in_flight_ += msg->flits;
    wake_.notify(sc_core::SC_ZERO_TIME);
  }
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
    int lock[5] = {-1, -1, -1, -1, -1};                // output port → input port holding it (wormhole)
    int rr[5] = {0, 0, 0, 0, 0};                       // round-robin pointer per output
    int credits[5] = {0, 0, 0, 0, 0};                  // free slots in the downstream input buffer
    int64_t load = 0;                                  // flits anywhere in this router
    int64_t forwarded = 0;
  };
  static int opposite(int p) { return p == kEast ? kWest : p == kWest ? kEast : p == kNorth ? kSouth : kNorth; }

  void run() {
    for (;;) {
      if (in_flight_ == 0) sc_core::wait(wake_);
      const int64_t now = int64_t(sc_core::sc_time_stamp().value() / 1000);  // ps → ns = cycles
      step(now);
      sc_core::wait(1, SC_NS);
    }
  }

  void step(int64_t now) {
    const int n = a_.cores();
    struct Move {
      int r, in, out;
    };
    std::vector<Move> moves;
    for (int id = 0; id < n; ++id) {
      Router& r = routers_[size_t(id)];
      if (r.load == 0) continue;
      for (int p = 0; p < 5; ++p)
        while (!r.arriving[p].empty() && r.arriving[p].front().first <= now) {
          r.in[p].push_back(std::move(r.arriving[p].front().second));
          r.arriving[p].pop_front();
        }
      if (!r.inject.empty() && int(r.in[kLocal].size()) < a_.buffer_depth) {
        r.in[kLocal].push_back(std::move(r.inject.front()));
        r.inject.pop_front();
      }
      const Coord here = a_.at(id);
      int used_in = 0;  // an input buffer sends at most one flit per cycle
      for (int out = 0; out < 5; ++out) {
        int pick = -1;
        if (r.lock[out] >= 0) {
          pick = r.lock[out];
          if (r.in[pick].empty()) pick = -1;
        } else {
          for (int k = 0; k < 5; ++k) {
            const int in = (r.rr[out] + k) % 5;
            if ((used_in >> in) & 1 || r.in[in].empty() || !r.in[in].front().head) continue;
            if (route(here, r.in[in].front().dst_core) != out) continue;
            pick = in;
            break;
          }
        }
        if (pick < 0 || ((used_in >> pick) & 1)) continue;
        if (out != kLocal && r.credits[out] == 0) continue;
        used_in |= 1 << pick;
        moves.push_back({id, pick, out});
      }
    }
    for (const Move& mv : moves) {
      Router& r = routers_[size_t(mv.r)];
      Flit f = std::move(r.in[mv.in].front());
      r.in[mv.in].pop_front();
      --r.load;
      ++r.forwarded;
      if (mv.in != kLocal) {  // a slot freed: credit back to the upstream router (usable next cycle)
        const Coord up = step_coord(a_.at(mv.r), mv.in);
        ++routers_[size_t(a_.id(up))].credits[opposite(mv.in)];
      }
      r.lock[mv.out] = f.tail ? -1 : mv.in;
      if (f.head) r.rr[mv.out] = (mv.in + 1) % 5;
      if (mv.out == kLocal) {
        --in_flight_;
        if (f.tail) deliver_(f.msg);
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
  }
  static Coord step_coord(Coord c, int port) { return pcgrid::step(c, port); }
  int route(Coord here, int dst_core) const {
    const Coord d = a_.at(dst_core);
    if (here == d) return kLocal;
    const int p = m_.routing.port(here, d);
    if (p < kEast || p > kSouth)
      throw SimError(fmt::format("router ({},{}) has no route to core ({},{})", here.x, here.y, d.x, d.y));
    return p;
  }

  const Mapping& m_;
  const Arch& a_;
  SimStats& st_;
  std::function<void(const MsgPtr&)> deliver_;
  std::vector<Router> routers_;
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
       int shift_lr, SimStats& st)
      : sc_module(n),
        m_(m),
        plan_(plan),
        k_(k),
        steps_(steps),
        shift_v_(shift_v),
        shift_lr_(shift_lr),
        st_(st),
        mesh_("mesh", m, st, [this](const MsgPtr& msg) { deliver(msg); }) {
    const int ns = int(plan.slices.size());
    mail_.resize(size_t(ns));
    arrived_.reset(new sc_event[size_t(ns)]);
    core_lock_.resize(size_t(m.arch.cores()));
    for (auto& l : core_lock_) l = std::make_unique<sc_core::sc_mutex>();
    host_core_ = m.arch.id(m.arch.host);
    for (int s = 0; s < ns; ++s) {
      sc_core::sc_spawn_options o;
      sc_core::sc_spawn([this, s] { slice_thread(s); }, sc_core::sc_gen_unique_name("slice"), &o);
      if (plan.slices[size_t(s)].is_output) out_slice_ = s;
    }
  }

  // Host side (called from the engine between sc_start calls).
  void host_send(int64_t sample, bool train, const uint8_t* pixels, int label) {
    for (const SlicePlan& sp : plan_.slices) {
      if (!sp.is_input) continue;
      auto msg = make(MsgKind::Pred, kHost, sp.id, sample, 0, train);
      for (const Part& pt : sp.pred_in[0].parts)
        for (int64_t e = pt.lo; e < pt.hi; ++e) msg->payload.push_back(fx::pixel_value(pixels[e]));
      send(msg);
    }
    if (train) {
      auto msg = make(MsgKind::Target, kHost, out_slice_, sample, 0, train);
      msg->label = label;
      msg->payload.assign(1, int16_t(label));
      send(msg);
    }
  }
  // Output predictions received by the host, by sample.
  std::map<int64_t, std::vector<int16_t>> outputs;
  int64_t host_waiting_for = -1;  // sc_pause when this sample's output arrives
  Mesh& mesh() { return mesh_; }
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
      outputs[msg->sample] = msg->payload;
      if (msg->sample == host_waiting_for) sc_core::sc_pause();
      return;
    }
    mail_[size_t(msg->dst)][{msg->src, int(msg->kind), msg->sample, msg->step}] = msg;
    arrived_[size_t(msg->dst)].notify(sc_core::SC_ZERO_TIME);
  }
  MsgPtr receive(int s, int src, MsgKind kind, int64_t sample, int step) {
    auto& box = mail_[size_t(s)];
    const Key key{src, int(kind), sample, step};
    for (;;) {
      auto it = box.find(key);
      if (it != box.end()) {
        MsgPtr msg = it->second;
        box.erase(it);
        return msg;
      }
      sc_core::wait(arrived_[size_t(s)]);
    }
  }
  // Holds the core's MAC lanes for `cycles`.
  void compute(const SlicePlan& sp, int phase, int64_t sample, int64_t cycles) {
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
  }
  static int64_t now() { return int64_t(sc_core::sc_time_stamp().value() / 1000); }

  void slice_thread(int s) {
    const SlicePlan& sp = plan_.slices[size_t(s)];
    SliceKernel& k = k_[size_t(s)];
    const int lanes = m_.arch.mac_lanes;
    Counters& c = st_.counters;
    std::vector<int16_t> buf;
    for (int64_t sample = 0;; ++sample) {
      // Forward: all PRED parts (inputs: the host's pixels).
      bool train = true;
      for (const Link& l : sp.pred_in) {
        MsgPtr msg = receive(s, l.peer, MsgKind::Pred, sample, 0);
        train = msg->train;
        k.receive_pred(l, msg->payload.data());
      }
      int64_t before = c.macs;
      compute(sp, 1, sample, k.forward(lanes, c));
      st_.core_macs[size_t(sp.core)] += c.macs - before;
      for (const Link& l : sp.pred_out) {
        auto msg = make(l.peer == kHost ? MsgKind::Output : MsgKind::Pred, s, l.peer, sample, 0, train);
        k.pred_payload(l, msg->payload);
        send(msg);
      }
      if (!train) continue;
      if (sp.is_output) {
        MsgPtr t = receive(s, kHost, MsgKind::Target, sample, 0);
        compute(sp, 2, sample, k.output_error(t->label, lanes, c));
      }
      for (int t = 1; t <= steps_; ++t) {
        if (!sp.err_out.empty()) {
          int64_t cycles = 0;
          std::vector<MsgPtr> out;
          before = c.macs;
          for (const Link& l : sp.err_out) {
            auto msg = make(MsgKind::Err, s, l.peer, sample, t, train);
            cycles += k.err_payload(l, lanes, c, msg->payload);
            out.push_back(msg);
          }
          st_.core_macs[size_t(sp.core)] += c.macs - before;
          compute(sp, 3, sample, cycles);
          for (auto& msg : out) send(msg);
        }
        if (!sp.err_in.empty()) {
          k.begin_step();
          for (const Link& l : sp.err_in) {
            MsgPtr msg = receive(s, l.peer, MsgKind::Err, sample, t);
            k.receive_err(l, msg->payload.data());
          }
          compute(sp, 4, sample, k.relax(shift_v_, lanes, c));
        }
      }
      before = c.macs;
      const int64_t cyc = k.update(shift_lr_, lanes, c);
      st_.core_macs[size_t(sp.core)] += c.macs - before;
      if (cyc) compute(sp, 5, sample, cyc);
    }
  }

  const Mapping& m_;
  const Plan& plan_;
  std::vector<SliceKernel>& k_;
  int steps_, shift_v_, shift_lr_;
  SimStats& st_;
  Mesh mesh_;
  std::vector<std::map<Key, MsgPtr>> mail_;
  std::unique_ptr<sc_event[]> arrived_;
  std::vector<std::unique_ptr<sc_core::sc_mutex>> core_lock_;
  int host_core_ = 0, out_slice_ = 0;
};

// ---- the engine ---------------------------------------------------------------------------------------
class Cycle final : public FxEngine {
 public:
  Cycle(const Mapping& m, const FxConfig& c) : FxEngine(m, c) {
    if (instances_++ > 0)
      throw SimError("only one cycle-level grid per process: SystemC has a single simulation context");
    grid_ = std::make_unique<Grid>("grid", m, plan_, kernels_, steps_, c.shift_v, c.shift_lr, stats_);
  }
  ~Cycle() override { finish_vcd(); }
  std::string name() const override { return "cycle"; }

  int train(const uint8_t* pixels, int label) override {
    if (!training_) {
      training_ = true;
      mark_ = now();
    }
    const int64_t s = next_sample_++;
    grid_->host_send(s, true, pixels, label);
    run_until_output(s);
    ++stats_.train_samples;
    const int pred = argmax16(grid_->outputs[s]);
    grid_->outputs.erase(s);
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
        grid_->host_send(next_sample_++, false, pixels + sent * pps, 0);
        ++sent;
      }
      run_until_output(first + k);
      predicted[k] = argmax16(grid_->outputs[first + k]);
      grid_->outputs.erase(first + k);
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

 private:
  static int64_t now() { return int64_t(sc_core::sc_time_stamp().value() / 1000); }
  void run_until_output(int64_t s) {
    grid_->host_waiting_for = s;
    if (!grid_->outputs.count(s)) sc_core::sc_start();  // pauses when the output arrives
    if (!grid_->outputs.count(s))
      throw SimError(fmt::format("the grid ran out of events before sample {} produced an output (deadlock)", s));
    grid_->host_waiting_for = -1;
  }
  void drain() {
    grid_->host_waiting_for = -1;
    // Runs until no event is left: every slice waits for a message that is not coming.
    if (sc_core::sc_pending_activity()) sc_core::sc_start();
  }
  static int instances_;
  std::unique_ptr<Grid> grid_;
  std::unique_ptr<Vcd> vcd_;
  int64_t next_sample_ = 0, mark_ = 0;
  bool training_ = false;
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
void finish_vcd(FxEngine& e) {
  if (auto* c = dynamic_cast<Cycle*>(&e)) c->finish_vcd();
}

}  // namespace pcgrid

// libsystemc's own main() (unused: pcgrid has its own and drives the kernel with sc_start) refers to
// sc_main, so the executable must define it. It is never called.
int sc_main(int, char**) { return 0; }
