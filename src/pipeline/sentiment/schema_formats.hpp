#pragma once
// JSON Schema's "date", "time" and "date-time" formats (RFC 3339 section 5.6), checked without a
// regular expression. valijson 1.0 (Debian 12's) checks them by constructing a std::regex on every
// validation, which was over a third of the forwarder's CPU. `use_compiled_formats` hands valijson
// the same checks as a custom keyword, so the schema is still enforced by valijson as a whole.
#include <string_view>

namespace boost::json {
class value;
}
namespace valijson {
class SchemaParser;
}

namespace grm::sentiment {

// valijson's grammar and day-of-month rule for each format (a year of one or more digits; a
// leap second; a fraction of any length; Z, z or a numeric offset).
bool is_rfc3339_date(std::string_view s) noexcept;
bool is_rfc3339_time(std::string_view s) noexcept;
bool is_rfc3339_date_time(std::string_view s) noexcept;

// Renames each `"format": "date" | "time" | "date-time"` keyword of `schema` to a keyword the
// parser has a builder for (registered here), so valijson runs these checks in place of its own.
// Values of enum, const, default and examples are data, not schemas, and are left alone.
void use_compiled_formats(boost::json::value& schema, valijson::SchemaParser& parser);

}  // namespace grm::sentiment
