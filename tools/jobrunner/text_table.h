// Human output of the command line: aligned tables, progress bars, times.
#pragma once

#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "jobrunner/job.h"

namespace jobrunner::cli {

// Columns padded to their widest cell, separated by two spaces; the header line first.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  // REQUIRES: as many cells as headers.
  void add(std::vector<std::string> row);
  void print(std::ostream& out) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// "15/36 [####......]", or "-" when the job has reported no progress.
std::string progress_text(const std::optional<Progress>& progress, int bar_width = 10);

// ISO-8601 UTC, or "-" when unset.
std::string time_text(std::optional<Timestamp> t);

// "1/3": attempts spent out of the most allowed.
std::string attempt_text(const Job& job);

}  // namespace jobrunner::cli
