// IDX dataset loading (Fashion-MNIST / MNIST format), gzip-compressed or plain.
//
// Files are read completely (decompressing incrementally, with a hard cap on the size) before the header
// is trusted: every size in the header is checked against the bytes actually present, so a corrupt or
// hostile header can neither trigger a huge allocation nor make us read past the data.
#include "pcgrid/dataset.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

namespace pcgrid {

namespace {

constexpr uint32_t kImageMagic = 0x00000803;  // unsigned byte, 3 dimensions
constexpr uint32_t kLabelMagic = 0x00000801;  // unsigned byte, 1 dimension
constexpr size_t kImageHeaderBytes = 16;      // magic, count, rows, cols
constexpr size_t kLabelHeaderBytes = 8;       // magic, count
constexpr int64_t kMaxDim = 4096;
constexpr int64_t kMaxCount = 100000000;
constexpr size_t kMaxFileBytes = size_t{1} << 30;  // 1 GiB of (decompressed) content
constexpr size_t kChunk = size_t{1} << 16;
constexpr int kNumClasses = 10;

const char* kPackageHint =
    "install the Debian package dataset-fashion-mnist (scripts/setup.sh does) or pass --data DIR";

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw DataError(path + ": " + what); }

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

uint32_t be32(const std::vector<uint8_t>& d, size_t off) {
  return (uint32_t{d[off]} << 24) | (uint32_t{d[off + 1]} << 16) | (uint32_t{d[off + 2]} << 8) | uint32_t{d[off + 3]};
}

FilePtr open_or_throw(const std::string& path) {
  errno = 0;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) fail(path, std::string("cannot open: ") + std::strerror(errno));
  return FilePtr(f);
}

// Reads up to `n` bytes; throws on a read error (e.g. the path is a directory).
size_t read_chunk(std::FILE* f, const std::string& path, uint8_t* buf, size_t n) {
  errno = 0;
  size_t got = std::fread(buf, 1, n, f);
  if (got < n && std::ferror(f)) {
    fail(path, std::string("read error: ") + std::strerror(errno ? errno : EIO));
  }
  return got;
}

[[noreturn]] void too_big(const std::string& path) {
  fail(path,
       "content exceeds the " + std::to_string(kMaxFileBytes >> 20) + " MiB limit for dataset files; refusing to load");
}

std::vector<uint8_t> read_plain(std::FILE* f, const std::string& path) {
  std::vector<uint8_t> out;
  for (;;) {
    size_t old = out.size();
    if (old >= kMaxFileBytes) {
      // At the cap: anything more is too much.
      uint8_t probe;
      if (read_chunk(f, path, &probe, 1) != 0) too_big(path);
      break;
    }
    size_t want = std::min(kChunk, kMaxFileBytes - old);
    out.resize(old + want);
    size_t got = read_chunk(f, path, out.data() + old, want);
    out.resize(old + got);
    if (got < want) break;
  }
  return out;
}

struct InflateGuard {
  z_stream* s;
  ~InflateGuard() { inflateEnd(s); }
};

// Decompresses a gzip file (one or more concatenated members) incrementally, capped at kMaxFileBytes.
std::vector<uint8_t> read_gzip(std::FILE* f, const std::string& path) {
  z_stream s{};
  if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK) fail(path, "cannot initialise zlib");
  InflateGuard guard{&s};

  std::vector<uint8_t> in(kChunk);
  std::vector<uint8_t> out;
  std::vector<uint8_t> obuf(4 * kChunk);
  bool member_done = false;  // a gzip member just ended (a clean place to stop)
  bool pending = false;      // last inflate filled the output buffer, so it may hold more output
  bool eof = false;
  size_t compressed = 0;

  for (;;) {
    if (s.avail_in == 0 && !eof) {
      size_t got = read_chunk(f, path, in.data(), in.size());
      compressed += got;
      if (got < in.size()) eof = true;
      s.next_in = in.data();
      s.avail_in = static_cast<uInt>(got);
    }
    if (s.avail_in == 0 && !pending) break;  // input exhausted and nothing buffered inside zlib
    if (member_done) {
      // More bytes after a complete gzip member: only another gzip member is acceptable.
      if (s.next_in[0] != 0x1f) fail(path, "trailing garbage after the gzip stream");
      if (inflateReset(&s) != Z_OK) fail(path, "cannot reset zlib");
      member_done = false;
    }
    s.next_out = obuf.data();
    s.avail_out = static_cast<uInt>(obuf.size());
    int rc = inflate(&s, Z_NO_FLUSH);
    size_t produced = obuf.size() - s.avail_out;
    if (produced > kMaxFileBytes - out.size()) too_big(path);
    out.insert(out.end(), obuf.data(), obuf.data() + produced);
    pending = false;
    if (rc == Z_STREAM_END) {
      member_done = true;
    } else if (rc == Z_OK) {
      pending = s.avail_out == 0;
    } else if (rc != Z_BUF_ERROR) {  // Z_BUF_ERROR: no progress possible without more input
      fail(path, std::string("gzip data is corrupt: ") + (s.msg ? s.msg : "zlib error " + std::to_string(rc)));
    }
  }
  if (compressed == 0) fail(path, "empty file, expected gzip data");
  if (!member_done) fail(path, "truncated gzip stream (unexpected end of file)");
  return out;
}

// Whole (decompressed) content of a file.
std::vector<uint8_t> read_all(const std::string& path) {
  FilePtr f = open_or_throw(path);
  return ends_with(path, ".gz") ? read_gzip(f.get(), path) : read_plain(f.get(), path);
}

std::string gzip_hint(const std::vector<uint8_t>& d, const std::string& path) {
  if (d.size() >= 2 && d[0] == 0x1f && d[1] == 0x8b && !ends_with(path, ".gz")) {
    return "; the file looks gzip-compressed, name it *.gz";
  }
  return "";
}

// Validates an IDX image file and strips the header in place. Returns the pixel bytes.
std::vector<uint8_t> parse_images(std::vector<uint8_t> d, const std::string& path, int64_t& count, int64_t& rows,
                                  int64_t& cols) {
  if (d.size() < 4) {
    fail(path, "truncated: file has " + std::to_string(d.size()) + " bytes, shorter than the " +
                   std::to_string(kImageHeaderBytes) + "-byte IDX image header");
  }
  uint32_t magic = be32(d, 0);
  if (magic != kImageMagic) {
    fail(path, "not an IDX image file (magic " + hex32(magic) + ", expected " + hex32(kImageMagic) + ")" +
                   gzip_hint(d, path));
  }
  if (d.size() < kImageHeaderBytes) {
    fail(path, "truncated: file has " + std::to_string(d.size()) + " bytes, shorter than the " +
                   std::to_string(kImageHeaderBytes) + "-byte IDX image header");
  }
  uint32_t n = be32(d, 4), r = be32(d, 8), c = be32(d, 12);
  if (r == 0 || c == 0 || r > kMaxDim || c > kMaxDim) {
    fail(path, "implausible image size " + std::to_string(r) + "x" + std::to_string(c) +
                   " in header (each side must be 1.." + std::to_string(kMaxDim) + ")");
  }
  if (n == 0) fail(path, "header declares 0 images");
  if (n > kMaxCount) {
    fail(path, "implausible image count " + std::to_string(n) + " in header (limit " + std::to_string(kMaxCount) + ")");
  }
  // Cannot overflow: 1e8 * 4096 * 4096 < 2^63.
  int64_t want = int64_t{n} * int64_t{r} * int64_t{c};
  int64_t have = static_cast<int64_t>(d.size() - kImageHeaderBytes);
  if (have < want) {
    fail(path, "truncated: header declares " + std::to_string(n) + " images of " + std::to_string(r) + "x" +
                   std::to_string(c) + " = " + std::to_string(want) + " bytes, file has " + std::to_string(have));
  }
  if (have > want) {
    fail(path, "trailing garbage: header declares " + std::to_string(n) + " images of " + std::to_string(r) + "x" +
                   std::to_string(c) + " = " + std::to_string(want) + " bytes, file has " + std::to_string(have) +
                   " (" + std::to_string(have - want) + " extra)");
  }
  count = n;
  rows = r;
  cols = c;
  d.erase(d.begin(), d.begin() + kImageHeaderBytes);
  return d;
}

// Validates an IDX label file and strips the header in place. Returns the label bytes.
std::vector<uint8_t> parse_labels(std::vector<uint8_t> d, const std::string& path) {
  if (d.size() < 4) {
    fail(path, "truncated: file has " + std::to_string(d.size()) + " bytes, shorter than the " +
                   std::to_string(kLabelHeaderBytes) + "-byte IDX label header");
  }
  uint32_t magic = be32(d, 0);
  if (magic != kLabelMagic) {
    fail(path, "not an IDX label file (magic " + hex32(magic) + ", expected " + hex32(kLabelMagic) + ")" +
                   gzip_hint(d, path));
  }
  if (d.size() < kLabelHeaderBytes) {
    fail(path, "truncated: file has " + std::to_string(d.size()) + " bytes, shorter than the " +
                   std::to_string(kLabelHeaderBytes) + "-byte IDX label header");
  }
  uint32_t n = be32(d, 4);
  if (n == 0) fail(path, "header declares 0 labels");
  if (n > kMaxCount) {
    fail(path, "implausible label count " + std::to_string(n) + " in header (limit " + std::to_string(kMaxCount) + ")");
  }
  int64_t want = n;
  int64_t have = static_cast<int64_t>(d.size() - kLabelHeaderBytes);
  if (have < want) {
    fail(path, "truncated: header declares " + std::to_string(n) + " labels = " + std::to_string(want) +
                   " bytes, file has " + std::to_string(have));
  }
  if (have > want) {
    fail(path, "trailing garbage: header declares " + std::to_string(n) + " labels = " + std::to_string(want) +
                   " bytes, file has " + std::to_string(have) + " (" + std::to_string(have - want) + " extra)");
  }
  for (size_t i = 0; i < d.size() - kLabelHeaderBytes; ++i) {
    unsigned v = d[kLabelHeaderBytes + i];
    if (v >= static_cast<unsigned>(kNumClasses)) {
      fail(path, "label at index " + std::to_string(i) + " has value " + std::to_string(v) + " (must be < " +
                     std::to_string(kNumClasses) + ")");
    }
  }
  d.erase(d.begin(), d.begin() + kLabelHeaderBytes);
  return d;
}

// Picks "<dir>/<name>.gz", else "<dir>/<name>"; throws naming the file and the Debian package if neither.
std::string find_standard_file(const std::string& dir, const std::string& name) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::string gz = (fs::path(dir) / (name + ".gz")).string();
  std::string plain = (fs::path(dir) / name).string();
  if (fs::exists(gz, ec)) return gz;
  if (fs::exists(plain, ec)) return plain;
  std::string where;
  if (!fs::is_directory(dir, ec)) where = " (directory " + dir + " does not exist)";
  throw DataError(gz + ": not found (nor " + plain + ")" + where + "; " + kPackageHint);
}

}  // namespace

ImageSet load_idx(const std::string& images_path, const std::string& labels_path, int64_t limit) {
  ImageSet set;
  set.images = parse_images(read_all(images_path), images_path, set.count, set.rows, set.cols);
  set.labels = parse_labels(read_all(labels_path), labels_path);
  set.num_classes = kNumClasses;

  int64_t nlabels = static_cast<int64_t>(set.labels.size());
  if (nlabels != set.count) {
    throw DataError("image/label count mismatch: " + images_path + " has " + std::to_string(set.count) +
                    " images but " + labels_path + " has " + std::to_string(nlabels) + " labels");
  }
  if (limit > 0 && limit < set.count) {
    set.count = limit;
    set.images.resize(static_cast<size_t>(limit * set.pixels()));
    set.images.shrink_to_fit();
    set.labels.resize(static_cast<size_t>(limit));
    set.labels.shrink_to_fit();
  }
  return set;
}

ImageSet load_fashion_mnist(const std::string& dir, const std::string& split, int64_t limit) {
  if (split != "train" && split != "t10k") {
    throw DataError("unknown Fashion-MNIST split \"" + split + "\" (expected \"train\" or \"t10k\")");
  }
  std::string images = find_standard_file(dir, split + "-images-idx3-ubyte");
  std::string labels = find_standard_file(dir, split + "-labels-idx1-ubyte");
  return load_idx(images, labels, limit);
}

}  // namespace pcgrid
