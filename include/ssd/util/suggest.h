#pragma once
// "Did you mean" suggestions for unknown keys and names.
#include <string>
#include <vector>

namespace ssd::util {

/// Levenshtein distance between a and b (insert, delete, substitute each cost 1).
int edit_distance(const std::string& a, const std::string& b);

/// The candidate closest to `word`, or "" when none is close enough to be a plausible typo
/// (distance above max(2, |word| / 3)).
std::string closest(const std::string& word, const std::vector<std::string>& candidates);

/// " (did you mean 'x'?)" or "" when closest() finds nothing: ready to append to a message.
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace ssd::util
