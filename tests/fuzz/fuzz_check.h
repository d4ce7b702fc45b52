// What the fuzz targets share: an invariant that fails loudly. A broken invariant prints what was
// expected and aborts, which libFuzzer reports as a crash and saves the input that caused it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jobrunner::fuzz {

inline void check(bool holds, std::string_view invariant, std::string_view input) {
  if (holds) return;
  std::fprintf(stderr, "Invariant broken: %.*s\ninput: '%.*s'\n", static_cast<int>(invariant.size()),
               invariant.data(), static_cast<int>(input.size()), input.data());
  std::abort();
}

}  // namespace jobrunner::fuzz
