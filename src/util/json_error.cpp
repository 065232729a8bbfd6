#include "ssd/util/json_error.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

namespace ssd::util {

std::string json_syntax_error(const std::string& text) {
  try {
    const auto parsed = nlohmann::json::parse(text);
    (void)parsed;
    return "";
  } catch (const nlohmann::json::parse_error& e) {
    // e.byte counts from 1 and names the character at which the parser gave up.
    const size_t at = e.byte > 0 ? std::min<size_t>(e.byte - 1, text.size()) : 0;
    size_t line = 1, column = 1;
    for (size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') ++line, column = 1;
      else ++column;
    }
    std::string reason = e.what();  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    if (const size_t colon = reason.find(": ", reason.find("column")); colon != std::string::npos) reason = reason.substr(colon + 2);
    // The parser stops a few characters into a bad token; look back to the token's start for NaN and Infinity.
    size_t start = at;
    while (start > 0 && (std::isalpha(static_cast<unsigned char>(text[start - 1])) || text[start - 1] == '-')) --start;
    const std::string token = text.substr(start, 9);
    if (token.rfind("NaN", 0) == 0 || token.rfind("Infinity", 0) == 0 || token.rfind("-Infinity", 0) == 0)
      reason = token.substr(0, token[0] == 'N' ? 3 : token[0] == '-' ? 9 : 8) +
               " is not JSON (Python's json.dump writes it for a float that is not finite: drop or fix that entry)";
    return "line " + std::to_string(line) + ", column " + std::to_string(column) + ": " + reason;
  } catch (const nlohmann::json::exception& e) {  // parses, but holds what no C++ type does (a number past a double)
    return e.what();
  }
}

}  // namespace ssd::util
