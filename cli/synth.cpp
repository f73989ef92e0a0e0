// `pcgrid synth` (synth.hpp, docs/synthesis.md).
//
// 1. Check the inputs (RTL directory and files, the Yosys script template rtl/synth/ice40.ys.in, the work
//    directory, --param) before anything runs, then that the three tools are on PATH.
// 2. yosys: the template filled in → OUT/synth.ys → OUT/pcg_top.json (+ yosys_stat.txt).
// 3. nextpnr-ice40 once per seed (as many at a time as there are hardware threads), each with --report;
//    Fmax comes from the report (fallback: the log's "Max frequency for clock" line). --timing-allow-fail
//    lets a slow seed finish: pass/fail against --freq is judged here, from the median.
//    A design too big for the device stops nextpnr at packing: the packed utilisation is read from its
//    log and reported without Fmax or bitstream.
// 4. icepack the fastest seed's placement into OUT/pcg_top.bin.
// 5. Table on stdout (or one JSON line with --json); the same figures in OUT/synth.json.
// Exit code 0 when the flow ran, whether or not timing was met (the figures say pass or fail); 1 when the
// design does not fit; bad input, missing or failing tools throw SynthError (main: exit code 2).
#include "synth.hpp"

#include "output.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/resource.h>
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
// core with this many words (in BRAM) unless --param SRAM_WORDS=... says otherwise. 512 words = 2 BRAM (two
// banks of 256 × 16): with the core's other 20 (18 + the softmax unit's two ROMs) and the router's 10 that is
// all 32. Without the softmax unit (SMAX=0) 1,024 words = 4 BRAM fit, unless ACTS=1 takes 3 for its tables
// (and gives back the generator states' 2): then 512 again.
constexpr int kHx8kSramWords = 512;
constexpr int kHx8kSramWordsNoSmax = 1024;

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
    tried.push_back(e.parent_path() / "rtl");                       // build directory inside the source tree
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
  for (const char* f : {"pcg_top.sv", "pcg_core.sv", "pcg_softmax.sv", "pcg_act.sv", "pcg_sdp_ram.sv", "pcg_router.sv"})
    if (!fs::is_regular_file(dir / f))
      throw SynthError(
          fmt::format("{}: missing (the synthesis top pcg_top needs pcg_top.sv, pcg_core.sv, pcg_softmax.sv, "
                      "pcg_act.sv, pcg_sdp_ram.sv and pcg_router.sv in the RTL directory)",
                      (dir / f).string()));
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".sv" || ext == ".v")) files.push_back(e.path());
  }
  auto is_pkg = [](const fs::path& p) {
    return p.stem().string().size() > 4 && p.stem().string().substr(p.stem().string().size() - 4) == "_pkg";
  };
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

// The values pcg_top and the blocks under it are written for (their header comments); Yosys would take
// most others without a word: a `bit` parameter keeps only bit 0 (SMAX=2 would silently drop the unit),
// and a memory size that is not a power of two would give wrapping address pointers another meaning.
// A --param value, or pcg_top's default when it is not given.
long long param_or(const std::map<std::string, long long>& params, const char* name, long long dflt) {
  const auto it = params.find(name);
  return it == params.end() ? dflt : it->second;
}

void check_param_values(const std::map<std::string, long long>& params) {
  const auto pow2 = [](long long v) { return v > 0 && (v & (v - 1)) == 0; };
  struct Rule {
    const char* name;
    long long lo, hi;
    bool power_of_two;
    const char* why;
  };
  static const Rule rules[] = {
      {"WITH_CORE", 0, 1, false, "a bit parameter"},
      {"WITH_ROUTER", 0, 1, false, "a bit parameter"},
      {"SMAX", 0, 1, false, "a bit parameter"},
      {"ACTS", 0, 1, false, "a bit parameter"},
      {"ELEM", 0, 1, false, "a bit parameter"},
      {"MY_X", 0, 255, false, "the router's coordinates are 8 bits"},
      {"MY_Y", 0, 255, false, "the router's coordinates are 8 bits"},
      {"DEPTH", 1, 16, false, "the router's input buffer depth"},
      {"SRAM_WORDS", 4, 65536, true, "two banks addressed by 16-bit memory-port addresses"},
      {"SLOTS", 2, 65536, true, "16-bit slot addresses"},
      {"XWORDS", 2, 65536, true, "16-bit x-buffer addresses"},
      {"OWORDS", 2, 65536, true, "16-bit out-buffer addresses"},
      {"CTX", 1, 4, false, "the command's context field is 2 bits"},
      {"NI_DEPTH", 2, 64, true, "the wrapper's NI FIFO"},
  };
  for (const Rule& r : rules) {
    const auto it = params.find(r.name);
    if (it == params.end()) continue;
    const long long v = it->second;
    if (v < r.lo || v > r.hi || (r.power_of_two && !pow2(v)))
      throw SynthError(fmt::format("--param {}={}: expected {} in {}..{} ({})", r.name, v,
                                   r.power_of_two ? "a power of two" : "an integer", r.lo, r.hi, r.why));
  }
  // pcg_softmax's Σe (25 bits) and its countdown (13 bits) hold for n <= 256 outputs
  const long long slots = param_or(params, "SLOTS", 256);
  if (param_or(params, "SMAX", 1) != 0 && slots > 256)
    throw SynthError(
        fmt::format("--param SLOTS={}: the softmax unit (SMAX=1) is built for at most 256 slots; "
                    "pass --param SMAX=0 for a larger core without it",
                    slots));
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

std::string quote(const fs::path& p) {  // a Yosys command-line argument
  const std::string s = p.string();
  return s.find_first_of(" \t\"") == std::string::npos ? s : "\"" + s + "\"";
}

// Address-space limit of every tool: half the machine's memory. Yosys's SAT-based `share` pass has been
// seen to grow past 19 GB on an earlier RTL; a tool that hits the limit fails on its own (bad_alloc)
// instead of calling the kernel's OOM killer onto the machine's other processes.
rlim_t tool_memory_limit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
  return pages > 0 && page > 0 ? rlim_t(pages) * rlim_t(page) / 2 : RLIM_INFINITY;
}

// Starts argv in `cwd` with stdout and stderr going to `log`.
pid_t spawn(const std::vector<std::string>& argv, const fs::path& cwd, const fs::path& log) {
  const rlim_t mem = tool_memory_limit();
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
    const struct rlimit lim = {mem, mem};
    ::setrlimit(RLIMIT_AS, &lim);
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

// The tool's exit code, or -N when signal N killed it.
int status_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? -WTERMSIG(status) : -1;
}

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status_code(status);
}

// nextpnr's "Device utilisation" lines ("Info:  ICESTORM_LC:  7049/ 5280   133%"): name → used.
std::map<std::string, int> utilisation_from_log(const fs::path& log) {
  static const std::regex re("^Info:\\s+(\\w+):\\s+([0-9]+)/\\s*([0-9]+)\\s+([0-9]+)%");
  std::ifstream f(log);
  std::string line;
  std::map<std::string, int> out;
  while (std::getline(f, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out[m[1]] = std::stoi(m[2]);
  }
  return out;
}

// nextpnr's "Device utilisation" lines of resources above 100% ("ICESTORM_LC 7049/5280 (133%)").
std::string over_capacity(const fs::path& log) {
  static const std::regex re("^Info:\\s+(\\w+):\\s+([0-9]+)/\\s*([0-9]+)\\s+([0-9]+)%");
  std::ifstream f(log);
  std::string line, out;
  while (std::getline(f, line)) {
    std::smatch m;
    if (std::regex_search(line, m, re) && std::stoll(m[2]) > std::stoll(m[3]))
      out += fmt::format("{}{} {}/{} ({}%)", out.empty() ? "" : ", ", std::string(m[1]), std::string(m[2]),
                         std::string(m[3]), std::string(m[4]));
  }
  return out;
}

// rc: the exit code, or -N for signal N.
[[noreturn]] void tool_failed(const std::string& tool, int rc, const fs::path& log) {
  const std::string how = rc < 0 ? fmt::format("killed by signal {}{}", -rc, -rc == SIGKILL ? ", out of memory?" : "")
                                 : fmt::format("exit code {}", rc);
  throw SynthError(fmt::format("{} failed ({}); log {}, last lines:{}", tool, how, log.string(), last_lines(log, 15)));
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// A nextpnr --report file, parsed; null when it is missing or not JSON (the log is the fallback).
json read_report(const fs::path& report) {
  std::error_code ec;
  if (!fs::exists(report, ec)) return nullptr;
  try {
    return json::parse(read_file(report));
  } catch (const json::exception&) {
    return nullptr;
  }
}

// The clock of a report with the lowest achieved frequency: its name and that frequency; {"", -1} when the
// report has none.
std::pair<std::string, double> slowest_clock(const json& report) {
  std::pair<std::string, double> w{"", -1};
  try {
    for (const auto& [clk, v] : report.at("fmax").items()) {
      const double a = v.at("achieved").get<double>();
      if (w.second < 0 || a < w.second) w = {clk, a};
    }
  } catch (const json::exception&) {
    return {"", -1};
  }
  return w;
}

// Fmax of a nextpnr run: the slowest clock of its report, or else the last "Max frequency for clock" line
// of its log. Negative when neither has one.
double fmax_of(const json& report, const fs::path& log) {
  if (const double f = slowest_clock(report).second; f >= 0) return f;
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

// The worst register-to-register path of a nextpnr run, summarised from its --report file (the path of the
// slowest clock that starts and ends at that clock's edge): where the time goes and through which signals,
// so that timing work starts from the report instead of the log.
struct CritPath {
  bool found = false;
  double total_ns = 0, logic_ns = 0, routing_ns = 0;  // logic: clock-to-out, cells and setup
  int luts = 0, carries = 0;                          // LUT outputs and carry-chain steps on the path
  std::vector<std::string> signals;                   // the nets along it (Yosys names, techmap suffixes cut), in order
  std::string end;                                    // the sink cell (name cut the same way) and its input port
  std::string longest_net;                            // the slowest net and its delay and ends (tile x, y)
  double longest_ns = 0;
  int lx0 = 0, ly0 = 0, lx1 = 0, ly1 = 0;
};

// A net or cell name as the RTL's signal it comes from. Names Yosys made up while mapping carry the
// signal they were derived from and a suffix ("jm1_SB_LUT4_I2_O": the output of a LUT one of whose inputs
// is jm1): such names are cut at the suffix and marked with a star ("jm1*": logic next to jm1, not jm1).
// nextpnr's own internal nets ("$nextpnr_...") come back empty.
std::string signal_name(const std::string& n) {
  if (n.rfind("$nextpnr", 0) == 0) return "";
  std::string s = n;
  bool derived = false;
  for (const char* cut : {"_SB_", "$CARRY"})
    if (const size_t k = s.find(cut); k != std::string::npos && k > 0) s.resize(k), derived = true;
  return derived ? s + "*" : s;
}

// Empty result when the report is missing, unreadable or has no such path (the figures still come from
// fmax_of; the summary is an aid, not a measurement of its own).
CritPath critical_path_of(const json& report) {
  CritPath c;
  const std::string clk = slowest_clock(report).first;
  if (clk.empty()) return c;
  try {
    const std::string edge = "posedge " + clk;
    for (const auto& p : report.at("critical_paths")) {
      if (p.at("from").get<std::string>() != edge || p.at("to").get<std::string>() != edge) continue;
      for (const auto& seg : p.at("path")) {
        const std::string type = seg.at("type").get<std::string>();
        const double d = seg.at("delay").get<double>();
        c.total_ns += d;
        if (type == "routing") {
          c.routing_ns += d;
          const std::string net = seg.value("net", std::string());
          const std::string sig = signal_name(net);
          if (!sig.empty() && (c.signals.empty() || c.signals.back() != sig)) c.signals.push_back(sig);
          if (d > c.longest_ns) {
            const auto& a = seg.at("from").at("loc");
            const auto& b = seg.at("to").at("loc");
            c.longest_ns = d;
            c.longest_net = net;
            c.lx0 = a.at(0).get<int>(), c.ly0 = a.at(1).get<int>(), c.lx1 = b.at(0).get<int>(),
            c.ly1 = b.at(1).get<int>();
          }
        } else {
          c.logic_ns += d;
          const std::string port = seg.at("to").value("port", std::string());
          if (type == "logic" && port == "O") ++c.luts;
          if (type == "logic" && port == "COUT") ++c.carries;
        }
        if (type == "setup")
          c.end =
              signal_name(seg.at("to").value("cell", std::string())) + "." + seg.at("to").value("port", std::string());
      }
      c.found = true;
      break;
    }
  } catch (const json::exception&) {
    return CritPath{};
  }
  return c;
}

json critical_path_json(const CritPath& c) {
  if (!c.found) return nullptr;
  return json{
      {"period_ns", c.total_ns},
      {"logic_ns", c.logic_ns},
      {"routing_ns", c.routing_ns},
      {"luts", c.luts},
      {"carry_steps", c.carries},
      {"signals", c.signals},
      {"end", c.end},
      {"longest_net",
       {{"name", c.longest_net}, {"ns", c.longest_ns}, {"from_xy", {c.lx0, c.ly0}}, {"to_xy", {c.lx1, c.ly1}}}}};
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
    throw SynthError(
        fmt::format("{}: missing (the Yosys script template of pcgrid synth)", (rtl / kTemplate).string()));
  const std::string templ = read_file(rtl / kTemplate);

  std::map<std::string, long long> params = parse_params(o.params);
  {
    // Yosys would stop on an unknown name too ("Can't find object for defparam"), but only after a while.
    static const std::regex decl("parameter\\s+(?:int\\s+|bit\\s+|integer\\s+)?(\\w+)\\s*=");
    const std::string top = read_file(rtl / "pcg_top.sv");
    std::vector<std::string> known;
    for (std::sregex_iterator it(top.begin(), top.end(), decl), end; it != end; ++it) known.push_back((*it)[1]);
    for (const auto& [k, v] : params)
      if (std::find(known.begin(), known.end(), k) == known.end()) {
        std::string names;
        for (const auto& n : known) names += (names.empty() ? "" : ", ") + n;
        throw SynthError(fmt::format("--param {}: pcg_top has no parameter {} (it has {})", k, k, names));
      }
  }
  check_param_values(params);
  std::string note;
  if (std::string(t.name) == "hx8k") {
    note = "hx8k has no DSP or SPRAM tiles: synthesised without -dsp -spram (multipliers in logic)";
    if (!params.count("SRAM_WORDS")) {
      const bool room = param_or(params, "SMAX", 1) == 0 && param_or(params, "ACTS", 0) == 0;
      const int words = room ? kHx8kSramWordsNoSmax : kHx8kSramWords;
      params["SRAM_WORDS"] = words;
      note += fmt::format(", and with SRAM_WORDS={} (BRAM) instead of the core's 16384-word SPRAM", words);
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
      throw SynthError(
          fmt::format("--out {}: exists and is not empty; pass --force to write into it (files of an "
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
    throw SynthError(
        fmt::format("not on PATH: {}; install them with ./scripts/setup.sh (or apt-get install{})", missing, pkgs));

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
  std::vector<CritPath> crit(size_t(o.seeds));
  std::map<pid_t, int> running;
  std::string over;  // the resources above capacity when the design does not fit (then no Fmax)
  fs::path over_log;
  auto collect = [&]() {
    int status_rc = 0;
    pid_t pid;
    do {
      int status = 0;
      pid = ::waitpid(-1, &status, 0);
      if (pid < 0 && errno != EINTR) throw SynthError("waiting for nextpnr-ice40 failed");
      status_rc = status_code(status);
    } while (pid < 0 || !running.count(pid));
    const int k = running[pid];
    running.erase(pid);
    const fs::path log = out / fmt::format("nextpnr_seed{}.log", k);
    if (status_rc != 0) {
      for (const auto& [p, _] : running) ::kill(p, SIGTERM);
      for (const auto& [p, _] : running) wait_for(p);
      running.clear();
      over = over_capacity(log);
      if (over.empty()) tool_failed(fmt::format("nextpnr-ice40 (seed {})", k), status_rc, out_shown / log.filename());
      over_log = log;
      return;
    }
    const json report = read_report(out / fmt::format("report_seed{}.json", k));
    fmax[size_t(k - 1)] = fmax_of(report, log);
    crit[size_t(k - 1)] = critical_path_of(report);
    if (fmax[size_t(k - 1)] < 0)
      throw SynthError(fmt::format("{}: no Fmax in the report or the log", shown(log.filename().string())));
    fmt::print(stderr, "pcgrid synth:       seed {}: {:.2f} MHz ({:.1f} s)\n", k, fmax[size_t(k - 1)],
               seconds_since(t0));
  };
  for (int k = 1; k <= o.seeds && over.empty(); ++k) {
    if (int(running.size()) >= jobs) collect();
    if (!over.empty()) break;
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
  const bool placed = over.empty();
  fmt::print(stderr, "pcgrid synth: [2/3] {} in {:.1f} s\n", placed ? "done" : "stopped: the design does not fit",
             seconds_since(t0));

  // Utilisation: packing does not depend on the seed: seed 1's report, or the failed run's log.
  std::map<std::string, int> util;
  if (placed) {
    try {
      const json report = json::parse(read_file(out / "report_seed1.json"));
      for (const auto& [k, v] : report.at("utilization").items()) util[k] = v.at("used").get<int>();
    } catch (const json::exception& e) {
      throw SynthError(fmt::format("{}: no utilisation figures: {}", shown("report_seed1.json"), e.what()));
    }
  } else {
    util = utilisation_from_log(over_log);
  }
  auto use = [&](const char* k, int available) { return Use{util.count(k) ? util[k] : 0, available}; };
  const Use lc = use("ICESTORM_LC", t.lcs), dsp = use("ICESTORM_DSP", t.dsps), spram = use("ICESTORM_SPRAM", t.sprams),
            bram = use("ICESTORM_RAM", t.brams), io = use("SB_IO", t.ios);

  // ---- icepack the fastest seed ----
  int best = 0;
  if (placed) {
    best = int(std::max_element(fmax.begin(), fmax.end()) - fmax.begin()) + 1;
    t0 = std::chrono::steady_clock::now();
    fmt::print(stderr, "pcgrid synth: [3/3] icepack: seed {} -> {}\n", best, shown("pcg_top.bin"));
    if (const int rc = wait_for(
            spawn({"icepack", fmt::format("pcg_top_seed{}.asc", best), "pcg_top.bin"}, out, out / "icepack.log"));
        rc != 0)
      tool_failed("icepack", rc, out_shown / "icepack.log");
    fmt::print(stderr, "pcgrid synth: [3/3] done in {:.1f} s\n", seconds_since(t0));
  }

  // ---- report ----
  const double fmed = placed ? median(fmax) : 0;
  const bool timing_met = placed && fmed >= o.freq;
  const bool fits = placed && lc.ok() && dsp.ok() && spram.ok() && bram.ok() && io.ok();
  auto use_json = [](const Use& u) { return json{{"used", u.used}, {"available", u.available}}; };
  // pcg_top's defaults: WITH_CORE = WITH_ROUTER = SMAX = 1, MY_X = MY_Y = 0 (rtl/pcg_top.sv)
  const bool no_core = param_or(params, "WITH_CORE", 1) == 0;
  const bool no_router = param_or(params, "WITH_ROUTER", 1) == 0;
  const bool smax = param_or(params, "SMAX", 1) != 0;
  const bool acts = param_or(params, "ACTS", 0) != 0;  // pcg_top's default 0
  const bool elem = param_or(params, "ELEM", 0) != 0;  // pcg_top's default 0
  const std::string core_is =
      no_core ? ""
              : std::string(smax ? "; the core with its softmax unit" : "; the core without its softmax unit, SMAX=0") +
                    (acts ? ", with leaky_relu/tanh/sigmoid (ACTS=1)" : "") +
                    (elem ? ", with elementwise slices (ELEM=1)" : "");
  const std::string what = (no_core && no_router ? "host port only, WITH_CORE=0 WITH_ROUTER=0"
                            : no_core            ? "the router alone behind the host port, WITH_CORE=0"
                            : no_router          ? "the core alone behind the host port, WITH_ROUTER=0"
                                                 : "one pcg_core + one pcg_router") +
                           core_is;
  // The router's coordinates are constants in the netlist: at the default (0, 0), a corner of the mesh,
  // no destination lies west or north of it (dx < 0, dy < 0) and Yosys folds those route comparisons away,
  // so an interior position measures more logic (docs/synthesis.md).
  const long long my_x = param_or(params, "MY_X", 0), my_y = param_or(params, "MY_Y", 0);
  const std::string router_at =
      !no_router ? fmt::format(", router at ({}, {}){}", my_x, my_y, my_x == 0 && my_y == 0 ? ": a mesh corner" : "")
                 : "";
  json j;
  j["target"] = t.name;
  j["device"] = t.device;
  j["package"] = t.package;
  j["top"] = "pcg_top";
  j["measures"] = what;
  if (!no_router) j["router_xy"] = {my_x, my_y};
  j["rtl_dir"] = rtl.string();
  j["rtl_files"] = json::array();
  for (const auto& f : files) j["rtl_files"].push_back(f.filename().string());
  j["params"] = params;
  if (!note.empty()) j["note"] = note;
  j["freq_target_mhz"] = o.freq;
  j["seeds"] = o.seeds;
  j["fmax_mhz"] = placed ? json(fmax) : json::array();
  j["fmax_median_mhz"] = placed ? json(fmed) : json(nullptr);
  j["timing_met"] = timing_met;
  j["critical_paths"] = json::array();
  if (placed)
    for (const CritPath& c : crit) j["critical_paths"].push_back(critical_path_json(c));
  j["resources"] = {{"lc", use_json(lc)},     {"ff", ffs},         {"dsp", use_json(dsp)}, {"spram", use_json(spram)},
                    {"bram", use_json(bram)}, {"io", use_json(io)}};
  j["fits"] = fits;
  if (!placed) j["over_capacity"] = over;
  j["yosys_cells"] = cells;
  j["bitstream"] = placed ? json(shown("pcg_top.bin")) : json(nullptr);
  j["bitstream_seed"] = placed ? json(best) : json(nullptr);
  j["out_dir"] = out_shown.string();
  write_output((out / "synth.json").string(), j.dump(2) + "\n", true);

  // A design that does not fit has no Fmax and no bitstream: the figures are printed, the exit code is 1.
  const int rc = placed ? 0 : 1;
  if (!placed)
    fmt::print(stderr,
               "pcgrid synth: the design does not fit the {}: {}; log {} (--param WITH_ROUTER=0 or WITH_CORE=0 "
               "measures the core or the router alone{}{})\n",
               t.device, over, shown(over_log.filename().string()),
               std::string(t.name) == "up5k" ? "; --target hx8k has more logic cells" : "",
               (acts || elem) && smax && !no_core
                   ? "; the softmax unit and ACTS or ELEM do not fit one tile: --param SMAX=0 builds the hidden-layer "
                     "tile with them"
                   : "");
  if (o.json) {
    fmt::print("{}\n", j.dump());
    return rc;
  }
  auto pct = [](const Use& u) { return u.available ? fmt::format("{:>4}%", 100 * u.used / u.available) : "     "; };
  auto verdict = [](bool ok) { return ok ? "ok" : "OVER"; };
  fmt::print("pcgrid synth: pcg_top ({}{}) on {} {}, target {} MHz\n", what, router_at, t.device, t.package, o.freq);
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
  if (!placed) {
    fmt::print("\nFmax: not measured, the design does not fit the {} ({})\n", t.device, over);
    fmt::print("fits the {}: NO; figures in {}\n", t.device, shown("synth.json"));
    return rc;
  }
  std::string per_seed;
  for (size_t k = 0; k < fmax.size(); ++k) per_seed += fmt::format("{}seed {} {:.2f}", k ? ", " : "", k + 1, fmax[k]);
  fmt::print("\nFmax (nextpnr, register to register, MHz): {}\n", per_seed);
  fmt::print("median {:.2f} MHz: {} at {} MHz\n", fmed, timing_met ? "PASS" : "FAIL", o.freq);
  fmt::print("worst register-to-register path per seed (nextpnr --report; docs/synthesis.md):\n");
  for (size_t k = 0; k < crit.size(); ++k) {
    const CritPath& c = crit[k];
    if (!c.found) {
      fmt::print("  seed {}: not in {}\n", k + 1, shown(fmt::format("report_seed{}.json", k + 1)));
      continue;
    }
    std::string via;
    for (size_t i = 0; i < c.signals.size(); ++i) via += (i ? " > " : "") + c.signals[i];
    fmt::print(
        "  seed {}: {:.1f} ns = {:.1f} logic + {:.1f} routing, {} LUT{}{}; {} > {}; slowest net {} {:.1f} ns "
        "({},{})->({},{})\n",
        k + 1, c.total_ns, c.logic_ns, c.routing_ns, c.luts, c.luts == 1 ? "" : "s",
        c.carries ? fmt::format(" + {} carry step{}", c.carries, c.carries == 1 ? "" : "s") : "", via, c.end,
        c.longest_net, c.longest_ns, c.lx0, c.ly0, c.lx1, c.ly1);
  }
  fmt::print("fits the {}: {}\n", t.device, fits ? "yes" : "NO");
  fmt::print("bitstream: {} (seed {}, {:.2f} MHz); figures in {}\n", shown("pcg_top.bin"), best, fmax[size_t(best - 1)],
             shown("synth.json"));
  return rc;
}

}  // namespace pcgrid::cli
