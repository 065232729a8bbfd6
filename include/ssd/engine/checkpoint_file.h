#pragma once
// A checkpoint's bytes on disk: written atomically and sealed with their SHA-256, verified before anything is read.
//
// Writing streams the archive into ".<name>.tmp" in the target's folder, checking every write (a full disk or a file
// size limit is a CheckpointError naming the file, never an abort), flushes it to disk and renames it over the old
// file: a crash or kill at any moment leaves the previous checkpoint whole, and a failed write leaves no temporary.
//
// The seal: the archive is a zip file (LibTorch's format), and a zip file may end with a comment. The SHA-256 of the
// bytes as LibTorch wrote them (comment length 0) goes there as "ssd-trainer sha256 <hex>"; zip readers (LibTorch,
// Python's torch.load and zipfile) skip it. LibTorch itself checks no CRC when it reads, so without the seal a flipped
// bit in a tensor would load silently.
#include <functional>
#include <string>

namespace ssd::engine {

/// The temporary file a checkpoint is written to before it is renamed into place: ".<name>.tmp" in its folder.
std::string temporary_checkpoint_path(const std::string& path);

/// Writes what `write_archive` hands its sink to `path`, atomically and sealed. write_archive must pass every byte to
/// the sink and return (OutputArchive::save_to with a function). Throws CheckpointError naming `path` and the reason.
void write_sealed_file(const std::string& path, const std::function<void(const std::function<size_t(const void*, size_t)>&)>& write_archive);

enum class Seal {
  kIntact,    ///< sealed, and the bytes match
  kUnsealed,  ///< no seal: written before checkpoints were sealed (nothing to check)
  kBroken,    ///< sealed, and the bytes do not match: the file was changed or damaged after it was written
};

/// A checkpoint file's bytes. Throws CheckpointError naming the file when it cannot be read.
std::string read_checkpoint_bytes(const std::string& path);

/// The seal of a checkpoint file, read a MiB at a time. Throws CheckpointError when the file cannot be read.
Seal check_seal(const std::string& path);

/// The seal of a checkpoint's bytes in memory.
Seal seal_of(const std::string& bytes);

}  // namespace ssd::engine
