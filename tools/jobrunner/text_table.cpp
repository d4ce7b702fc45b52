#include "text_table.h"

#include <algorithm>
#include <cassert>

#include "jobrunner/time_text.h"

namespace jobrunner::cli {

TextTable::TextTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void TextTable::add(std::vector<std::string> row) {
  assert(row.size() == headers_.size());
  rows_.push_back(std::move(row));
}

void TextTable::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  for (const std::string& h : headers_) widths.push_back(h.size());
  for (const auto& row : rows_) {
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text;
    for (std::size_t i = 0; i < cells.size(); ++i) {
      text += cells[i];
      if (i + 1 < cells.size()) text += std::string(widths[i] - cells[i].size() + 2, ' ');
    }
    out << text << '\n';
  };
  line(headers_);
  for (const auto& row : rows_) line(row);
}

std::string progress_text(const std::optional<Progress>& progress, int bar_width) {
  if (!progress) return "-";
  std::string text = std::to_string(progress->done) + "/" + std::to_string(progress->total);
  if (progress->total <= 0) return text;
  auto filled =
      static_cast<int>(std::clamp<std::int64_t>(progress->done * bar_width / progress->total, 0, bar_width));
  return text + " [" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "]";
}

std::string time_text(std::optional<Timestamp> t) { return t ? format_timestamp(*t) : "-"; }

std::string attempt_text(const Job& job) {
  return std::to_string(job.attempt) + "/" + std::to_string(job.max_attempts);
}

}  // namespace jobrunner::cli
