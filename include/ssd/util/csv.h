#pragma once
// CSV text fields as RFC 4180 writes them, for every CSV file the project writes with free text in it, and the
// records of such a file read back.
#include <string>
#include <vector>

namespace ssd::util {

/// The field in double quotes, inner quotes doubled: safe for commas, quotes and newlines in class names or messages.
inline std::string csv_quoted(const std::string& field) {
  std::string out = "\"";
  for (char c : field) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

/// The records of CSV `text` as RFC 4180 has them: fields split at commas outside double quotes, "" inside quotes
/// read as one quote, a quoted field may hold commas and line breaks; \r\n or \n ends a record.
inline std::vector<std::vector<std::string>> csv_records(const std::string& text) {
  std::vector<std::vector<std::string>> records;
  std::vector<std::string> record;
  std::string field;
  bool quoted = false, any = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += '"', ++i;
      else if (c == '"') quoted = false;
      else field += c;
    } else if (c == '"') {
      quoted = true, any = true;
    } else if (c == ',') {
      record.push_back(field), field.clear(), any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      if (any || !field.empty()) record.push_back(field), records.push_back(record);
      record.clear(), field.clear(), any = false;
    } else {
      field += c, any = true;
    }
  }
  if (any || !field.empty()) record.push_back(field), records.push_back(record);
  return records;
}

}  // namespace ssd::util
