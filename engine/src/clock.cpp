#include "jobrunner/clock.h"

#include <vector>

namespace jobrunner {

Timestamp SystemClock::now() const {
  return std::chrono::duration_cast<Millis>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool SystemClock::sleep_until(Timestamp deadline, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  auto until = std::chrono::system_clock::time_point(Millis(deadline));
  cv.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested() && now() >= deadline;
}

Timestamp FakeClock::now() const {
  std::lock_guard lock(mu_);
  return now_;
}

bool FakeClock::sleep_until(Timestamp deadline, std::stop_token stop) {
  std::unique_lock lock(mu_);
  ++sleepers_;
  cv_.notify_all();
  bool reached = cv_.wait(lock, stop, [&] { return now_ >= deadline; });
  --sleepers_;
  cv_.notify_all();
  return reached;
}

int FakeClock::subscribe(std::function<void()> fn) {
  std::lock_guard lock(mu_);
  listeners_.emplace(next_handle_, std::move(fn));
  return next_handle_++;
}

void FakeClock::unsubscribe(int handle) {
  std::lock_guard lock(mu_);
  listeners_.erase(handle);
}

void FakeClock::advance(Millis d) {
  {
    std::lock_guard lock(mu_);
    now_ += d.count();
  }
  notify();
}

void FakeClock::set(Timestamp t) {
  {
    std::lock_guard lock(mu_);
    now_ = t;
  }
  notify();
}

int FakeClock::sleepers() const {
  std::lock_guard lock(mu_);
  return sleepers_;
}

bool FakeClock::wait_for_sleepers(int n, Millis limit) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, limit, [&] { return sleepers_ >= n; });
}

void FakeClock::notify() {
  std::vector<std::function<void()>> fns;
  {
    std::lock_guard lock(mu_);
    cv_.notify_all();
    for (auto& [handle, fn] : listeners_) fns.push_back(fn);
  }
  for (auto& fn : fns) fn();
}

}  // namespace jobrunner
