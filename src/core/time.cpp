#include "core/time.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <ctime>

namespace grm {
namespace {

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return r.ec == std::errc{} && r.ptr == s.data() + s.size();
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                   "Thu", "Fri", "Sat"};

int month_index(std::string_view m) {
  for (std::size_t i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == m) return static_cast<int>(i) + 1;
  return 0;
}

std::optional<std::chrono::sys_seconds> make_time(int y, int mo, int d, int h, int mi, int s) {
  using namespace std::chrono;
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 60 || h < 0 || mi < 0 || s < 0)
    return std::nullopt;
  year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  return sys_days{ymd} + hours{h} + minutes{mi} + seconds{s};
}

// "HH:MM:SS"
bool parse_hms(std::string_view t, int& h, int& mi, int& s) {
  return t.size() == 8 && t[2] == ':' && t[5] == ':' && parse_int(t.substr(0, 2), h) &&
         parse_int(t.substr(3, 2), mi) && parse_int(t.substr(6, 2), s);
}

}  // namespace

std::string format_rfc3339(sys_ms t) {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(t);
  year_month_day ymd{days};
  hh_mm_ss<milliseconds> tod{t - days};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count(),
                     tod.subseconds().count());
}

std::string format_rfc3339_epoch_ms(std::int64_t epoch_ms) {
  return format_rfc3339(sys_ms{std::chrono::milliseconds{epoch_ms}});
}

std::optional<sys_ms> parse_rfc3339(std::string_view s) {
  // YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM)
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't'))
    return std::nullopt;
  if (!parse_int(s.substr(0, 4), y) || !parse_int(s.substr(5, 2), mo) ||
      !parse_int(s.substr(8, 2), d) || !parse_hms(s.substr(11, 8), h, mi, sec))
    return std::nullopt;
  auto base = make_time(y, mo, d, h, mi, sec);
  if (!base) return std::nullopt;
  std::size_t pos = 19;
  std::int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 3; ++digits) millis *= 10;
  }
  if (pos >= s.size()) return std::nullopt;
  std::chrono::minutes offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (s.size() - pos != 6 || s[pos + 3] != ':' || !parse_int(s.substr(pos + 1, 2), oh) ||
        !parse_int(s.substr(pos + 4, 2), om))
      return std::nullopt;
    offset = std::chrono::minutes{oh * 60 + om};
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  return sys_ms{*base - offset + std::chrono::milliseconds{millis}};
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view s) {
  int d, y, h, mi, sec;
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.size() == 29 && s[3] == ',' && s.substr(25) == " GMT") {
    if (!parse_int(s.substr(5, 2), d) || !parse_int(s.substr(12, 4), y) ||
        !parse_hms(s.substr(17, 8), h, mi, sec))
      return std::nullopt;
    return make_time(y, month_index(s.substr(8, 3)), d, h, mi, sec);
  }
  // asctime: "Sun Nov  6 08:49:37 1994"
  if (s.size() == 24 && s[3] == ' ' && s[7] == ' ') {
    auto day = s.substr(8, 2);
    if (day[0] == ' ') day.remove_prefix(1);
    if (!parse_int(day, d) || !parse_hms(s.substr(11, 8), h, mi, sec) ||
        !parse_int(s.substr(20, 4), y))
      return std::nullopt;
    return make_time(y, month_index(s.substr(4, 3)), d, h, mi, sec);
  }
  // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
  auto comma = s.find(", ");
  if (comma != std::string_view::npos && s.size() == comma + 2 + 22 && s.ends_with(" GMT")) {
    auto rest = s.substr(comma + 2);
    int yy;
    if (rest[2] != '-' || rest[6] != '-' || !parse_int(rest.substr(0, 2), d) ||
        !parse_int(rest.substr(7, 2), yy) || !parse_hms(rest.substr(10, 8), h, mi, sec))
      return std::nullopt;
    // RFC 9110: a two-digit year more than 50 years in the future is in the past century.
    y = yy < 70 ? 2000 + yy : 1900 + yy;
    return make_time(y, month_index(rest.substr(3, 3)), d, h, mi, sec);
  }
  return std::nullopt;
}

std::string format_http_date(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(t);
  year_month_day ymd{days};
  hh_mm_ss<seconds> tod{t - days};
  weekday wd{days};
  return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT", kDays[wd.c_encoding()],
                     static_cast<unsigned>(ymd.day()),
                     kMonths[static_cast<unsigned>(ymd.month()) - 1], static_cast<int>(ymd.year()),
                     tod.hours().count(), tod.minutes().count(), tod.seconds().count());
}

}  // namespace grm
