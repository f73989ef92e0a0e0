// Regression tests for inputs found by the libFuzzer targets in fuzz/ (docs/fuzzing.md).
//
// Every file in tests/data/fuzz_regressions/ once crashed, hung or let a foreign exception escape a
// reader; each must now be rejected cleanly. The file name says which reader it is for:
//   model-*   a model file: load_model must throw pcgrid::ModelError (message starting with the path);
//   idx-*     a fuzz_idx input (2-byte big-endian label-part length, label file, image file): load_idx on
//             the parts written as plain files, as gzip-compressed files and as raw bytes named *.gz
//             must each throw pcgrid::DataError (the same three ways the fuzz target reads them);
//   arch-*    an architecture file: load_arch must throw pcgrid::ArchError (message starting with the path);
//   mapping-* a mapping file: load_mapping must throw pcgrid::MapError, or pcgrid::ModelError /
//             pcgrid::ArchError for its embedded model / architecture.
#include "pcgrid/arch.hpp"
#include "pcgrid/dataset.hpp"
#include "pcgrid/graph.hpp"
#include "pcgrid/mapping.hpp"

#include <zlib.h>
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using pcgrid::ArchError;
using pcgrid::DataError;
using pcgrid::MapError;
using pcgrid::ModelError;

namespace {

fs::path regressions_dir() { return fs::path(PCGRID_SOURCE_DIR) / "tests" / "data" / "fuzz_regressions"; }

std::vector<fs::path> files_with_prefix(const std::string& prefix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(regressions_dir()))
    if (e.is_regular_file() && e.path().filename().string().rfind(prefix, 0) == 0) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& p, const uint8_t* data, size_t n) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(data), std::streamsize(n));
  REQUIRE(f.good());
}

void write_gzip(const fs::path& p, const uint8_t* data, size_t n) {
  gzFile f = gzopen(p.string().c_str(), "wb");
  REQUIRE(f != nullptr);
  if (n) REQUIRE(gzwrite(f, data, unsigned(n)) == int(n));
  REQUIRE(gzclose(f) == Z_OK);
}

// A fresh directory under the system temp dir, removed (with its contents) on destruction.
// (ctest may run several test processes at once: the name is made unique by create_directory failing.)
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int attempt = 0;; ++attempt) {
      path = fs::temp_directory_path() /
             ("pcgrid_test_fuzz_regressions_" + std::to_string(stamp) + "_" + std::to_string(rd()));
      if (fs::create_directory(path)) break;
      if (attempt > 100) throw std::runtime_error("cannot create a temporary directory");
    }
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

}  // namespace

TEST_CASE("fuzz regressions: the reproducer directory is populated", "[fuzz]") {
  REQUIRE(fs::is_directory(regressions_dir()));
  REQUIRE(!files_with_prefix("model-").empty());
}

TEST_CASE("fuzz regressions: model files are rejected with a ModelError", "[fuzz][model]") {
  for (const auto& p : files_with_prefix("model-")) {
    INFO("reproducer " << p.filename().string());
    try {
      pcgrid::load_model(p.string());
      FAIL("load_model accepted the reproducer");
    } catch (const ModelError& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind(p.string() + ": ", 0) == 0);
    }
  }
}

TEST_CASE("fuzz regressions: IDX inputs are rejected with a DataError", "[fuzz][idx]") {
  for (const auto& p : files_with_prefix("idx-")) {
    INFO("reproducer " << p.filename().string());
    const std::vector<uint8_t> in = read_bytes(p);
    // Same split as fuzz/fuzz_idx.cpp.
    size_t nlab = 0, off = 0;
    if (in.size() >= 2) {
      nlab = std::min(in.size() - 2, (size_t(in[0]) << 8) | in[1]);
      off = 2;
    }
    const uint8_t* lab = in.data() + off;
    const uint8_t* img = lab + nlab;
    const size_t nimg = in.size() - off - nlab;
    TempDir dir;
    const fs::path pi = dir.path / "images", pl = dir.path / "labels";
    const fs::path gi = dir.path / "images.gz", gl = dir.path / "labels.gz";
    const fs::path ri = dir.path / "raw-images.gz", rl = dir.path / "raw-labels.gz";
    write_bytes(pi, img, nimg);
    write_bytes(pl, lab, nlab);
    write_gzip(gi, img, nimg);
    write_gzip(gl, lab, nlab);
    write_bytes(ri, img, nimg);
    write_bytes(rl, lab, nlab);
    CHECK_THROWS_AS(pcgrid::load_idx(pi.string(), pl.string()), DataError);
    CHECK_THROWS_AS(pcgrid::load_idx(gi.string(), gl.string()), DataError);
    CHECK_THROWS_AS(pcgrid::load_idx(ri.string(), rl.string()), DataError);
  }
}

TEST_CASE("fuzz regressions: architecture files are rejected with an ArchError", "[fuzz][arch]") {
  for (const auto& p : files_with_prefix("arch-")) {
    INFO("reproducer " << p.filename().string());
    try {
      pcgrid::load_arch(p.string());
      FAIL("load_arch accepted the reproducer");
    } catch (const ArchError& e) {
      const std::string msg = e.what();
      CHECK(msg.rfind(p.string() + ": ", 0) == 0);
    }
  }
}

TEST_CASE("fuzz regressions: mapping files are rejected with a MapError, ModelError or ArchError", "[fuzz][mapping]") {
  const auto files = files_with_prefix("mapping-");
  REQUIRE(!files.empty());
  for (const auto& p : files) {
    INFO("reproducer " << p.filename().string());
    std::string what;
    try {
      pcgrid::load_mapping(p.string());
      FAIL("load_mapping accepted the reproducer");
    } catch (const MapError& e) {
      what = e.what();
    } catch (const ModelError& e) {
      what = e.what();
    } catch (const ArchError& e) {
      what = e.what();
    }
    INFO(what);
    CHECK(what.rfind(p.string() + ": ", 0) == 0);
  }
}
