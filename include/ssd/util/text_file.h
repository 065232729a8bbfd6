#pragma once
// Writing a whole output file (a results JSON, a report page, a CSV) so that a full disk or a file size limit is an
// error that names the file, never a silently short file: written to ".<name>.tmp" beside it, every write checked,
// flushed to disk, then renamed over the old one (which stays as it was when anything fails; no temporary is left).
#include <string>

namespace ssd::util {

/// Throws DataError naming `path` and the reason.
void write_text_file(const std::string& path, const std::string& text);

/// The same, written in pieces as they come (a results file of millions of detections need never be held whole):
/// append() any number of times, then commit(); a file that is not committed (an error, an exception on the way) is
/// removed by the destructor and the old one stays.
class AtomicFile {
 public:
  /// Opens the temporary file. Throws DataError naming `path`.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Throws DataError naming the file when a write fails (full disk, file size limit).
  void append(const std::string& text);
  /// Flushes to disk and renames over `path`. Throws DataError.
  void commit();

 private:
  [[noreturn]] void fail(int error, const char* what);
  std::string path_, tmp_;
  int fd_ = -1;
};

}  // namespace ssd::util
