// Clock: where the engine and the runner read time. Tests inject a FakeClock and move time by hand,
// so no test sleeps to make time pass.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>

namespace jobrunner {

// Milliseconds since the Unix epoch. Every time the engine stores is one of these.
using Timestamp = std::int64_t;
using Millis = std::chrono::milliseconds;

class Clock {
 public:
  virtual ~Clock() = default;

  virtual Timestamp now() const = 0;

  // Blocks until now() >= deadline or `stop` is requested. Returns true when the deadline was reached.
  virtual bool sleep_until(Timestamp deadline, std::stop_token stop) = 0;

  // Calls `fn` whenever time jumps (FakeClock::advance); a SystemClock never calls it.
  // Returns a handle for unsubscribe(). Listeners are called without any clock lock held.
  virtual int subscribe(std::function<void()> fn) = 0;
  virtual void unsubscribe(int handle) = 0;

  bool sleep_for(Millis d, std::stop_token stop) { return sleep_until(now() + d.count(), std::move(stop)); }
};

// The wall clock (system_clock), sleeping on a condition variable that the stop token interrupts.
class SystemClock final : public Clock {
 public:
  Timestamp now() const override;
  bool sleep_until(Timestamp deadline, std::stop_token stop) override;
  int subscribe(std::function<void()>) override { return 0; }
  void unsubscribe(int) override {}
};

// A clock that moves only when told to. sleep_until() returns once advance() has carried the clock
// past the deadline, so a test drives a sleeping worker step by step.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(Timestamp start = 1'700'000'000'000) : now_(start) {}

  Timestamp now() const override;
  bool sleep_until(Timestamp deadline, std::stop_token stop) override;
  int subscribe(std::function<void()> fn) override;
  void unsubscribe(int handle) override;

  void advance(Millis d);
  void set(Timestamp t);
  // How many threads are blocked in sleep_until() right now.
  int sleepers() const;
  // Blocks (in real time, at most `limit`) until at least n threads sleep on this clock.
  bool wait_for_sleepers(int n, Millis limit = Millis(10'000)) const;

 private:
  void notify();

  mutable std::mutex mu_;
  mutable std::condition_variable_any cv_;
  Timestamp now_;
  int sleepers_ = 0;
  int next_handle_ = 1;
  std::map<int, std::function<void()>> listeners_;
};

}  // namespace jobrunner
