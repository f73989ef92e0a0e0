#include "progress.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace pcgrid::cli {

bool ProgressBar::stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(bool enabled) : on_(enabled), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done, int64_t total, const std::string& label, const std::string& extra) {
  if (!on_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total && now - last_ < std::chrono::milliseconds(100)) return;
  last_ = now;
  const double frac = total > 0 ? double(done) / double(total) : 1.0;
  const int width = 30, fill = int(frac * width);
  const double el = std::chrono::duration<double>(now - start_).count();
  const double eta = frac > 0 ? el * (1 - frac) / frac : 0;
  std::string bar(size_t(fill), '#');
  bar.append(size_t(width - fill), '.');
  fmt::print(stderr, "\r{} [{}] {:>3.0f}% {} ETA {:.0f}s\x1b[K", label, bar, frac * 100, extra, eta);
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (on_ && drawn_) {
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
  drawn_ = false;
}

}  // namespace pcgrid::cli
