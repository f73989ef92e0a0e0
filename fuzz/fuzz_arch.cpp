// libFuzzer target for the architecture-file reader: pcgrid::parse_arch (mapper/src/arch.cpp).
//
// Input: the bytes of an architecture file (JSON, docs/arch-format.md), passed as the text to parse.
// A clean rejection is a pcgrid::ArchError whose message starts with the origin. A finding is anything else:
// another exception type escaping (std::terminate → abort), a crash, a sanitizer report, a hang, or a broken
// invariant checked below (message on stderr, then __builtin_trap).
//
// An accepted architecture must survive the writer: arch_to_json(a) must parse again (without an error) to
// an architecture whose arch_to_json text is identical (the canonical text lists every key, so equal text
// means equal architectures).
#include "pcgrid/arch.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace {

constexpr const char* kOrigin = "fuzz.json";

[[noreturn]] void finding(const char* what) {
  std::fprintf(stderr, "fuzz_arch: invariant broken: %s\n", what);
  __builtin_trap();
}

void check(bool ok, const char* what) {
  if (!ok) finding(what);
}

void exercise(const pcgrid::Arch& a) {
  check(a.width >= 1 && a.height >= 1, "accepted an empty grid");
  check(a.inside(a.host), "accepted a host outside the grid");
  check(a.router_alive(a.host), "accepted a dead host router");
  check(!a.name.empty(), "accepted an empty name");

  const std::string text = pcgrid::arch_to_json(a);
  pcgrid::Arch b;
  try {
    b = pcgrid::parse_arch(text, kOrigin);
  } catch (const pcgrid::ArchError& e) {
    std::fprintf(stderr, "fuzz_arch: arch_to_json wrote:\n%s\nwhich parse_arch rejects: %s\n", text.c_str(), e.what());
    finding("arch_to_json output does not parse again");
  }
  const std::string again = pcgrid::arch_to_json(b);
  if (again != text) {
    std::fprintf(stderr, "fuzz_arch: first:\n%s\nafter a round trip:\n%s\n", text.c_str(), again.c_str());
    finding("arch_to_json round trip changed the architecture");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  pcgrid::Arch a;
  try {
    a = pcgrid::parse_arch(text, kOrigin);
  } catch (const pcgrid::ArchError& e) {
    const std::string msg = e.what();
    if (msg.rfind(kOrigin, 0) != 0) finding("ArchError message does not start with the origin");
    return 0;  // clean rejection
  }
  exercise(a);
  return 0;
}
