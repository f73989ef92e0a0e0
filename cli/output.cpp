// Writing output files (output.hpp).
#include "output.hpp"

#include "pcgrid/routing.hpp"

#include <fmt/format.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace pcgrid::cli {

void write_output(const std::string& path, const std::string& text, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (fs::exists(st) && fs::is_directory(st)) throw MapError(fmt::format("{}: is a directory", path));
  if (fs::exists(st) && !fs::is_regular_file(st)) {
    std::ofstream f(path, std::ios::binary);
    if (!(f << text)) throw MapError(fmt::format("{}: write failed: {}", path, std::strerror(errno)));
    return;
  }
  if (!force && fs::exists(st)) throw MapError(fmt::format("{}: already exists; pass --force to overwrite it", path));
  // A fresh temporary name next to the target (mkstemp), so no file of the user's is touched on the way.
  std::string tmp = path + ".XXXXXX";
  const int fd = mkstemp(tmp.data());
  if (fd < 0) throw MapError(fmt::format("{}: cannot write: {}", path, std::strerror(errno)));
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      fs::remove(tmp, ec);
      throw MapError(fmt::format("{}: write failed: {}", path, std::strerror(err)));
    }
    done += size_t(n);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    fs::remove(tmp, ec);
    throw MapError(fmt::format("{}: write failed: {}", path, std::strerror(err)));
  }
  const mode_t mask = ::umask(0);  // mkstemp creates 0600; give the file the usual 0666 & ~umask
  ::umask(mask);
  ::chmod(tmp.c_str(), 0666 & ~mask);
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw MapError(fmt::format("{}: cannot write: {}", path, ec.message()));
  }
}

}  // namespace pcgrid::cli
