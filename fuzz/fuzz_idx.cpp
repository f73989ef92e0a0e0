// libFuzzer target for the IDX dataset reader: pcgrid::load_idx (models/src/dataset.cpp).
//
// Input format (docs/fuzzing.md):
//   bytes 0-1   L, the length of the label-file part, big-endian (clamped to what is left)
//   next L      the label file (IDX1: magic 0x00000801, count, labels)
//   the rest    the image file (IDX3: magic 0x00000803, count, rows, cols, pixels)
// Inputs shorter than 2 bytes give two empty files.
//
// load_idx takes paths, so each input is written to files in a private directory under /dev/shm (or
// $TMPDIR, /tmp) and read three ways:
//   1. plain:      "images", "labels" hold the parts as they are;
//   2. compressed: "images.gz", "labels.gz" hold the parts gzip-compressed here (the image part as two
//                  concatenated gzip members), so the reader's inflate path sees valid streams around the
//                  fuzzed IDX content and must return exactly what the plain read returned, or fail too;
//   3. raw .gz:    "raw-images.gz", "raw-labels.gz" hold the parts as they are, so the fuzzed bytes
//                  themselves go through the gzip decoder (each part also as the first file read, since
//                  load_idx reads the labels only after the images passed).
// A clean rejection is a pcgrid::DataError. A finding is anything else: another exception type, a crash,
// a sanitizer report, a hang, or a broken invariant checked below (abort with a message).
#include "pcgrid/dataset.hpp"

#include "fuzz_scratch.hpp"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

namespace fs = std::filesystem;

namespace {

[[noreturn]] void finding(const std::string& what) {
  std::fprintf(stderr, "fuzz_idx: invariant broken: %s\n", what.c_str());
  std::abort();
}

void check(bool ok, const std::string& what) {
  if (!ok) finding(what);
}

pcgrid_fuzz::Scratch& scratch() {
  static pcgrid_fuzz::Scratch s("pcgrid-fuzz-idx-", finding);
  return s;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  pcgrid_fuzz::write_file(path, data, size, finding);
}

// One gzip member holding data[0, size).
void gzip_member(const uint8_t* data, size_t size, std::vector<uint8_t>& out) {
  z_stream s{};
  if (deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) finding("deflateInit2");
  const size_t old = out.size();
  out.resize(old + deflateBound(&s, uLong(size)) + 32);
  s.next_in = const_cast<Bytef*>(data);
  s.avail_in = uInt(size);
  s.next_out = out.data() + old;
  s.avail_out = uInt(out.size() - old);
  if (deflate(&s, Z_FINISH) != Z_STREAM_END) finding("deflate did not finish");
  out.resize(out.size() - s.avail_out);
  deflateEnd(&s);
}

// gzip file for data: one member, or two members split at `split` (a multi-member file, like `cat a.gz b.gz`).
std::vector<uint8_t> gzip(const uint8_t* data, size_t size, size_t split) {
  std::vector<uint8_t> out;
  if (split == 0 || split >= size) {
    gzip_member(data, size, out);
  } else {
    gzip_member(data, split, out);
    gzip_member(data + split, size - split, out);
  }
  return out;
}

// load_idx, mapping a clean rejection to nullopt.
std::optional<pcgrid::ImageSet> load(const std::string& images, const std::string& labels, int64_t limit = 0) {
  try {
    return pcgrid::load_idx(images, labels, limit);
  } catch (const pcgrid::DataError& e) {
    check(*e.what() != '\0', "DataError with an empty message");
    return std::nullopt;
  }
}

void check_set(const pcgrid::ImageSet& s, const char* how) {
  const std::string h = how;
  check(s.count > 0, h + ": accepted a set with no samples");
  check(s.rows > 0 && s.cols > 0, h + ": accepted an empty image size");
  check(s.images.size() == size_t(s.count * s.rows * s.cols), h + ": image bytes do not match count*rows*cols");
  check(s.labels.size() == size_t(s.count), h + ": label count does not match the image count");
  for (uint8_t l : s.labels) check(l < s.num_classes, h + ": label out of range");
}

bool same(const pcgrid::ImageSet& a, const pcgrid::ImageSet& b) {
  return a.count == b.count && a.rows == b.rows && a.cols == b.cols && a.images == b.images && a.labels == b.labels &&
         a.num_classes == b.num_classes;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const pcgrid_fuzz::Scratch& dir = scratch();
  size_t nlab = 0;
  const uint8_t* lab = data;
  const uint8_t* img = data;
  size_t nimg = 0;
  if (size >= 2) {
    nlab = std::min(size - 2, (size_t(data[0]) << 8) | data[1]);
    lab = data + 2;
    img = lab + nlab;
    nimg = size - 2 - nlab;
  }

  // 1. plain files
  const std::string pi = dir.path("images"), pl = dir.path("labels");
  write_file(pi, img, nimg);
  write_file(pl, lab, nlab);
  const std::optional<pcgrid::ImageSet> plain = load(pi, pl);
  if (plain) {
    check_set(*plain, "plain");
    if (plain->count > 1) {
      const int64_t lim = plain->count - 1;
      const std::optional<pcgrid::ImageSet> cut = load(pi, pl, lim);
      check(cut.has_value(), "limit: the same files failed to load with a limit");
      check_set(*cut, "limit");
      check(cut->count == lim && cut->rows == plain->rows && cut->cols == plain->cols, "limit: wrong geometry");
      check(std::equal(cut->images.begin(), cut->images.end(), plain->images.begin()) &&
                std::equal(cut->labels.begin(), cut->labels.end(), plain->labels.begin()),
            "limit: not a prefix of the full set");
    }
  }

  // 2. the same content, gzip-compressed: must give the same result
  const std::string gi = dir.path("images.gz"), gl = dir.path("labels.gz");
  const std::vector<uint8_t> zi = gzip(img, nimg, nimg / 2), zl = gzip(lab, nlab, 0);
  write_file(gi, zi.data(), zi.size());
  write_file(gl, zl.data(), zl.size());
  const std::optional<pcgrid::ImageSet> packed = load(gi, gl);
  check(packed.has_value() == plain.has_value(), packed ? "gzip: compressed files load but the plain ones do not"
                                                        : "gzip: plain files load but the compressed ones do not");
  if (packed) check(same(*packed, *plain), "gzip: compressed files load to a different set than the plain ones");

  // 3. the fuzzed bytes themselves as gzip files
  const std::string ri = dir.path("raw-images.gz"), rl = dir.path("raw-labels.gz");
  write_file(ri, img, nimg);
  write_file(rl, lab, nlab);
  const std::optional<pcgrid::ImageSet> raw = load(ri, rl);
  if (raw) check_set(*raw, "raw gzip");
  // load_idx reads the label file only after the image file passed; decode the label part on its own too
  // (read as the image file: inflated completely, then rejected or accepted by the image-header check).
  if (!raw) {
    const std::optional<pcgrid::ImageSet> swapped = load(rl, ri);
    if (swapped) check_set(*swapped, "raw gzip, swapped");
  }
  return 0;
}
