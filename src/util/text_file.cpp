#include "ssd/util/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::util {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  const fs::path target(path_);
  tmp_ = (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw DataError(path_ + ": cannot write: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void AtomicFile::fail(int error, const char* what) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  fs::remove(tmp_, ec);
  throw DataError(path_ + ": cannot write: " + (error ? std::strerror(error) : what) +
                  (error == ENOSPC || error == EFBIG ? " (disk full or file size limit?)" : ""));
}

void AtomicFile::append(const std::string& text) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? errno : EIO, "");
    p += n, left -= static_cast<size_t>(n);
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) fail(errno, "");
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail(errno, "");
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) fail(0, "cannot move the new file into place");
}

void write_text_file(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.append(text);
  file.commit();
}

}  // namespace ssd::util
