#include "pipeline/sentiment/schema_formats.hpp"

#include <boost/json.hpp>
#include <new>
#include <stdexcept>
#include <string>
#include <valijson/constraint_builder.hpp>
#include <valijson/constraints/concrete_constraints.hpp>
#include <valijson/internal/adapter.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>

namespace grm::sentiment {
namespace {

constexpr std::string_view kKeyword = "x-genesys-relay-format";

// A cursor over the text: each step consumes what it accepts.
struct cursor {
  std::string_view s;
  bool digit() const noexcept { return !s.empty() && s.front() >= '0' && s.front() <= '9'; }
  // Exactly `n` digits whose value is within [lo, hi].
  bool number(std::size_t n, int lo, int hi, int* out = nullptr) noexcept {
    if (s.size() < n) return false;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    s.remove_prefix(n);
    if (out) *out = v;
    return v >= lo && v <= hi;
  }
  bool one_of(std::string_view chars) noexcept {
    if (s.empty() || chars.find(s.front()) == std::string_view::npos) return false;
    s.remove_prefix(1);
    return true;
  }
  bool digits() noexcept {
    if (!digit()) return false;
    while (digit()) s.remove_prefix(1);
    return true;
  }
};

// valijson's rule: February up to 29, months 4, 6, 9 and 11 up to 30.
bool day_fits_month(int month, int day) noexcept {
  if (month == 2) return day <= 29;
  bool thirty = month <= 7 ? month % 2 == 0 : month % 2 != 0;
  return day <= (thirty ? 30 : 31);
}

bool full_date(cursor& c) noexcept {
  int month = 0, day = 0;
  return c.digits() && c.one_of("-") && c.number(2, 1, 12, &month) && c.one_of("-") && c.number(2, 1, 31, &day) &&
         day_fits_month(month, day);
}

bool full_time(cursor& c) noexcept {
  if (!(c.number(2, 0, 23) && c.one_of(":") && c.number(2, 0, 59) && c.one_of(":") && c.number(2, 0, 60))) return false;
  if (c.one_of(".") && !c.digits()) return false;
  if (c.one_of("Zz")) return true;
  return c.one_of("+-") && c.number(2, 0, 23) && c.one_of(":") && c.number(2, 0, 59);
}

// The formats checked here: the name, the check and valijson's own message for each.
struct format_check {
  std::string_view name;
  bool (*matches)(std::string_view) noexcept;
  std::string_view message;
};
constexpr format_check kFormats[] = {
    {"date", is_rfc3339_date, "String should be a valid date"},
    {"time", is_rfc3339_time, "String should be a valid time"},
    {"date-time", is_rfc3339_date_time, "String should be a valid date-time"},
};

const format_check* find_format(std::string_view name) noexcept {
  for (auto& f : kFormats)
    if (f.name == name) return &f;
  return nullptr;
}

class format_constraint final : public valijson::constraints::PolyConstraint {
 public:
  explicit format_constraint(const format_check& f) : format_(&f) {}

  bool validate(const valijson::adapters::Adapter& target, const std::vector<std::string>& context,
                valijson::ValidationResults* results) const override {
    // A format constrains strings only (JSON Schema 7.1); other types are for "type" to judge.
    if (!target.isString()) return true;
    if (format_->matches(target.getString())) return true;
    if (results) results->pushError(context, std::string(format_->message));
    return false;
  }

 private:
  Constraint* cloneInto(void* where) const override { return new (where) format_constraint(*this); }
  std::size_t sizeOf() const override { return sizeof(format_constraint); }

  const format_check* format_;
};

struct format_builder final : valijson::ConstraintBuilder {
  valijson::constraints::Constraint* make(const valijson::adapters::Adapter& value) const override {
    // Only the names rename_formats() moved here arrive, unless a schema spells the keyword itself.
    auto* f = value.isString() ? find_format(value.getString()) : nullptr;
    if (!f) throw std::runtime_error(std::string(kKeyword) + " names no format this relay checks");
    return new format_constraint(*f);
  }
};

bool compiled(const boost::json::value& v) {
  auto* s = v.if_string();
  return s && find_format(*s);
}

void rename_formats(boost::json::value& v) {
  if (auto* a = v.if_array()) {
    for (auto& item : *a) rename_formats(item);
    return;
  }
  auto* o = v.if_object();
  if (!o) return;
  if (auto it = o->find("format"); it != o->end() && compiled(it->value())) {
    auto value = it->value();
    o->erase(it);
    (*o)[kKeyword] = std::move(value);
  }
  for (auto& member : *o) {
    auto key = member.key();
    if (key == "enum" || key == "const" || key == "default" || key == "examples") continue;
    rename_formats(member.value());
  }
}

}  // namespace

bool is_rfc3339_date(std::string_view s) noexcept {
  cursor c{s};
  return full_date(c) && c.s.empty();
}

bool is_rfc3339_time(std::string_view s) noexcept {
  cursor c{s};
  return full_time(c) && c.s.empty();
}

bool is_rfc3339_date_time(std::string_view s) noexcept {
  cursor c{s};
  return full_date(c) && c.one_of("Tt") && full_time(c) && c.s.empty();
}

void use_compiled_formats(boost::json::value& schema, valijson::SchemaParser& parser) {
  rename_formats(schema);
  parser.addConstraintBuilder(std::string(kKeyword), new format_builder);  // the parser owns it
}

}  // namespace grm::sentiment
