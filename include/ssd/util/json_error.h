#pragma once
// Where a JSON text stops being JSON, as a person finds it in an editor: line and column, not a byte offset; with a
// word for the usual cause in detection files, the NaN or Infinity that Python's json.dump writes for such floats.
#include <string>

namespace ssd::util {

/// "line 3, column 17: <the parser's reason>" for a text that does not parse (or the parser's words for a value no C++
/// type holds, such as 1e999); "" for one that does.
std::string json_syntax_error(const std::string& text);

}  // namespace ssd::util
