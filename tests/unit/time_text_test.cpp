// Durations and timestamps as text: what the fuzz target (tests/fuzz/duration_fuzz.cpp) found, kept as
// plain cases.
#include "jobrunner/time_text.h"

#include <catch2/catch.hpp>
#include <limits>

namespace jobrunner {

TEST_CASE("a bare number is seconds only as the whole duration, even after a zero") {
  CHECK(parse_duration("90").value() == Millis(90'000));
  CHECK_FALSE(parse_duration("1m30").is_ok());
  CHECK_FALSE(parse_duration("0m30").is_ok());
  CHECK_FALSE(parse_duration("0s5").is_ok());
}

TEST_CASE("every count of milliseconds prints, the most negative too, and the printed form reads back") {
  CHECK(format_duration(Millis(5'400'000)) == "1h30m");
  CHECK(parse_duration(format_duration(Millis(5'400'250))).value() == Millis(5'400'250));
  const Millis lowest(std::numeric_limits<std::int64_t>::min());
  CHECK(format_duration(lowest) == "-106751991167d7h12m55s808ms");
  CHECK_FALSE(parse_duration(format_duration(lowest)).is_ok());
}

TEST_CASE("a time that does not exist is refused instead of read as another") {
  CHECK(parse_timestamp("2024-02-29T12:00:00Z").is_ok());
  for (const char* text : {"2026-02-29T12:00:00Z", "2026-02-31T00:00:00Z", "2026-04-31T00:00:00Z",
                           "2026-12-31T23:59:60Z", "2026-12-03T16:10:00+24:00", "2026-12-03T16:10:00+01:60"}) {
    INFO(text);
    auto t = parse_timestamp(text);
    REQUIRE_FALSE(t.is_ok());
    CHECK(t.status().code() == StatusCode::invalid_argument);
  }
  CHECK(format_timestamp(parse_timestamp("2026-12-03T16:10:03.123+01:00").value()) == "2026-12-03T15:10:03.123Z");
}

TEST_CASE("every timestamp prints, before 1970 and at the ends of the range too") {
  CHECK(format_timestamp(-1) == "1969-12-31T23:59:59.999Z");
  CHECK(parse_timestamp(format_timestamp(-1)).value() == -1);
  CHECK_FALSE(format_timestamp(std::numeric_limits<std::int64_t>::min()).empty());
  CHECK_FALSE(format_timestamp(std::numeric_limits<std::int64_t>::max()).empty());
}

}  // namespace jobrunner
