// Tests for the IDX / Fashion-MNIST loader (models/src/dataset.cpp).
#include <catch2/catch.hpp>

#include "pcgrid/dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using pcgrid::DataError;
using pcgrid::ImageSet;
using pcgrid::load_fashion_mnist;
using pcgrid::load_idx;

namespace {

// A fresh directory under the system temp dir, removed (with its contents) on destruction.
struct TempDir {
  fs::path path;
  TempDir() {
    std::random_device rd;
    auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    for (int attempt = 0;; ++attempt) {
      path = fs::temp_directory_path() / ("pcgrid_test_dataset_" + std::to_string(stamp) + "_" + std::to_string(rd()));
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
  std::string file(const std::string& name) const { return (path / name).string(); }
};

using Bytes = std::vector<uint8_t>;

void put_be32(Bytes& b, uint32_t v) {
  b.push_back(static_cast<uint8_t>(v >> 24));
  b.push_back(static_cast<uint8_t>(v >> 16));
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}

Bytes image_header(uint32_t count, uint32_t rows, uint32_t cols, uint32_t magic = 0x00000803) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, count);
  put_be32(b, rows);
  put_be32(b, cols);
  return b;
}

Bytes label_header(uint32_t count, uint32_t magic = 0x00000801) {
  Bytes b;
  put_be32(b, magic);
  put_be32(b, count);
  return b;
}

Bytes cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Pixel value i*7+3 (mod 256) at flat index i: distinct enough to catch offset mistakes.
Bytes pixels(size_t n) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(i * 7 + 3);
  return b;
}

// Writes plain bytes, or gzip-compressed bytes when the name ends in ".gz".
void write_file(const std::string& path, const Bytes& data) {
  if (path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0) {
    gzFile g = gzopen(path.c_str(), "wb");
    REQUIRE(g != nullptr);
    if (!data.empty()) {
      REQUIRE(gzwrite(g, data.data(), static_cast<unsigned>(data.size())) == static_cast<int>(data.size()));
    }
    REQUIRE(gzclose(g) == Z_OK);
  } else {
    std::ofstream out(path, std::ios::binary);
    REQUIRE(out.good());
    out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
    REQUIRE(out.good());
  }
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A valid 3-image 2x3 set with labels {4, 0, 9}.
const Bytes kLabels = {4, 0, 9};
Bytes good_images() { return cat(image_header(3, 2, 3), pixels(18)); }
Bytes good_labels() { return cat(label_header(3), kLabels); }

std::string no_such_file() { return std::string("cannot open: ") + std::strerror(ENOENT); }

const char* kHint = "install the Debian package dataset-fashion-mnist (scripts/setup.sh does) or pass --data DIR";

}  // namespace

TEST_CASE("load_idx round-trips plain and gzip files", "[dataset]") {
  TempDir tmp;
  const std::array<std::pair<const char*, const char*>, 4> variants = {{
      {"img", "lbl"},
      {"img.gz", "lbl.gz"},
      {"img.gz", "lbl"},
      {"img", "lbl.gz"},
  }};
  for (const auto& [img_name, lbl_name] : variants) {
    SECTION(std::string(img_name) + " + " + lbl_name) {
      write_file(tmp.file(img_name), good_images());
      write_file(tmp.file(lbl_name), good_labels());
      ImageSet s = load_idx(tmp.file(img_name), tmp.file(lbl_name));
      CHECK(s.count == 3);
      CHECK(s.rows == 2);
      CHECK(s.cols == 3);
      CHECK(s.pixels() == 6);
      CHECK(s.num_classes == 10);
      CHECK(s.images == pixels(18));
      CHECK(s.labels == kLabels);
    }
  }
}

TEST_CASE("load_idx reads a larger gzip file spanning many chunks", "[dataset]") {
  TempDir tmp;
  const uint32_t n = 2000, r = 28, c = 28;  // 1.5 MB decompressed: several read/inflate chunks
  Bytes px(size_t{n} * r * c);
  std::mt19937 rng(42);
  for (auto& p : px) p = static_cast<uint8_t>(rng());  // incompressible-ish, so the .gz is large too
  Bytes lb(n);
  for (uint32_t i = 0; i < n; ++i) lb[i] = static_cast<uint8_t>(i % 10);
  write_file(tmp.file("big.gz"), cat(image_header(n, r, c), px));
  write_file(tmp.file("big-labels.gz"), cat(label_header(n), lb));
  ImageSet s = load_idx(tmp.file("big.gz"), tmp.file("big-labels.gz"));
  CHECK(s.count == n);
  CHECK(s.images == px);
  CHECK(s.labels == lb);
}

TEST_CASE("load_idx reads a highly compressible gzip file", "[dataset]") {
  // Tiny compressed input expanding to many output buffers per input chunk (~1000:1 ratio).
  TempDir tmp;
  const uint32_t n = 5000, r = 28, c = 28;
  Bytes px(size_t{n} * r * c, 0);
  px.back() = 255;
  write_file(tmp.file("zeros.gz"), cat(image_header(n, r, c), px));
  write_file(tmp.file("zeros-labels.gz"), cat(label_header(n), Bytes(n, 3)));
  REQUIRE(fs::file_size(tmp.file("zeros.gz")) < 65536);
  ImageSet s = load_idx(tmp.file("zeros.gz"), tmp.file("zeros-labels.gz"));
  CHECK(s.count == n);
  CHECK(s.images == px);
}

TEST_CASE("load_idx accepts concatenated gzip members", "[dataset]") {
  TempDir tmp;
  Bytes all = good_images();
  Bytes first(all.begin(), all.begin() + 10), second(all.begin() + 10, all.end());
  write_file(tmp.file("a.gz"), first);
  write_file(tmp.file("b.gz"), second);
  // Raw concatenation of the two compressed files (written plain, then renamed to .gz).
  write_file(tmp.file("img"), cat(read_raw(tmp.file("a.gz")), read_raw(tmp.file("b.gz"))));
  fs::rename(tmp.file("img"), tmp.file("img.gz"));
  write_file(tmp.file("lbl"), good_labels());
  ImageSet s = load_idx(tmp.file("img.gz"), tmp.file("lbl"));
  CHECK(s.count == 3);
  CHECK(s.images == pixels(18));
}

TEST_CASE("load_idx limit keeps the first samples", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("img.gz"), good_images());
  write_file(tmp.file("lbl.gz"), good_labels());

  SECTION("limit smaller than count") {
    ImageSet s = load_idx(tmp.file("img.gz"), tmp.file("lbl.gz"), 2);
    CHECK(s.count == 2);
    CHECK(s.rows == 2);
    CHECK(s.cols == 3);
    CHECK(s.images == pixels(12));
    CHECK(s.labels == Bytes{4, 0});
  }
  SECTION("limit equal to or larger than count keeps everything") {
    for (int64_t limit : {int64_t{3}, int64_t{4}, int64_t{1000000}}) {
      ImageSet s = load_idx(tmp.file("img.gz"), tmp.file("lbl.gz"), limit);
      CHECK(s.count == 3);
      CHECK(s.images.size() == 18);
      CHECK(s.labels == kLabels);
    }
  }
  SECTION("limit 0 keeps everything") {
    ImageSet s = load_idx(tmp.file("img.gz"), tmp.file("lbl.gz"), 0);
    CHECK(s.count == 3);
  }
  SECTION("limit is applied after validation") {
    // A bad label beyond the limit is still an error.
    write_file(tmp.file("bad-lbl"), cat(label_header(3), Bytes{4, 0, 10}));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img.gz"), tmp.file("bad-lbl"), 1),
                        Catch::Contains("label at index 2 has value 10"));
  }
}

TEST_CASE("load_idx reports files that cannot be opened or read", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("lbl"), good_labels());
  write_file(tmp.file("img"), good_images());

  SECTION("missing plain image file") {
    REQUIRE_THROWS_AS(load_idx(tmp.file("nope"), tmp.file("lbl")), DataError);
    REQUIRE_THROWS_WITH(load_idx(tmp.file("nope"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("nope") + ": " + no_such_file()));
  }
  SECTION("missing gzip label file") {
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("nope.gz")),
                        Catch::Contains(tmp.file("nope.gz") + ": " + no_such_file()));
  }
  SECTION("a directory is not a readable file") {
    fs::create_directory(tmp.path / "adir");
    REQUIRE_THROWS_WITH(load_idx(tmp.file("adir"), tmp.file("lbl")), Catch::Contains(tmp.file("adir") + ": "));
    REQUIRE_THROWS_AS(load_idx(tmp.file("adir"), tmp.file("lbl")), DataError);
  }
}

TEST_CASE("load_idx rejects wrong magic numbers", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("img"), good_images());
  write_file(tmp.file("lbl"), good_labels());

  SECTION("labels passed as images") {
    REQUIRE_THROWS_WITH(
        load_idx(tmp.file("lbl"), tmp.file("lbl")),
        Catch::Contains(tmp.file("lbl") + ": not an IDX image file (magic 0x00000801, expected 0x00000803)"));
  }
  SECTION("images passed as labels") {
    REQUIRE_THROWS_WITH(
        load_idx(tmp.file("img"), tmp.file("img")),
        Catch::Contains(tmp.file("img") + ": not an IDX label file (magic 0x00000803, expected 0x00000801)"));
  }
  SECTION("arbitrary magic") {
    write_file(tmp.file("weird.gz"), cat(image_header(3, 2, 3, 0xdeadbeef), pixels(18)));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("weird.gz"), tmp.file("lbl")),
                        Catch::Contains("not an IDX image file (magic 0xdeadbeef, expected 0x00000803)"));
  }
  SECTION("gzip data in a file not named .gz") {
    write_file(tmp.file("img.gz"), good_images());
    fs::rename(tmp.file("img.gz"), tmp.file("img-really-gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img-really-gz"), tmp.file("lbl")),
                        Catch::Contains("not an IDX image file") && Catch::Contains("gzip-compressed"));
  }
  SECTION("plain data in a file named .gz") {
    write_file(tmp.file("plain"), good_images());
    fs::rename(tmp.file("plain"), tmp.file("plain.gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("plain.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("plain.gz") + ": gzip data is corrupt"));
  }
}

TEST_CASE("load_idx rejects truncated files", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("lbl"), good_labels());
  write_file(tmp.file("img"), good_images());

  SECTION("pixel data one byte short (plain and gzip)") {
    Bytes short_img = cat(image_header(3, 2, 3), pixels(17));
    for (const char* name : {"short", "short.gz"}) {
      write_file(tmp.file(name), short_img);
      REQUIRE_THROWS_WITH(
          load_idx(tmp.file(name), tmp.file("lbl")),
          Catch::Contains(tmp.file(name) + ": truncated: header declares 3 images of 2x3 = 18 bytes, file has 17"));
    }
  }
  SECTION("header cut short") {
    Bytes h = image_header(3, 2, 3);
    h.resize(10);
    write_file(tmp.file("hdr"), h);
    REQUIRE_THROWS_WITH(load_idx(tmp.file("hdr"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("hdr") + ": truncated: file has 10 bytes"));
  }
  SECTION("empty files") {
    write_file(tmp.file("empty"), {});
    REQUIRE_THROWS_WITH(load_idx(tmp.file("empty"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("empty") + ": truncated: file has 0 bytes"));
    std::ofstream(tmp.file("empty.gz"), std::ios::binary).close();
    REQUIRE_THROWS_WITH(load_idx(tmp.file("empty.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("empty.gz") + ": empty file"));
  }
  SECTION("labels short") {
    write_file(tmp.file("short-lbl"), cat(label_header(3), Bytes{1, 2}));
    REQUIRE_THROWS_WITH(
        load_idx(tmp.file("img"), tmp.file("short-lbl")),
        Catch::Contains(tmp.file("short-lbl") + ": truncated: header declares 3 labels = 3 bytes, file has 2"));
  }
  SECTION("gzip stream cut off") {
    std::mt19937 rng(7);
    Bytes px(4000 * 6);
    for (auto& p : px) p = static_cast<uint8_t>(rng());
    write_file(tmp.file("cut.gz"), cat(image_header(4000, 2, 3), px));
    Bytes raw = read_raw(tmp.file("cut.gz"));
    REQUIRE(raw.size() > 100);
    raw.resize(raw.size() / 2);
    write_file(tmp.file("cut"), raw);  // plain write of the cut gzip bytes
    fs::rename(tmp.file("cut"), tmp.file("cut.gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("cut.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("cut.gz") + ": truncated gzip stream"));
  }
  SECTION("gzip trailer missing") {
    write_file(tmp.file("t.gz"), good_images());  // then drop half of the 8-byte CRC/size trailer
    Bytes raw = read_raw(tmp.file("t.gz"));
    raw.resize(raw.size() - 4);
    write_file(tmp.file("t"), raw);
    fs::rename(tmp.file("t"), tmp.file("t.gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("t.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("t.gz") + ": truncated gzip stream"));
  }
  SECTION("gzip data corrupted") {
    write_file(tmp.file("c.gz"), good_images());
    Bytes raw = read_raw(tmp.file("c.gz"));
    raw[raw.size() - 6] ^= 0xff;  // inside the CRC32 trailer
    write_file(tmp.file("c"), raw);
    fs::rename(tmp.file("c"), tmp.file("c.gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("c.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("c.gz") + ": gzip data is corrupt"));
  }
}

TEST_CASE("load_idx refuses absurd header sizes without allocating", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("lbl"), good_labels());

  SECTION("rows > 4096") {
    write_file(tmp.file("img"), image_header(1, 5000, 28));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("img") + ": implausible image size 5000x28"));
  }
  SECTION("cols > 4096") {
    write_file(tmp.file("img.gz"), image_header(1, 28, 0xffffffffu));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img.gz"), tmp.file("lbl")),
                        Catch::Contains("implausible image size 28x4294967295"));
  }
  SECTION("zero-sized images") {
    write_file(tmp.file("img"), image_header(1, 0, 28));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("lbl")), Catch::Contains("implausible image size 0x28"));
  }
  SECTION("image count > 100,000,000") {
    write_file(tmp.file("img"), image_header(200000000, 28, 28));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("img") + ": implausible image count 200000000"));
  }
  SECTION("huge but in-range header with no data is reported as truncated") {
    write_file(tmp.file("img"), image_header(100000000, 4096, 4096));
    REQUIRE_THROWS_WITH(
        load_idx(tmp.file("img"), tmp.file("lbl")),
        Catch::Contains(
            "truncated: header declares 100000000 images of 4096x4096 = 1677721600000000 bytes, file has 0"));
  }
  SECTION("label count > 100,000,000") {
    write_file(tmp.file("img"), good_images());
    write_file(tmp.file("big-lbl"), label_header(0xffffffffu));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("big-lbl")),
                        Catch::Contains(tmp.file("big-lbl") + ": implausible label count 4294967295"));
  }
}

TEST_CASE("load_idx rejects trailing garbage", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("img"), good_images());
  write_file(tmp.file("lbl"), good_labels());

  SECTION("extra bytes after the pixels (plain and gzip)") {
    for (const char* name : {"long", "long.gz"}) {
      write_file(tmp.file(name), cat(good_images(), Bytes{1, 2, 3}));
      REQUIRE_THROWS_WITH(
          load_idx(tmp.file(name), tmp.file("lbl")),
          Catch::Contains(tmp.file(name) + ": trailing garbage") && Catch::Contains("file has 21 (3 extra)"));
    }
  }
  SECTION("extra bytes after the labels") {
    write_file(tmp.file("long-lbl.gz"), cat(good_labels(), Bytes{0}));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("long-lbl.gz")),
                        Catch::Contains(tmp.file("long-lbl.gz") + ": trailing garbage"));
  }
  SECTION("junk after the gzip stream") {
    write_file(tmp.file("j.gz"), good_images());
    Bytes raw = cat(read_raw(tmp.file("j.gz")), Bytes{'j', 'u', 'n', 'k'});
    write_file(tmp.file("j"), raw);
    fs::rename(tmp.file("j"), tmp.file("j.gz"));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("j.gz"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("j.gz") + ": trailing garbage after the gzip stream"));
  }
}

TEST_CASE("load_idx checks labels against images", "[dataset]") {
  TempDir tmp;
  write_file(tmp.file("img"), good_images());

  SECTION("label count differs from image count") {
    write_file(tmp.file("lbl4"), cat(label_header(4), Bytes{1, 2, 3, 4}));
    REQUIRE_THROWS_WITH(
        load_idx(tmp.file("img"), tmp.file("lbl4")),
        Catch::Contains(tmp.file("img") + " has 3 images") && Catch::Contains(tmp.file("lbl4") + " has 4 labels"));
  }
  SECTION("label value >= 10") {
    write_file(tmp.file("lbl"), cat(label_header(3), Bytes{9, 200, 1}));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("lbl")),
                        Catch::Contains(tmp.file("lbl") + ": label at index 1 has value 200 (must be < 10)"));
  }
  SECTION("label value exactly 10") {
    write_file(tmp.file("lbl.gz"), cat(label_header(3), Bytes{0, 9, 10}));
    REQUIRE_THROWS_WITH(load_idx(tmp.file("img"), tmp.file("lbl.gz")),
                        Catch::Contains("label at index 2 has value 10"));
  }
}

TEST_CASE("load_fashion_mnist finds the standard files", "[dataset]") {
  TempDir tmp;

  SECTION("gzip files") {
    write_file(tmp.file("t10k-images-idx3-ubyte.gz"), good_images());
    write_file(tmp.file("t10k-labels-idx1-ubyte.gz"), good_labels());
    ImageSet s = load_fashion_mnist(tmp.path.string(), "t10k");
    CHECK(s.count == 3);
    CHECK(s.images == pixels(18));
    CHECK(s.labels == kLabels);
    CHECK(load_fashion_mnist(tmp.path.string(), "t10k", 1).count == 1);
  }
  SECTION("falls back to uncompressed files") {
    write_file(tmp.file("train-images-idx3-ubyte"), good_images());
    write_file(tmp.file("train-labels-idx1-ubyte.gz"), good_labels());
    ImageSet s = load_fashion_mnist(tmp.path.string(), "train", 2);
    CHECK(s.count == 2);
    CHECK(s.labels == Bytes{4, 0});
  }
  SECTION(".gz wins when both exist") {
    write_file(tmp.file("train-images-idx3-ubyte.gz"), good_images());
    write_file(tmp.file("train-images-idx3-ubyte"), Bytes{1, 2, 3});  // would be invalid
    write_file(tmp.file("train-labels-idx1-ubyte"), good_labels());
    CHECK(load_fashion_mnist(tmp.path.string(), "train").count == 3);
  }
  SECTION("unknown split") {
    REQUIRE_THROWS_AS(load_fashion_mnist(tmp.path.string(), "test"), DataError);
    REQUIRE_THROWS_WITH(load_fashion_mnist(tmp.path.string(), "test"),
                        Catch::Contains("\"test\"") && Catch::Contains("\"train\" or \"t10k\""));
  }
  SECTION("missing label file in a user directory") {
    write_file(tmp.file("t10k-images-idx3-ubyte.gz"), good_images());
    REQUIRE_THROWS_WITH(load_fashion_mnist(tmp.path.string(), "t10k"),
                        Catch::Contains(tmp.file("t10k-labels-idx1-ubyte.gz")) && Catch::Contains(kHint));
  }
  SECTION("missing directory") {
    std::string dir = tmp.file("does-not-exist");
    REQUIRE_THROWS_AS(load_fashion_mnist(dir, "train"), DataError);
    REQUIRE_THROWS_WITH(load_fashion_mnist(dir, "train"),
                        Catch::Contains(dir + "/train-images-idx3-ubyte.gz") && Catch::Contains(kHint));
  }
  SECTION("errors inside a found file are reported by load_idx") {
    write_file(tmp.file("t10k-images-idx3-ubyte.gz"), good_images());
    write_file(tmp.file("t10k-labels-idx1-ubyte.gz"), cat(label_header(2), Bytes{1, 2}));
    REQUIRE_THROWS_WITH(load_fashion_mnist(tmp.path.string(), "t10k"),
                        Catch::Contains("has 3 images") && Catch::Contains("has 2 labels"));
  }
}

TEST_CASE("the installed Fashion-MNIST test split loads", "[dataset][fashion-mnist]") {
  // Provided by the Debian package dataset-fashion-mnist (installed by scripts/setup.sh).
  ImageSet s = load_fashion_mnist(pcgrid::kFashionMnistDir, "t10k");
  REQUIRE(s.count == 10000);
  REQUIRE(s.rows == 28);
  REQUIRE(s.cols == 28);
  REQUIRE(s.images.size() == size_t{10000} * 28 * 28);
  REQUIRE(s.labels.size() == 10000);

  std::array<int, 10> histogram{};
  for (uint8_t l : s.labels) histogram.at(l)++;
  for (int c = 0; c < 10; ++c) {
    INFO("class " << c);
    CHECK(histogram[c] == 1000);
  }
  // Sanity: real images, not all-zero: both dark background and bright pixels occur.
  uint8_t lo = 255, hi = 0;
  for (uint8_t p : s.images) {
    lo = std::min(lo, p);
    hi = std::max(hi, p);
  }
  CHECK(lo == 0);
  CHECK(hi == 255);

  ImageSet few = load_fashion_mnist(pcgrid::kFashionMnistDir, "t10k", 100);
  CHECK(few.count == 100);
  CHECK(few.images.size() == size_t{100} * 784);
  CHECK(std::equal(few.images.begin(), few.images.end(), s.images.begin()));
  CHECK(std::equal(few.labels.begin(), few.labels.end(), s.labels.begin()));
}
