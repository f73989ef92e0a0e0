// `pcgrid synth` (synth.hpp, docs/synthesis.md).
//
// 1. Check the inputs (RTL directory and files, the Yosys script template rtl/synth/ice40.ys.in, the work
//    directory, --param) before anything runs, then that the three tools are on PATH.
// 2. yosys: the template filled in → OUT/synth.ys → OUT/pcg_top.json (+ yosys_stat.txt).
// 3. nextpnr-ice40 once per seed (as many at a time as there are hardware threads), each with --report;
//    Fmax comes from the report (fallback: the log's "Max frequency for clock" line). --timing-allow-fail
//    lets a slow seed finish: pass/fail against --freq is judged here, from the median.
// 4. icepack the fastest seed's placement into OUT/pcg_top.bin.
// 5. Table on stdout (or one JSON line with --json); the same figures in OUT/synth.json.
// Exit code 0 when the flow ran, whether or not timing was met; the figures say pass or fail.
#include "synth.hpp"

#include "output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#ifndef PCGRID_SOURCE_DIR
#define PCGRID_SOURCE_DIR ""
#endif

namespace pcgrid::cli {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct Target {
  const char* name;
  const char* device;
  const char* nextpnr_flag;
  const char* package;
  const char* synth_flags;
  int lcs, dsps, sprams, brams, ios;  // the device's (ios: the package's user I/O pins)
};
constexpr Target kTargets[] = {
    {"up5k", "iCE40UP5K", "--up5k", "sg48", "-dsp -spram", 5280, 8, 4, 30, 39},
    {"hx8k", "iCE40HX8K", "--hx8k", "ct256", "", 7680, 0, 0, 32, 206},
};
// The HX8K has 32 × 4 kbit BRAM and no SPRAM: the core's 16K-word SRAM cannot fit, so hx8k synthesises a
// core with this many words (in BRAM) unless --param SRAM_WORDS=... says otherwise.
constexpr int kHx8kSramWords = 4096;

struct Tool {
  const char* exe;
  const char* package;  // Debian
};
constexpr Tool kTools[] = {{"yosys", "yosys"}, {"nextpnr-ice40", "nextpnr-ice40"}, {"icepack", "fpga-icestorm"}};

const char* const kTemplate = "synth/ice40.ys.in";

bool on_path(const std::string& exe) {
  const char* path = std::getenv("PATH");
  std::stringstream ss(path ? path : "/usr/bin:/bin");
  std::string d;
  while (std::getline(ss, d, ':'))
    if (!d.empty() && ::access((fs::path(d) / exe).c_str(), X_OK) == 0) return true;
  return false;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) throw SynthError(fmt::format("{}: cannot open", p.string()));
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string last_lines(const fs::path& p, size_t n) {
  std::ifstream f(p);
  std::deque<std::string> lines;
  std::string l;
  while (std::getline(f, l)) {
    lines.push_back(l);
    if (lines.size() > n) lines.pop_front();
  }
  std::string out;
  for (const auto& s : lines) out += "\n  | " + s;
  return out;
}

fs::path exe_dir() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : p.parent_path();
}

fs::path find_rtl_dir(const std::string& given) {
  std::error_code ec;
  if (!given.empty()) {
    if (!fs::is_directory(given, ec)) throw SynthError(fmt::format("--rtl {}: no such directory", given));
    return fs::absolute(given);
  }
  std::vector<fs::path> tried;
  if (std::strlen(PCGRID_SOURCE_DIR) > 0) tried.push_back(fs::path(PCGRID_SOURCE_DIR) / "rtl");
  if (const fs::path e = exe_dir(); !e.empty()) {
    tried.push_back(e.parent_path() / "rtl");                    // build directory inside the source tree
    tried.push_back(e.parent_path() / "share" / "pcgrid" / "rtl");  // an installed tree
  }
  std::string names;
  for (const auto& t : tried) {
    if (fs::is_regular_file(t / "pcg_top.sv", ec)) return t;
    names += (names.empty() ? "" : ", ") + t.string();
  }
  throw SynthError(fmt::format("no RTL directory with pcg_top.sv found (tried {}); pass --rtl DIR", names));
}

// The RTL files Yosys reads: every *.sv and *.v directly in `dir`, packages (*_pkg.sv) first, then by name.
std::vector<fs::path> rtl_files(const fs::path& dir) {
  for (const char* f : {"pcg_top.sv", "pcg_core.sv", "pcg_router.sv"})
    if (!fs::is_regular_file(dir / f))
      throw SynthError(fmt::format("{}: missing (the synthesis top pcg_top needs pcg_top.sv, pcg_core.sv and "
                                   "pcg_router.sv in the RTL directory)",
                                   (dir / f).string()));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".sv" || ext == ".v")) files.push_back(e.path());
  }
  auto is_pkg = [](const fs::path& p) { return p.stem().string().size() > 4 && p.stem().string().substr(p.stem().string().size() - 4) == "_pkg"; };
  std::sort(files.begin(), files.end(), [&](const fs::path& a, const fs::path& b) {
    return std::make_pair(!is_pkg(a), a.filename()) < std::make_pair(!is_pkg(b), b.filename());
  });
  return files;
}

// --param NAME=VALUE, in the order given; a later NAME wins.
std::map<std::string, long long> parse_params(const std::vector<std::string>& given) {
  static const std::regex re("([A-Za-z_][A-Za-z0-9_]*)=(-?[0-9]+)");
  std::map<std::string, long long> out;
  for (const auto& p : given) {
    std::smatch m;
    if (!std::regex_match(p, m, re))
      throw SynthError(fmt::format("--param '{}': expected NAME=VALUE with an integer VALUE, e.g. SRAM_WORDS=4096", p));
    try {
      out[m[1]] = std::stoll(m[2]);
    } catch (const std::exception&) {
      throw SynthError(fmt::format("--param '{}': the value is out of range", p));
    }
  }
  return out;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

std::string quote(const fs::path& p) {  // a Yosys command-line argument
  const std::string s = p.string();
  return s.find_first_of(" \t\"") == std::string::npos ? s : "\"" + s + "\"";
}

// Starts argv in `cwd` with stdout and stderr going to `log`.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw SynthError(fmt::format("{}: cannot write: {}", log.string(), std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw SynthError(fmt::format("cannot start {}: {}", argv[0], std::strerror(errno)));
  }
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) ::_exit(127);
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    ::execvp(args[0], args.data());
    const char msg[] = "pcgrid synth: exec failed\n";
    [[maybe_unused]] auto n = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fd);
  return pid;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

[[noreturn]] void tool_failed(const std::string& tool, int rc, const fs::path& log) {
  throw SynthError(fmt::format("{} failed (exit code {}); log {}, last lines:{}", tool, rc, log.string(),
                               last_lines(log, 15)));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Fmax of a nextpnr run: the slowest clock of its --report file, or else the last "Max frequency for
// clock" line of its log. Negative when neither has one.
double fmax_of(const fs::path& report, const fs::path& log) {
  std::error_code ec;
  if (fs::exists(report, ec)) {
    try {
      const json j = json::parse(read_file(report));
      double f = -1;
      for (const auto& [clk, v] : j.at("fmax").items()) {
        const double a = v.at("achieved").get<double>();
        f = f < 0 ? a : std::min(f, a);
      }
      if (f >= 0) return f;
    } catch (const json::exception&) {
    }
  }
  static const std::regex re("Max frequency for clock +'[^']*': *([0-9.]+) MHz");
  std::ifstream f(log);
  std::string line;
  double fmax = -1;
  while (std::getline(f, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) fmax = std::stod(m[1]);
  }
  return fmax;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct Use {
  int used = 0, available = 0;
  bool ok() const { return used <= available; }
};

}  // namespace

int run_synth(const SynthOpts& o) {
  // ---- inputs, all checked before anything runs ----
  const Target* tp = nullptr;
  for (const auto& t : kTargets)
    if (o.target == t.name) tp = &t;
  if (!tp) throw SynthError(fmt::format("--target {}: unknown target (expected up5k or hx8k)", o.target));
  const Target& t = *tp;
  if (o.seeds < 1) throw SynthError(fmt::format("--seeds {}: need at least one seed", o.seeds));
  if (!(o.freq > 0)) throw SynthError(fmt::format("--freq {}: need a positive frequency in MHz", o.freq));

  const fs::path rtl = find_rtl_dir(o.rtl);
  const std::vector<fs::path> files = rtl_files(rtl);
  if (!fs::is_regular_file(rtl / kTemplate))
    throw SynthError(fmt::format("{}: missing (the Yosys script template of pcgrid synth)", (rtl / kTemplate).string()));
  const std::string templ = read_file(rtl / kTemplate);

  std::map<std::string, long long> params = parse_params(o.params);
  std::string note;
  if (std::string(t.name) == "hx8k") {
    note = "hx8k has no DSP or SPRAM tiles: synthesised without -dsp -spram (multipliers in logic)";
    if (!params.count("SRAM_WORDS")) {
      params["SRAM_WORDS"] = kHx8kSramWords;
      note += fmt::format(", and with SRAM_WORDS={} (BRAM) instead of the core's 16384-word SPRAM", kHx8kSramWords);
    }
  }

  fs::path pcf;
  if (!o.pcf.empty()) {
    if (!fs::is_regular_file(o.pcf)) throw SynthError(fmt::format("--pcf {}: no such file", o.pcf));
    pcf = fs::absolute(o.pcf);
  }

  const fs::path out_shown = o.out.empty() ? fs::path("synth-" + std::string(t.name)) : fs::path(o.out);
  const fs::path out = fs::absolute(out_shown);
  {
    std::error_code ec;
    const auto st = fs::status(out, ec);
    if (fs::exists(st) && !fs::is_directory(st))
      throw SynthError(fmt::format("--out {}: exists and is not a directory", out_shown.string()));
    if (fs::exists(st) && !fs::is_empty(out, ec) && !o.force)
      throw SynthError(fmt::format("--out {}: exists and is not empty; pass --force to write into it (files of an "
                                   "earlier run are overwritten)",
                                   out_shown.string()));
  }

  std::string missing, pkgs;
  for (const auto& tool : kTools)
    if (!on_path(tool.exe)) {
      missing += fmt::format("{}{} (Debian package {})", missing.empty() ? "" : ", ", tool.exe, tool.package);
      pkgs += std::string(" ") + tool.package;
    }
  if (!missing.empty())
    throw SynthError(fmt::format("not on PATH: {}; install them with ./scripts/setup.sh (or apt-get install{})",
                                 missing, pkgs));

  std::error_code ec;
  fs::create_directories(out, ec);
  if (ec) throw SynthError(fmt::format("--out {}: cannot create: {}", out_shown.string(), ec.message()));
  auto shown = [&](const std::string& f) { return (out_shown / f).string(); };

  // ---- yosys ----
  std::string read, chparam;
  for (const auto& f : files) read += "read_verilog -sv " + quote(f) + "\n";
  for (const auto& [k, v] : params) chparam += fmt::format("chparam -set {} {} pcg_top\n", k, v);
  // The template's leading comment documents the @FIELDS@; the generated script says where it came from.
  std::string script = templ;
  while (!script.empty() && script[0] == '#') script.erase(0, std::min(script.size(), script.find('\n') + 1));
  script = fmt::format("# Generated by pcgrid synth from {}; repeat with: cd {} && yosys -s synth.ys\n",
                       (rtl / kTemplate).string(), out.string()) +
           script;
  script = replace_all(script, "@READ@\n", read);
  script = replace_all(script, "@CHPARAM@\n", chparam);
  script = replace_all(script, "@SYNTH_FLAGS@", t.synth_flags);
  script = replace_all(script, "@JSON@", "pcg_top.json");
  script = replace_all(script, "@STAT@", "yosys_stat.txt");
  script = replace_all(script, " -top pcg_top  -json", " -top pcg_top -json");  // hx8k: no flags
  write_output((out / "synth.ys").string(), script, true);

  if (!note.empty()) fmt::print(stderr, "pcgrid synth: note: {}\n", note);
  auto t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "pcgrid synth: [1/3] yosys: synth_ice40 {}on {} RTL files from {} (log {})\n",
             *t.synth_flags ? std::string(t.synth_flags) + " " : "", files.size(), rtl.string(), shown("yosys.log"));
  if (const int rc = wait_for(spawn({"yosys", "-s", "synth.ys"}, out, out / "yosys.log")); rc != 0)
    tool_failed("yosys", rc, out_shown / "yosys.log");
  fmt::print(stderr, "pcgrid synth: [1/3] done in {:.1f} s\n", seconds_since(t0));

  std::map<std::string, int> cells;
  int ffs = 0;
  try {
    const json nl = json::parse(read_file(out / "pcg_top.json"));
    for (const auto& [name, c] : nl.at("modules").at("pcg_top").at("cells").items()) {
      const std::string type = c.at("type").get<std::string>();
      ++cells[type];
      if (type.rfind("SB_DFF", 0) == 0) ++ffs;
    }
  } catch (const json::exception& e) {
    throw SynthError(fmt::format("{}: not a Yosys netlist with module pcg_top: {}", shown("pcg_top.json"), e.what()));
  }

  // ---- nextpnr-ice40, one run per seed ----
  const int jobs = std::max(1, std::min<int>(o.seeds, int(std::thread::hardware_concurrency())));
  t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "pcgrid synth: [2/3] nextpnr-ice40 {} --package {}: seeds 1..{}, {} at a time (logs {})\n",
             t.nextpnr_flag, t.package, o.seeds, jobs, shown("nextpnr_seed*.log"));
  std::vector<double> fmax(size_t(o.seeds), -1);
  std::map<pid_t, int> running;
  auto collect = [&]() {
    int status_rc = 0;
    pid_t pid;
    do {
      int status = 0;
      pid = ::waitpid(-1, &status, 0);
      if (pid < 0 && errno != EINTR) throw SynthError("waiting for nextpnr-ice40 failed");
      status_rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    } while (pid < 0 || !running.count(pid));
    const int k = running[pid];
    running.erase(pid);
    const fs::path log = out / fmt::format("nextpnr_seed{}.log", k);
    if (status_rc != 0) {
      for (const auto& [p, _] : running) ::kill(p, SIGTERM);
      for (const auto& [p, _] : running) wait_for(p);
      tool_failed(fmt::format("nextpnr-ice40 (seed {})", k), status_rc, out_shown / log.filename());
    }
    fmax[size_t(k - 1)] = fmax_of(out / fmt::format("report_seed{}.json", k), log);
    if (fmax[size_t(k - 1)] < 0)
      throw SynthError(fmt::format("{}: no Fmax in the report or the log", shown(log.filename().string())));
    fmt::print(stderr, "pcgrid synth:       seed {}: {:.2f} MHz ({:.1f} s)\n", k, fmax[size_t(k - 1)],
               seconds_since(t0));
  };
  for (int k = 1; k <= o.seeds; ++k) {
    if (int(running.size()) >= jobs) collect();
    std::vector<std::string> args = {"nextpnr-ice40",
                                     t.nextpnr_flag,
                                     "--package",
                                     t.package,
                                     "--json",
                                     "pcg_top.json",
                                     "--asc",
                                     fmt::format("pcg_top_seed{}.asc", k),
                                     "--freq",
                                     fmt::format("{}", o.freq),
                                     "--seed",
                                     std::to_string(k),
                                     "--report",
                                     fmt::format("report_seed{}.json", k),
                                     "--timing-allow-fail"};
    if (!pcf.empty()) args.insert(args.end(), {"--pcf", pcf.string()});
    running[spawn(args, out, out / fmt::format("nextpnr_seed{}.log", k))] = k;
  }
  while (!running.empty()) collect();
  fmt::print(stderr, "pcgrid synth: [2/3] done in {:.1f} s\n", seconds_since(t0));

  // Utilisation: packing does not depend on the seed; seed 1's report.
  Use lc, dsp, spram, bram, io;
  try {
    const json u = json::parse(read_file(out / "report_seed1.json")).at("utilization");
    auto used = [&](const char* k) { return u.contains(k) ? u.at(k).at("used").get<int>() : 0; };
    lc = {used("ICESTORM_LC"), t.lcs};
    dsp = {used("ICESTORM_DSP"), t.dsps};
    spram = {used("ICESTORM_SPRAM"), t.sprams};
    bram = {used("ICESTORM_RAM"), t.brams};
    io = {used("SB_IO"), t.ios};
  } catch (const json::exception& e) {
    throw SynthError(fmt::format("{}: no utilisation figures: {}", shown("report_seed1.json"), e.what()));
  }

  // ---- icepack the fastest seed ----
  const int best = int(std::max_element(fmax.begin(), fmax.end()) - fmax.begin()) + 1;
  t0 = std::chrono::steady_clock::now();
  fmt::print(stderr, "pcgrid synth: [3/3] icepack: seed {} -> {}\n", best, shown("pcg_top.bin"));
  if (const int rc = wait_for(spawn({"icepack", fmt::format("pcg_top_seed{}.asc", best), "pcg_top.bin"}, out,
                                    out / "icepack.log"));
      rc != 0)
    tool_failed("icepack", rc, out_shown / "icepack.log");
  fmt::print(stderr, "pcgrid synth: [3/3] done in {:.1f} s\n", seconds_since(t0));

  // ---- report ----
  const double fmed = median(fmax);
  const bool timing_met = fmed >= o.freq;
  const bool fits = lc.ok() && dsp.ok() && spram.ok() && bram.ok() && io.ok();
  auto use_json = [](const Use& u) { return json{{"used", u.used}, {"available", u.available}}; };
  json j;
  j["target"] = t.name;
  j["device"] = t.device;
  j["package"] = t.package;
  j["top"] = "pcg_top";
  j["rtl_dir"] = rtl.string();
  j["rtl_files"] = json::array();
  for (const auto& f : files) j["rtl_files"].push_back(f.filename().string());
  j["params"] = params;
  if (!note.empty()) j["note"] = note;
  j["freq_target_mhz"] = o.freq;
  j["seeds"] = o.seeds;
  j["fmax_mhz"] = fmax;
  j["fmax_median_mhz"] = fmed;
  j["timing_met"] = timing_met;
  j["resources"] = {{"lc", use_json(lc)},   {"ff", ffs},         {"dsp", use_json(dsp)},
                    {"spram", use_json(spram)}, {"bram", use_json(bram)}, {"io", use_json(io)}};
  j["fits"] = fits;
  j["yosys_cells"] = cells;
  j["bitstream"] = shown("pcg_top.bin");
  j["bitstream_seed"] = best;
  j["out_dir"] = out_shown.string();
  write_output((out / "synth.json").string(), j.dump(2) + "\n", true);

  if (o.json) {
    fmt::print("{}\n", j.dump());
    return 0;
  }
  auto pct = [](const Use& u) { return u.available ? fmt::format("{:>4.0f}%", 100.0 * u.used / u.available) : "     "; };
  auto verdict = [](bool ok) { return ok ? "ok" : "OVER"; };
  fmt::print("pcgrid synth: pcg_top (one pcg_core + one pcg_router) on {} {}, target {} MHz\n", t.device, t.package,
             o.freq);
  if (!params.empty()) {
    std::string ps;
    for (const auto& [k, v] : params) ps += fmt::format(" {}={}", k, v);
    fmt::print("parameters:{}\n", ps);
  }
  if (!note.empty()) fmt::print("note: {}\n", note);
  fmt::print("\n{:<22} {:>6} {:>9}\n", "resource", "used", "available");
  fmt::print("{:<22} {:>6} {:>9} {}  {}\n", "logic cells (LC)", lc.used, lc.available, pct(lc), verdict(lc.ok()));
  fmt::print("{:<22} {:>6} {:>9}\n", "flip-flops (SB_DFF*)", ffs, "");
  fmt::print("{:<22} {:>6} {:>9} {}  {}\n", "DSP (SB_MAC16)", dsp.used, dsp.available, pct(dsp), verdict(dsp.ok()));
  fmt::print("{:<22} {:>6} {:>9} {}  {}\n", "SPRAM (SB_SPRAM256KA)", spram.used, spram.available, pct(spram),
             verdict(spram.ok()));
  fmt::print("{:<22} {:>6} {:>9} {}  {}\n", "BRAM (SB_RAM40_4K)", bram.used, bram.available, pct(bram),
             verdict(bram.ok()));
  fmt::print("{:<22} {:>6} {:>9} {}  {}\n", "I/O pins", io.used, io.available, pct(io), verdict(io.ok()));
  std::string per_seed;
  for (size_t k = 0; k < fmax.size(); ++k) per_seed += fmt::format("{}seed {} {:.2f}", k ? ", " : "", k + 1, fmax[k]);
  fmt::print("\nFmax (nextpnr, register to register, MHz): {}\n", per_seed);
  fmt::print("median {:.2f} MHz: {} at {} MHz\n", fmed, timing_met ? "PASS" : "FAIL", o.freq);
  fmt::print("fits the {}: {}\n", t.device, fits ? "yes" : "NO");
  fmt::print("bitstream: {} (seed {}, {:.2f} MHz); figures in {}\n", shown("pcg_top.bin"), best,
             fmax[size_t(best - 1)], shown("synth.json"));
  return 0;
}

}  // namespace pcgrid::cli
