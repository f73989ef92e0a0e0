// Lockstep harness: Verilated pcg_core / pcg_router in place of the SystemC models (lockstep.hpp,
// docs/rtl.md). One Verilated core per selected core (its slices share it, as they share the silicon)
// and one Verilated router per selected router, all in one VerilatedContext.
#include "pcgrid/lockstep.hpp"

#include "pcgrid/engine.hpp"

#include <Vpcg_core.h>
#include <Vpcg_core_mut.h>
#include <Vpcg_core_noacts.h>
#ifdef PCGRID_HAVE_NETLIST
#include <Vpcg_core_gates.h>
#include <Vpcg_core_tile_gates.h>
#include <Vpcg_router_gates.h>
#endif
#include <Vpcg_router.h>
#include <fmt/format.h>
#include <verilated.h>
#include <verilated_vcd_c.h>
#include <nlohmann/json.hpp>

#define SC_INCLUDE_DYNAMIC_PROCESSES
#include <systemc>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <set>

#include <unistd.h>

namespace pcgrid {

namespace {

// The configuration the models were Verilated with (CMakeLists.txt: the default architecture).
constexpr int kSramWords = PCGRID_RTL_SRAM_WORDS, kSlots = PCGRID_RTL_SLOTS, kXWords = 1024, kOWords = 1024, kCtx = 4;
constexpr int kDepth = PCGRID_RTL_DEPTH, kFlitBits = 32;

enum Op : uint8_t { kFwd = 0, kOutErr = 1, kErr = 2, kRelax = 3, kUpdate = 4, kSeed = 5, kSmax = 6 };
// kSelXAcc is a write of sel 4 (x += word, an elementwise slice's receive); a read of sel 4 is v̂.
enum Sel : uint8_t {
  kSelW = 0,
  kSelBias = 1,
  kSelX = 2,
  kSelEsum = 3,
  kSelVhat = 4,
  kSelXAcc = 4,
  kSelOut = 5,
  kSelEps = 7
};

using Clock = std::chrono::steady_clock;

#if VM_COVERAGE
constexpr bool kCoverage = true;  // Verilated with coverage (scripts/rtl_coverage.sh)
#else
constexpr bool kCoverage = false;
#endif

// What the scoreboard needs from a core model, whichever variant was Verilated.
class CoreIf {
 public:
  virtual ~CoreIf() = default;
  struct Cmd {
    Op op = kFwd;
    int ctx = 0;
    bool first = false;
    bool elem = false;  // an elementwise slice's FWD or ERR (pcg_core ELEM)
    bool mul = false;   // with elem: a mul slice
    int n = 0, m = 0, wbase = 0, sbase = 0, xbase = 0, obase = 0, lo = 0, hi = 0, act = 0, shift = 0, label = 0;
    int alpha = 0;  // leaky_relu's slope, Q1.15 (fx::ActParams::alpha_q15)
    uint32_t seed = 0;
  };
  // Strobes `c` and returns the cycles busy was high. `again_at` >= 0: strobes it once more in that busy
  // cycle (a protocol violation the core must refuse, setting cmd_err).
  virtual int64_t run(const Cmd& c, int again_at = -1) = 0;
  virtual void write(Sel sel, int addr, int16_t v) = 0;
  virtual int16_t read(Sel sel, int addr) = 0;
  virtual bool err_zero() = 0;
  virtual bool cmd_err() = 0;  // the last strobe was refused
  virtual void trace(VerilatedVcdC* t) = 0;
  int64_t ticks = 0, phase_ticks = 0;  // all clock ticks; those of commands (timed in `seconds`)
  double seconds = 0;
  VerilatedVcdC* vcd = nullptr;
  uint64_t vtime = 0;
  int64_t now = 0;  // SystemC cycle of the current hook (VCD time base)
  int64_t vcd_from = 0, vcd_to = INT64_MAX;
  std::FILE* port_trace = nullptr;  // LockstepConfig::port_trace: one JSON line per port operation
};

template <class V>
class Core final : public CoreIf {
 public:
  explicit Core(VerilatedContext* ctx) : v_(ctx, "core") {
    // Every input defined before the reset: Verilator starts them at 0 unless the context randomises its
    // power-up state (--rtl-netlist), and a memory write enable left high would write during the reset.
    v_.cmd_valid = 0;
    fields(Cmd{});
    v_.mem_we = 0;
    v_.mem_re = 0;
    v_.mem_sel = 0;
    v_.mem_addr = 0;
    v_.mem_wdata = 0;
    v_.clk = 0;
    v_.rst = 1;
    tick();
    tick();
    v_.rst = 0;
  }
  int64_t run(const Cmd& c, int again_at = -1) override {
    const auto t0 = Clock::now();
    v_.cmd_valid = 1;
    fields(c);
    tick();  // the accepting edge
    v_.cmd_valid = 0;
    int64_t cycles = 0;
    while (v_.busy) {
      v_.cmd_valid = cycles == again_at;
      tick();
      v_.cmd_valid = 0;
      ++cycles;
    }
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    phase_ticks += cycles + 1;
    if (port_trace)
      fmt::print(
          port_trace,
          "{{\"op\":\"cmd\",\"cmd\":{{\"op\":{},\"ctx\":{},\"first\":{},\"elem\":{},\"mul\":{},\"n\":{},\"m\":{},"
          "\"wbase\":{},\"sbase\":{},\"xbase\":{},\"obase\":{},\"lo\":{},\"hi\":{},\"act\":{},\"shift\":{},"
          "\"label\":{},\"seed\":{},\"alpha\":{}}},\"cycles\":{},\"cmd_err\":{},\"err_zero\":{}}}\n",
          int(c.op), c.ctx, int(c.first), int(c.elem), int(c.mul), c.n, c.m, c.wbase, c.sbase, c.xbase, c.obase, c.lo,
          c.hi, c.act, c.shift, c.label, c.seed, c.alpha, cycles, int(v_.cmd_err), int(v_.err_zero));
    return cycles;
  }
  void write(Sel sel, int addr, int16_t val) override {
    v_.mem_we = 1;
    v_.mem_sel = sel;
    v_.mem_addr = uint16_t(addr);
    v_.mem_wdata = uint16_t(val);
    tick();
    v_.mem_we = 0;
    if (sel == kSelEsum || sel == kSelXAcc) tick();  // read-modify-write: the next cycle completes it
    if (port_trace)
      fmt::print(port_trace, "{{\"op\":\"write\",\"sel\":{},\"addr\":{},\"value\":{}}}\n", int(sel), addr, val);
  }
  int16_t read(Sel sel, int addr) override {
    v_.mem_re = 1;
    v_.mem_sel = sel;
    v_.mem_addr = uint16_t(addr);
    tick();
    v_.mem_re = 0;
    const auto word = int16_t(v_.mem_rdata);
    if (port_trace)
      fmt::print(port_trace, "{{\"op\":\"read\",\"sel\":{},\"addr\":{},\"value\":{}}}\n", int(sel), addr, word);
    return word;
  }
  bool err_zero() override { return v_.err_zero; }
  bool cmd_err() override { return v_.cmd_err; }
  void trace(VerilatedVcdC* t) override {
    v_.trace(t, 99);
    vcd = t;
  }

 private:
  // The command port's fields (all but cmd_valid) from `c`.
  void fields(const Cmd& c) {
    v_.cmd_op = c.op;
    v_.cmd_ctx = uint8_t(c.ctx);
    v_.cmd_first = c.first;
    v_.cmd_elem = c.elem;
    v_.cmd_mul = c.mul;
    v_.cmd_n = uint16_t(c.n);
    v_.cmd_m = uint16_t(c.m);
    v_.cmd_wbase = uint16_t(c.wbase);
    v_.cmd_sbase = uint16_t(c.sbase);
    v_.cmd_xbase = uint16_t(c.xbase);
    v_.cmd_obase = uint16_t(c.obase);
    v_.cmd_lo = uint16_t(c.lo);
    v_.cmd_hi = uint16_t(c.hi);
    v_.cmd_act = uint8_t(c.act);
    v_.cmd_alpha = uint16_t(c.alpha);
    v_.cmd_shift = uint8_t(c.shift);
    v_.cmd_label = uint16_t(c.label);
    v_.cmd_seed = c.seed;
  }
  void tick() {
    v_.clk = 0;
    v_.eval();
    const bool dump = vcd && now >= vcd_from && now < vcd_to;
    if (dump) vcd->dump(vtime * 2);
    v_.clk = 1;
    v_.eval();
    if (dump) vcd->dump(vtime * 2 + 1);
    vtime = std::max<uint64_t>(vtime + 1, uint64_t(now));
    ++ticks;
  }
  V v_;
};

// What the scoreboard needs from a router model, whichever variant was Verilated.
class RouterIf {
 public:
  virtual ~RouterIf() = default;
  virtual void edge(const std::vector<RtlFlit>& pushes, unsigned credits, int64_t now) = 0;
  virtual bool local_ready() = 0;
  virtual std::vector<RtlGrant> grants() = 0;
  virtual bool overflow() = 0;
  virtual void trace(VerilatedVcdC* t) = 0;
  int64_t ticks = 0;
  double seconds = 0;
  VerilatedVcdC* vcd = nullptr;
  int64_t vcd_from = 0, vcd_to = INT64_MAX;
};

template <class V>
class Router final : public RouterIf {
 public:
  Router(VerilatedContext* ctx, int x, int y) : v_(ctx, "router") {
    v_.my_x = uint8_t(x);
    v_.my_y = uint8_t(y);
    v_.in_valid = v_.in_head = v_.in_tail = v_.credit_in = 0;  // defined before the reset (see Core)
    for (size_t k = 0; k < 5; ++k) v_.in_data[k] = 0;
    v_.rst = 1;
    tick(0);
    tick(0);
    v_.rst = 0;
  }
  void edge(const std::vector<RtlFlit>& pushes, unsigned credits, int64_t now) override {
    const auto t0 = Clock::now();
    v_.in_valid = 0;
    v_.in_head = 0;
    v_.in_tail = 0;
    for (const RtlFlit& f : pushes) {
      v_.in_valid |= uint8_t(1u << f.port);
      v_.in_head |= uint8_t(unsigned(f.head) << f.port);
      v_.in_tail |= uint8_t(unsigned(f.tail) << f.port);
      v_.in_data[size_t(f.port)] = f.data;
    }
    v_.credit_in = uint8_t(credits & 0x1e);
    tick(now);
    v_.in_valid = 0;
    v_.credit_in = 0;
    v_.eval();
    seconds += std::chrono::duration<double>(Clock::now() - t0).count();
  }
  bool local_ready() override {
    v_.eval();
    return v_.local_ready;
  }
  std::vector<RtlGrant> grants() override {
    std::vector<RtlGrant> g;
    for (int out = 0; out < 5; ++out)
      if ((v_.out_valid >> out) & 1)
        g.push_back({out, int((v_.out_from >> (3 * out)) & 7), v_.out_data[size_t(out)], bool((v_.out_head >> out) & 1),
                     bool((v_.out_tail >> out) & 1)});
    return g;
  }
  bool overflow() override { return v_.overflow; }
  void trace(VerilatedVcdC* t) override {
    v_.trace(t, 99);
    vcd = t;
  }

 private:
  void tick(int64_t now) {
    v_.clk = 0;
    v_.eval();
    const bool dump = vcd && now >= vcd_from && now < vcd_to;
    if (dump) vcd->dump(uint64_t(now) * 2);
    v_.clk = 1;
    v_.eval();
    if (dump) vcd->dump(uint64_t(now) * 2 + 1);
    ++ticks;
  }
  V v_;
};

const char* phase_name(Op op) {
  switch (op) {
    case kFwd: return "forward";
    case kOutErr: return "output error";
    case kSmax: return "softmax output error";
    case kErr: return "error back-projection";
    case kRelax: return "relaxation";
    case kUpdate: return "weight update";
    default: return "seed";
  }
}

class Harness final : public Lockstep {
 public:
  Harness(FxEngine& e, const LockstepConfig& c) : e_(e), m_(e.mapping()), plan_(e.plan()), cfg_(c) {
    const Arch& a = m_.arch;
    ctx_.debug(0);
    if (!c.vcd.empty()) ctx_.traceEverOn(true);
    // Power-up state (LockstepConfig::power_up_seed): the RTL's registers random, so that a register that relies
    // on powering up at 0 instead of on its reset shows as a divergence; at gate level what the chip leaves
    // undefined (the SPRAMs' words, the DSPs' registers: state the cell models do not initialise) starts random,
    // flip-flops at 0 and block RAMs at their zeroed contents, as the bitstream sets them. The RTL's memories are
    // zeroed by their own initial blocks. A coverage build (scripts/rtl_coverage.sh) starts every register at 0:
    // a random power-up value would count as a toggle the stimulus never caused. The report names the state used.
    power_up_seed_ = kCoverage ? 0 : c.power_up_seed;
    if (power_up_seed_ != 0) {
      ctx_.randReset(2);
      ctx_.randSeed(int(power_up_seed_ & 0x7fffffff));
    }
    // A smaller architecture runs on the larger RTL memories (timing does not depend on their size).
    if (a.sram_words > kSramWords || a.neuron_slots > kSlots)
      throw SimError(fmt::format(
          "the Verilated core was built for sram_words {} and neuron_slots {}; this architecture has {} and {} "
          "(reconfigure with -DPCGRID_RTL_SRAM_WORDS=... -DPCGRID_RTL_SLOTS=...)",
          kSramWords, kSlots, a.sram_words, a.neuron_slots));
    if (e.config().shift_lr > 15 || e.config().shift_v > 15)
      throw SimError(fmt::format("the RTL core's shifters take rates 2^-0 .. 2^-15; this run has lr 2^-{}, eta_v 2^-{}",
                                 e.config().shift_lr, e.config().shift_v));
    if (a.mac_lanes != 1)
      throw SimError(
          fmt::format("the RTL core has one MAC lane (one SB_MAC16); this architecture has mac_lanes {}", a.mac_lanes));
    std::set<int> cores(c.cores.begin(), c.cores.end()), routers(c.routers.begin(), c.routers.end());
    if (c.all_cores)
      for (int k = 0; k < a.cores(); ++k) cores.insert(k);
    if (c.all_routers)
      for (int k = 0; k < a.cores(); ++k) routers.insert(k);
    if (!routers.empty()) {
      if (a.buffer_depth != kDepth || a.flit_bits != kFlitBits)
        throw SimError(fmt::format(
            "the Verilated router was built for buffer_depth {} and flit_bits {}; this architecture has {} and {} "
            "(reconfigure with -DPCGRID_RTL_DEPTH=...; flit_bits must be 32)",
            kDepth, kFlitBits, a.buffer_depth, a.flit_bits));
      if (e.live_arch().dead_routers.size() + e.live_arch().dead_links.size() + e.live_arch().dead_cores.size() > 0 ||
          m_.routing.kind != Routing::Kind::XY)
        throw SimError("the RTL router implements XY routing on an intact mesh; this mapping routes by tables");
      if (a.width > 255 || a.height > 255) throw SimError("the RTL router addresses at most 255x255 routers");
    }
#ifndef PCGRID_HAVE_NETLIST
    if (c.netlist)
      throw SimError(
          "--rtl-netlist: this pcgrid was built without the gate-level models (configure with -DPCGRID_NETLIST=ON; "
          "needs yosys)");
#endif
    slice_.assign(plan_.slices.size(), {});
    std::map<int, std::vector<int>> by_core;
    for (const SlicePlan& sp : plan_.slices) by_core[sp.core].push_back(sp.id);
    std::set<int> named(c.cores.begin(), c.cores.end());
    for (int core : cores) {
      auto it = by_core.find(core);
      if (it == by_core.end()) continue;  // an empty core: nothing to run
      try {
        if (!place_core(core, it->second)) continue;
      } catch (const SimError& e) {
        // "all" means every core the RTL can run; a core named on its own must run on the RTL.
        if (named.count(core)) throw;
        for (int s : it->second) slice_[size_t(s)] = Slice{};
        kept_.push_back(e.what());
        continue;
      }
      // A core whose slices use leaky_relu, tanh or sigmoid (codes 2, 4, 5) or are elementwise runs the core built
      // with ACTS = 1 and ELEM = 1; every other core the one the synthesis top builds (ACTS = 0, ELEM = 0), so both
      // configurations are checked.
      bool acts = false;
      for (int s : it->second) {
        const Slice& sl = slice_[size_t(s)];
        const auto k = fx::FxAct(sl.act);
        acts = acts ||
               (sl.on && (sl.elem || k == fx::FxAct::LeakyRelu || k == fx::FxAct::Tanh || k == fx::FxAct::Sigmoid));
      }
      acts_cores_ += acts;
      if (c.netlist) {
#ifdef PCGRID_HAVE_NETLIST
        if (acts)
          core_[core] = std::make_unique<Core<Vpcg_core_gates>>(&ctx_);
        else
          core_[core] = std::make_unique<Core<Vpcg_core_tile_gates>>(&ctx_);
#endif
      } else if (c.mutant)
        core_[core] = std::make_unique<Core<Vpcg_core_mut>>(&ctx_);
      else if (acts)
        core_[core] = std::make_unique<Core<Vpcg_core>>(&ctx_);
      else
        core_[core] = std::make_unique<Core<Vpcg_core_noacts>>(&ctx_);
    }
    for (int id : routers) {
      const Coord rc = a.at(id);
      if (c.netlist) {
#ifdef PCGRID_HAVE_NETLIST
        router_[id] = std::make_unique<Router<Vpcg_router_gates>>(&ctx_, rc.x, rc.y);
#endif
      } else
        router_[id] = std::make_unique<Router<Vpcg_router>>(&ctx_, rc.x, rc.y);
    }
    if (!c.port_trace.empty()) {
      if (!core_.count(c.port_trace_core))
        throw SimError(fmt::format("--rtl-port-trace: {} runs no RTL core", where(c.port_trace_core)));
      port_trace_.reset(std::fopen(c.port_trace.c_str(), "w"));
      if (!port_trace_) throw SimError(fmt::format("{}: cannot write the port trace", c.port_trace));
      core_[c.port_trace_core]->port_trace = port_trace_.get();
    }
    // Configuration from the host: weights, biases and the generators' seeds.
    for (size_t s = 0; s < slice_.size(); ++s) {
      const Slice& sl = slice_[s];
      if (!sl.on) continue;
      CoreIf& core = *core_[sl.core];
      const SliceKernel& k = e.kernels()[s];
      for (int r = 0; r < sl.n; ++r) {
        if (sl.elem) {  // no weights; the x words its parents accumulate into start at 0
          core.write(kSelX, sl.xbase + r, 0);
          continue;
        }
        for (int j = 0; j < sl.m; ++j)
          core.write(kSelW, sl.wbase + r * (sl.m + 1) + j, k.weights()[size_t(r * sl.m + j)]);
        core.write(kSelBias, sl.sbase + r, k.biases()[size_t(r)]);
      }
      CoreIf::Cmd cmd;
      cmd.op = kSeed;
      cmd.ctx = sl.ctx;
      cmd.seed = k.rng_state();
      core.run(cmd);
    }
    // VCD: the core's trace in `vcd` (time = its own clock ticks, placed at the SystemC cycle each phase
    // starts), the router's in `vcd` with ".router.vcd" (time = mesh cycles).
    if (!c.vcd.empty()) {
      if (!core_.count(c.vcd_core) && !router_.count(c.vcd_core))
        throw SimError(fmt::format("--rtl-vcd: {} runs no RTL model", where(c.vcd_core)));
      auto open = [](const std::string&) { return std::make_unique<VerilatedVcdC>(); };
      if (core_.count(c.vcd_core)) {
        vcd_core_ = open(c.vcd);
        core_[c.vcd_core]->trace(vcd_core_.get());
        core_[c.vcd_core]->vcd_from = c.vcd_from;
        core_[c.vcd_core]->vcd_to = c.vcd_to;
        vcd_core_->open(c.vcd.c_str());
        if (!vcd_core_->isOpen()) throw SimError(fmt::format("{}: cannot write the RTL VCD file", c.vcd));
      }
      if (router_.count(c.vcd_core)) {
        const std::string rp = c.vcd + ".router.vcd";
        vcd_router_ = open(rp);
        router_[c.vcd_core]->trace(vcd_router_.get());
        router_[c.vcd_core]->vcd_from = c.vcd_from;
        router_[c.vcd_core]->vcd_to = c.vcd_to;
        vcd_router_->open(rp.c_str());
        if (!vcd_router_->isOpen()) throw SimError(fmt::format("{}: cannot write the RTL VCD file", rp));
      }
    }
  }
  ~Harness() override {
    if (vcd_core_) vcd_core_->close();
    if (vcd_router_) vcd_router_->close();
#if VM_COVERAGE
    // scripts/rtl_coverage.sh: one file per process (the tests fork), merged by verilator_coverage.
    if (const char* f = std::getenv("PCGRID_RTL_COVERAGE"))
      ctx_.coveragep()->write((std::string(f) + "." + std::to_string(getpid()) + ".dat").c_str());
#endif
  }

  // Lays out the slices of one core in the RTL's memories (throws SimError when the RTL cannot run them).
  // Returns false for a core that holds only input slices (nothing to compute).
  bool place_core(int core, const std::vector<int>& slices) {
    Alloc al;
    const Coord cc = m_.arch.at(core);
    for (int s : slices) {
      const SlicePlan& sp = plan_.slices[size_t(s)];
      const Vertex& v = m_.graph.v(sp.vertex);
      const std::string who = fmt::format("core ({},{}), vertex '{}' (slice {})", cc.x, cc.y, v.name, s);
      if (v.op == OpKind::Input) continue;  // the host's values: nothing to compute
      const bool elem = v.op == OpKind::Add || v.op == OpKind::Activation || v.op == OpKind::Slice ||
                        v.op == OpKind::Concat || v.op == OpKind::Mul;
      if (v.op != OpKind::Dense && !elem)
        throw SimError(
            fmt::format("{}: the RTL core implements dense, add, mul, activation, slice and concat slices, not "
                        "'{}'; leave this core on the SystemC model",
                        who, to_string(v.op)));
      const auto& parents = m_.graph.parents(sp.vertex);
      // The core adds a second parent's word into the x buffer as it arrives (sat16 each time): the spec's
      // sat16 of the whole sum for two parents, not for more.
      if (v.op == OpKind::Add && parents.size() > 2)
        throw SimError(
            fmt::format("{}: the RTL core adds at most 2 parents, this add has {}; leave this core on "
                        "the SystemC model",
                        who, parents.size()));
      // The core's activation codes are fx::FxAct's (identity 0, relu 1, leaky_relu 2, hard_tanh 3, tanh 4,
      // sigmoid 5; the last three in pcg_act.sv), the slope the kernel's own Q1.15 value.
      const fx::ActParams ap = e_.kernels()[size_t(s)].act();
      const int act = int(ap.kind);
      Slice& sl = slice_[size_t(s)];
      sl.on = true;
      sl.core = core;
      sl.ctx = al.ctx++;
      sl.n = int(sp.e_hi - sp.e_lo);
      sl.m = int(sp.fan_in);
      sl.act = act;
      sl.alpha = ap.alpha_q15;
      sl.smax = sp.is_output && v.loss == Loss::SoftmaxCe;  // SMAX (pcg_softmax.sv), else OUTERR (MSE)
      sl.elem = elem;
      sl.mul = v.op == OpKind::Mul;  // exactly two parents (make_plan checks)
      sl.e_lo = int(sp.e_lo);
      sl.wbase = al.w;
      sl.sbase = al.s;
      sl.xbase = al.x;
      // An elementwise slice's element e (0-based in the slice) is parent element j of slot k with
      // e = j + shift(k) − e_lo: its x word is xbase + e, its δ slot sbase + e.
      std::vector<int64_t> shift(parents.size(), 0);
      if (v.op == OpKind::Slice) shift[0] = -v.offset;
      if (v.op == OpKind::Concat)
        for (size_t k = 1; k < parents.size(); ++k) shift[k] = shift[k - 1] + m_.graph.size_of(parents[k - 1]);
      for (size_t k = 0; k < parents.size(); ++k) sl.xoff.push_back(elem ? shift[k] - sp.e_lo : -sp.need_lo[k]);
      if (elem) sl.m = 0;
      al.w += sl.mul ? 2 * sl.n : sl.n * (sl.m + 1);
      al.s += sl.n;
      al.x += elem ? sl.n : sl.m;
      for (const Link& l : sp.err_out) {
        sl.obase.push_back(al.o);
        al.o += int(l.words);
        if (!elem) continue;
        if (l.parts.size() != 1)
          throw SimError(
              fmt::format("{}: an error message of {} parts (the RTL core's elementwise ERR sends one "
                          "range per message); leave this core on the SystemC model",
                          who, l.parts.size()));
        const Part& pt = l.parts[0];
        sl.eslot.push_back(sl.sbase + int(pt.lo + shift[size_t(pt.slot)] - sp.e_lo));
      }
      if (al.ctx > kCtx || al.w > kSramWords || al.s > kSlots || al.x > kXWords || al.o > kOWords)
        throw SimError(fmt::format(
            "{}: the core's slices need {} contexts, {} weight words, {} slots, {} x-buffer and {} out-buffer "
            "words; the RTL core has {}, {}, {}, {} and {}",
            who, al.ctx, al.w, al.s, al.x, al.o, kCtx, kSramWords, kSlots, kXWords, kOWords));
    }
    return al.ctx > 0;
  }

  bool core_on_rtl(int core) const override { return core_.count(core) > 0; }
  bool router_on_rtl(int id) const override { return router_.count(id) > 0; }

  void pred_in(int s, const Link& l, const int16_t* p, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return;
    CoreIf& c = core(*sl, now);
    for (const Part& pt : l.parts)
      for (int64_t j = pt.lo; j < pt.hi; ++j) {
        if (sl->mul) {  // a: x buffer and weight word 2e + 1; b: weight word 2e
          const int e = int(j) - sl->e_lo;
          if (pt.slot == 0) c.write(kSelX, sl->xbase + e, *p);
          c.write(kSelW, sl->wbase + 2 * e + (pt.slot == 0 ? 1 : 0), *p);
          ++p;
        } else {
          c.write(sl->elem ? kSelXAcc : kSelX, sl->xbase + int(j + sl->xoff[size_t(pt.slot)]), *p++);
        }
      }
  }
  int64_t forward(int s, int64_t mc, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return mc;
    CoreIf::Cmd c = cmd(*sl, kFwd);
    if (sl->elem) {
      c.elem = true;
      c.mul = sl->mul;
      c.m = 1;  // mul: the weight address steps by 2 (m + 1)
    }
    return phase(s, c, mc, now);
  }
  void pred_out(int s, const Link& l, std::vector<int16_t>& payload, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return;
    CoreIf& c = core(*sl, now);
    const SlicePlan& sp = plan_.slices[size_t(s)];
    std::vector<int16_t> rtl;
    for (const Part& pt : l.parts)
      for (int64_t e = pt.lo; e < pt.hi; ++e) rtl.push_back(c.read(kSelVhat, sl->sbase + int(e - sp.e_lo)));
    compare_payload(s, "PRED", l.peer, rtl, payload, now);
    payload = rtl;
  }
  int64_t output_error(int s, int label, int64_t mc, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return mc;
    CoreIf::Cmd c = cmd(*sl, sl->smax ? kSmax : kOutErr);
    c.label = label;
    const int64_t cyc = phase(s, c, mc, now);
    compare_eps(s, "output error", now + cyc);
    return cyc;
  }
  int64_t err_out(int s, const Link& l, bool first, std::vector<int16_t>& payload, int64_t mc, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return mc;
    const SlicePlan& sp = plan_.slices[size_t(s)];
    const size_t li = size_t(&l - sp.err_out.data());
    CoreIf::Cmd c = cmd(*sl, kErr);
    c.first = first;
    c.lo = int(l.parts.at(0).lo);
    c.hi = int(l.parts.at(0).hi);
    c.obase = sl->obase.at(li);
    if (sl->elem) {
      c.elem = true;
      c.xbase = sl->eslot.at(li);
      if (sl->mul) {  // the other parent's words, stride 2 (m = 1): the address of element lo is cmd_wbase + lo
        const Part& pt = l.parts.at(0);
        c.mul = true;
        c.m = 1;
        c.wbase = sl->wbase + 2 * (c.lo - sl->e_lo) + (pt.slot == 1 ? 1 : 0) - c.lo;
      }
    }
    const int64_t cyc = phase(s, c, mc, now);
    CoreIf& co = core(*sl, now);
    std::vector<int16_t> rtl(payload.size(), 0);
    if (!co.err_zero())
      for (size_t k = 0; k < rtl.size(); ++k) rtl[k] = co.read(kSelOut, c.obase + int(k));
    compare_payload(s, "ERR", l.peer, rtl, payload, now + cyc);
    payload = rtl;
    return cyc;
  }
  void err_in(int s, const Link& l, const int16_t* p, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return;
    CoreIf& c = core(*sl, now);
    const SlicePlan& sp = plan_.slices[size_t(s)];
    for (const Part& pt : l.parts)
      for (int64_t e = pt.lo; e < pt.hi; ++e) c.write(kSelEsum, sl->sbase + int(e - sp.e_lo), *p++);
  }
  int64_t relax(int s, int64_t mc, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return mc;
    CoreIf::Cmd c = cmd(*sl, kRelax);
    c.shift = e_.config().shift_v;
    const int64_t cyc = phase(s, c, mc, now);
    compare_eps(s, "relaxation", now + cyc);
    return cyc;
  }
  int64_t update(int s, int64_t mc, int64_t now) override {
    Slice* sl = on(s);
    if (!sl) return mc;
    if (sl->elem) {  // no weights: the SystemC kernel charges nothing, and the core refuses an ELEM UPDATE
      if (mc != 0)
        diverge(fmt::format("{} slice {}: the SystemC model charges {} cycles to update an elementwise slice",
                            where(sl->core), s, mc));
      return 0;
    }
    CoreIf::Cmd c = cmd(*sl, kUpdate);
    c.shift = e_.config().shift_lr;
    const int64_t cyc = phase(s, c, mc, now);
    // Scoreboard: the slice's whole weight memory after the update.
    CoreIf& co = core(*sl, now);
    const SliceKernel& k = e_.kernels()[size_t(s)];
    for (int r = 0; r < sl->n && !failed_; ++r) {
      for (int j = 0; j < sl->m; ++j) {
        const int addr = sl->wbase + r * (sl->m + 1) + j;
        const int16_t got = co.read(kSelW, addr), want = k.weights()[size_t(r * sl->m + j)];
        ++weight_words_;
        if (got != want) {
          diverge(
              fmt::format("{} slice {}: weight W[{}][{}] at SRAM word {} after the update ending at cycle {}: "
                          "RTL {} vs SystemC {}",
                          where(sl->core), s, r, j, addr, now + cyc, got, want));
          break;
        }
      }
      const int16_t got = co.read(kSelBias, sl->sbase + r), want = k.biases()[size_t(r)];
      ++weight_words_;
      if (!failed_ && got != want)
        diverge(
            fmt::format("{} slice {}: bias b[{}] at slot {} after the update ending at cycle {}: RTL {} vs "
                        "SystemC {}",
                        where(sl->core), s, r, sl->sbase + r, now + cyc, got, want));
    }
    return cyc;
  }

  void router_edge(int id, const std::vector<RtlFlit>& pushes, unsigned credits, bool offer, bool injected,
                   int64_t now) override {
    RouterIf& r = *router_.at(id);
    if (offer && r.local_ready() != injected)
      diverge(fmt::format("router {} cycle {}: local port ready {} but the SystemC router {} the core's flit",
                          where(id), now, r.local_ready() ? 1 : 0, injected ? "took" : "refused"));
    r.edge(pushes, credits, now);
    flits_in_ += int64_t(pushes.size());
    if (r.overflow()) diverge(fmt::format("router {} cycle {}: an input buffer overflowed", where(id), now));
  }
  std::vector<RtlGrant> router_grants(int id, const std::vector<RtlGrant>& model, int64_t now) override {
    std::vector<RtlGrant> g = router_.at(id)->grants();
    flits_out_ += int64_t(model.size());
    if (failed_) return g;
    for (size_t k = 0; k < std::max(g.size(), model.size()); ++k) {
      auto show = [](const std::vector<RtlGrant>& v, size_t i) {
        if (i >= v.size()) return std::string("nothing");
        const RtlGrant& x = v[i];
        return fmt::format("out {} <- in {} flit 0x{:08x}{}{}", x.out, x.in, x.data, x.head ? " head" : "",
                           x.tail ? " tail" : "");
      };
      const bool same = k < g.size() && k < model.size() && g[k].out == model[k].out && g[k].in == model[k].in &&
                        g[k].data == model[k].data && g[k].head == model[k].head && g[k].tail == model[k].tail;
      if (!same) {
        diverge(fmt::format("router {} cycle {}: grant {}: RTL {} vs SystemC {}", where(id), now, k, show(g, k),
                            show(model, k)));
        break;
      }
    }
    return g;
  }

  bool failed() const override { return failed_; }
  std::string divergence() const override { return first_; }
  std::string report_json() const override {
    int64_t core_ticks = 0, router_ticks = 0;
    double core_s = 0, router_s = 0;
    for (const auto& [id, c] : core_) {
      core_ticks += c->phase_ticks;
      core_s += c->seconds;
    }
    for (const auto& [id, r] : router_) {
      router_ticks += r->ticks;
      router_s += r->seconds;
    }
    nlohmann::json j;
    j["rtl_cores"] = core_.size();
    j["rtl_routers"] = router_.size();
    j["phases"] = phases_;
    j["cycle_mismatches"] = cycle_mismatches_;
    j["payload_words"] = payload_words_;
    j["weight_words"] = weight_words_;
    j["error_words"] = state_words_;
    j["router_flits_in"] = flits_in_;
    j["router_grants"] = flits_out_;
    j["mismatches"] = failed_ ? 1 : 0;
    j["core_clock_ticks"] = core_ticks;
    j["core_eval_s"] = core_s;
    j["router_clock_ticks"] = router_ticks;
    j["router_eval_s"] = router_s;
    j["mutant"] = cfg_.mutant;
    j["netlist"] = cfg_.netlist;
    j["power_up_seed"] = power_up_seed_;
    j["rtl_cores_full_build"] = acts_cores_;  // built with ACTS = 1, ELEM = 1; the others as the synthesis top (0, 0)
    j["kept_on_systemc"] = kept_;
    return j.dump();
  }

 private:
  struct Slice {
    bool on = false;
    int core = 0, ctx = 0, n = 0, m = 0, act = 0, alpha = 0, wbase = 0, sbase = 0, xbase = 0;
    bool smax = false;  // the output error is softmax-CE
    bool elem = false;  // add, activation, slice, concat or mul: pcg_core's ELEM commands, no weights
    bool mul = false;   // mul: the parents' words also in the weight SRAM (b at wbase + 2e, a at wbase + 2e + 1)
    int e_lo = 0;
    std::vector<int> obase;
    std::vector<int> eslot;     // ELEM: per error link, the slot of the δ its first word carries
    std::vector<int64_t> xoff;  // per parent slot: x-buffer word of parent element j = xbase + j + xoff
  };
  struct Alloc {
    int ctx = 0, w = 0, s = 0, x = 0, o = 0;
  };
  Slice* on(int s) { return slice_[size_t(s)].on ? &slice_[size_t(s)] : nullptr; }
  CoreIf& core(const Slice& sl, int64_t now) {
    CoreIf& c = *core_.at(sl.core);
    c.now = now;
    return c;
  }
  CoreIf::Cmd cmd(const Slice& sl, Op op) const {
    CoreIf::Cmd c;
    c.op = op;
    c.ctx = sl.ctx;
    c.n = sl.n;
    c.m = sl.m;
    c.wbase = sl.wbase;
    c.sbase = sl.sbase;
    c.xbase = sl.xbase;
    c.act = sl.act;
    c.alpha = sl.alpha;
    return c;
  }
  int64_t phase(int s, const CoreIf::Cmd& c, int64_t mc, int64_t now) {
    const Slice& sl = slice_[size_t(s)];
    CoreIf& co = core(sl, now);
    const int64_t cyc = co.run(c);
    ++phases_;
    if (co.cmd_err()) {
      diverge(fmt::format("{} slice {}: the RTL core refused the {} starting at cycle {} (cmd_err; activation code {})",
                          where(sl.core), s, phase_name(c.op), now, c.act));
      return cyc;
    }
    if (cyc != mc) {
      ++cycle_mismatches_;
      diverge(fmt::format("{} slice {}: {} starting at cycle {} took {} cycles on the RTL, {} in the SystemC model",
                          where(sl.core), s, phase_name(c.op), now, cyc, mc));
    }
    return cyc;
  }
  // The slice's errors ε (internal state, not on the NoC) after the phases that change them.
  void compare_eps(int s, const char* phase, int64_t cycle) {
    const Slice& sl = slice_[size_t(s)];
    CoreIf& co = *core_.at(sl.core);
    const std::vector<int16_t>& want = e_.kernels()[size_t(s)].eps();
    for (int r = 0; r < sl.n && !failed_; ++r) {
      const int16_t got = co.read(kSelEps, sl.sbase + r);
      ++state_words_;
      if (got != want[size_t(r)])
        diverge(
            fmt::format("{} slice {}: error eps[{}] at slot {} after the {} ending at cycle {}: RTL {} vs "
                        "SystemC {}",
                        where(sl.core), s, r, sl.sbase + r, phase, cycle, got, want[size_t(r)]));
    }
  }
  void compare_payload(int s, const char* kind, int peer, const std::vector<int16_t>& rtl,
                       const std::vector<int16_t>& model, int64_t cycle) {
    payload_words_ += int64_t(model.size());
    if (failed_) return;
    for (size_t k = 0; k < std::max(rtl.size(), model.size()); ++k) {
      const int a = k < rtl.size() ? rtl[k] : 0, b = k < model.size() ? model[k] : 0;
      if (k >= rtl.size() || k >= model.size() || a != b) {
        const std::string to = peer == kHost ? std::string("the host") : fmt::format("slice {}", peer);
        diverge(
            fmt::format("{} slice {}: {} message to {} leaving at cycle {}: payload word {} (flit {}, bits "
                        "{}..{}): RTL {} vs SystemC {}",
                        where(slice_[size_t(s)].core), s, kind, to, cycle, k, 1 + k * 16 / size_t(m_.arch.flit_bits),
                        (k * 16) % size_t(m_.arch.flit_bits) + 15, (k * 16) % size_t(m_.arch.flit_bits), a, b));
        return;
      }
    }
  }
  std::string where(int core) const {
    const Coord c = m_.arch.at(core);
    return fmt::format("core ({},{})", c.x, c.y);
  }
  void diverge(const std::string& what) {
    if (failed_) return;
    failed_ = true;
    first_ = "first divergence: " + what;
    sc_core::sc_pause();
  }

  FxEngine& e_;
  const Mapping& m_;
  const Plan& plan_;
  LockstepConfig cfg_;
  VerilatedContext ctx_;
  std::map<int, std::unique_ptr<CoreIf>> core_;
  std::map<int, std::unique_ptr<RouterIf>> router_;
  std::vector<Slice> slice_;
  std::unique_ptr<VerilatedVcdC> vcd_core_, vcd_router_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> port_trace_{nullptr, &std::fclose};
  bool failed_ = false;
  std::string first_;
  std::vector<std::string> kept_;  // cores "all" left on the SystemC model, with the reason
  int acts_cores_ = 0;
  uint32_t power_up_seed_ = 0;  // the power-up state used (LockstepConfig::power_up_seed; 0 in coverage builds)
  int64_t phases_ = 0, cycle_mismatches_ = 0, payload_words_ = 0, weight_words_ = 0, state_words_ = 0, flits_in_ = 0,
          flits_out_ = 0;
};

}  // namespace

std::shared_ptr<Lockstep> attach_lockstep(FxEngine& e, const LockstepConfig& c) {
  auto h = std::make_shared<Harness>(e, c);
  set_lockstep(e, h);
  return h;
}

namespace {
// scripts/rtl_coverage.sh: the direct tests write one coverage file per call (a process makes many; merged
// by verilator_coverage), numbered by one counter for every caller and model: the mutant's calls (not
// instrumented) must not overwrite the instrumented model's files, as they did with a counter per template
// instance.
void write_coverage([[maybe_unused]] VerilatedContext& ctx, [[maybe_unused]] const char* what) {
#if VM_COVERAGE
  static int calls = 0;
  if (const char* f = std::getenv("PCGRID_RTL_COVERAGE"))
    ctx.coveragep()->write(fmt::format("{}.{}.{}{}.dat", f, getpid(), what, calls++).c_str());
#endif
}

// The direct tests' forward pass: one column whose rounded sums are exactly `pre` (x = 8192, 4.0 in Q5.11;
// W[r][0] = pre_r; bias 0: pre = round(W·x / 2^13) = W), with activation `act`. Runs it and returns the
// command (for the caller's next ones); `cycles` gets its busy cycles.
CoreIf::Cmd forward_one_column(CoreIf& core, const std::vector<int16_t>& pre, int act, int alpha, int64_t& cycles) {
  const int n = int(pre.size());
  for (int r = 0; r < n; ++r) {
    core.write(kSelW, r * 2, pre[size_t(r)]);
    core.write(kSelBias, r, 0);
  }
  core.write(kSelX, 0, 8192);
  CoreIf::Cmd c;
  c.op = kFwd;
  c.n = n;
  c.m = 1;
  c.act = act;
  c.alpha = alpha;
  cycles = core.run(c);
  return c;
}

// The direct tests' errors: ε[r] = eps[r] for the slice of command `c` (slots 0 .. n − 1), as the received
// sums that a RELAX with shift 0 turns into ε.
void set_eps_by_relax(CoreIf& core, CoreIf::Cmd c, const std::vector<int16_t>& eps) {
  for (size_t r = 0; r < eps.size(); ++r) core.write(kSelEsum, int(r), eps[r]);
  c.op = kRelax;
  c.elem = c.mul = false;
  c.shift = 0;
  core.run(c);
}

template <class M>
RtlSoftmax softmax_on(const std::vector<int16_t>& vhat, int label) {
  const int n = int(vhat.size());
  VerilatedContext ctx;
  Core<M> core(&ctx);
  int64_t fwd_cycles = 0;
  CoreIf::Cmd c = forward_one_column(core, vhat, 0, 0, fwd_cycles);  // identity: v̂ = pre
  for (int r = 0; r < n; ++r)
    if (core.read(kSelVhat, r) != vhat[size_t(r)])
      throw SimError(fmt::format("rtl_softmax_ce: the forward pass did not set v̂[{}] (a core defect)", r));
  c.op = kSmax;
  c.label = label;
  RtlSoftmax out;
  out.cycles = core.run(c);
  for (int r = 0; r < n; ++r) out.eps.push_back(core.read(kSelEps, r));
  for (int r = 0; r < n; ++r) out.esum_left += core.read(kSelEsum, r) != 0;
  write_coverage(ctx, "smax");
  return out;
}
}  // namespace

RtlAct rtl_activation(int act, int alpha, const std::vector<int16_t>& pre, const std::vector<int16_t>& eps,
                      uint32_t seed, bool seed_gap) {
  const int n = int(pre.size());
  if (n < 1 || n > 127 || eps.size() != pre.size())
    throw SimError(fmt::format("rtl_activation: {} elements and {} errors (1 .. 127, as many of each)", n, eps.size()));
  VerilatedContext ctx;
  Core<Vpcg_core> core(&ctx);
  RtlAct out;
  CoreIf::Cmd c = forward_one_column(core, pre, act, alpha, out.fwd_cycles);
  for (int r = 0; r < n; ++r) out.vhat.push_back(core.read(kSelVhat, r));
  set_eps_by_relax(core, c, eps);
  // ERR through an n × n identity of 1.0 (Q3.13): out[j] = round(2^13·δ_j / 2^13) = δ_j.
  for (int r = 0; r < n; ++r)
    for (int j = 0; j <= n; ++j) core.write(kSelW, r * (n + 1) + j, j == r ? 8192 : 0);
  c.op = kErr;
  c.first = true;
  c.m = n;
  c.lo = 0;
  c.hi = n;
  out.err_cycles = core.run(c);
  for (int j = 0; j < n; ++j) out.delta_err.push_back(core.err_zero() ? 0 : core.read(kSelOut, j));
  core.write(kSelX, 1, 1234);  // x[1] ≠ 0: the weight step of column 1 draws on the generator
  if (seed != 0) {
    CoreIf::Cmd sc;
    sc.op = kSeed;
    sc.seed = seed;
    core.run(sc);
    if (seed_gap) core.read(kSelBias, 0);  // one idle edge
  }
  // UPDATE with shift 0: b += stochastic_round(δ / 2^0) = δ.
  c.op = kUpdate;
  c.first = false;
  out.update_cycles = core.run(c);
  for (int r = 0; r < n; ++r) out.delta_update.push_back(core.read(kSelBias, r));
  for (int w = 0; w < n * (n + 1); ++w) out.weights.push_back(core.read(kSelW, w));
  write_coverage(ctx, "act");
  return out;
}

namespace {
template <class M>
RtlRefusal refusal_on(int op, int act, int again_at, bool elem) {
  VerilatedContext ctx;
  Core<M> core(&ctx);
  int64_t cycles = 0;
  CoreIf::Cmd c = forward_one_column(core, {100, -200}, 0, 0, cycles);
  core.write(kSelW, 0, 300);
  core.write(kSelW, 2, -600);
  RtlRefusal out;
  if (again_at < 0) {
    c.op = Op(op);
    c.act = act;
    c.elem = elem;
    out.cycles = core.run(c);
  } else {
    out.cycles = core.run(c, again_at);  // the identity FWD, strobed a second time while busy
  }
  out.cmd_err = core.cmd_err();
  for (int r = 0; r < 2; ++r) out.vhat.push_back(core.read(kSelVhat, r));
  CoreIf::Cmd sc;
  sc.op = kSeed;
  sc.seed = 7;
  core.run(sc);
  out.cmd_err_after_seed = core.cmd_err();
  write_coverage(ctx, "refusal");
  return out;
}
}  // namespace

RtlRefusal rtl_refusal(bool acts, int op, int act, int again_at, bool elem) {
  if (op < 0 || op > 7 || act < 0 || act > 7)
    throw SimError(fmt::format("rtl_refusal: op {} and activation {} (each 0 .. 7: 3-bit fields)", op, act));
  return acts ? refusal_on<Vpcg_core>(op, act, again_at, elem) : refusal_on<Vpcg_core_noacts>(op, act, again_at, elem);
}

RtlElemAdd rtl_elem_add(const std::vector<int16_t>& a, const std::vector<int16_t>& b, int act) {
  const int n = int(a.size());
  if (n < 1 || n > 127 || b.size() != a.size())
    throw SimError(fmt::format("rtl_elem_add: {} and {} words (1 .. 127, as many of each)", n, b.size()));
  VerilatedContext ctx;
  Core<Vpcg_core> core(&ctx);
  RtlElemAdd out;
  const int xbase = 100;  // away from 0: the x pointer must start at the command's base
  for (int k = 0; k < n; ++k) core.write(kSelX, xbase + k, 0);
  CoreIf::Cmd c;
  c.op = kFwd;
  c.elem = true;
  c.n = n;
  c.m = 1;
  c.xbase = xbase;
  c.act = act;
  for (int round = 0; round < 2; ++round) {
    for (int k = 0; k < n; ++k) core.write(kSelXAcc, xbase + k, a[size_t(k)]);
    for (int k = 0; k < n; ++k) core.write(kSelXAcc, xbase + k, b[size_t(k)]);
    const int64_t cyc = core.run(c);
    if (core.cmd_err()) throw SimError("rtl_elem_add: the core refused the ELEM FWD (a core defect)");
    if (round == 0) out.cycles = cyc;
    for (int k = 0; k < n; ++k) (round == 0 ? out.vhat : out.vhat_again).push_back(core.read(kSelVhat, k));
    if (round == 0)
      for (int k = 0; k < n; ++k) out.x_after.push_back(core.read(kSelX, xbase + k));
  }
  write_coverage(ctx, "elem");
  return out;
}

RtlElemMul rtl_elem_mul(const std::vector<int16_t>& a, const std::vector<int16_t>& b, const std::vector<int16_t>& eps,
                        int act) {
  const int n = int(a.size());
  if (n < 1 || n > 127 || b.size() != a.size() || eps.size() != a.size())
    throw SimError(
        fmt::format("rtl_elem_mul: {}, {} and {} words (1 .. 127, as many of each)", n, b.size(), eps.size()));
  VerilatedContext ctx;
  Core<Vpcg_core> core(&ctx);
  RtlElemMul out;
  const int wbase = 40, xbase = 300;  // away from 0: the pointers must start at the command's bases
  for (int k = 0; k < n; ++k) {
    core.write(kSelX, xbase + k, a[size_t(k)]);
    core.write(kSelW, wbase + 2 * k + 1, a[size_t(k)]);
    core.write(kSelW, wbase + 2 * k, b[size_t(k)]);
  }
  CoreIf::Cmd c;
  c.op = kFwd;
  c.elem = true;
  c.mul = true;
  c.n = n;
  c.m = 1;
  c.wbase = wbase;
  c.xbase = xbase;
  c.act = act;
  out.fwd_cycles = core.run(c);
  for (int k = 0; k < n; ++k) out.vhat.push_back(core.read(kSelVhat, k));
  set_eps_by_relax(core, c, eps);
  // ERR to parent a (needs b: weight words 2k) and to parent b (needs a: 2k + 1); the slice is elements
  // [0, n) of its vertex, so a link's lo = 0: cmd_wbase + lo is the first element's word.
  for (int slot = 0; slot < 2; ++slot) {
    CoreIf::Cmd ec = c;
    ec.op = kErr;
    ec.first = slot == 0;
    ec.lo = 0;
    ec.hi = n;
    ec.obase = slot * 128;
    ec.xbase = 0;  // the δ slot of the first element
    ec.wbase = wbase + slot;
    const int64_t cyc = core.run(ec);
    (slot == 0 ? out.err_a_cycles : out.err_b_cycles) = cyc;
    for (int k = 0; k < n; ++k)
      (slot == 0 ? out.err_a : out.err_b).push_back(core.err_zero() ? 0 : core.read(kSelOut, slot * 128 + k));
  }
  write_coverage(ctx, "mul");
  return out;
}

RtlSoftmax rtl_softmax_ce(const std::vector<int16_t>& vhat, int label, bool mutant) {
  const int n = int(vhat.size());
  if (n < 1 || n > kSlots)
    throw SimError(fmt::format("rtl_softmax_ce: {} outputs (the RTL core has 1 .. {} slots)", n, kSlots));
  return mutant ? softmax_on<Vpcg_core_mut>(vhat, label)
                : softmax_on<Vpcg_core_noacts>(vhat, label);  // the synthesized configuration
}

}  // namespace pcgrid
