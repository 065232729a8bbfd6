#include "ssd/util/text_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::util {

void write_text_file(const std::string& path, const std::string& text) {
  const fs::path target(path);
  const std::string tmp = (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw DataError(path + ": cannot write: " + std::strerror(errno));
  const char* p = text.data();
  size_t left = text.size();
  int error = 0;
  while (left > 0 && !error) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = n < 0 ? errno : EIO;
    else p += n, left -= static_cast<size_t>(n);
  }
  if (!error && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && !error) error = errno;
  std::error_code ec;
  if (!error) {
    fs::rename(tmp, path, ec);
    if (!ec) return;
  }
  fs::remove(tmp, ec);
  throw DataError(path + ": cannot write: " + (error ? std::strerror(error) : "cannot move the new file into place") +
                  (error == ENOSPC || error == EFBIG ? " (disk full or file size limit?)" : ""));
}

}  // namespace ssd::util
