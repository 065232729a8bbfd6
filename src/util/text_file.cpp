#include "ssd/util/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

namespace fs = std::filesystem;

namespace ssd::util {

namespace {

void fsync_directory(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot be read");
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string AtomicFile::temporary_path(const std::string& path) {
  const fs::path target(path);
  return (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)), tmp_(temporary_path(path_)) {
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) throw WriteError(path_, "cannot create " + tmp_ + ": " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (fd_ < 0) return;
  ::close(fd_);
  std::error_code ec;
  fs::remove(tmp_, ec);
}

void AtomicFile::fail(int error, const std::string& what) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  std::error_code ec;
  fs::remove(tmp_, ec);
  throw WriteError(path_, error ? std::string(std::strerror(error)) + (error == ENOSPC || error == EFBIG ? " (disk full or file size limit?)" : "")
                                : what);
}

void AtomicFile::append(const void* data, size_t size) {
  if (fd_ < 0) fail(0, "the file was already closed");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd_, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? errno : EIO, "");
    p += n, size -= static_cast<size_t>(n);
  }
}

void AtomicFile::overwrite(uint64_t offset, const void* data, size_t size) {
  if (fd_ < 0) fail(0, "the file was already closed");
  const ssize_t n = ::pwrite(fd_, data, size, static_cast<off_t>(offset));
  if (n != static_cast<ssize_t>(size)) fail(n < 0 ? errno : EIO, "");
}

void AtomicFile::commit() {
  if (fd_ < 0) fail(0, "the file was already closed");
  if (::fsync(fd_) != 0) fail(errno, "");  // a delayed allocation that fails (a full disk) is reported here
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) fail(errno, "");
  std::error_code ec;
  fs::rename(tmp_, path_, ec);  // atomic on POSIX: readers see the old file or the new one, never a mix
  if (ec) fail(0, "cannot move the new file into place: " + ec.message());
  fsync_directory(fs::path(path_).parent_path());
}

void write_text_file(const std::string& path, const std::string& text) {
  AtomicFile file(path);
  file.append(text);
  file.commit();
}

}  // namespace ssd::util
