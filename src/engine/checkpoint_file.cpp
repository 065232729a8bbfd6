#include "ssd/engine/checkpoint_file.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "ssd/util/error.h"

namespace fs = std::filesystem;

namespace ssd::engine {

namespace {

constexpr char kSealPrefix[] = "ssd-trainer sha256 ";
constexpr size_t kSealLength = sizeof(kSealPrefix) - 1 + 64;  // the prefix and 32 bytes in hex
constexpr size_t kEndRecord = 22;                             // zip's end-of-central-directory record, comment excluded

class Sha256 {
 public:
  Sha256() : context_(EVP_MD_CTX_new(), EVP_MD_CTX_free) { EVP_DigestInit_ex(context_.get(), EVP_sha256(), nullptr); }
  void update(const void* data, size_t size) { EVP_DigestUpdate(context_.get(), data, size); }
  std::string hex() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_DigestFinal_ex(context_.get(), digest, &size);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < size; ++i) out += {digits[digest[i] >> 4], digits[digest[i] & 15]};
    return out;
  }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context_;
};

// An end-of-central-directory record: its signature "PK\5\6" and, in its last two bytes, the comment's length.
bool is_end_record(const unsigned char* record, size_t comment_length) {
  return record[0] == 'P' && record[1] == 'K' && record[2] == 5 && record[3] == 6 && record[20] == (comment_length & 0xff) &&
         record[21] == (comment_length >> 8);
}

bool write_all(int fd, const void* data, size_t size) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n, size -= static_cast<size_t>(n);
  }
  return true;
}

void fsync_directory(const fs::path& folder) {
  const int fd = ::open(folder.empty() ? "." : folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;  // best effort: some file systems do not allow opening directories
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string temporary_checkpoint_path(const std::string& path) {
  const fs::path target(path);
  return (target.parent_path() / ("." + target.filename().string() + ".tmp")).string();
}

void write_sealed_file(const std::string& path, const std::function<void(const std::function<size_t(const void*, size_t)>&)>& write_archive) {
  const std::string tmp = temporary_checkpoint_path(path);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw CheckpointError(path + ": cannot write checkpoint: cannot create " + tmp + ": " + std::strerror(errno));
  auto fail = [&](const std::string& reason) {
    ::close(fd);
    ::unlink(tmp.c_str());
    std::error_code ec;
    const bool kept = fs::exists(path, ec);
    throw CheckpointError(path + ": cannot write checkpoint: " + reason + (kept ? " (the previous file is kept as it was)" : ""));
  };

  Sha256 sha;
  int error = 0;
  uint64_t size = 0;
  std::vector<unsigned char> tail;  // the last kEndRecord bytes written
  // Every byte is taken (the count returned is the count given): LibTorch's writer would throw from its destructor on a
  // short write and end the process. A failed write is remembered and reported after it returns.
  const auto sink = [&](const void* data, size_t n) -> size_t {
    if (error) return n;
    const auto* bytes = static_cast<const unsigned char*>(data);
    sha.update(data, n);
    tail.insert(tail.end(), n >= kEndRecord ? bytes + n - kEndRecord : bytes, bytes + n);
    if (tail.size() > kEndRecord) tail.erase(tail.begin(), tail.end() - kEndRecord);
    if (!write_all(fd, data, n)) error = errno ? errno : EIO;
    size += n;
    return n;
  };
  try {
    write_archive(sink);
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("the archive writer failed");
  }
  if (error) fail(std::strerror(error) + std::string(error == ENOSPC || error == EFBIG ? " (disk full or file size limit?)" : ""));
  if (tail.size() != kEndRecord || !is_end_record(tail.data(), 0)) fail("the archive does not end in a zip end record");

  const std::string seal = kSealPrefix + sha.hex();
  const unsigned char length[2] = {static_cast<unsigned char>(seal.size() & 0xff), static_cast<unsigned char>(seal.size() >> 8)};
  if (::pwrite(fd, length, 2, static_cast<off_t>(size - 2)) != 2 || !write_all(fd, seal.data(), seal.size()))
    fail(std::strerror(errno));
  if (::fsync(fd) != 0) fail(std::strerror(errno));  // a delayed allocation that fails (a full disk) is reported here
  if (::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    throw CheckpointError(path + ": cannot write checkpoint: " + std::strerror(e));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);  // atomic on POSIX: readers see the old file or the new one, never a mix
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    throw CheckpointError(path + ": cannot move the new checkpoint into place: " + reason);
  }
  fsync_directory(fs::path(path).parent_path());
}

Seal check_seal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CheckpointError(path + ": cannot open the checkpoint");
  in.seekg(0, std::ios::end);
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size < kEndRecord + kSealLength) return Seal::kUnsealed;
  std::array<unsigned char, kEndRecord + kSealLength> end{};
  in.seekg(static_cast<std::streamoff>(size - end.size()));
  in.read(reinterpret_cast<char*>(end.data()), static_cast<std::streamsize>(end.size()));
  const std::string comment(end.begin() + kEndRecord, end.end());
  if (!in || !is_end_record(end.data(), kSealLength) || comment.rfind(kSealPrefix, 0) != 0) return Seal::kUnsealed;

  // The bytes as they were written: all but the seal, with a comment length of 0.
  Sha256 sha;
  in.seekg(0);
  std::vector<char> buffer(1 << 20);
  for (uint64_t left = size - kSealLength - 2; left > 0;) {
    const auto n = static_cast<std::streamsize>(std::min<uint64_t>(left, buffer.size()));
    if (!in.read(buffer.data(), n)) throw CheckpointError(path + ": cannot read the checkpoint");
    sha.update(buffer.data(), static_cast<size_t>(n));
    left -= static_cast<uint64_t>(n);
  }
  const char zero[2] = {0, 0};
  sha.update(zero, 2);
  return sha.hex() == comment.substr(sizeof(kSealPrefix) - 1) ? Seal::kIntact : Seal::kBroken;
}

}  // namespace ssd::engine
