// Fault state shared by the functional engine and the cycle-level grid (engine.hpp, docs/faults.md).
#include "pcgrid/engine.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>

namespace pcgrid {

namespace {

uint64_t mix64(uint64_t x) {  // SplitMix64 finaliser
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double unit(uint64_t h) { return double(h >> 11) * (1.0 / 9007199254740992.0); }

void add_unique(std::vector<Coord>& v, Coord c) {
  if (std::find(v.begin(), v.end(), c) == v.end()) v.push_back(c);
}

}  // namespace

void FxEngine::init_fault_state() {
  const Arch& a = m_->arch;
  const size_t ns = plan_.slices.size();
  slice_dead_.assign(ns, 0);
  slice_idle_.assign(ns, 0);
  core_dead_.assign(size_t(a.cores()), 0);
  live_arch_ = a;
  live_routing_ = m_->routing;
  core_slices_.assign(size_t(a.cores()), {});
  for (const SlicePlan& sp : plan_.slices) core_slices_[size_t(sp.core)].push_back(sp.id);
  recompute_components();
}

void FxEngine::recompute_components() {
  const Arch& a = live_arch_;
  comp_.assign(size_t(a.cores()), -1);
  int next = 0;
  for (int s = 0; s < a.cores(); ++s) {
    if (comp_[size_t(s)] >= 0 || !a.router_alive(a.at(s))) continue;
    std::deque<int> q{s};
    comp_[size_t(s)] = next;
    while (!q.empty()) {
      const int u = q.front();
      q.pop_front();
      const Coord cu = a.at(u);
      for (int p = kEast; p <= kSouth; ++p) {
        const Coord cv = step(cu, p);
        if (!a.inside(cv) || !a.link_alive(cu, cv)) continue;
        const int v = a.id(cv);
        if (comp_[size_t(v)] < 0) {
          comp_[size_t(v)] = next;
          q.push_back(v);
        }
      }
    }
    ++next;
  }
}

void FxEngine::set_faults(const FaultSet& f) {
  faults_ = f;
  applied_.assign(f.faults.size(), 0);
  for (const Fault& x : f.faults)
    for (const Coord& c : x.cores)
      if (!m_->arch.inside(c))
        throw SimError(
            fmt::format("fault core ({},{}) is outside the {}x{} grid", c.x, c.y, m_->arch.width, m_->arch.height));
  on_faults_set();
}

int FxEngine::core_of_peer(int peer) const {
  return peer == kHost ? m_->arch.id(m_->arch.host) : plan_.slices[size_t(peer)].core;
}

bool FxEngine::reachable(int a, int b) const { return comp_[size_t(a)] >= 0 && comp_[size_t(a)] == comp_[size_t(b)]; }

bool FxEngine::peer_silent(int receiver, int peer) const {
  if (peer != kHost && (slice_dead_[size_t(peer)] || slice_idle_[size_t(peer)])) return true;
  return !reachable(core_of_peer(peer), core_of_peer(receiver));
}

bool FxEngine::output_lost() const { return peer_silent(kHost, output_slice_); }

std::vector<Coord> FxEngine::cores_in_use() const {
  std::vector<Coord> in_use;
  for (const SlicePlan& sp : plan_.slices) add_unique(in_use, m_->arch.at(sp.core));
  std::sort(in_use.begin(), in_use.end());
  return in_use;
}

bool FxEngine::apply_due_faults(int64_t sample) {
  bool changed = false;
  const std::vector<Coord> in_use = cores_in_use();
  for (size_t k = 0; k < faults_.faults.size(); ++k) {
    const Fault& f = faults_.faults[k];
    if (applied_[k] || f.at_cycle >= 0 || f.at_sample > sample) continue;
    applied_[k] = 1;
    changed = true;
    switch (f.kind) {
      case FaultKind::DeadCore:
      case FaultKind::DeadRouter:
        for (const Coord& c : fault_cores(f, m_->arch, in_use, faults_.seed, k)) {
          core_dead_[size_t(m_->arch.id(c))] = 1;
          add_unique(live_arch_.dead_cores, c);
          if (f.router_dies) {
            if (c == m_->arch.host)
              throw SimError(
                  fmt::format("fault {}: the router ({},{}) of the host tile cannot die (the host would "
                              "be cut off from the chip)",
                              k, c.x, c.y));
            add_unique(live_arch_.dead_routers, c);
          }
        }
        break;
      case FaultKind::DeadLink:
        for (const auto& l : f.links) live_arch_.dead_links.push_back(l);
        break;
      case FaultKind::SramStuck: {
        const int c = m_->arch.id(f.core);
        int64_t w = f.word;
        for (int s : core_slices_[size_t(c)]) {
          SliceKernel& k2 = kernels_[size_t(s)];
          if (w < k2.sram_words()) {
            k2.add_stuck(w, f.bit, f.value);
            ++fstats_.stuck_bits;
            break;
          }
          w -= k2.sram_words();
        }
        break;  // a word beyond the used SRAM holds no weight: no effect
      }
      case FaultKind::SramFlip: p_flip_ = f.rate; break;
      case FaultKind::FlitCorrupt: p_corrupt_ = f.rate; break;
      case FaultKind::FlitDrop: p_drop_ = f.rate; break;
    }
  }
  if (!changed) return false;
  recompute_components();
  // Routes for the live mesh: tables around dead routers and links, for the cores the host can reach.
  std::vector<Coord> eps{m_->arch.host};
  const int hc = m_->arch.id(m_->arch.host);
  for (const SlicePlan& sp : plan_.slices)
    if (reachable(sp.core, hc)) add_unique(eps, m_->arch.at(sp.core));
  live_routing_ = build_routing(live_arch_, eps);
  // Dead slices, then idle ones (every PRED source silent), in forward order.
  for (const SlicePlan& sp : plan_.slices) {
    const bool dead = core_dead_[size_t(sp.core)] || !live_arch_.router_alive(m_->arch.at(sp.core));
    if (dead && !slice_dead_[size_t(sp.id)]) {
      slice_dead_[size_t(sp.id)] = 1;
      ++fstats_.dead_slices;
      fstats_.lost_neurons += sp.e_hi - sp.e_lo;
      fstats_.lost_weights += kernels_[size_t(sp.id)].sram_words();
    }
  }
  std::fill(slice_idle_.begin(), slice_idle_.end(), 0);
  for (int s : plan_.order) {
    const SlicePlan& sp = plan_.slices[size_t(s)];
    if (slice_dead_[size_t(s)]) continue;
    bool any = false;
    for (const Link& l : sp.pred_in) any |= !peer_silent(s, l.peer);
    slice_idle_[size_t(s)] = !any;
  }
  fstats_.idle_slices = std::count(slice_idle_.begin(), slice_idle_.end(), 1);
  on_faults_changed();
  return true;
}

bool FxEngine::flit_faults(int src, int dst, int64_t sample, int step, int kind, std::vector<int16_t>& payload) {
  if (p_corrupt_ <= 0 && p_drop_ <= 0) return true;
  if (src != kHost && dst != kHost && core_of_peer(src) == core_of_peer(dst)) return true;  // inside a core
  const int64_t n = int64_t(payload.size());
  const int64_t flits = message_flits(n, m_->arch.flit_bits);
  const int64_t wpf = std::max(1, m_->arch.flit_bits / 16);
  const uint64_t base = mix64(mix64(mix64(faults_.seed ^ uint64_t(sample) * 0x100000001b3ULL) ^
                                    (uint64_t(uint32_t(src + 1)) << 32 | uint32_t(dst + 1))) ^
                              (uint64_t(step) << 8 | uint64_t(kind)));
  for (int64_t f = 0; f < flits; ++f) {
    const uint64_t h = mix64(base ^ uint64_t(f));
    if (p_drop_ > 0 && unit(h) < p_drop_) {
      ++fstats_.dropped_flits;
      return false;
    }
    if (f > 0 && p_corrupt_ > 0) {
      const uint64_t h2 = mix64(h);
      if (unit(h2) < p_corrupt_) {
        const int64_t w = (f - 1) * wpf + int64_t(h2 % uint64_t(wpf));
        if (w < n) payload[size_t(w)] = int16_t(uint16_t(payload[size_t(w)]) ^ uint16_t(1u << ((h2 >> 8) % 16)));
        ++fstats_.corrupted_flits;
      }
    }
  }
  return true;
}

void FxEngine::sram_faults(int64_t sample) {
  if (p_flip_ <= 0) return;
  for (int c = 0; c < m_->arch.cores(); ++c) {
    if (core_slices_[size_t(c)].empty() || core_dead_[size_t(c)]) continue;
    int64_t words = 0;
    for (int s : core_slices_[size_t(c)]) words += kernels_[size_t(s)].sram_words();
    if (words == 0) continue;
    Rng r(mix64(faults_.seed ^ uint64_t(sample) * 0x9e3779b97f4a7c15ULL) ^ uint64_t(c) * 0xd1b54a32d192ed03ULL);
    // Number of flips ~ Poisson(rate × words): Knuth's product method below 30, else a rounded normal.
    const double lambda = p_flip_ * double(words);
    int64_t n = 0;
    if (lambda < 30) {
      double prod = r.uniform();
      const double lim = std::exp(-lambda);
      while (prod > lim) {
        ++n;
        prod *= r.uniform();
      }
    } else {
      n = std::max<int64_t>(0, std::llround(lambda + std::sqrt(lambda) * r.normal()));
    }
    for (int64_t k = 0; k < n; ++k) {
      int64_t w = int64_t(r.below(uint64_t(words)));
      const int bit = int(r.below(16));
      for (int s : core_slices_[size_t(c)]) {
        SliceKernel& kk = kernels_[size_t(s)];
        if (w < kk.sram_words()) {
          kk.flip(w, bit);
          kk.apply_stuck();
          break;
        }
        w -= kk.sram_words();
      }
      ++fstats_.sram_bit_flips;
    }
  }
}

}  // namespace pcgrid
