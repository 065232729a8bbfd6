#pragma once
// Writing a whole output file (a results JSON, a report page, a CSV, a checkpoint) so that a full disk or a file size
// limit is an error that names the file, never a silently short file: written to ".<name>.tmp" beside it, every write
// checked, flushed to disk, then renamed over the old one (which stays as it was when anything fails; no temporary is
// left). And reading one back whole.
#include <cstddef>
#include <cstdint>
#include <string>

#include "ssd/util/error.h"

namespace ssd::util {

/// What a failed write throws: a DataError whose what() is "<path>: cannot write: <reason>", with the reason apart
/// for callers that name the file their own way (a checkpoint's CheckpointError).
class WriteError : public DataError {
 public:
  WriteError(const std::string& path, std::string reason) : DataError(path + ": cannot write: " + reason), reason_(std::move(reason)) {}
  const std::string& reason() const { return reason_; }

 private:
  std::string reason_;
};

/// Throws WriteError naming `path` and the reason.
void write_text_file(const std::string& path, const std::string& text);

/// The whole file at `path`, byte for byte. Throws DataError "<path>: cannot be read" when it cannot be opened.
std::string read_text_file(const std::string& path);

/// The same, written in pieces as they come (a results file of millions of detections need never be held whole):
/// append() any number of times, then commit(); a file that is not committed (an error, an exception on the way) is
/// removed by the destructor and the old one stays.
class AtomicFile {
 public:
  /// The temporary file `path` is written to before it is renamed into place: ".<name>.tmp" in its folder.
  static std::string temporary_path(const std::string& path);

  /// Opens the temporary file. Throws WriteError naming `path`.
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  /// Throws WriteError naming the file when a write fails (full disk, file size limit).
  void append(const void* data, size_t size);
  void append(const std::string& text) { append(text.data(), text.size()); }
  /// Writes over bytes already appended, at `offset` from the start. Throws WriteError.
  void overwrite(uint64_t offset, const void* data, size_t size);
  /// Flushes to disk, renames over `path` and flushes the folder, so the new name survives a power loss. Throws
  /// WriteError.
  void commit();

 private:
  [[noreturn]] void fail(int error, const std::string& what);
  std::string path_, tmp_;
  int fd_ = -1;
};

}  // namespace ssd::util
