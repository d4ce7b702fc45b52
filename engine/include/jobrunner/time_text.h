// Times and durations as text: ISO-8601 timestamps and "1h30m"-style durations, for logs, results
// and the command line.
#pragma once

#include <string>
#include <string_view>

#include "jobrunner/clock.h"
#include "jobrunner/status.h"

namespace jobrunner {

// "2026-12-03T16:10:03.123Z" (UTC, milliseconds).
std::string format_timestamp(Timestamp t);
// Accepts "2026-12-03T16:10:03Z", with optional ".mmm" and "Z" or "+hh:mm"/"-hh:mm". A day past the
// end of its month, a leap second (:60) or an offset past 23:59 is an error, not another time.
Result<Timestamp> parse_timestamp(std::string_view text);

// A duration: one or more <number><unit> with units ms, s, m, h, d ("90s", "1h30m", "250ms", "7d").
// A bare number is seconds. Negative, empty, overflowing or unitless-in-the-middle text is an error.
Result<Millis> parse_duration(std::string_view text);
// The shortest form parse_duration reads back: "5m", "1h30m", "250ms", "0s".
std::string format_duration(Millis d);

}  // namespace jobrunner
