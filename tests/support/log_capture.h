// LogCapture: a logger whose lines a test reads and waits for (with a real-time limit, never a sleep),
// for checking what the runner reports while something goes wrong.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "jobrunner/clock.h"

namespace jobrunner::testing {

class LogCapture {
 public:
  LogCapture();

  // Logs at every level into this capture (and nowhere else).
  std::shared_ptr<spdlog::logger> logger() const { return logger_; }

  // Lines at `level` or above that contain `text`.
  int count(std::string_view text, spdlog::level::level_enum level = spdlog::level::trace) const;
  // Waits until count(text, level) >= 1. Returns false at the limit.
  bool wait_for(std::string_view text, spdlog::level::level_enum level = spdlog::level::trace,
                Millis limit = Millis(20'000)) const;
  // Every line so far, "<level>: <text>", for a failing check to print.
  std::string text() const;

 private:
  class Sink;
  std::shared_ptr<Sink> sink_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace jobrunner::testing
