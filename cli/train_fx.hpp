// `pcgrid train MAPPING --engine {functional,cycle}`: the fixed-point engines on a mapping file.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pcgrid::cli {

struct FxTrainOpts {
  std::string mapping, engine, data;
  uint64_t seed = 1;
  std::string init = "xavier";
  int epochs = 1;
  int steps = -1;
  double lr = 1.0 / 128, eta_v = 1.0;
  int64_t train_samples = 0, test_samples = 0;
  bool json = false, force = false;
  std::string svg, vcd, save_checkpoint, load_checkpoint, faults;
  std::string vcd_core;  // "x,y"
  int64_t vcd_from = 0, vcd_to = 0;
  // RTL lockstep (docs/rtl.md): cores / routers as "X,Y" or "all"
  std::vector<std::string> rtl_cores, rtl_routers;
  std::string rtl_vcd;
  std::string rtl_port_trace;  // the port trace of the RTL core at vcd_core (JSON lines, docs/rtl.md)
  bool rtl_mutant = false;
  bool rtl_netlist = false;
  // the Verilated models' power-up state: registers random from this seed; 0: every register at 0
  int64_t rtl_power_up = 1;
  bool rtl_power_up_given = false;
};

// Throws pcgrid errors (SimError, MapError, DataError, ...) for bad input; returns the exit code.
int run_train_fx(const FxTrainOpts& o);

// Exponent k of a rate 2^-k in [0, 15]; throws SimError naming the option otherwise.
int rate_shift(double rate, const std::string& option);

}  // namespace pcgrid::cli
