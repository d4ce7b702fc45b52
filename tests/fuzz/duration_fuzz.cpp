// Durations and timestamps as the command line reads them (--in, --grace, --at): any text is either
// refused with a message or read to a value that prints back and reads again to the same value.
#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "jobrunner/time_text.h"

using namespace jobrunner;
using jobrunner::fuzz::check;

namespace {

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

void check_duration(std::string_view text) {
  auto d = parse_duration(text);
  if (!d.is_ok()) {
    check(d.status().message().starts_with("invalid duration"), "a refused duration says why", text);
    return;
  }
  check(d->count() >= 0, "a duration is never negative", text);
  // "90" is 90 s, but a number after a unit ("1m30") is refused, not read as seconds.
  const bool ends_in_digit = text.back() >= '0' && text.back() <= '9';
  check(!ends_in_digit || all_digits(text), "a bare number is read only as the whole text", text);
  const std::string printed = format_duration(*d);
  auto again = parse_duration(printed);
  check(again.is_ok() && *again == *d, "a duration prints as text that reads back to it", text);
  check(format_duration(*again) == printed, "a duration's printed form is canonical", text);
}

// The date and time fields of "YYYY-MM-DDThh:mm:ss..." as written, for a text in UTC.
bool same_fields(std::string_view text, const std::string& printed) {
  return text.substr(0, 10) == std::string_view(printed).substr(0, 10) &&
         text.substr(11, 8) == std::string_view(printed).substr(11, 8);
}

void check_timestamp(std::string_view text) {
  auto t = parse_timestamp(text);
  if (!t.is_ok()) return;
  const std::string printed = format_timestamp(*t);
  auto again = parse_timestamp(printed);
  check(again.is_ok() && *again == *t, "a timestamp prints as text that reads back to it", text);
  // A time given in UTC names the instant it reads as: no 31 February becoming 3 March.
  if (text.ends_with('Z') && text.size() >= 20) {
    check(same_fields(text, printed), "a UTC time reads as the date and time it names", text);
  }
}

// Any count of milliseconds prints without overflow; a count that fits reads back.
void check_millis(std::int64_t ms) {
  const std::string printed = format_duration(Millis(ms));
  auto back = parse_duration(printed);
  if (ms < 0) {
    check(!back.is_ok(), "a negative duration's printed form is refused as input", printed);
  } else if (back.is_ok()) {
    check(back->count() == ms, "a duration that reads back reads back exactly", printed);
  }
  const std::string stamp = format_timestamp(ms);
  auto t = parse_timestamp(stamp);
  if (t.is_ok()) check(*t == ms, "a timestamp that reads back reads back exactly", stamp);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_duration(text);
  check_timestamp(text);
  if (size >= sizeof(std::int64_t)) {
    std::int64_t ms;
    std::memcpy(&ms, data, sizeof ms);
    check_millis(ms);
  }
  return 0;
}
