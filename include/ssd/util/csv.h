#pragma once
// CSV text fields as RFC 4180 writes them, for every CSV file the project writes with free text in it.
#include <string>

namespace ssd::util {

/// The field in double quotes, inner quotes doubled: safe for commas, quotes and newlines in class names or messages.
inline std::string csv_quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace ssd::util
