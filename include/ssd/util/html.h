#pragma once
// What the self-contained HTML pages (the evaluation report, ssd-runs compare) share: text made safe for HTML, and
// PNG files embedded as data: URIs so that a page needs no other file.
#include <string>

namespace ssd::util {

/// `text` with &, <, > and " written as entities.
std::string escape_html(const std::string& text);

/// The PNG file at `path` as a data: URI ("data:image/png;base64,..."). Throws DataError naming the file when it
/// cannot be read.
std::string png_data_uri(const std::string& path);

}  // namespace ssd::util
