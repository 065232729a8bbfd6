#pragma once
// ssd-train --nproc N: runs N processes of this program on this machine as one distributed run, the way torchrun
// does: it hosts the rendezvous store, starts the ranks with torchrun's environment (RANK, WORLD_SIZE, LOCAL_RANK,
// LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE), forwards SIGINT and SIGTERM to them
// once, and when one of them fails stops the others and exits non-zero naming that rank.
#include <string>
#include <vector>

namespace ssd::distributed {

/// Runs `program` with `arguments` (the command line without --nproc) as `processes` ranks and waits for them.
/// Returns 0 when every rank succeeded, else the exit code of the first rank that failed (128 + its signal when a
/// signal ended it). `grace_seconds`: how long the others get to stop after a failure before they are killed.
int supervise(int processes, const std::string& program, const std::vector<std::string>& arguments, double grace_seconds = 30);

/// The command line without "--nproc N" / "--nproc=N" (what each rank runs).
std::vector<std::string> without_nproc(int argc, char** argv);

}  // namespace ssd::distributed
