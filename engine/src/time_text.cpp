#include "jobrunner/time_text.h"

#include <cstdio>
#include <ctime>
#include <limits>

namespace jobrunner {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool read_digits(std::string_view& s, int n, int& out) {
  if (s.size() < static_cast<std::size_t>(n)) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  s.remove_prefix(static_cast<std::size_t>(n));
  return true;
}

// Days in a month of the proleptic Gregorian calendar.
int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

bool read_char(std::string_view& s, char c) {
  if (s.empty() || s.front() != c) return false;
  s.remove_prefix(1);
  return true;
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  // Seconds rounded down and the milliseconds past them, without overflow at the ends of the range.
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  int ms = static_cast<int>(t % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

Result<Timestamp> parse_timestamp(std::string_view text) {
  auto bad = [&] {
    return Status::invalid("'" + std::string(text) +
                           "' is not an ISO-8601 time (expected e.g. 2026-12-03T16:10:00Z)");
  };
  std::string_view s = text;
  int y, mo, d, h, mi, sec, ms = 0;
  if (!read_digits(s, 4, y) || !read_char(s, '-') || !read_digits(s, 2, mo) || !read_char(s, '-') ||
      !read_digits(s, 2, d) || !(read_char(s, 'T') || read_char(s, ' ')) || !read_digits(s, 2, h) ||
      !read_char(s, ':') || !read_digits(s, 2, mi) || !read_char(s, ':') || !read_digits(s, 2, sec)) {
    return bad();
  }
  if (read_char(s, '.')) {
    int digits = 0, frac = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      if (digits < 3) frac = frac * 10 + (s.front() - '0');
      ++digits;
      s.remove_prefix(1);
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 3; ++i) frac *= 10;
    ms = frac;
  }
  std::int64_t offset_min = 0;
  if (!read_char(s, 'Z')) {
    int sign = read_char(s, '+') ? 1 : (read_char(s, '-') ? -1 : 0);
    int oh, om;
    if (sign == 0 || !read_digits(s, 2, oh) || !read_char(s, ':') || !read_digits(s, 2, om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset_min = sign * (oh * 60 + om);
  }
  // A day past the end of its month or a leap second would silently become another time: refused.
  if (!s.empty() || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59) {
    return bad();
  }
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - offset_min * 60;
  return secs * 1000 + ms;
}

Result<Millis> parse_duration(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::invalid("invalid duration '" + std::string(text) + "': " + why +
                           " (expected e.g. 30s, 5m, 1h30m, 250ms, 7d)");
  };
  if (text.empty()) return bad("it is empty");
  if (text.front() == '-') return bad("it is negative");
  std::string_view s = text;
  std::int64_t total = 0;
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max() / 2;
  while (!s.empty()) {
    const bool first = s.size() == text.size();
    if (s.front() < '0' || s.front() > '9') return bad("expected a number");
    std::int64_t n = 0;
    while (!s.empty() && s.front() >= '0' && s.front() <= '9') {
      n = n * 10 + (s.front() - '0');
      if (n > kMax / 1000) return bad("too long");
      s.remove_prefix(1);
    }
    std::int64_t unit;
    if (s.starts_with("ms")) {
      unit = 1;
      s.remove_prefix(2);
    } else if (!s.empty() && (s.front() == 's' || s.front() == 'm' || s.front() == 'h' || s.front() == 'd')) {
      unit = s.front() == 's' ? 1000 : s.front() == 'm' ? 60'000 : s.front() == 'h' ? 3'600'000 : 86'400'000;
      s.remove_prefix(1);
    } else if (s.empty() && first) {
      unit = 1000;  // a bare number is seconds; "1m30" is refused, and so is "0m30"
    } else {
      return bad("unknown unit");
    }
    if (n > (kMax - total) / unit) return bad("too long");
    total += n * unit;
  }
  return Millis(total);
}

std::string format_duration(Millis d) {
  if (d.count() == 0) return "0s";
  std::string out = d.count() < 0 ? "-" : "";
  // The magnitude as unsigned, so that the most negative count has one too.
  std::uint64_t ms = static_cast<std::uint64_t>(d.count());
  if (d.count() < 0) ms = 0 - ms;
  static constexpr std::pair<std::uint64_t, const char*> kUnits[] = {
      {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}, {1, "ms"}};
  for (auto [size, name] : kUnits) {
    if (ms >= size) {
      out += std::to_string(ms / size) + name;
      ms %= size;
    }
  }
  return out;
}

}  // namespace jobrunner
