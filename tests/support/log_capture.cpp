#include "support/log_capture.h"

#include <spdlog/sinks/base_sink.h>

#include <condition_variable>

namespace jobrunner::testing {

class LogCapture::Sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Line {
    spdlog::level::level_enum level;
    std::string text;
  };

  int count(std::string_view text, spdlog::level::level_enum level) const {
    std::lock_guard lock(lines_mu_);
    return count_locked(text, level);
  }

  bool wait_for(std::string_view text, spdlog::level::level_enum level, Millis limit) const {
    std::unique_lock lock(lines_mu_);
    return changed_.wait_for(lock, limit, [&] { return count_locked(text, level) > 0; });
  }

  std::string all() const {
    std::lock_guard lock(lines_mu_);
    std::string out;
    for (const Line& l : lines_) {
      const auto name = spdlog::level::to_string_view(l.level);
      out += std::string(name.data(), name.size()) + ": " + l.text + "\n";
    }
    return out;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard lock(lines_mu_);
    lines_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size())});
    changed_.notify_all();
  }
  void flush_() override {}

 private:
  int count_locked(std::string_view text, spdlog::level::level_enum level) const {
    int n = 0;
    for (const Line& l : lines_) n += l.level >= level && l.text.find(text) != std::string::npos;
    return n;
  }

  mutable std::mutex lines_mu_;
  mutable std::condition_variable changed_;
  std::vector<Line> lines_;
};

LogCapture::LogCapture()
    : sink_(std::make_shared<Sink>()), logger_(std::make_shared<spdlog::logger>("capture", sink_)) {
  logger_->set_level(spdlog::level::trace);
}

int LogCapture::count(std::string_view text, spdlog::level::level_enum level) const {
  return sink_->count(text, level);
}

bool LogCapture::wait_for(std::string_view text, spdlog::level::level_enum level, Millis limit) const {
  return sink_->wait_for(text, level, limit);
}

std::string LogCapture::text() const { return sink_->all(); }

}  // namespace jobrunner::testing
