#pragma once
// Writing a whole output file (a results JSON, a report page, a CSV) so that a full disk or a file size limit is an
// error that names the file, never a silently short file: written to ".<name>.tmp" beside it, every write checked,
// flushed to disk, then renamed over the old one (which stays as it was when anything fails; no temporary is left).
#include <string>

namespace ssd::util {

/// Throws DataError naming `path` and the reason.
void write_text_file(const std::string& path, const std::string& text);

}  // namespace ssd::util
