#include "ssd/engine/checkpoint_file.h"

#include <openssl/evp.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "ssd/util/error.h"
#include "ssd/util/text_file.h"

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

}  // namespace

std::string temporary_checkpoint_path(const std::string& path) { return util::AtomicFile::temporary_path(path); }

void write_sealed_file(const std::string& path, const std::function<void(const std::function<size_t(const void*, size_t)>&)>& write_archive) {
  const auto fail = [&](const std::string& reason) {
    std::error_code ec;
    const bool kept = fs::exists(path, ec);
    return CheckpointError(path + ": cannot write checkpoint: " + reason + (kept ? " (the previous file is kept as it was)" : ""));
  };
  try {
    util::AtomicFile file(path);
    Sha256 sha;
    uint64_t size = 0;
    std::vector<unsigned char> tail;  // the last kEndRecord bytes written
    std::string failed;               // the first write's failure
    // Every byte is taken (the count returned is the count given): LibTorch's writer would throw from its destructor on
    // a short write and end the process. A failed write is remembered and reported after it returns.
    const auto sink = [&](const void* data, size_t n) -> size_t {
      if (!failed.empty()) return n;
      const auto* bytes = static_cast<const unsigned char*>(data);
      sha.update(data, n);
      tail.insert(tail.end(), n >= kEndRecord ? bytes + n - kEndRecord : bytes, bytes + n);
      if (tail.size() > kEndRecord) tail.erase(tail.begin(), tail.end() - kEndRecord);
      try {
        file.append(data, n);
      } catch (const util::WriteError& e) {
        failed = e.reason();
      }
      size += n;
      return n;
    };
    try {
      write_archive(sink);
    } catch (const std::exception& e) {
      throw fail(e.what());
    } catch (...) {
      throw fail("the archive writer failed");
    }
    if (!failed.empty()) throw fail(failed);
    if (tail.size() != kEndRecord || !is_end_record(tail.data(), 0)) throw fail("the archive does not end in a zip end record");

    const std::string seal = kSealPrefix + sha.hex();
    const unsigned char length[2] = {static_cast<unsigned char>(seal.size() & 0xff), static_cast<unsigned char>(seal.size() >> 8)};
    file.overwrite(size - 2, length, 2);
    file.append(seal);
    file.commit();
  } catch (const util::WriteError& e) {
    throw fail(e.reason());
  }
}

namespace {

// The file's size, for a regular file that opens; CheckpointError naming it otherwise.
uint64_t checkpoint_size(const std::string& path, std::ifstream& in) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) throw CheckpointError(path + ": not a checkpoint file");
  if (!in) throw CheckpointError(path + ": cannot open the checkpoint");
  in.seekg(0, std::ios::end);
  const auto end = in.tellg();
  if (end < 0) throw CheckpointError(path + ": cannot read the checkpoint");
  return static_cast<uint64_t>(end);
}

}  // namespace

std::string read_checkpoint_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes(static_cast<size_t>(checkpoint_size(path, in)), '\0');
  in.seekg(0);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()))) throw CheckpointError(path + ": cannot read the checkpoint");
  return bytes;
}

Seal check_seal(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const uint64_t size = checkpoint_size(path, in);
  if (size < kEndRecord + kSealLength) return Seal::kUnsealed;
  std::array<unsigned char, kEndRecord + kSealLength> end{};
  in.seekg(static_cast<std::streamoff>(size - end.size()));
  in.read(reinterpret_cast<char*>(end.data()), static_cast<std::streamsize>(end.size()));
  const std::string comment(end.begin() + kEndRecord, end.end());
  if (!in || !is_end_record(end.data(), kSealLength) || comment.rfind(kSealPrefix, 0) != 0) return Seal::kUnsealed;

  // The bytes as they were written: all but the seal, with a comment length of 0; read a MiB at a time.
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

Seal seal_of(const std::string& bytes) {
  const size_t size = bytes.size();
  if (size < kEndRecord + kSealLength) return Seal::kUnsealed;
  const auto* end = reinterpret_cast<const unsigned char*>(bytes.data()) + size - kEndRecord - kSealLength;
  const std::string comment(bytes, size - kSealLength);
  if (!is_end_record(end, kSealLength) || comment.rfind(kSealPrefix, 0) != 0) return Seal::kUnsealed;
  // The bytes as they were written: all but the seal, with a comment length of 0.
  Sha256 sha;
  sha.update(bytes.data(), size - kSealLength - 2);
  const char zero[2] = {0, 0};
  sha.update(zero, 2);
  return sha.hex() == comment.substr(sizeof(kSealPrefix) - 1) ? Seal::kIntact : Seal::kBroken;
}

}  // namespace ssd::engine
