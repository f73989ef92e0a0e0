// A one-line progress bar on stderr, drawn only when stderr is a terminal.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pcgrid::cli {

class ProgressBar {
 public:
  explicit ProgressBar(bool enabled);
  ~ProgressBar();
  // Redraws at most every 100 ms. `label` precedes the bar, `extra` follows it.
  void update(int64_t done, int64_t total, const std::string& label, const std::string& extra);
  void finish();  // clears the line
  static bool stderr_is_terminal();

 private:
  bool on_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace pcgrid::cli
