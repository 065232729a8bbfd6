#include "ssd/util/html.h"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <iterator>

#include "ssd/util/error.h"

namespace ssd::util {

std::string escape_html(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string png_data_uri(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw DataError(path + ": cannot read the image to embed in the page");
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // libcrypto's base64 encoder: 4 characters per 3 bytes and a terminating zero.
  std::string encoded(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  encoded.resize(static_cast<size_t>(std::max(n, 0)));
  return "data:image/png;base64," + encoded;
}

}  // namespace ssd::util
