// What the programs the process tests start share: --name=value flags, lines on stdout for the test
// to wait on, and a main() that turns bad flags into exit 2 and failures into exit 1.
#pragma once

#include <charconv>
#include <cstdint>
#include <iostream>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace jobrunner::host {

// "--name=value" as {"--name", "value"}; "--name" alone as {"--name", ""}.
inline std::pair<std::string_view, std::string_view> split_flag(std::string_view arg) {
  auto eq = arg.find('=');
  return {arg.substr(0, eq), eq == std::string_view::npos ? std::string_view() : arg.substr(eq + 1)};
}

// The value of a numeric flag. Throws std::invalid_argument when it is not a number >= min.
inline std::int64_t flag_number(std::string_view text, std::string_view flag, std::int64_t min = 0) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min) {
    throw std::invalid_argument(std::string(flag) + " needs a number of at least " + std::to_string(min) +
                                ", not '" + std::string(text) + "'");
  }
  return v;
}

// One line on stdout for the test; a mutex keeps lines from threads whole.
inline void say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cout << line << std::endl;
}

// main() of a host: parse(argc, argv) gives the flags, or throws for bad ones (exit 2, with the
// usage); run(flags) gives the exit code, or throws (exit 1).
template <class Parse, class Run>
int host_main(const char* name, const char* usage, int argc, char** argv, Parse parse, Run run) {
  decltype(parse(argc, argv)) flags;
  try {
    flags = parse(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n" << usage;
    return 2;
  }
  try {
    return run(flags);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
}

}  // namespace jobrunner::host
