#include "core/text.hpp"

#include <array>
#include <cctype>

namespace grm {

namespace {

bool ieq_prefix(std::string_view s, std::size_t at, std::string_view word) {
  if (s.size() - at < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(s[at + i])) != word[i]) return false;
  return true;
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid there.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  return n;
}

bool value_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '~' || c == '+' ||
         c == '/' || c == '=' || c == '%';
}

// The credential names whose values are masked; matched case-insensitively at a word start.
constexpr std::array<std::string_view, 11> kSecretKeys = {"access_token", "refresh_token", "token", "secret",
                                                          "password", "passwd", "signature", "api_key", "apikey",
                                                          "client_secret", "authorization"};

// If a credential starts at s[i] (scheme word or key name), the length of the part kept visible
// ("Bearer ", "token=") and of the value that follows; {0, 0} otherwise.
std::pair<std::size_t, std::size_t> credential_at(std::string_view s, std::size_t i) {
  if (i > 0 && (std::isalnum(static_cast<unsigned char>(s[i - 1])) || s[i - 1] == '_')) return {0, 0};
  std::size_t keep = 0;
  for (auto scheme : {std::string_view("bearer "), std::string_view("basic ")})
    if (ieq_prefix(s, i, scheme)) keep = scheme.size();
  if (!keep)
    for (auto key : kSecretKeys) {
      if (!ieq_prefix(s, i, key)) continue;
      std::size_t j = i + key.size();
      while (j < s.size() && (s[j] == '"' || s[j] == ' ')) ++j;  // "token": "x" as well as token=x
      if (j < s.size() && (s[j] == '=' || s[j] == ':')) {
        ++j;
        while (j < s.size() && (s[j] == '"' || s[j] == ' ')) ++j;
        for (auto scheme : {std::string_view("bearer "), std::string_view("basic ")})
          if (ieq_prefix(s, j, scheme)) j += scheme.size();  // "Authorization: Bearer x": mask x
        keep = j - i;
        break;
      }
    }
  if (!keep) return {0, 0};
  std::size_t v = i + keep;
  while (v < s.size() && value_char(s[v])) ++v;
  return v > i + keep ? std::pair{keep, v - i - keep} : std::pair<std::size_t, std::size_t>{0, 0};
}

}  // namespace

std::string safe_excerpt(std::string_view text, std::size_t max_bytes) {
  std::string out;
  bool cut = false;
  for (std::size_t i = 0; i < text.size();) {
    if (out.size() >= max_bytes) {
      cut = true;
      break;
    }
    if (auto [keep, value] = credential_at(text, i); value > 0) {
      out.append(text.substr(i, keep));
      out += "<redacted>";
      i += keep + value;
      continue;
    }
    auto n = utf8_length(text, i);
    auto c = static_cast<unsigned char>(text[i]);
    if (n == 0) {
      out += '?';
      ++i;
    } else if (n == 1 && (c < 0x20 || c == 0x7f || c == ' ')) {
      if (!out.empty() && out.back() != ' ') out += ' ';
      ++i;
    } else if (out.size() + n > max_bytes) {
      cut = true;
      break;
    } else {
      out.append(text.substr(i, n));
      i += n;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (cut) out += "…";
  return out;
}

}  // namespace grm
