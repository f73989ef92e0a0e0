// Functional engine: executes a mapping slice by slice and message by message in a fixed sequential
// schedule, as fast as the host allows. It is the golden model of the SystemC grid (grid.cpp).
#include "pcgrid/engine.hpp"

#include <fmt/format.h>

namespace pcgrid {

FxEngine::FxEngine(const Mapping& m, const FxConfig& c) : m_(&m), cfg_(c), plan_(make_plan(m)) {
  const Params p = init_params(m.graph, c.init, c.seed);
  kernels_.reserve(plan_.slices.size());
  for (const SlicePlan& sp : plan_.slices) {
    const size_t owner = m.graph.param_owner(sp.vertex);
    static const std::vector<double> none;
    const bool has = owner != Graph::npos;
    kernels_.emplace_back(m.graph, sp, has ? p.w[owner] : none, has ? p.b[owner] : none, c.seed);
    if (sp.is_output) output_slice_ = sp.id;
  }
  steps_ = c.steps >= 0 ? c.steps : plan_.default_steps;
  stats_.link_flits.assign(size_t(m.arch.cores()) * 4, 0);
  stats_.core_busy.assign(size_t(m.arch.cores()), 0);
  stats_.core_macs.assign(size_t(m.arch.cores()), 0);
  init_fault_state();
}

const std::vector<int16_t>& FxEngine::last_output() const { return kernels_[size_t(output_slice_)].vhat(); }

int argmax16(const std::vector<int16_t>& v) {
  int best = 0;
  for (size_t k = 1; k < v.size(); ++k)
    if (v[k] > v[size_t(best)]) best = int(k);
  return best;
}

namespace {

class Functional final : public FxEngine {
 public:
  Functional(const Mapping& m, const FxConfig& c) : FxEngine(m, c) { compute_costs(); }
  std::string name() const override { return "functional"; }

  int train(const uint8_t* pixels, int label) override {
    const int64_t sample = train_index_++;
    apply_due_faults(sample);
    sram_faults(sample);
    forward(pixels, sample);
    const bool lost = output_lost();
    const int pred = lost ? -1 : argmax16(last_output());
    if (lost) ++fstats_.lost_outputs;
    const int out = output_slice_;
    if (!slice_dead_[size_t(out)] && !slice_idle_[size_t(out)]) {
      if (peer_silent(out, kHost)) {
        ++fstats_.missing_messages;  // no label: ε_out stays 0
      } else {
        add(target_cost_);
        buf_.assign(1, int16_t(label));
        if (flit_faults(kHost, out, sample, 0, 1, buf_))
          kernels_[size_t(out)].output_error(buf_[0], lanes(), stats_.counters);
        else
          ++fstats_.damaged_messages;
      }
    }
    for (int t = 1; t <= steps_; ++t) {
      for (SliceKernel& k : kernels_) k.begin_step();
      for (const SlicePlan& sp : plan_.slices) {
        if (!live(sp.id)) continue;
        const SliceKernel& k = kernels_[size_t(sp.id)];
        for (size_t li = 0; li < sp.err_out.size(); ++li) {
          const Link& l = sp.err_out[li];
          if (!live(l.peer) || peer_silent(l.peer, sp.id)) continue;  // parent gone or unreachable: not sent
          k.err_payload(l, lanes(), stats_.counters, buf_);
          add(cost_err_[size_t(sp.id)][li]);
          if (flit_faults(sp.id, l.peer, sample, t, 2, buf_))
            kernels_[size_t(l.peer)].receive_err(l, buf_.data());
          else
            ++fstats_.damaged_messages;  // discarded: adds nothing (zeros)
        }
      }
      for (const SlicePlan& sp : plan_.slices) {
        if (sp.err_in.empty() || !live(sp.id)) continue;
        for (const Link& l : sp.err_in) fstats_.missing_messages += peer_silent(sp.id, l.peer);
        kernels_[size_t(sp.id)].relax(cfg_.shift_v, lanes(), stats_.counters);
      }
    }
    for (const SlicePlan& sp : plan_.slices)
      if (live(sp.id)) kernels_[size_t(sp.id)].update(cfg_.shift_lr, lanes(), stats_.counters);
    ++stats_.train_samples;
    return pred;
  }

  void infer(const uint8_t* pixels, int64_t n, int64_t pps, int* predicted) override {
    for (int64_t s = 0; s < n; ++s) {
      forward(pixels + s * pps, -1 - infer_index_++);
      const bool lost = output_lost();
      predicted[s] = lost ? -1 : argmax16(last_output());
      if (lost) ++fstats_.lost_outputs;
      ++stats_.infer_samples;
    }
  }

 private:
  struct Cost {
    int64_t messages = 0, flits = 0, hops = 0;
    std::vector<int> links;  // directed links crossed
  };
  bool live(int s) const { return !slice_dead_[size_t(s)] && !slice_idle_[size_t(s)]; }
  int lanes() const { return m_->arch.mac_lanes; }
  void on_faults_changed() override { compute_costs(); }
  void compute_costs() {
    cost_in_.clear();
    cost_err_.clear();
    for (const SlicePlan& sp : plan_.slices) {
      cost_in_.push_back({});
      for (const Link& l : sp.pred_in) cost_in_.back().push_back(route_cost(l.peer, sp.id, l.words));
      cost_err_.push_back({});
      for (const Link& l : sp.err_out) cost_err_.back().push_back(route_cost(sp.id, l.peer, l.words));
    }
    out_cost_ = route_cost(output_slice_, kHost, int64_t(kernels_[size_t(output_slice_)].vhat().size()));
    target_cost_ = route_cost(kHost, output_slice_, 1);
  }
  Cost route_cost(int src, int dst, int64_t words) {
    Cost c;
    const int a = core_of_peer(src), b = core_of_peer(dst);
    if (a == b && src != kHost && dst != kHost) return c;  // stays inside the core
    if (!reachable(a, b)) return c;                        // never sent
    c.messages = 1;
    c.flits = message_flits(words, m_->arch.flit_bits);
    const auto path = live_routing_.path(m_->arch.at(a), m_->arch.at(b));
    c.hops = int64_t(path.size()) - 1;
    for (size_t k = 0; k + 1 < path.size(); ++k) {
      const Coord u = path[k], v = path[k + 1];
      const int port = v.x > u.x ? kEast : v.x < u.x ? kWest : v.y < u.y ? kNorth : kSouth;
      c.links.push_back(m_->arch.id(u) * 4 + port - 1);
    }
    return c;
  }
  void add(const Cost& c) {
    stats_.messages += c.messages;
    stats_.flits += c.flits;
    stats_.flit_hops += c.flits * c.hops;
    for (int l : c.links) stats_.link_flits[size_t(l)] += c.flits;
  }
  // `sample` keys the flit faults: training samples 0, 1, ...; inference −1, −2, ...
  void forward(const uint8_t* pixels, int64_t sample) {
    for (int s : plan_.order) {
      const SlicePlan& sp = plan_.slices[size_t(s)];
      if (!live(s)) continue;
      SliceKernel& k = kernels_[size_t(s)];
      for (size_t li = 0; li < sp.pred_in.size(); ++li) {
        const Link& l = sp.pred_in[li];
        if (peer_silent(s, l.peer)) {
          buf_.assign(size_t(l.words), 0);  // the defined substitute for a message that cannot come
          ++fstats_.missing_messages;
        } else {
          if (l.peer == kHost) {  // the host tile converts pixels to Q5.11 values
            buf_.clear();
            for (const Part& pt : l.parts)
              for (int64_t e = pt.lo; e < pt.hi; ++e) buf_.push_back(fx::pixel_value(pixels[e]));
          } else {
            // The sender's outgoing link has the same parts; the payload is its predictions over them.
            kernels_[size_t(l.peer)].pred_payload(l, buf_);
          }
          add(cost_in_[size_t(s)][li]);
          if (!flit_faults(l.peer, s, sample, 0, 0, buf_)) {
            buf_.assign(size_t(l.words), 0);
            ++fstats_.damaged_messages;
          }
        }
        k.receive_pred(l, buf_.data());
      }
      const int64_t before = stats_.counters.macs;
      k.forward(lanes(), stats_.counters);
      stats_.core_macs[size_t(sp.core)] += stats_.counters.macs - before;
    }
    if (!output_lost()) add(out_cost_);
  }
  int64_t train_index_ = 0, infer_index_ = 0;
  std::vector<std::vector<Cost>> cost_in_, cost_err_;
  Cost out_cost_, target_cost_;
  std::vector<int16_t> buf_;
};

}  // namespace

std::unique_ptr<FxEngine> make_functional_engine(const Mapping& m, const FxConfig& c) {
  return std::make_unique<Functional>(m, c);
}

}  // namespace pcgrid
